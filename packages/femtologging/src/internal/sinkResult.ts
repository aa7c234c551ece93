/**
 * Reading what a sink's (or a user handler's) call gave back: a promise to wait for, and how many
 * records of a batch a failed write still wrote. Shared by the main thread's executors and the
 * worker thread's loop.
 *
 * Written with erasable TypeScript only, like the worker side, so scripts can load it from `src/`.
 *
 * @internal
 */

/** Whether `u` is an object with a `then` method (a promise, or one of another library). @internal */
export const isThenable = (u: unknown): u is PromiseLike<unknown> =>
  typeof u === "object" && u !== null && typeof (u as PromiseLike<unknown>).then === "function"

/** How many records of a batch a failed write still wrote (`recordsWritten` on its error). @internal */
export const recordsWrittenOf = (error: unknown, records: number): number => {
  const n = typeof error === "object" && error !== null ? (error as { recordsWritten?: unknown }).recordsWritten : undefined
  return typeof n === "number" && Number.isInteger(n) && n >= 0 ? Math.min(n, records) : 0
}
