/**
 * A handler's output: what a batch of records taken from its queue turns into. Either bytes for
 * a sink (formatted and encoded on the main thread into one reused buffer, then handed to an
 * executor), or records for a function (a user handler object, a capture handler).
 *
 * Every record handed to `deliver` ends up counted once: in `written()` or in `lost()`, and in
 * `pending()` until then.
 *
 * @internal
 */
import type { Formatter } from "../Formatter.ts"
import type { LogRecord } from "../LogRecord.ts"
import type { Executor } from "./executor.ts"
import { Warner } from "./warner.ts"

/** @internal */
export interface Output {
  /** Whether `deliver` can take a batch now. */
  readonly ready: () => boolean
  /** Takes a batch (only when `ready()`); a promise when it continues asynchronously. */
  readonly deliver: (batch: ReadonlyArray<LogRecord>) => void | Promise<void>
  /** Blocks the thread until `ready()` or `deadline` (performance.now()); `false` when it cannot. */
  readonly waitSync: (deadline: number) => boolean
  readonly wait: () => Promise<void>
  /** Writes out what it buffers (only when `ready()`). */
  readonly emit: () => void | Promise<void>
  readonly flush: (timeoutMs: number) => Promise<boolean>
  readonly close: (timeoutMs: number) => Promise<void>
  /** At exit: delivers what it buffers and lets the sink finish, synchronously. */
  readonly exitSync: (deadline: number) => void
  /** A delivery cut short by `process.exit()` inside it: finishes it (at exit only). */
  readonly resumeAtExit: () => void
  readonly written: () => number
  readonly lost: () => number
  readonly pending: () => number
  readonly duplicates: () => number
}

const initialBytes = 64 * 1024
/** A buffer that grew for a huge record is given back once it is empty. */
const keepBytes = 4 * 1024 * 1024
/** Buffered bytes above this are written regardless of `flushInterval`. */
const maxBufferedBytes = 1024 * 1024

/**
 * The output of a buffer in front of an executor, what `bytes` and `frames` share: flush, close
 * and exit first write what the buffer holds (once the executor can take it).
 */
const buffered = (
  executor: Executor,
  buffer: {
    readonly count: () => number
    readonly emit: () => void | Promise<void>
    readonly deliver: Output["deliver"]
  },
  lost: () => number = executor.lost
): Output => {
  const drain = async (): Promise<void> => {
    if (buffer.count() > 0) {
      await executor.wait()
      await buffer.emit()
    }
  }
  return {
    ready: executor.ready,
    deliver: buffer.deliver,
    waitSync: executor.waitSync,
    wait: executor.wait,
    emit: buffer.emit,
    flush: async (timeoutMs) => {
      await drain()
      return executor.flush(timeoutMs)
    },
    close: async (timeoutMs) => {
      await drain()
      return executor.close(timeoutMs)
    },
    exitSync: (deadline) => {
      if (buffer.count() > 0 && executor.waitSync(deadline)) void buffer.emit()
      executor.exitSync(deadline)
    },
    resumeAtExit: () => {},
    written: executor.written,
    lost,
    pending: () => buffer.count() + executor.pending(),
    duplicates: executor.duplicates
  }
}

/**
 * Bytes for an executor. Records are formatted (the formatter is already guarded: it never
 * throws) and encoded straight into one reused buffer; a batch goes out as one `write` once
 * `flushInterval` records are buffered (1: every batch), or when `emit()` is called (the
 * handler's `flushAfterMs` timer, flush, close, exit).
 *
 * @internal
 */
export const bytes = (
  executor: Executor,
  formatter: Formatter,
  flushInterval: number,
  onBuffered: () => void
): Output => {
  let buffer = Buffer.allocUnsafe(initialBytes)
  let ends = new Uint32Array(1024)
  let length = 0
  let count = 0

  const reserve = (chars: number): void => {
    const need = length + chars * 3 + 1
    if (need <= buffer.length) return
    let size = buffer.length * 2
    while (size < need) size *= 2
    const grown = Buffer.allocUnsafe(size)
    buffer.copy(grown, 0, 0, length)
    buffer = grown
  }

  const emit = (): void | Promise<void> => {
    if (count === 0) return
    const result = executor.write(buffer.subarray(0, length), ends.subarray(0, count))
    length = 0
    count = 0
    if (buffer.length > keepBytes) buffer = Buffer.allocUnsafe(initialBytes)
    if (ends.length > 65536) ends = new Uint32Array(1024)
    return result
  }

  return buffered(executor, {
    count: () => count,
    emit,
    deliver: (batch) => {
      for (let i = 0; i < batch.length; i++) {
        const line = formatter(batch[i]!)
        reserve(line.length)
        length += buffer.write(line, length)
        buffer[length++] = 10
        if (count === ends.length) {
          const grown = new Uint32Array(ends.length * 2)
          grown.set(ends)
          ends = grown
        }
        ends[count++] = length
      }
      if (count >= flushInterval || length >= maxBufferedBytes) return emit()
      if (count > 0) onBuffered()
    }
  })
}

