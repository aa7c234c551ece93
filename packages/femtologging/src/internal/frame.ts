/**
 * The socket wire format: a record as a MessagePack map behind a 4-byte big-endian length.
 *
 * The map has exactly ten keys, in this order: `logger` (str), `level` (str, a canonical level
 * name: `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`, `CRITICAL`), `message` (str), `timestamp_ns`
 * (uint 64: nanoseconds since the Unix epoch), `filename` (str or nil), `line_number` (uint or
 * nil), `module_path` (str or nil), `thread_id` (uint: the `worker_threads` id, 0 on the main
 * thread), `thread_name` (str or nil) and `key_values` (a map of str to str, int, float, bool or
 * nil). A field holding anything else is sent as a string: a bigint as its digits, an error as
 * `Name: message`, a function as `[Function name]`, other objects as JSON (with markers where
 * JSON fails). A record carrying an error also sends it, rendered as the default formatter writes
 * it (stack, own properties, causes), as `key_values.exc_text`, unless a field has that name.
 *
 * Encoding runs on the main thread, writing MessagePack directly (byte for byte what
 * `@msgpack/msgpack` encodes, checked by a test); the receiver decodes with `@msgpack/msgpack`
 * (loaded on first use), and checks every key's type ({@link decodeRecord}).
 *
 * @internal
 */
import type * as Msgpack from "@msgpack/msgpack"
import { renderError, renderFields } from "../Formatter.ts"
import * as Level from "../Level.ts"
import type { ErrorInfo, LogRecord } from "../LogRecord.ts"
import { load as loadModule } from "./lazyEffect.ts"
import { writeUtf8 } from "./output.ts"
import { functionTag, isError, read, safeString } from "./safe.ts"

/** Bytes of the length prefix. @internal */
export const prefixBytes = 4

export { defaultMaxFrameSize, maxPayloadBytes } from "./frameLimits.ts"

let msgpack: typeof Msgpack | undefined
const load = (): typeof Msgpack => (msgpack ??= loadModule<typeof Msgpack>("@msgpack/msgpack"))

/**
 * Hands over `@msgpack/msgpack` imported statically (`EagerEffect.ts`): a bundle has no
 * `node_modules` to load it from when the receiver decodes its first frame. @internal
 */
export const provideMsgpack = (given: typeof Msgpack): void => {
  msgpack = given
}

const int32Min = -(2 ** 31)
const uint32Limit = 2 ** 32

/** A field value other than a string, number, boolean or nil, as the string sent for it. */
const render = (value: unknown): string => {
  switch (typeof value) {
    case "bigint":
      return value.toString()
    case "symbol":
      return value.toString()
    case "function":
      return functionTag(value)
  }
  if (isError(value)) return `${safeString(read(value, "name"))}: ${safeString(read(value, "message"))}`
  // renderFields writes ` k=<JSON>` for an object, with markers where JSON.stringify fails.
  return renderFields({ k: value }).slice(3)
}

/** `key_values` as a map for `@msgpack/msgpack` (an integer beyond 32 bits as a bigint, so it is an int 64). */
const keyValues = (record: LogRecord): Record<string, unknown> => {
  const map: Record<string, unknown> = Object.create(null)
  const fields = record.fields
  if (fields !== undefined) {
    for (const key in fields) {
      const value = read(fields, key)
      map[key === "__proto__" ? "[__proto__]" : key] = typeof value === "number"
        ? Number.isSafeInteger(value) && (value >= uint32Limit || value < int32Min) ? BigInt(value) : value
        : typeof value === "string" || typeof value === "boolean" ? value
        : value === undefined || value === null ? null
        : render(value)
    }
  }
  if (record.error !== undefined && !("exc_text" in map)) map.exc_text = renderError(record.error)
  return map
}

