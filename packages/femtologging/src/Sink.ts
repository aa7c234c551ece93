/**
 * A sink is where a handler's records finally go: a stream, a file, memory, a socket. It is the
 * one seam that touches `node:fs` or `node:net`; queues, policies and flushing live in `Handler`.
 *
 * A synchronous sink (`sync: true`) writes a whole batch before `write` returns; that is what
 * lets a synchronous caller drain a full queue itself under the block policy. An asynchronous
 * sink returns an Effect from `write` instead.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import { writeSync } from "node:fs"
import type { Formatter } from "./Formatter.ts"
import type { LogRecord } from "./LogRecord.ts"

/**
 * A sink.
 *
 * @category models
 * @since 0.1.0
 */
export interface Sink {
  /** Whether `write` always completes before returning. */
  readonly sync: boolean
  /** Writes a batch; synchronous sinks return nothing, asynchronous ones an Effect. May throw. */
  readonly write: (batch: ReadonlyArray<LogRecord>) => void | Effect.Effect<void, unknown>
  /**
   * Pushes buffered bytes to the OS (or the peer); `false` (or a throw) when a write failed since
   * the last flush. An asynchronous sink returns an Effect.
   */
  readonly flush: () => boolean | void | Effect.Effect<boolean>
  /** Releases the sink (after a final flush). May throw. An asynchronous sink returns an Effect. */
  readonly close: () => boolean | void | Effect.Effect<void>
  /**
   * Called once by the handler with a callback for records the sink loses outside `write` (a
   * buffered write that fails later); the handler counts them as dropped.
   */
  readonly onLost?: ((lost: (records: number, error: unknown) => void) => void) | undefined
  /** Resolves when background work the sink started (such as compressing a backup) is done. */
  readonly settle?: (() => Promise<void>) | undefined
}

const sleepBuffer = new Int32Array(new SharedArrayBuffer(4))

/**
 * Writes all of `text` to a file descriptor synchronously, retrying short writes and `EAGAIN`
 * (a non-blocking pipe that is full) after a 1 ms pause.
 *
 * @category io
 * @since 0.1.0
 */
export const writeAllSync = (fd: number, text: string): void => {
  let buffer: Buffer | undefined
  let offset = 0
  for (;;) {
    try {
      if (buffer === undefined) {
        const written = writeSync(fd, text)
        if (written === Buffer.byteLength(text)) return
        buffer = Buffer.from(text)
        offset = written
      } else {
        offset += writeSync(fd, buffer, offset)
      }
      if (buffer !== undefined && offset >= buffer.length) return
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error
      Atomics.wait(sleepBuffer, 0, 0, 1)
    }
  }
}

/**
 * Formats a batch into one string: each record's line followed by `\n`.
 *
 * @category formatting
 * @since 0.1.0
 */
export const formatBatch = (formatter: Formatter, batch: ReadonlyArray<LogRecord>): string => {
  let text = ""
  for (let i = 0; i < batch.length; i++) text += formatter(batch[i]!) + "\n"
  return text
}

/**
 * A sink writing formatted lines to a file descriptor (1 for stdout, 2 for stderr), one write
 * call per batch. Closing it leaves the descriptor open.
 *
 * @category constructors
 * @since 0.1.0
 */
export const fd = (descriptor: number, formatter: Formatter): Sink => ({
  sync: true,
  write: (batch) => writeAllSync(descriptor, formatBatch(formatter, batch)),
  flush: () => {},
  close: () => {}
})

/**
 * A sink that keeps every record in `records` (for tests).
 *
 * @category constructors
 * @since 0.1.0
 */
export const memory = (records: Array<LogRecord>): Sink => ({
  sync: true,
  write: (batch) => {
    for (const record of batch) records.push(record)
  },
  flush: () => {},
  close: () => {}
})
