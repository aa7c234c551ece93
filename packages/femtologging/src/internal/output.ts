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
import { type LogRecord, timestampMs } from "../LogRecord.ts"
import type { Executor } from "./executor.ts"
import { deeper, generationOf } from "./runtime.ts"
import { hasIsoTime, isoSecond, jsonEscaped, jsonString } from "./json.ts"
import { isThenable } from "./sinkResult.ts"
import { Warner } from "./warner.ts"
import { within } from "./within.ts"

/** @internal */
export interface Output {
  /** Whether `deliver` can take a batch now. */
  readonly ready: () => boolean
  /** Takes a batch (only when `ready()`); a promise when it continues asynchronously. */
  readonly deliver: (batch: ReadonlyArray<LogRecord>) => void | Promise<void>
  /** Blocks the thread until `ready()` or `deadline` (performance.now()); `false` when it cannot. */
  readonly waitSync: (deadline: number) => boolean
  /** Blocks the thread until what was emitted is written (see `Executor.settleSync`). */
  readonly settleSync: (deadline: number) => boolean
  /** See `Executor.reopenSync` (a worker's). */
  readonly reopenSync?: ((deadline: number) => string | undefined) | undefined
  /** Whether `waitSync` can wait at all (see `Executor.canWaitSync`). */
  readonly canWaitSync: boolean
  /** See `Executor.batchBytes`. */
  readonly batchBytes: number
  readonly wait: () => Promise<void>
  /** Writes out what it buffers (only when `ready()`). */
  readonly emit: () => void | Promise<void>
  readonly flush: (timeoutMs: number) => Promise<boolean>
  readonly close: (timeoutMs: number) => Promise<void>
  /** At exit: delivers what it buffers and lets the sink finish, synchronously (see `Executor.exitSync`). */
  readonly exitSync: (deadline: number, stopAt?: number) => void
  /** A delivery cut short by `process.exit()` inside it: finishes it (at exit only). */
  readonly resumeAtExit: () => void
  readonly written: () => number
  readonly lost: () => number
  readonly pending: () => number
  readonly duplicates: () => number
  /**
   * Formats what it is handed from now on with `formatter` (guarded), written in parts when it is
   * (a guard around) the built-in `plain` one. Only outputs of text lines have it.
   */
  readonly setFormatter?: ((formatter: Formatter, plain: "default" | "json" | undefined) => void) | undefined
}

/**
 * `buffer.write(text, at)` as UTF-8, returning the bytes written. The length is always given: Node
 * writes nothing at all when it is left out and 2^31 bytes or more lie after `at` (a buffer grown
 * for a message of hundreds of millions of characters). The caller has made room for the text.
 *
 * @internal
 */
export const writeUtf8 = (buffer: Buffer, text: string, at: number): number => {
  const length = Math.min(buffer.length - at, maxWriteBytes)
  return direct ? (buffer as Utf8Writer).utf8Write(text, at, length) : buffer.write(text, at, length, "utf8")
}

/**
 * Node's `Buffer#utf8Write`, what `write(text, at, length, "utf8")` ends in, without its argument
 * shuffling and encoding lookup: half the cost of a short write (~40 vs ~80 ns for a line in three
 * parts). Undocumented, so `write` is used where it is missing.
 */
interface Utf8Writer extends Buffer {
  utf8Write(text: string, at: number, length: number): number
}
const direct = typeof (Buffer.prototype as Partial<Utf8Writer>).utf8Write === "function"

const maxWriteBytes = 2 ** 31 - 1

const initialBytes = 64 * 1024
/** A buffer that grew for a huge record is given back once it is empty. */
const keepBytes = 4 * 1024 * 1024
/** Buffered bytes above this are written regardless of `flushInterval`. */
const maxBufferedBytes = 1024 * 1024

/**
 * One reused buffer of whole records and their `ends`, written to the executor as one batch by
 * `emit` (what `bytes` and `frames` both fill).
 */
class RecordBuffer {
  buffer = Buffer.allocUnsafe(initialBytes)
  ends = new Uint32Array(1024)
  length = 0
  count = 0

  constructor(private readonly executor: Executor) {}

  /** Room for `bytes` more bytes after `length`. */
  reserve(bytes: number): void {
    const need = this.length + bytes
    if (need <= this.buffer.length) return
    let size = this.buffer.length * 2
    while (size < need) size *= 2
    const grown = Buffer.allocUnsafe(size)
    this.buffer.copy(grown, 0, 0, this.length)
    this.buffer = grown
  }