/**
 * How a frames output encodes records (see {@link frames}).
 *
 * @internal
 */
export interface FrameEncoding {
  /** The record's payload; may be a view of a shared buffer (copied at once). May throw. */
  readonly encode: (record: LogRecord) => Uint8Array
  /** Payloads larger than this are dropped and counted, never truncated. */
  readonly maxFrameSize: number
}

/**
 * Binary frames for an executor: each record becomes `[u32 big-endian length][payload]`, written
 * straight into one reused buffer, with `ends` at frame boundaries (a sink never gets part of a
 * frame). A payload over `maxFrameSize` (or one the encoder throws on) is dropped and counted in
 * `lost()`, with a rate-limited warning naming its size. Otherwise as {@link bytes}.
 *
 * @internal
 */
export const frames = (
  executor: Executor,
  encoding: FrameEncoding,
  label: string,
  flushInterval: number,
  onBuffered: () => void
): Output => {
  let buffer = Buffer.allocUnsafe(initialBytes)
  let ends = new Uint32Array(1024)
  let length = 0
  let count = 0
  let dropped = 0
  let lastSize = 0
  let lastError = ""
  const { encode, maxFrameSize } = encoding
  const oversize = new Warner(label, 5_000, Date.now, undefined, (n) =>
    `femtologging: ${label} dropped ${n} record${n === 1 ? "" : "s"} whose frame exceeds maxFrameSize ` +
    `(${maxFrameSize} bytes; the last was ${lastSize} bytes)`)
  const failed = new Warner(label, 5_000, Date.now, undefined, (n) =>
    `femtologging: ${label} dropped ${n} record${n === 1 ? "" : "s"} that could not be encoded; last: ${lastError}`)

  const emit = (): void | Promise<void> => {
    if (count === 0) return
    const result = executor.write(buffer.subarray(0, length), ends.subarray(0, count))
    length = 0
    count = 0
    if (buffer.length > keepBytes) buffer = Buffer.allocUnsafe(initialBytes)
    if (ends.length > 65536) ends = new Uint32Array(1024)
    return result
  }

  const append = (record: LogRecord): void => {
    let payload: Uint8Array
    try {
      payload = encode(record)
    } catch (error) {
      dropped++
      lastError = error instanceof Error ? error.message : String(error)
      failed.drop()
      return
    }
    if (payload.length > maxFrameSize) {
      dropped++
      lastSize = payload.length
      oversize.drop()
      return
    }
    const need = length + 4 + payload.length
    if (need > buffer.length) {
      let size = buffer.length * 2
      while (size < need) size *= 2
      const grown = Buffer.allocUnsafe(size)
      buffer.copy(grown, 0, 0, length)
      buffer = grown
    }
    buffer.writeUInt32BE(payload.length, length)
    buffer.set(payload, length + 4)
    length = need
    if (count === ends.length) {
      const grown = new Uint32Array(ends.length * 2)
      grown.set(ends)
      ends = grown
    }
    ends[count++] = length
  }

  return buffered(
    executor,
    {
      count: () => count,
      emit,
      deliver: (batch) => {
        for (let i = 0; i < batch.length; i++) append(batch[i]!)
        if (count >= flushInterval || length >= maxBufferedBytes) return emit()
        if (count > 0) onBuffered()
      }
    },
    () => executor.lost() + dropped
  )
}

/**
 * Records for a function, called once per record on the main thread (a user handler object: it
 * runs in the handler's drain). A call that throws, or whose promise rejects, is reported and its
 * record counted lost; the next record is handled as usual.
 *
 * @internal
 */
export const records = (
  handle: (record: LogRecord) => unknown,
  report: (error: unknown) => void
): Output => {
  let written = 0
  let lost = 0
  /** The batch being delivered and the index of the record being handled, for `resumeAtExit`. */
  let current: ReadonlyArray<LogRecord> | undefined
  let index = 0

  const call = (record: LogRecord): void => {
    let result: unknown
    try {
      result = handle(record)
    } catch (error) {
      lost++
      report(error)
      return
    }
    if (typeof (result as PromiseLike<unknown> | undefined)?.then === "function") {
      ;(result as PromiseLike<unknown>).then(undefined, (error: unknown) => {
        written--
        lost++
        report(error)
      })
    }
    written++
  }

  const run = (batch: ReadonlyArray<LogRecord>, from: number): void => {
    current = batch
    for (index = from; index < batch.length; index++) call(batch[index]!)
    current = undefined
  }

  return {
    ready: () => true,
    deliver: (batch) => run(batch, 0),
    waitSync: () => true,
    wait: () => Promise.resolve(),
    emit: () => {},
    flush: () => Promise.resolve(true),
    close: () => Promise.resolve(),
    exitSync: () => {},
    resumeAtExit: () => {
      const batch = current
      if (batch === undefined) return
      // The record being handled when the exit happened was handled (its handler called exit).
      written++
      run(batch, index + 1)
    },
    written: () => written,
    lost: () => lost,
    pending: () => (current === undefined ? 0 : current.length - index),
    duplicates: () => 0
  }
}