// -------------------------------------------------------------------------------------------
// Encoding: MessagePack written straight into one reused buffer
// -------------------------------------------------------------------------------------------
//
// The payload is byte for byte what `@msgpack/msgpack` encodes for the same map (with
// `useBigInt64`, an integer beyond 32 bits as a bigint): the smallest header for each string,
// integer and map, float 64 for other numbers. A test checks the two against each other; the
// direct writer avoids building an object, a bigint and key lists per record (about 5 times
// cheaper). Strings are UTF-8 as `Buffer#write` makes it (a lone surrogate becomes U+FFFD).

let out = Buffer.allocUnsafe(16 * 1024)
let pos = 0

const room = (n: number): void => {
  if (pos + n <= out.length) return
  let size = out.length * 2
  while (size < pos + n) size *= 2
  const grown = Buffer.allocUnsafe(size)
  out.copy(grown, 0, 0, pos)
  out = grown
}

/** Header bytes of a str of `n` bytes: fixstr, str 8, str 16, str 32. */
const strHeader = (n: number): number => (n < 32 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5)

const writeStr = (s: string): void => {
  const bound = s.length * 3
  const reserved = strHeader(bound)
  room(reserved + bound)
  const at = pos + reserved
  const n = writeUtf8(out, s, at)
  const header = strHeader(n)
  if (header < reserved) out.copyWithin(pos + header, at, at + n)
  if (header === 1) out[pos] = 0xa0 | n
  else if (header === 2) {
    out[pos] = 0xd9
    out[pos + 1] = n
  } else if (header === 3) {
    out[pos] = 0xda
    out.writeUInt16BE(n, pos + 1)
  } else {
    out[pos] = 0xdb
    out.writeUInt32BE(n, pos + 1)
  }
  pos += header + n
}

const two32 = 2 ** 32

const writeNumber = (x: number): void => {
  room(9)
  if (Number.isSafeInteger(x)) {
    if (x >= 0) {
      if (x < 0x80) out[pos++] = x
      else if (x < 0x100) {
        out[pos++] = 0xcc
        out[pos++] = x
      } else if (x < 0x10000) {
        out[pos] = 0xcd
        out.writeUInt16BE(x, pos + 1)
        pos += 3
      } else if (x < two32) {
        out[pos] = 0xce
        out.writeUInt32BE(x, pos + 1)
        pos += 5
      } else {
        out[pos] = 0xcf
        const hi = Math.floor(x / two32)
        out.writeUInt32BE(hi, pos + 1)
        out.writeUInt32BE(x - hi * two32, pos + 5)
        pos += 9
      }
      return
    }
    if (x >= -0x20) out[pos++] = 0xe0 | (x + 0x20)
    else if (x >= -0x80) {
      out[pos] = 0xd0
      out.writeInt8(x, pos + 1)
      pos += 2
    } else if (x >= -0x8000) {
      out[pos] = 0xd1
      out.writeInt16BE(x, pos + 1)
      pos += 3
    } else if (x >= -0x80000000) {
      out[pos] = 0xd2
      out.writeInt32BE(x, pos + 1)
      pos += 5
    } else {
      out[pos] = 0xd3
      out.writeBigInt64BE(BigInt(x), pos + 1)
      pos += 9
    }
    return
  }
  out[pos] = 0xcb
  out.writeDoubleBE(x, pos + 1)
  pos += 9
}

const writeNil = (): void => {
  room(1)
  out[pos++] = 0xc0
}

/** A non-negative integer (an exact float64) as uint 64. */
const writeUint64 = (x: number): void => {
  room(9)
  out[pos] = 0xcf
  const hi = Math.floor(x / two32)
  out.writeUInt32BE(hi, pos + 1)
  out.writeUInt32BE(x - hi * two32, pos + 5)
  pos += 9
}

/** Map keys, encoded once. */
const keyBytes = (key: string): Buffer => {
  pos = 0
  writeStr(key)
  return Buffer.from(out.subarray(0, pos))
}

let keys: ReadonlyArray<Buffer> | undefined

const writeKey = (key: Buffer): void => {
  room(key.length)
  out.set(key, pos)
  pos += key.length
}