  /** The record written since the previous end is whole: it ends at `length`. */
  endRecord(): void {
    if (this.count === this.ends.length) {
      const grown = new Uint32Array(this.ends.length * 2)
      grown.set(this.ends)
      this.ends = grown
    }
    this.ends[this.count++] = this.length
  }

  /** Hands what it holds to the executor as one batch. */
  emit(): void | Promise<void> {
    if (this.count === 0) return
    const result = this.executor.write(this.buffer.subarray(0, this.length), this.ends.subarray(0, this.count))
    this.length = 0
    this.count = 0
    if (this.buffer.length > keepBytes) this.buffer = Buffer.allocUnsafe(initialBytes)
    if (this.ends.length > 65536) this.ends = new Uint32Array(1024)
    return result
  }
}

/**
 * The output of a record buffer in front of an executor, what `bytes` and `frames` share: a
 * batch is appended record by record and written once `flushInterval` records (or
 * `maxBufferedBytes`) are buffered; flush, close and exit first write what the buffer holds
 * (once the executor can take it).
 */
const buffered = (
  executor: Executor,
  records: RecordBuffer,
  append: (record: LogRecord) => void,
  flushInterval: number,
  onBuffered: () => void,
  lost: () => number = executor.lost
): Output => {
  const emit = () => records.emit()
  /** The batch being appended and the index of the record being appended, for `resumeAtExit`. */
  let current: ReadonlyArray<LogRecord> | undefined
  let index = 0
  /** Records whose formatting ended the process (`process.exit()` in a formatter): no line. */
  let cut = 0
  /** Records still buffered when the executor closed (it never became ready to take them): lost. */
  let unsent = 0
  const abandonBuffered = (): void => {
    unsent += records.count
    records.length = 0
    records.count = 0
  }
  const appendAll = (batch: ReadonlyArray<LogRecord>, from: number): void => {
    current = batch
    try {
      for (index = from; index < batch.length; index++) append(batch[index]!)
    } finally {
      current = undefined
    }
  }
  const drain = async (): Promise<void> => {
    if (records.count > 0) {
      await executor.wait()
      await emit()
    }
  }
  return {
    ready: executor.ready,
    deliver: (batch) => {
      appendAll(batch, 0)
      if (records.count >= flushInterval || records.length >= maxBufferedBytes) return emit()
      if (records.count > 0) onBuffered()
    },
    waitSync: executor.waitSync,
    settleSync: executor.settleSync,
    reopenSync: executor.reopenSync,
    canWaitSync: executor.canWaitSync,
    batchBytes: executor.batchBytes,
    wait: executor.wait,
    emit,
    flush: async (timeoutMs) => {
      // Within the timeout: the write of what was buffered may wait for a pipe that does not move.
      if ((await within(drain().then(() => true), timeoutMs)) === false) return false
      return executor.flush(timeoutMs)
    },
    close: async (timeoutMs) => {
      // Within the timeout: an executor may never be ready again (a worker sink that cannot be
      // opened), and the close goes on without what it did not take.
      await within(drain(), timeoutMs)
      await executor.close(timeoutMs)
      abandonBuffered()
    },
    exitSync: (deadline, stopAt = deadline) => {
      if (records.count > 0 && executor.waitSync(stopAt)) void emit()
      executor.exitSync(deadline, stopAt)
      // Not taken in time (a worker sink that cannot be opened, or whose thread died): lost.
      abandonBuffered()
    },
    resumeAtExit: () => {
      const batch = current
      if (batch === undefined) return
      // The record being formatted when the exit happened has no line: counted lost.
      cut++
      appendAll(batch, index + 1)
    },
    written: executor.written,
    lost: () => lost() + cut + unsent,
    pending: () => records.count + executor.pending() + (current === undefined ? 0 : current.length - index),
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
  onBuffered: () => void,
  /** `formatter` is (a guard around) this built-in formatter: its plain lines are written in parts. */
  plain?: "default" | "json" | undefined
): Output => {
  const records = new RecordBuffer(executor)
  let format = formatter
  const appendLine = (record: LogRecord): void => {
    // What a formatter logs is one generation deeper than the record it formats.
    const line = deeper(generationOf(record), format, record)
    records.reserve(line.length * 3 + 1)
    records.length += writeUtf8(records.buffer, line, records.length)
    records.buffer[records.length++] = 10
    records.endRecord()
  }
  // A record without fields or error, with string logger, level and message (read once: an odd
  // record, a getter that throws, goes to the guarded formatter, which says what it can), written
  // by a built-in formatter: its line is written in parts, no string built (nor flattened) for it.
  // Byte for byte the formatter's line (tested).
  // (Read into these, then taken and cleared by the caller: a huge message is not kept after it.)
  let logger: unknown, level: unknown, message: unknown, time: unknown
  const readPlain = (record: LogRecord): boolean => {
    try {
      ;({ level, logger, message } = record)
      time = timestampMs(record)
      if (
        record.fields === undefined && record.error === undefined && typeof logger === "string" &&
        typeof level === "string" && typeof message === "string"
      ) return true
    } catch {
      // an odd record
    }
    logger = level = message = time = undefined
    return false
  }
  // `<logger> [<LEVEL>] <message>`
  const prefix = new PairBytes()
  const appendDefault = (record: LogRecord): void => {
    if (!readPlain(record)) return appendLine(record)
    const l = logger as string, v = level as string, m = message as string
    logger = level = message = time = undefined
    // UTF-8 takes at most 3 bytes per UTF-16 unit; " [", "] " and "\n" 5.
    records.reserve((l.length + v.length + m.length) * 3 + 5)
    const buffer = records.buffer
    const start = records.length
    let at = prefix.copy(buffer, start, l, v)
    if (at < 0) {
      at = start + writeUtf8(buffer, l, start)
      buffer[at++] = 32 // " ["
      buffer[at++] = 91
      at += writeUtf8(buffer, v, at)
      buffer[at++] = 93 // "] "
      buffer[at++] = 32
      prefix.wrote(buffer, start, at, l, v)
    }
    at += writeUtf8(buffer, m, at)
    buffer[at++] = 10
    records.length = at
    records.endRecord()
  }
  // `{"time":"<ISO 8601>","level":"<LEVEL>","logger":<JSON>,"message":<JSON>}`
  const middle = new PairBytes()
  let second = Number.NaN
  let timeHead = new Uint8Array(0)
  const appendJson = (record: LogRecord): void => {
    if (!readPlain(record)) return appendLine(record)
    const l = logger as string, v = level as string, m = message as string, ms = time
    logger = level = message = time = undefined
    // JSON escapes take at most 6 bytes per UTF-16 unit (the level is written as it is: 3); the
    // rest at most 80: the time with a 6-digit year 37, the keys 33, 4 quotes, "}" and "\n".
    records.reserve((l.length + m.length) * 6 + v.length * 3 + 80)
    const buffer = records.buffer
    let at = records.length
    if (hasIsoTime(ms)) {
      const t = Math.trunc(ms)
      const s = Math.floor(t / 1000)
      if (s !== second) {
        timeHead = Buffer.from(`{"time":"${isoSecond(s)}.`, "latin1")
        second = s
      }
      buffer.set(timeHead, at)
      at += timeHead.length
      const milli = t - s * 1000
      buffer[at++] = 48 + Math.floor(milli / 100)
      buffer[at++] = 48 + (Math.floor(milli / 10) % 10)
      buffer[at++] = 48 + (milli % 10)
      buffer[at++] = 90 // Z"
      buffer[at++] = 34
    } else at += writeUtf8(buffer, `{"time":null`, at)
    const start = at
    at = middle.copy(buffer, start, l, v)
    if (at < 0) {
      at = start + writeUtf8(buffer, `,"level":"${v}","logger":${jsonString(l)},"message":`, start)
      middle.wrote(buffer, start, at, l, v)
    }
    if (jsonEscaped.test(m)) at += writeUtf8(buffer, JSON.stringify(m), at)
    else {
      buffer[at++] = 34
      at += writeUtf8(buffer, m, at)
      buffer[at++] = 34
    }
    buffer[at++] = 125 // }
    buffer[at++] = 10
    records.length = at
    records.endRecord()
  }
  const appendFor = (p: typeof plain) => p === "default" ? appendDefault : p === "json" ? appendJson : appendLine
  let append = appendFor(plain)
  return {
    ...buffered(executor, records, (record) => append(record), flushInterval, onBuffered),
    setFormatter: (next, nextPlain) => {
      format = next
      append = appendFor(nextPlain)
    }
  }
}

/**
 * Bytes that depend only on a record's logger and level, kept once written: records copy them
 * instead of encoding the logger and level again. The bytes of all pairs lie side by side in one
 * arena, found through the logger's {@link Slots}: when records alternate between loggers, a
 * lookup touches one map, one small object and a few adjacent bytes (a map and a typed array per
 * pair cost ~15 ns more a record with 100 loggers alternating: `bench/cases/file.mjs --loggers
 * 100`). Pairs longer than `maxKeptBytes` (a logger named with a whole sentence) and levels other
 * than the six are written each time; past `maxKeptLoggers` loggers or a full arena (loggers
 * named per request) the lot is dropped and kept anew.
 */
class PairBytes {
  private logger: string | undefined
  private level: string | undefined
  /** The last pair's bytes: `arena[at, at + n)`. */
  private at = 0
  private n = 0
  private arena = Buffer.alloc(4096)
  private used = 0
  private readonly kept = new Map<string, Slots>()

  /** Copies the kept bytes for this pair to `at`: the end, or -1 when none are kept for it. */
  copy(buffer: Buffer, at: number, logger: string, level: string): number {
    if (logger !== this.logger || level !== this.level) {
      const slots = this.kept.get(logger)
      if (slots === undefined) return -1
      const packed = slots.get(level)
      if (packed < 0) return -1
      this.logger = logger
      this.level = level
      this.at = packed >>> 8
      this.n = packed & 255
    }
    const n = this.n
    const from = this.at
    const arena = this.arena
    if (n > 32) return at + arena.copy(buffer, at, from, from + n)
    for (let i = from, end = from + n; i < end; i++) buffer[at++] = arena[i]!
    return at
  }

  /** The pair's bytes, not kept yet, were written at `[start, end)`: keeps a copy unless long. */
  wrote(buffer: Buffer, start: number, end: number, logger: string, level: string): void {
    const n = end - start
    if (n > maxKeptBytes || !Slots.standard(level)) return
    if (this.used + n > this.arena.length) {
      if (this.arena.length >= maxArenaBytes) this.clear()
      else {
        const grown = Buffer.alloc(this.arena.length * 2)
        this.arena.copy(grown, 0, 0, this.used)
        this.arena = grown
      }
    }
    let slots = this.kept.get(logger)
    if (slots === undefined) {
      if (this.kept.size >= maxKeptLoggers) this.clear()
      this.kept.set(logger, slots = new Slots())
    }
    buffer.copy(this.arena, this.used, start, end)
    slots.set(level, this.used * 256 + n)
    this.logger = logger
    this.level = level
    this.at = this.used
    this.n = n
    this.used += n
  }

  private clear(): void {
    this.kept.clear()
    this.used = 0
    this.logger = this.level = undefined
  }
}

/**
 * Where a logger's kept pairs lie in the arena, one field per standard level, packed as
 * `offset * 256 + length` (-1: none kept).
 */
class Slots {
  TRACE = -1
  DEBUG = -1
  INFO = -1
  WARN = -1
  ERROR = -1
  CRITICAL = -1

  static standard(level: string): boolean {
    return level === "INFO" || level === "DEBUG" || level === "WARN" || level === "ERROR" || level === "TRACE" ||
      level === "CRITICAL"
  }

  get(level: string): number {
    switch (level) {
      case "INFO":
        return this.INFO
      case "DEBUG":
        return this.DEBUG
      case "WARN":
        return this.WARN
      case "ERROR":
        return this.ERROR
      case "TRACE":
        return this.TRACE
      case "CRITICAL":
        return this.CRITICAL
      default:
        return -1
    }
  }

  set(level: string, packed: number): void {
    switch (level) {
      case "INFO":
        this.INFO = packed
        return
      case "DEBUG":
        this.DEBUG = packed
        return
      case "WARN":
        this.WARN = packed
        return
      case "ERROR":
        this.ERROR = packed
        return
      case "TRACE":
        this.TRACE = packed
        return
      case "CRITICAL":
        this.CRITICAL = packed
    }
  }
}

const maxKeptLoggers = 1024
/** An offset in it times 256 stays a small integer. */
const maxArenaBytes = 1024 * 1024
/** Longer ones (a logger named with a whole sentence) are written each time. */
const maxKeptBytes = 255

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
  const records = new RecordBuffer(executor)
  let dropped = 0
  let lastSize = 0
  let lastError = ""
  const { encode, maxFrameSize } = encoding
  const oversize = new Warner(label, 5_000, Date.now, undefined, (n) =>
    `femtologging: ${label} dropped ${n} record${n === 1 ? "" : "s"} whose frame exceeds maxFrameSize ` +
    `(${maxFrameSize} bytes; the last was ${lastSize} bytes)`)
  const failed = new Warner(label, 5_000, Date.now, undefined, (n) =>
    `femtologging: ${label} dropped ${n} record${n === 1 ? "" : "s"} that could not be encoded; last: ${lastError}`)

  const append = (record: LogRecord): void => {
    let payload: Uint8Array
    try {
      // What the encoder logs (a user's `encode`, a field's toJSON) is one generation deeper than
      // the record it encodes, as what a formatter logs (see `bytes`).
      payload = deeper(generationOf(record), encode, record)
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
    records.reserve(4 + payload.length)
    records.buffer.writeUInt32BE(payload.length, records.length)
    records.buffer.set(payload, records.length + 4)
    records.length += 4 + payload.length
    records.endRecord()
  }

  return buffered(executor, records, append, flushInterval, onBuffered, () => executor.lost() + dropped)
}

/**
 * Records for a function, called once per record on the main thread (a user handler object: it
 * runs in the handler's drain). A call that throws, or whose promise rejects, is reported and its
 * record counted lost; the next record is handled as usual. A promise is not awaited before the
 * next record (no backpressure), but it is before a flush or close completes: its record is
 * pending until it settles, then written (or lost); close counts the ones still unsettled after
 * its timeout as lost, and so does the exit, when none can settle any more.
 *
 * @internal
 */
export const records = (
  handle: (record: LogRecord) => unknown,
  report: (error: unknown) => void,
  target?: {
    /** The target's own flush (a user handler object's), called when the output flushes, closes and at exit. */
    readonly flush: () => unknown
    readonly report: (error: unknown) => void
  }
): Output => {
  let written = 0
  let lost = 0
  /** The batch being delivered and the index of the record being handled, for `resumeAtExit`. */
  let current: ReadonlyArray<LogRecord> | undefined
  let index = 0
  /** Promises returned by `handle` and not settled yet; bumped `generation`: given up on. */
  let unsettled = 0
  let generation = 0
  let whenSettled: Array<() => void> = []

  const settledAll = (): void => {
    const waiting = whenSettled
    whenSettled = []
    for (const resume of waiting) resume()
  }
  const settledOne = (): void => {
    if (--unsettled === 0) settledAll()
  }
  /** Resolves once every promise returned so far has settled (or was given up on). */
  const settled = (): Promise<void> =>
    unsettled === 0 ? Promise.resolve() : new Promise((resolve) => whenSettled.push(resolve))
  /** Counts the promises still unsettled as lost and stops waiting for them. */
  const abandon = (): void => {
    if (unsettled === 0) return
    generation++
    lost += unsettled
    unsettled = 0
    settledAll()
  }

  const call = (record: LogRecord): void => {
    let result: unknown
    try {
      result = handle(record)
    } catch (error) {
      lost++
      report(error)
      return
    }
    if (!isThenable(result)) {
      written++
      return
    }
    unsettled++
    const mine = generation
    result.then(() => {
      if (mine !== generation) return
      written++
      settledOne()
    }, (error: unknown) => {
      if (mine !== generation) return
      lost++
      report(error)
      settledOne()
    })
  }

  const run = (batch: ReadonlyArray<LogRecord>, from: number): void => {
    current = batch
    for (index = from; index < batch.length; index++) call(batch[index]!)
    current = undefined
  }

  /** The target's own `flush()` (a user handler object's), if any: `false` when it threw or rejected. */
  const flushOwn = (): boolean | Promise<boolean> => {
    if (target === undefined) return true
    let result: unknown
    try {
      result = target.flush()
    } catch (error) {
      target.report(error)
      return false
    }
    if (!isThenable(result)) return true
    return Promise.resolve(result).then(() => true, (error: unknown) => (target.report(error), false))
  }

  return {
    ready: () => true,
    deliver: (batch) => run(batch, 0),
    waitSync: () => true,
    settleSync: () => true,
    canWaitSync: true,
    batchBytes: Number.POSITIVE_INFINITY,
    wait: () => Promise.resolve(),
    emit: () => {},
    flush: (timeoutMs) => within(settled().then(flushOwn), timeoutMs).then((ok) => ok === true),
    close: async (timeoutMs) => {
      const deadline = performance.now() + timeoutMs
      if ((await within(settled().then(() => true), timeoutMs)) === false) abandon()
      await within(Promise.resolve(flushOwn()), Math.max(0, deadline - performance.now()))
    },
    exitSync: () => {
      // Called at once; an asynchronous flush, or a promise `handle` returned, cannot finish once
      // the process is exiting.
      abandon()
      void flushOwn()
    },
    resumeAtExit: () => {
      const batch = current
      if (batch === undefined) return
      // The record being handled when the exit happened was handled (its handler called exit).
      written++
      run(batch, index + 1)
    },
    written: () => written,
    lost: () => lost,
    pending: () => unsettled + (current === undefined ? 0 : current.length - index),
    duplicates: () => 0
  }
}
