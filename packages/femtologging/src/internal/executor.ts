/**
 * An executor runs a handler's sink: on the main thread (inline) or on a dedicated worker thread
 * behind a bounded SharedArrayBuffer hand-off (worker). The handler formats and encodes records
 * on the main thread and hands the executor whole batches of bytes with their record counts.
 *
 * The contract every executor keeps:
 * - `write` is called only when `ready()` is true, with whole records (never a part of one).
 * - Order: bytes reach the sink in the order they were written.
 * - Accounting: every record handed to `write` ends up counted exactly once, in `written` (the
 *   sink's write succeeded) or in `lost` (the sink's write failed, or the executor gave up on it
 *   at exit). Records still on their way are `pending()`.
 * - `flush()` and `close()` are barriers: they cover every record written before the call.
 *
 * @internal
 */

/**
 * How long closing waits for a sink once every record handed to it is written (a file sink
 * finishing its compressions), on either executor; a worker thread is ended after it. @internal
 */
export const closeTimeoutMs = 5_000

/** Where a handler's sink runs. @internal */
export interface Executor {
  /** `"inline"` or `"worker"`. */
  readonly kind: "inline" | "worker"
  /** Whether `write` can take a batch now without waiting (inline: no write in flight; worker: room in the hand-off). */
  readonly ready: () => boolean
  /**
   * Takes a batch: `bytes` holds whole records, `ends[i]` the offset just past record `i` (so
   * `ends.length` records; the sink receives the same pair). Both may be reused by the caller
   * as soon as this returns (copy what you keep). Returns a promise only when the write
   * continues asynchronously (an inline sink returning a promise): `ready()` is false until it
   * settles. Never throws: a failing sink counts the batch in `lost` (or, when its error carries
   * `recordsWritten`, that many in `written` and the rest in `lost`).
   */
  readonly write: (bytes: Uint8Array, ends: Uint32Array) => void | Promise<void>
  /**
   * Blocks the calling thread (Atomics.wait, never a busy loop) until `ready()` or until the
   * real-time deadline (`performance.now()` milliseconds) passes. Returns `ready()`. An executor
   * that cannot make progress without the event loop (an inline sink with a write in flight)
   * returns `false` at once.
   */
  readonly waitSync: (deadline: number) => boolean
  /**
   * Blocks the calling thread until every record written so far is counted in `written` or
   * `lost` (a worker's thread wrote what it was handed), or until the deadline; `true` when so.
   * Like `waitSync`, it returns `false` at once where only the event loop could make progress.
   */
  readonly settleSync: (deadline: number) => boolean
  /**
   * Whether `waitSync` can wait at all: `false` for an inline sink whose writes go asynchronous
   * and that has no `waitSync` of its own (the socket sink, a user's promise-returning sink).
   */
  readonly canWaitSync: boolean
  /**
   * The estimated record bytes a batch should not pass: a worker's hand-off takes a batch whole
   * when it is at most about half the ring (a larger one is copied aside and streamed in pieces).
   */
  readonly batchBytes: number
  /** Resolves once `ready()` (without blocking the event loop). */
  readonly wait: () => Promise<void>
  /**
   * Resolves `true` once every record written before the call was written by the sink and the
   * sink flushed; `false` when the sink's flush failed or a write failed since the last flush,
   * or when `timeoutMs` passed.
   */
  readonly flush: (timeoutMs: number) => Promise<boolean>
  /** Writes out everything written before, flushes and closes the sink (idempotent), within `timeoutMs`; what could not be written is counted in `lost`. */
  readonly close: (timeoutMs: number) => Promise<void>
  /**
   * At process exit, synchronously: delivers everything written so far, flushes and closes the
   * sink, waiting at most until `deadline` (real time). A write still under way at `stopAt` (by
   * default the deadline) is given up on then (the records of it already out count as written).
   * What cannot be delivered is counted in `lost`.
   */
  readonly exitSync: (deadline: number, stopAt?: number) => void
  /**
   * Worker only: asks the sink to open its file again once everything written before is written
   * (the inline one is called directly), and blocks the thread until it did or the deadline
   * passed. Returns why it failed, or `undefined`: done, or not yet (the thread will when it gets
   * there).
   */
  readonly reopenSync?: (deadline: number) => string | undefined
  /** Records the sink wrote. */
  readonly written: () => number
  /** Records lost (failed writes, or abandoned at exit or close). */
  readonly lost: () => number
  /** Records written to the executor and not yet counted in `written` or `lost`. */
  readonly pending: () => number
  /** Records the sink may have written twice (resent after a worker crashed mid-write). */
  readonly duplicates: () => number
}