/** A field value: str, int, float, bool or nil; anything else as the string {@link render} makes. */
const writeValue = (value: unknown): void => {
  switch (typeof value) {
    case "string":
      return writeStr(value)
    case "number":
      return writeNumber(value)
    case "boolean":
      room(1)
      out[pos++] = value ? 0xc3 : 0xc2
      return
    case "undefined":
      return writeNil()
  }
  if (value === null) return writeNil()
  writeStr(render(value))
}

/** `key_values`: a map header sized once the entries are written (they move left when it is smaller). */
const writeKeyValues = (record: LogRecord): void => {
  const fields = record.fields
  const error = record.error
  if (fields === undefined && error === undefined) {
    room(1)
    out[pos++] = 0x80
    return
  }
  room(5)
  const headerAt = pos
  pos += 5
  let count = 0
  let hasExcText = false
  if (fields !== undefined) {
    try {
      for (const key in fields) {
        // Decoders refuse a `__proto__` key (prototype pollution): the whole frame, and the
        // connection, would be rejected. Sent under another name.
        writeStr(key === "__proto__" ? "[__proto__]" : key)
        writeValue(read(fields, key))
        if (key === "exc_text") hasExcText = true
        count++
      }
    } catch (thrown) {
      writeStr("fieldsError")
      writeStr(`[Unreadable: ${safeString(thrown)}]`)
      count++
    }
  }
  if (error !== undefined && !hasExcText) {
    writeStr("exc_text")
    writeStr(renderError(error))
    count++
  }
  const header = count < 16 ? 1 : count < 0x10000 ? 3 : 5
  if (header < 5) out.copyWithin(headerAt + header, headerAt + 5, pos)
  if (header === 1) out[headerAt] = 0x80 | count
  else if (header === 3) {
    out[headerAt] = 0xde
    out.writeUInt16BE(count, headerAt + 1)
  } else {
    out[headerAt] = 0xdf
    out.writeUInt32BE(count, headerAt + 1)
  }
  pos -= 5 - header
}

const writeOptionalStr = (s: string | undefined): void => (typeof s === "string" ? writeStr(s) : writeNil())

/**
 * The MessagePack payload of a record (without the length prefix). The bytes are a view of a
 * shared buffer, valid until the next call: copy them at once. Never throws for a record that
 * `LogRecord.make` built.
 *
 * @internal
 */
export const encodeRecord = (record: LogRecord): Uint8Array => {
  const k = (keys ??= [
    "logger",
    "level",
    "message",
    "timestamp_ns",
    "filename",
    "line_number",
    "module_path",
    "thread_id",
    "thread_name",
    "key_values"
  ].map(keyBytes))
  pos = 0
  room(1)
  out[pos++] = 0x8a // a map of 10
  writeKey(k[0]!)
  writeStr(String(record.logger))
  writeKey(k[1]!)
  writeStr(String(record.level))
  writeKey(k[2]!)
  writeStr(String(record.message))
  writeKey(k[3]!)
  const ns = Math.round(record.timestampNs)
  writeUint64(Number.isFinite(ns) && ns > 0 ? ns : 0)
  writeKey(k[4]!)
  writeOptionalStr(record.filename)
  writeKey(k[5]!)
  const line = record.lineNumber
  if (typeof line === "number" && Number.isSafeInteger(line) && line >= 0) writeNumber(line)
  else writeNil()
  writeKey(k[6]!)
  writeOptionalStr(record.modulePath)
  writeKey(k[7]!)
  writeNumber(record.threadId)
  writeKey(k[8]!)
  writeOptionalStr(record.threadName)
  writeKey(k[9]!)
  writeKeyValues(record)
  return out.subarray(0, pos)
}

/**
 * The same payload encoded by `@msgpack/msgpack` from a map built for it: the reference the
 * tests compare {@link encodeRecord} with.
 *
 * @internal
 */
export const encodeRecordWithLibrary = (record: LogRecord): Uint8Array => {
  const ns = Math.round(record.timestampNs)
  return load().encode({
    logger: record.logger,
    level: record.level,
    message: record.message,
    timestamp_ns: BigInt(Number.isFinite(ns) && ns > 0 ? ns : 0),
    filename: record.filename ?? null,
    line_number: record.lineNumber ?? null,
    module_path: record.modulePath ?? null,
    thread_id: record.threadId,
    thread_name: record.threadName ?? null,
    key_values: keyValues(record)
  }, { useBigInt64: true })
}

