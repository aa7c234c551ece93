/**
 * Waiting for a promise with a time limit, as closing a sink or an executor does.
 *
 * @internal
 */

/**
 * Resolves to what `promise` resolves to, or to `false` when it rejects or has not settled after
 * `ms`. The timer is not unref'd: an awaited close keeps the process alive meanwhile.
 *
 * @internal
 */
export const within = <A>(promise: PromiseLike<A>, ms: number): Promise<A | false> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), Math.max(0, ms))
    promise.then((a) => {
      clearTimeout(timer)
      resolve(a)
    }, () => {
      clearTimeout(timer)
      resolve(false)
    })
  })
