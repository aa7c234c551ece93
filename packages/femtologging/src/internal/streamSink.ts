/**
 * The stream sink behind the stream handler: writes batches of records to stdout or stderr (or
 * another open descriptor) with `fs.writeSync`, now, retrying short writes. The default export
 * is a `SinkFactory` for a worker thread; `makeStreamSink` is the inline form. Like the file
 * sink, it imports no `effect` and uses only erasable TypeScript.
 *
 * A full non-blocking pipe (`EAGAIN`, a reader that does not keep up) never makes it spin nor
 * freezes the main thread:
 * - `write` returns a promise and retries from a timer (1 ms, doubling up to 10 ms while nothing
 *   moves), so the event loop keeps running; `close()` gives up the retry (the records of the
 *   batch not written whole count as not written).
 * - on the main thread, the handler treats the sink as busy meanwhile. A caller that must be held
 *   (block policy, the exit drain) finishes the write with `waitSync`, sleeping with
 *   `Atomics.wait` between retries until its deadline. The timer keeps the process alive, as
 *   Node's own pending stdout writes do.
 * - on a worker thread, the thread's loop awaits the write; its event loop keeps running, so a
 *   close that timed out (the thread's `stop`) closes the sink and ends the write, counted exactly.
 *
 * On the main thread, the sink touches `process.stdout` (fd 1) or `process.stderr` (fd 2) once,
 * which makes libuv switch a pipe to non-blocking mode, so a reader that stops reading cannot
 * block the thread in `write(2)`. Any other descriptor is used as it is: a blocking one blocks.
 *
 * A failed write (EPIPE, ENOSPC) throws an error carrying `recordsWritten`: the records of the
 * batch written whole before the failure. A stream cannot be truncated: the start of the record
 * being written when the failure came may be left on it. `close()` leaves the descriptor open.
 *
 * @internal
 */
import * as fs from "node:fs"
import { isMainThread } from "node:worker_threads"
import type { Sink } from "../Sink.ts"

/** The options of a stream sink: `fd` 1 (stdout), 2 (stderr) or another open descriptor. @internal */
export interface StreamSinkOptions {
  readonly fd: number
}

/** A stream sink. @internal */
export interface StreamSink extends Sink {
  /** Returns a promise when the pipe is full; it settles once the batch is written (or the write was given up). */
  readonly write: (batch: Uint8Array, ends: Uint32Array) => void | Promise<void>
  /** `false` when a write failed since the last flush (and resets); nothing is buffered here. */
  readonly flush: () => boolean
  /** Finishes a write waiting for the pipe, blocking the thread until done or `deadline`. */
  readonly waitSync: (deadline: number) => boolean
  /**
   * Gives up a write waiting for the pipe, now, and returns how many records of its batch were
   * written whole (0 when none waits). The sink stays open (the exit drain gives up this way).
   */
  readonly giveUpSync: () => number
  /** Gives up a write waiting for the pipe; leaves the descriptor open. */
  readonly close: () => void
}

const maxDelayMs = 10

const errorCode = (error: unknown): unknown =>
  typeof error === "object" && error !== null ? (error as NodeJS.ErrnoException).code : undefined

const messageOf = (error: unknown): string => error instanceof Error ? error.message : String(error)

/** How many records of the batch end at or before `offset`. */
const wholeRecords = (ends: Uint32Array, offset: number): number => {
  let n = 0
  while (n < ends.length && ends[n]! <= offset) n++
  return n
}

let sleeper: Int32Array | undefined

/** Blocks this thread for `ms` milliseconds. */
const sleepSync = (ms: number): void => {
  sleeper ??= new Int32Array(new SharedArrayBuffer(4))
  Atomics.wait(sleeper, 0, 0, ms)
}

/**
 * Returns the sink writing to `options.fd`.
 *
 * @internal
 */
export const makeStreamSink = (options: StreamSinkOptions): StreamSink => {
  const fd = options.fd
  if (isMainThread) {
    if (fd === 1) void process.stdout
    else if (fd === 2) void process.stderr
  }
  let failed = false
  let closed = false
  /** Gives up the write waiting for the pipe, if any; the records of its batch written whole. */
  let abandon: (() => number) | undefined
  /** Finishes the write waiting for the pipe synchronously, until a deadline; `true` when done. */
  let finish: ((deadline: number) => boolean) | undefined

  const failure = (cause: unknown, ends: Uint32Array, offset: number): Error & { recordsWritten: number } => {
    failed = true
    return Object.assign(new Error(`cannot write to fd ${fd}: ${messageOf(cause)}`, { cause }), {
      recordsWritten: wholeRecords(ends, offset)
    })
  }

  /** Writes the batch from `offset` until it is all out or the pipe is full; the offset reached. */
  const push = (batch: Uint8Array, ends: Uint32Array, offset: number): number => {
    const end = ends[ends.length - 1]!
    while (offset < end) {
      try {
        offset += fs.writeSync(fd, batch, offset, end - offset)
      } catch (error) {
        if (errorCode(error) === "EAGAIN") return offset
        throw failure(error, ends, offset)
      }
    }
    return offset
  }

  const write = (batch: Uint8Array, ends: Uint32Array): void | Promise<void> => {
    if (ends.length === 0) return
    if (closed) throw failure(new Error("the sink is closed"), ends, 0)
    const end = ends[ends.length - 1]!
    let offset = push(batch, ends, 0)
    if (offset === end) return
    let delay = 1
    return new Promise<void>((resolve, reject) => {
      const retry = (): void => {
        abandon = undefined
        finish = undefined
        let reached: number
        try {
          reached = push(batch, ends, offset)
        } catch (error) {
          return reject(error)
        }
        if (reached === end) return resolve()
        delay = reached > offset ? 1 : Math.min(delay * 2, maxDelayMs)
        offset = reached
        wait()
      }
      const wait = (): void => {
        const timer = setTimeout(retry, delay)
        abandon = () => {
          clearTimeout(timer)
          abandon = finish = undefined
          const error = failure(new Error("closed while the stream was full"), ends, offset)
          reject(error)
          return error.recordsWritten
        }
        finish = (deadline) => {
          clearTimeout(timer)
          abandon = finish = undefined
          for (;;) {
            let reached: number
            try {
              reached = push(batch, ends, offset)
            } catch (error) {
              reject(error)
              return true
            }
            if (reached === end) {
              resolve()
              return true
            }
            delay = reached > offset ? 1 : Math.min(delay * 2, maxDelayMs)
            offset = reached
            const left = deadline - performance.now()
            if (left <= 0) break
            sleepSync(Math.min(delay, left))
          }
          wait()
          return false
        }
      }
      wait()
    })
  }

  return {
    write,
    flush: () => {
      const ok = !failed
      failed = false
      return ok
    },
    waitSync: (deadline) => finish === undefined || finish(deadline),
    giveUpSync: () => abandon?.() ?? 0,
    close: () => {
      closed = true
      abandon?.()
    }
  }
}

/**
 * The factory a worker thread calls: `({ fd }) => Sink`.
 *
 * @internal
 */
const streamSink = (options: StreamSinkOptions): Sink => makeStreamSink(options)

export default streamSink