/**
 * A frame the receiver refuses: the connection it came on is closed, with `reason`.
 *
 * @internal
 */
export class FrameError extends Error {
  override readonly name = "FrameError"
}

/**
 * Splits a byte stream into frame payloads: `push` what arrived, then take payloads with
 * `next()` until it returns `undefined`. A length over `maxFrameSize` (or of zero) throws a
 * {@link FrameError}. A payload is a view valid until the next `push`. At most
 * `maxFrameSize + 4` bytes plus the last chunk are held.
 *
 * @internal
 */
export class FrameReader {
  private buffer = Buffer.allocUnsafe(64 * 1024)
  private start = 0
  private end = 0

  constructor(readonly maxFrameSize: number) {}

  /** Bytes received and not yet taken as a payload: more than 0 means the peer is mid-frame. */
  get buffered(): number {
    return this.end - this.start
  }

  push(chunk: Uint8Array): void {
    if (this.start === this.end) this.start = this.end = 0
    if (this.end + chunk.length > this.buffer.length) {
      const live = this.end - this.start
      const need = live + chunk.length
      if (need <= this.buffer.length && this.start > 0) {
        this.buffer.copy(this.buffer, 0, this.start, this.end)
      } else {
        let size = this.buffer.length
        while (size < need) size *= 2
        const grown = Buffer.allocUnsafe(size)
        this.buffer.copy(grown, 0, this.start, this.end)
        this.buffer = grown
      }
      this.start = 0
      this.end = live
    }
    this.buffer.set(chunk, this.end)
    this.end += chunk.length
  }

  next(): Uint8Array | undefined {
    const available = this.end - this.start
    if (available < prefixBytes) return undefined
    const length = this.buffer.readUInt32BE(this.start)
    if (length === 0) throw new FrameError("a frame of length 0")
    if (length > this.maxFrameSize) {
      throw new FrameError(`a frame of ${length} bytes, over the limit of ${this.maxFrameSize}`)
    }
    if (available < prefixBytes + length) return undefined
    const payload = this.buffer.subarray(this.start + prefixBytes, this.start + prefixBytes + length)
    this.start += prefixBytes + length
    return payload
  }
}

let decoder: Msgpack.Decoder | undefined

const describe = (u: unknown): string => {
  if (u === null) return "nil"
  if (u instanceof Uint8Array) return "bin"
  if (Array.isArray(u)) return "array"
  return typeof u === "object" ? "map" : typeof u
}

const bad = (key: string, expected: string, got: unknown): never => {
  throw new FrameError(`key '${key}' must be ${expected} (got ${describe(got)})`)
}

const isMap = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u) && !(u instanceof Uint8Array)

const optionalString = (o: Record<string, unknown>, key: string): string | undefined => {
  const v = o[key]
  if (v === null) return undefined
  return typeof v === "string" ? v : bad(key, "a string or nil", v)
}

const nonNegativeInteger = (v: unknown): number | undefined => {
  if (typeof v === "number" && Number.isInteger(v) && v >= 0) return v
  if (typeof v === "bigint" && v >= 0n) return Number(v)
  return undefined
}

/** `timestamp_ns`: an unsigned integer, or (as upstream femtologging sends it) a big-endian bin of up to 16 bytes. */
const timestampOf = (v: unknown): number => {
  const n = nonNegativeInteger(v)
  if (n !== undefined) return n
  if (v instanceof Uint8Array && v.length <= 16) {
    let total = 0n
    for (const byte of v) total = (total << 8n) | BigInt(byte)
    return Number(total)
  }
  return bad("timestamp_ns", "an unsigned integer", v)
}

