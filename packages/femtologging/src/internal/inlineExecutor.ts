/**
 * The inline executor runs a sink on the main thread, inside the handler's drain. A synchronous
 * sink (streams, files) finishes each batch before `write` returns; a sink that returns a promise
 * keeps the executor busy until it settles, and nothing on the main thread can wait for that
 * synchronously (choose the worker executor for such sinks when callers must be held).
 *
 * @internal
 */
import type { Sink } from "../Sink.ts"
import { closeTimeoutMs, type Executor } from "./executor.ts"
import { isThenable, recordsWrittenOf } from "./sinkResult.ts"
import { within } from "./within.ts"

/**
 * Runs `sink` on the calling thread. `report` receives each failure (the caller rate-limits).
 *
 * @internal
 */
export const make = (
  sink: Sink & {
    /** Gives up the write in flight now, keeping the sink open: how many of its records it wrote whole (a stream sink). */
    readonly giveUpSync?: (() => number) | undefined
  },
  report: (what: string, error: unknown) => void
): Executor => {
  let written = 0
  let lost = 0
  let inFlight = 0
  let busy: Promise<void> | undefined
  let failedSinceFlush = false
  let closed: Promise<void> | undefined
  /** Bumped when a write in flight is given up on (close timed out, exit): its late outcome is ignored. */
  let generation = 0

  const failed = (error: unknown, records: number): void => {
    const ok = recordsWrittenOf(error, records)
    written += ok
    lost += records - ok
    failedSinceFlush = true
    report("write", error)
  }

  const step = <A>(what: string, run: () => A | PromiseLike<A>, onError: A): A | Promise<A> => {
    let result: A | PromiseLike<A>
    try {
      result = run()
    } catch (error) {
      report(what, error)
      return onError
    }
    if (!isThenable(result)) return result
    return Promise.resolve(result).then(undefined, (error) => (report(what, error), onError))
  }

  const settle = (): Promise<void> => busy ?? Promise.resolve()

  /**
   * Runs the sink's `flush` or `close` for at most `ms`; one that has not finished by then is
   * given up on, and reported (a sink that hangs is not silent).
   */
  const bounded = async (what: "flush" | "close", run: () => unknown, ms: number): Promise<void> => {
    const finished = await within(Promise.resolve(step(what, run, undefined)).then(() => true), ms)
    if (finished === false) report(what, `not finished after ${ms} ms: given up on`)
  }

  /** Counts the write in flight as lost and stops waiting for it. */
  const abandon = (): void => {
    generation++
    lost += inFlight
    inFlight = 0
    busy = undefined
  }

  const executor: Executor = {
    kind: "inline",
    canWaitSync: sink.waitSync !== undefined,
    batchBytes: Number.POSITIVE_INFINITY,
    // Closed, `write` only counts what it gets as lost: ready, so that nobody waits for it.
    ready: () => busy === undefined || closed !== undefined,
    write: (bytes, ends) => {
      const records = ends.length
      if (closed !== undefined) {
        lost += records
        return
      }
      let result: void | PromiseLike<void>
      try {
        result = sink.write(bytes, ends)
      } catch (error) {
        failed(error, records)
        return
      }
      if (!isThenable(result)) {
        written += records
        return
      }
      inFlight = records
      const mine = generation
      const done = Promise.resolve(result).then(
        () => {
          if (mine === generation) written += records
        },
        (error) => {
          if (mine === generation) failed(error, records)
        }
      ).finally(() => {
        if (mine !== generation) return
        inFlight = 0
        busy = undefined
      })
      busy = done
      return done
    },
    waitSync: (deadline) => {
      if (busy === undefined) return true
      if (sink.waitSync?.(deadline) !== true) return false
      // Done synchronously: counted now; the promise's late outcome is ignored.
      generation++
      written += inFlight
      inFlight = 0
      busy = undefined
      return true
    },
    settleSync: (deadline) => executor.waitSync(deadline),
    wait: settle,
    flush: async (timeoutMs) => {
      // Within the timeout: a write waiting for a pipe that does not move, or a sink's flush that
      // does not finish, makes the flush false, not a promise that never settles.
      const ok: unknown = await within(settle().then(() => step("flush", () => sink.flush?.(), false)), timeoutMs)
      if (ok === false) return false
      const clean = !failedSinceFlush
      failedSinceFlush = false
      return clean
    },
    close: (timeoutMs) =>
      closed ??= within(settle().then(() => true), timeoutMs).then(async (settled) => {
        if (settled === false) {
          // Closing the sink ends the write it holds (a full pipe gives up, saying how many
          // records it wrote whole): its outcome still counts, if it comes at once.
          const closing = bounded("close", () => sink.close?.(), timeoutMs)
          if (busy !== undefined && (await within(settle().then(() => true), 100)) === false) abandon()
          await closing
          return
        }
        await bounded("flush", () => sink.flush?.(), timeoutMs)
        // Every record is written: the sink's own release (a file sink finishing or abandoning its
        // compressions) gets as long as on a worker thread, so that nothing of it is left running
        // once close() returns.
        await bounded("close", () => sink.close?.(), Math.max(timeoutMs, closeTimeoutMs))
      }),
    exitSync: (deadline, stopAt = deadline) => {
      // An asynchronous write cannot finish once the process is exiting (unless the sink can finish
      // it synchronously). The sink stays open: records logged by later exit listeners are still
      // written; the OS closes descriptors.
      if (busy !== undefined && !executor.waitSync(stopAt)) {
        // The records of the batch already out whole (a full pipe the reader stopped reading)
        // are written: only the rest is lost.
        const done = Math.min(sink.giveUpSync?.() ?? 0, inFlight)
        written += done
        inFlight -= done
        abandon()
      }
      try {
        const flushed = sink.flush?.()
        if (isThenable(flushed)) Promise.resolve(flushed).then(undefined, () => {})
      } catch (error) {
        report("flush", error)
      }
    },
    written: () => written,
    lost: () => lost,
    pending: () => inFlight,
    duplicates: () => 0
  }
  return executor
}