/** `thread_id`: an unsigned integer, or a string holding one (upstream sends `ThreadId(N)`). */
const threadIdOf = (v: unknown): number => {
  const n = nonNegativeInteger(v)
  if (n !== undefined) return n
  if (typeof v === "string") {
    const digits = /\d+/.exec(v)
    return digits === null ? 0 : Number(digits[0])
  }
  return bad("thread_id", "an unsigned integer", v)
}

const required = ["logger", "level", "message", "timestamp_ns", "key_values"] as const

/** An error rebuilt from `exc_text`: its first line names it, the whole text is its stack. */
const errorOf = (text: string): ErrorInfo => {
  const first = text.split("\n", 1)[0]!
  const named = /^([\w$.]+): ?(.*)$/.exec(first)
  return { name: named?.[1] ?? "Error", message: named?.[2] ?? first, stack: text, causes: [] }
}

const newDecoder = () => new (load().Decoder)({ useBigInt64: true })

/**
 * Loads the decoder now (the receiver, before it listens): where `@msgpack/msgpack` cannot be
 * loaded, its start fails, instead of every connection failing at its first frame. @internal
 */
export const loadDecoder = (): void => {
  decoder ??= newDecoder()
}

/**
 * What a payload holds, as `LogRecord.make` takes it; throws a {@link FrameError} saying what
 * is wrong (bad MessagePack, not a map, a missing key, a key of the wrong type). Keys beyond the
 * ten are ignored.
 *
 * @internal
 */
export const decodeRecord = (payload: Uint8Array): {
  readonly logger: string
  readonly level: Level.Level
  readonly message: string
  readonly timestampNs: number
  readonly threadId: number
  readonly threadName: string
  readonly fields: Record<string, unknown> | undefined
  readonly error: ErrorInfo | undefined
  readonly filename: string | undefined
  readonly lineNumber: number | undefined
  readonly modulePath: string | undefined
} => {
  decoder ??= newDecoder()
  let value: unknown
  try {
    value = decoder.decode(payload)
  } catch (error) {
    throw new FrameError(`bad MessagePack: ${error instanceof Error ? error.message : safeString(error)}`)
  }
  if (!isMap(value)) throw new FrameError(`the payload must be a map (got ${describe(value)})`)
  for (const key of required) if (!(key in value)) throw new FrameError(`key '${key}' is missing`)
  const { logger, level, message } = value
  if (typeof logger !== "string") bad("logger", "a string", logger)
  if (typeof message !== "string") bad("message", "a string", message)
  if (typeof level !== "string") bad("level", "a string", level)
  let parsed: Level.Level
  try {
    parsed = Level.parseUnsafe(level as string)
  } catch {
    throw new FrameError(`key 'level' must name a level (got '${level as string}')`)
  }
  const kv = value.key_values
  if (!isMap(kv)) return bad("key_values", "a map", kv)
  let fields: Record<string, unknown> | undefined
  let error: ErrorInfo | undefined
  for (const key of Object.keys(kv)) {
    let v = kv[key]
    if (typeof v === "bigint") v = Number.isSafeInteger(Number(v)) ? Number(v) : v
    else if (v !== null && typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") {
      bad(`key_values.${key}`, "a string, a number, a boolean or nil", v)
    }
    if (key === "exc_text" && typeof v === "string") {
      error = errorOf(v)
      continue
    }
    ;(fields ??= Object.create(null) as Record<string, unknown>)[key] = v
  }
  const line = value.line_number
  const lineNumber = line === null || line === undefined ? undefined : nonNegativeInteger(line)
  if (line !== null && line !== undefined && lineNumber === undefined) bad("line_number", "an unsigned integer or nil", line)
  return {
    logger: logger as string,
    level: parsed,
    message: message as string,
    timestampNs: timestampOf(value.timestamp_ns),
    threadId: "thread_id" in value ? threadIdOf(value.thread_id) : 0,
    threadName: ("thread_name" in value ? optionalString(value, "thread_name") : undefined) ?? "",
    fields,
    error,
    filename: "filename" in value ? optionalString(value, "filename") : undefined,
    lineNumber,
    modulePath: "module_path" in value ? optionalString(value, "module_path") : undefined
  }
}
