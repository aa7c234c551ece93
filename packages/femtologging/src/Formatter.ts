/**
 * A formatter turns a record into the text a handler writes (without the trailing newline).
 *
 * The default renders `"{logger} [{LEVEL}] {message}"`, e.g. `demo.app [INFO] hello`, then
 * structured fields as ` key=value` pairs and an error's stack and cause chain on the lines
 * after it. `json` writes one JSON object per record. Any `(record) => string` is a formatter.
 *
 * Neither built-in formatter throws, whatever the record holds: a value that cannot be read or
 * serialised is written as a marker string in its place (`[Circular]`, `[Getter threw: …]`,
 * `[toJSON threw: …]`, `[Unreadable: …]`, `[Too deep]`, `[Truncated]`), and a function as
 * `[Function name]`, never its source text.
 *
 * @since 0.1.0
 */
import { HandlerConfigError } from "./HandlerConfigError.ts"
import { hasIsoTime, isoSecond, jsonString } from "./internal/json.ts"
import { type Compiled, compile, formatTime, pyFloat } from "./internal/pyformat.ts"
import { functionTag, isError, read, safeString } from "./internal/safe.ts"
import { Warner } from "./internal/warner.ts"
import { pythonName, toNumber } from "./Level.ts"
import { type ErrorFrame, type ErrorInfo, errorInfo, type LogRecord, msOfNs, timestampMs } from "./LogRecord.ts"

/**
 * A formatter.
 *
 * @category models
 * @since 0.1.0
 */
export type Formatter = (record: LogRecord) => string

/**
 * Whether a formatter prints the caller's location (`filename`, `lineno`, `funcName`, `module`,
 * `pathname`): only then do loggers capture it for the records its handler receives (it costs
 * about 10 µs per record). `python` sets it from its format; set it on your own formatter with
 * {@link withCaller}.
 *
 * @category models
 * @since 0.2.0
 */
export const needsCaller = (formatter: Formatter): boolean =>
  (formatter as { readonly [callerKey]?: boolean })[callerKey] === true

const callerKey = Symbol.for("femtologging/Formatter/needsCaller")

/**
 * Marks a formatter as printing the caller's location (see {@link needsCaller}).
 *
 * @category combinators
 * @since 0.2.0
 */
export const withCaller = (formatter: Formatter): Formatter => {
  const marked: Formatter = (record) => formatter(record)
  Object.defineProperty(marked, callerKey, { value: true })
  return marked
}

const callerFields = new Set(["filename", "pathname", "module", "lineno", "funcName"])

/**
 * The seed's line, `"{logger} [{LEVEL}] {message}"`, without fields or error text. This is
 * what `logger.log()` returns.
 *
 * **Example** (The seed's format)
 *
 * ```ts
 * import { Formatter } from "femtologging"
 * Formatter.line("demo.app", "INFO", "hello") // => "demo.app [INFO] hello"
 * ```
 *
 * @category formatting
 * @since 0.1.0
 */
export const line = (logger: string, level: string, message: string): string => `${logger} [${level}] ${message}`

// -------------------------------------------------------------------------------------------
// Safe reading
// -------------------------------------------------------------------------------------------

const threw = (what: string, thrown: unknown): string => `[${what}: ${safeString(thrown)}]`

// -------------------------------------------------------------------------------------------
// JSON that never throws
// -------------------------------------------------------------------------------------------

/** Objects nested deeper than this in a value that `JSON.stringify` rejected are `"[Too deep]"`. */
const maxJsonDepth = 100
/** Values written for one value that `JSON.stringify` rejected; the rest are `"[Truncated]"`. */
const maxJsonValues = 100_000

const isRawJSON = (JSON as { readonly isRawJSON?: (u: unknown) => boolean }).isRawJSON

interface Budget {
  left: number
}

/**
 * What `JSON.stringify` would see for `value` (`toJSON` applied, own enumerable keys, functions,
 * symbols and `undefined` dropped from objects and `null` in arrays, non-finite numbers `null`),
 * as plain data it cannot fail on, with a marker in place of whatever made it throw: a bigint is
 * its decimal string, a cycle `"[Circular]"`, a throwing getter `"[Getter threw: …]"`.
 */
const jsonTree = (value: unknown, key: string, ancestors: Array<object>, budget: Budget): unknown => {
  let v = value
  if ((typeof v === "object" && v !== null) || typeof v === "bigint") {
    let toJSON: unknown
    try {
      toJSON = (v as { readonly toJSON?: unknown }).toJSON
    } catch (thrown) {
      return threw("Getter threw", thrown)
    }
    if (typeof toJSON === "function") {
      try {
        v = toJSON.call(v, key)
      } catch (thrown) {
        return threw("toJSON threw", thrown)
      }
    }
  }
  switch (typeof v) {
    case "string":
    case "boolean":
      return v
    case "number":
      return Number.isFinite(v) ? v : null
    case "bigint":
      return v.toString()
    case "undefined":
    case "function":
    case "symbol":
      return undefined
  }
  if (v === null) return null
  const o = v as object
  if (ancestors.includes(o)) return "[Circular]"
  if (ancestors.length >= maxJsonDepth) return "[Too deep]"
  ancestors.push(o)
  try {
    if (isRawJSON?.(o)) return o
    // Wrapper objects are written as the primitive they hold, as JSON does.
    if (o instanceof Number) return jsonTree(Number(o), key, ancestors, budget)
    if (o instanceof String) return String(o)
    if (o instanceof Boolean || o instanceof BigInt) return jsonTree(o.valueOf(), key, ancestors, budget)
    if (Array.isArray(o)) {
      const out: Array<unknown> = []
      const length = o.length
      for (let i = 0; i < length; i++) {
        if (budget.left-- <= 0) {
          out.push("[Truncated]")
          break
        }
        out.push(jsonTree(read(o, i), String(i), ancestors, budget) ?? null)
      }
      return out
    }
    const out: Record<string, unknown> = Object.create(null)
    for (const k of Object.keys(o)) {
      if (budget.left-- <= 0) {
        out["…"] = "[Truncated]"
        break
      }
      const item = jsonTree(read(o, k), k, ancestors, budget)
      if (item !== undefined) out[k] = item
    }
    return out
  } catch (thrown) {
    return threw("Unreadable", thrown)
  } finally {
    ancestors.pop()
  }
}

/** `JSON.stringify(value)` without ever throwing (see {@link jsonTree}); `undefined` as JSON gives it. */
const safeJson = (value: unknown): string | undefined => {
  try {
    return JSON.stringify(jsonTree(value, "", [], { left: maxJsonValues }))
  } catch (thrown) {
    // A string longer than the engine allows, say.
    return JSON.stringify(threw("Unserialisable", thrown))
  }
}

/** `JSON.stringify(value)`, falling back to {@link safeJson} only when it throws. */
const toJson = (value: unknown): string | undefined => {
  try {
    return JSON.stringify(value)
  } catch {
    return safeJson(value)
  }
}

// -------------------------------------------------------------------------------------------
// Text
// -------------------------------------------------------------------------------------------

/**
 * Whether a key or a string value is written JSON-quoted: when empty, or holding a space (a
 * newline included), `=`, `"` or a control character (JSON writes those as `\u001b`...: an ESC in
 * a field cannot drive the terminal showing the log; a key with a newline, from a parsed query
 * string say, forged a line). Checked a character at a time, a regular expression only past ASCII
 * (for Unicode's spaces): a record's keys are short and plain, and a regular expression per key
 * cost ~11 ns.
 */
const needsQuotes = (s: string): boolean => {
  if (s.length === 0) return true
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c <= 32 || c === 61 || c === 34 || c === 127) return true
    if (c >= 0x80) return /[\s="\x00-\x1f\x7f]/.test(s)
  }
  return false
}

/** A key or a string value as it is, or JSON-quoted (see {@link needsQuotes}). */
const renderString = (value: string): string => (needsQuotes(value) ? JSON.stringify(value) : value)

const renderValue = (value: unknown): string => {
  switch (typeof value) {
    case "string":
      return renderString(value)
    case "number":
      // NaN and Infinity as JavaScript writes them (JSON would write null); JSON.stringify for the
      // others, the same text ~10 ns sooner than String() (A/B, a record with two number fields).
      return Number.isFinite(value) ? JSON.stringify(value) : String(value)
    case "bigint":
      return value.toString()
    case "undefined":
      return "undefined"
    case "symbol":
      return value.toString()
    case "function":
      return renderString(functionTag(value))
  }
  const text = toJson(value)
  return text === undefined ? safeString(value) : text
}

/** ` key=value` for one field; an error as its message, then its own properties as `key.prop=…`. */
const renderField = (field: string, value: unknown): string => {
  const key = renderString(field)
  if (typeof value === "object" && value !== null && isError(value)) {
    const info = errorInfo(value)
    let out = ` ${key}=${JSON.stringify(info.message)}`
    if (info.props !== undefined) {
      for (const prop in info.props) out += ` ${key}.${prop}=${renderValue(info.props[prop])}`
    }
    return out
  }
  return ` ${key}=${renderValue(value)}`
}

/**
 * Renders fields as logfmt-style ` key=value` pairs (empty when there are none).
 *
 * **Details**
 *
 * A key, and a string value, is written as it is, or JSON-quoted when it is empty or holds a
 * space (a newline included), `=`, `"` or a control character; a
 * bigint as its digits; a function as `"[Function name]"` (quoted, never its source); an error as
 * its JSON-quoted message followed by its own properties as ` key.prop=value`; anything else as
 * JSON, with markers (`[Circular]`, `[Getter threw: …]`, …) where `JSON.stringify` would throw.
 * A field whose getter throws is written as `key="[Getter threw: <error>]"`; fields whose keys
 * cannot be listed as ` fieldsError="[Unreadable: <error>]"`. Never throws.
 *
 * @category formatting
 * @since 0.1.0
 */
export const renderFields = (fields: LogRecord["fields"]): string => {
  if (fields === undefined) return ""
  let out = ""
  try {
    for (const key in fields) {
      let value: unknown
      try {
        value = fields[key]
      } catch (thrown) {
        out += ` ${renderString(key)}=${renderString(threw("Getter threw", thrown))}`
        continue
      }
      out += renderField(key, value)
    }
  } catch (thrown) {
    out += ` fieldsError=${renderString(threw("Unreadable", thrown))}`
  }
  return out
}

const renderFrame = (frame: ErrorFrame): string => {
  const head = frame.stack ?? `${frame.name}: ${frame.message}`
  if (frame.props === undefined) return head
  const props = renderFields(frame.props)
  return props === "" ? head : `${head}\n ${props}`
}

/**
 * Renders an error with its stack, then each cause as `Caused by: <stack>`. An error (or cause)
 * with own properties gets one more line after its stack: two spaces, then the properties as
 * {@link renderFields} writes them, e.g. `  errno=-2 code=ENOENT syscall=open path=/etc/x`.
 *
 * @category formatting
 * @since 0.1.0
 */
export const renderError = (error: ErrorInfo): string => {
  let out = renderFrame(error)
  for (const cause of error.causes) out += `\nCaused by: ${renderFrame(cause)}`
  return out
}

/**
 * The default formatter: the seed's line, then fields, then the error on the following lines.
 *
 * **Details**
 *
 * Fields are written as {@link renderFields} does, the error as {@link renderError} does (its
 * own properties, such as `code`, on the line after its stack). Never throws: a record that
 * cannot be read as a `LogRecord` is written with what can be read of it.
 *
 * **Example** (Fields)
 *
 * ```ts
 * import { Formatter, LogRecord } from "femtologging"
 * Formatter.defaultFormatter(LogRecord.make({ logger: "root", level: "WARN", message: "x", fields: { n: 1 } }))
 * // => "root [WARN] x n=1"
 * ```
 *
 * **Example** (An error with own properties)
 *
 * ```text
 * app [ERROR] read failed file=/etc/x
 * Error: ENOENT: no such file or directory, open '/etc/x'
 *     at Object.openSync (node:fs:560:18)
 *   errno=-2 code=ENOENT syscall=open path=/etc/x
 * ```
 *
 * @category formatting
 * @since 0.1.0
 */
export const defaultFormatter: Formatter = (record) => {
  try {
    const { logger, level, message } = record
    if (typeof logger === "string" && typeof level === "string" && typeof message === "string") {
      const head = line(logger, level, message)
      const withFields = record.fields === undefined ? head : withPairs(head, message, renderFields(record.fields))
      return record.error === undefined ? withFields : `${withFields}\n${renderError(record.error)}`
    }
  } catch {
    // written piece by piece below
  }
  try {
    return defaultFallback(record)
  } catch (thrown) {
    // Only when the line would be longer than a string can be.
    return threw("record could not be formatted", thrown)
  }
}

/** A string as it is, a function as `[Function name]`, anything else as `String` gives it. */
const textOf = (u: unknown): string => typeof u === "function" ? functionTag(u) : safeString(u)

/** The seed's line of any record, read without throwing. */
const seedLine = (record: LogRecord): string =>
  line(textOf(read(record, "logger")), textOf(read(record, "level")), textOf(read(record, "message")))

/** The line then the fields' pairs: right after `] ` when the message is empty (one space, not two). */
const withPairs = (head: string, message: string, pairs: string): string =>
  message === "" && pairs !== "" ? head + pairs.slice(1) : head + pairs

/** The default formatter for a record that is not what its type says. */
const defaultFallback = (record: LogRecord): string => {
  let out = seedLine(record)
  try {
    const fields: unknown = record.fields
    if (typeof fields === "object" && fields !== null) {
      out = withPairs(out, textOf(read(record, "message")), renderFields(fields as LogRecord["fields"]))
    }
  } catch (thrown) {
    out += ` fieldsError=${renderString(threw("Unreadable", thrown))}`
  }
  try {
    const error: unknown = record.error
    if (error !== undefined) out += `\n${renderError(error as ErrorInfo)}`
  } catch (thrown) {
    out += `\n${threw("error could not be rendered", thrown)}`
  }
  return out
}

// -------------------------------------------------------------------------------------------
// JSON
// -------------------------------------------------------------------------------------------

/** The keys `json` writes for the record itself; a field of that name is written as `field.<name>`. */
const reserved: ReadonlySet<string> = new Set(["time", "level", "logger", "message", "error"])

/**
 * The record's time as `Date.prototype.toISOString` writes it, `"2023-11-14T22:13:20.123Z"` (the
 * text up to the second is reused while the second is the same), or `null` for a time a `Date`
 * cannot hold.
 */
const isoTime = (ms: unknown): string | null => {
  if (!hasIsoTime(ms)) return null
  const t = Math.trunc(ms)
  const second = Math.floor(t / 1000)
  const milli = t - second * 1000
  return `${isoSecond(second)}.${milli < 10 ? "00" : milli < 100 ? "0" : ""}${milli}Z`
}

/** Sets `out[key]`, as an own property even for `"__proto__"`. */
const put = (out: Record<string, unknown>, key: string, value: unknown): void => {
  if (key === "__proto__") {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  } else out[key] = value
}

/** Whether `key` is an array index, which an object would list before `time`. */
const isIndex = (key: string): boolean => {
  const c = key.charCodeAt(0)
  return c >= 48 && c <= 57
}

/**
 * One JSON object per record, on one line, with a stable key order: `time` (ISO 8601, UTC, or
 * `null` for a time a `Date` cannot hold), `level`, `logger`, `message`, then the fields in their
 * own order, then `error` when the record has one.
 *
 * **Details**
 *
 * The line is always one valid JSON object, whatever the fields hold. Ordinary values are
 * written by `JSON.stringify`, with its rules (`undefined`, functions and symbols nested in an
 * object are left out, `null` in an array; `NaN` is `null`; `toJSON` is used). Beyond them:
 *
 * - a field whose key is `time`, `level`, `logger`, `message` or `error` is kept under
 *   `field.<key>` (`"field.message"`), prefixed again (`field.field.message`) should a field of
 *   that name exist too; the record's own keys are never overwritten;
 * - a bigint, anywhere, is its decimal string (`12n` → `"12"`), so a field keeps one JSON type;
 * - a function field is `"[Function name]"`, never its source; a symbol field `"Symbol(desc)"`;
 * - an `Error` field is written like `error`;
 * - where `JSON.stringify` would throw, a marker takes the place of the value that made it
 *   throw, and the rest is written: a reference back to an enclosing object is `"[Circular]"`, a
 *   getter (or `Proxy` trap) that throws `"[Getter threw: <error>]"`, a `toJSON` that throws
 *   `"[toJSON threw: <error>]"`, an object that cannot be read `"[Unreadable: <error>]"`, nesting
 *   deeper than 100 levels `"[Too deep]"`, more than 100,000 values in one field `"[Truncated]"`;
 *   fields whose keys cannot be listed give `"fieldsError": "[Unreadable: <error>]"`;
 * - lone surrogates in strings are written as `\udXXX` escapes, so the line is valid UTF-8.
 *
 * `error` is `{ name, message, stack, props?, causes: [{ name, message, stack, props? }, …] }`:
 * `props` holds the error's own enumerable properties (`code`, `errno`, `statusCode`, …), see
 * `LogRecord.ErrorFrame`.
 *
 * Ordinary records take one `JSON.stringify` call; the field-by-field writer that survives
 * anything runs only when it throws (or a field key is an array index, which an object would
 * move before `time`).
 *
 * **Example** (A record with an error)
 *
 * ```text
 * {"time":"2023-11-14T22:13:20.123Z","level":"ERROR","logger":"app","message":"read failed",
 *  "field.message":"x","file":"/etc/x","error":{"name":"Error","message":"ENOENT: …","stack":"…",
 *  "props":{"errno":-2,"code":"ENOENT","syscall":"open","path":"/etc/x"},"causes":[]}}
 * ```
 *
 * (on one line: the fields were `{ message: "x", file: "/etc/x" }`).
 *
 * @category formatting
 * @since 0.1.0
 */
export const json: Formatter = (record) => {
  let text: string | undefined
  try {
    text = jsonWhole(record)
  } catch {
    text = undefined
  }
  if (text !== undefined) return text
  try {
    return jsonPieces(record)
  } catch (thrown) {
    // Only when the line would be longer than a string can be.
    const message = JSON.stringify(threw("record could not be formatted", thrown))
    return `{"time":null,"level":null,"logger":null,"message":${message}}`
  }
}

/** The whole record in one `JSON.stringify` call, or `undefined` when it must be written in pieces. */
const jsonWhole = (record: LogRecord): string | undefined => {
  const { level, logger, message } = record
  if (typeof level !== "string" || typeof logger !== "string" || typeof message !== "string") return undefined
  if (record.fields === undefined && record.error === undefined) {
    // The common record: the same text JSON.stringify would give, without building an object.
    const time = isoTime(timestampMs(record))
    return `{"time":${time === null ? "null" : `"${time}"`},"level":"${level}","logger":${jsonString(logger)},"message":${
      jsonString(message)
    }}`
  }
  const out: Record<string, unknown> = { time: isoTime(timestampMs(record)), level, logger, message }
  const fields = record.fields
  if (typeof fields === "object" && fields !== null) {
    for (const key in fields) {
      if (isIndex(key)) return undefined
      const value = fields[key]
      switch (typeof value) {
        case "bigint":
        case "symbol":
        case "function":
          put(out, reserved.has(key) ? renamed(key, fields) : key, fieldValue(value))
          continue
        case "object":
          if (value !== null && isError(value)) {
            put(out, reserved.has(key) ? renamed(key, fields) : key, errorInfo(value))
            continue
          }
      }
      put(out, reserved.has(key) ? renamed(key, fields) : key, value)
    }
  }
  if (record.error !== undefined) out.error = record.error
  return JSON.stringify(out)
}

/** A top-level field value as `json` writes it: what JSON would drop or throw on, as a string. */
const fieldValue = (value: unknown): unknown => {
  switch (typeof value) {
    case "bigint":
    case "symbol":
      return value.toString()
    case "function":
      return functionTag(value)
  }
  return typeof value === "object" && value !== null && isError(value) ? errorInfo(value) : value
}

/** The name a field with a reserved key is written under. */
const renamed = (key: string, fields: object): string => {
  let name = `field.${key}`
  try {
    while (name in fields) name = `field.${name}`
  } catch {
    // A Proxy whose `has` trap throws: keep the first prefixed name.
  }
  return name
}

/** `json`, one piece at a time, each value on its own: for a record `JSON.stringify` rejects. */
const jsonPieces = (record: LogRecord): string => {
  const timestampNs = read(record, "timestampNs")
  let out = `{"time":${JSON.stringify(isoTime(typeof timestampNs === "number" ? msOfNs(timestampNs) : undefined))}`
  out += `,"level":${toJson(fieldValue(read(record, "level"))) ?? "null"}`
  out += `,"logger":${toJson(fieldValue(read(record, "logger"))) ?? "null"}`
  out += `,"message":${toJson(fieldValue(read(record, "message"))) ?? "null"}`
  try {
    const fields: unknown = record.fields
    if (typeof fields === "object" && fields !== null) {
      for (const key in fields) {
        const text = toJson(fieldValue(read(fields, key)))
        if (text !== undefined) out += `,${JSON.stringify(reserved.has(key) ? renamed(key, fields) : key)}:${text}`
      }
    }
  } catch (thrown) {
    out += `,"fieldsError":${JSON.stringify(threw("Unreadable", thrown))}`
  }
  const error = read(record, "error")
  if (error !== undefined) out += `,"error":${toJson(error) ?? "null"}`
  return `${out}}`
}

/**
 * Options of {@link python}, named as CPython's `logging.Formatter` takes them.
 *
 * @category models
 * @since 0.2.0
 */
export interface PythonOptions {
  /** `"%"` (default), `"{"` or `"$"`. */
  readonly style?: "%" | "{" | "$" | undefined
  /** strftime format of `asctime`; default `%Y-%m-%d %H:%M:%S,mmm`. */
  readonly datefmt?: string | undefined
  /** Values for fields a record lacks (CPython 3.10). */
  readonly defaults?: Readonly<Record<string, unknown>> | undefined
  /** Check the format as CPython does (default `true`). */
  readonly validate?: boolean | undefined
  /** `asctime` in UTC instead of local time (CPython: `converter = time.gmtime`). */
  readonly utc?: boolean | undefined
}

const basename = (file: string): string => file.slice(Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\")) + 1)

/** CPython 3.13's `msecs` (`created_ns % 10**9 // 10**6`): 0-999, before 1970 too, as `asctime`'s. */
const msecsOf = (timestampNs: number): number => {
  const ms = Math.floor(msOfNs(timestampNs))
  return ms - Math.floor(ms / 1000) * 1000
}

/**
 * `os.path.splitext(name)[0]`: the name without its last extension, where leading dots are part
 * of the name (`.bashrc` and `..x` have none).
 */
const stripExtension = (name: string): string => {
  const dot = name.lastIndexOf(".")
  for (let i = 0; i < dot; i++) if (name[i] !== ".") return name.slice(0, dot)
  return name
}

const pythonThreadName = (record: LogRecord): string =>
  record.threadId === 0 && record.threadName === "main" ? "MainThread" : record.threadName

/** The names CPython's `LogRecord` gives its attributes, read from one of our records. */
const pythonAttribute = (record: LogRecord, name: string, asctime: () => string): unknown => {
  switch (name) {
    case "name":
      return record.logger
    case "levelname":
      return pythonName(record.level)
    case "levelno":
      return toNumber(record.level)
    case "message":
    case "msg":
      return record.message
    case "args":
      return null
    case "asctime":
      return asctime()
    case "created":
      return pyFloat(record.timestampNs / 1e9)
    case "msecs":
      return pyFloat(msecsOf(record.timestampNs))
    case "relativeCreated":
      return pyFloat(msOfNs(record.timestampNs) - performance.timeOrigin)
    case "thread":
      return record.threadId
    case "threadName":
      return pythonThreadName(record)
    case "process":
      return process.pid
    case "processName":
      return "MainProcess"
    case "taskName":
      return record.fiberId === undefined ? null : `fiber-${record.fiberId}`
    case "pathname":
      return record.filename ?? "(unknown file)"
    case "filename":
      return record.filename === undefined ? "(unknown file)" : basename(record.filename)
    case "module":
      return record.filename === undefined ? "(unknown file)" : stripExtension(basename(record.filename))
    case "lineno":
      return record.lineNumber ?? 0
    case "funcName":
      // A function name given without a file (LogRecord.make, as CPython's makeLogRecord) is printed.
      if (record.functionName !== undefined && record.functionName !== "") return record.functionName
      return record.filename === undefined ? "(unknown function)" : "<module>"
    case "exc_info":
    case "exc_text":
      return record.error === undefined ? null : renderError(record.error)
    case "stack_info":
      return null
  }
  const fields = record.fields
  return fields !== undefined && Object.hasOwn(fields, name) ? fields[name] : undefined
}

/**
 * A formatter from a CPython `logging.Formatter` format string, in any of its three styles,
 * producing what CPython produces for the same record.
 *
 * **Details**
 *
 * The record has CPython's attributes: `name`, `levelname` (`WARNING`, not our `WARN`),
 * `levelno` (5, 10 … 50), `message`, `msg`, `asctime` (see `datefmt`), `created`, `msecs`,
 * `relativeCreated` (ms since the process started), `thread` and `threadName` (`MainThread` on
 * the main thread), `process`, `processName` (`MainProcess`), `taskName` (`fiber-<id>` for a
 * record logged from a fiber, else `None`), `filename`, `pathname`, `module`, `lineno`, `funcName`
 * (CPython's placeholders, `(unknown file)`, `0`, `(unknown function)`, until caller location is
 * captured), `exc_text`; then the record's fields by name. As CPython does, the error's text
 * (stack and causes) is appended on the lines after the formatted message. `%`/`{`/`$` behave as
 * CPython's operators do (every conversion, flag and format spec; `validate` and `defaults` as in
 * CPython 3.10+). Throws `HandlerConfigError` (field `format`) with CPython's message for a format
 * CPython refuses. A record lacking a field the format names is written by the handler as the
 * seed's line with the error appended, and reported (CPython prints a traceback and drops it).
 *
 * **Example** (CPython's basicConfig format)
 *
 * ```ts
 * import { Formatter, LogRecord } from "femtologging"
 * const f = Formatter.python("%(levelname)s:%(name)s:%(message)s")
 * f(LogRecord.make({ logger: "app", level: "WARN", message: "disk low" })) // => "WARNING:app:disk low"
 * ```
 *
 * @category constructors
 * @since 0.2.0
 */
export const python = (format: string, options: PythonOptions = {}): Formatter => {
  let compiled: Compiled
  try {
    compiled = compile(format ?? "", options.style ?? "%", {
      ...(options.validate === undefined ? {} : { validate: options.validate }),
      ...(options.defaults === undefined ? {} : { defaults: options.defaults })
    })
  } catch (error) {
    throw new HandlerConfigError({ field: "format", detail: error instanceof Error ? error.message : String(error) })
  }
  const datefmt = options.datefmt
  const utc = options.utc === true
  const render = compiled.render
  const formatter: Formatter = (record) => {
    let time: string | undefined
    const asctime = () => (time ??= formatTime(msOfNs(record.timestampNs), datefmt, { utc }))
    const text = render((name) => pythonAttribute(record, name, asctime))
    if (record.error === undefined) return text
    return `${text.endsWith("\n") ? text : `${text}\n`}${renderError(record.error)}`
  }
  return compiled.fields.some((field) => callerFields.has(field)) ? withCaller(formatter) : formatter
}

/**
 * A logfmt formatter: `time=<ISO 8601> level=<LEVEL> logger=<name> msg=<message>` then the
 * fields as `key=value` pairs, and the error as `error=` (its message) and `stack=` (its text),
 * all on one line. A field named like one of those six keys is written as `field.<key>`. Values
 * are quoted when empty or holding a space, `=` or `"`; newlines are escaped. Never throws.
 *
 * @category formatting
 * @since 0.2.0
 */
export const logfmt: Formatter = (record) => {
  try {
    let out = `time=${new Date(timestampMs(record)).toISOString()} level=${record.level} logger=${
      logfmtValue(record.logger)
    } msg=${logfmtValue(record.message)}`
    out += renderFields(logfmtFields(record.fields)).replaceAll("\n", "\\n")
    const error = record.error
    if (error !== undefined) out += ` error=${logfmtValue(error.message)} stack=${logfmtValue(renderError(error))}`
    return out
  } catch (thrown) {
    return `level=${String(record?.level)} msg=${logfmtValue(threw("record could not be formatted", thrown))}`
  }
}

/** The keys `logfmt` writes for the record itself; a field of that name is written as `field.<name>`. */
const logfmtReserved: ReadonlySet<string> = new Set(["time", "level", "logger", "msg", "error", "stack"])

/**
 * The fields with those named like one of the record's own keys renamed (a reader of logfmt takes
 * the last of two equal keys: a field `level` would have been read as the record's level).
 */
const logfmtFields = (fields: LogRecord["fields"]): LogRecord["fields"] => {
  if (fields === undefined) return fields
  try {
    let clash = false
    for (const key in fields) {
      if (logfmtReserved.has(key)) clash = true
    }
    if (!clash) return fields
    const out: Record<string, unknown> = {}
    for (const key in fields) put(out, logfmtReserved.has(key) ? renamed(key, fields) : key, read(fields, key))
    return out
  } catch {
    // Keys that cannot be listed: renderFields writes its marker.
    return fields
  }
}

const logfmtValue = (value: string): string =>
  value === "" || /[\s="\\]/.test(value) ? JSON.stringify(value) : value

/**
 * Resolves what handlers accept as a formatter: a function, an object with a `format` method,
 * or a name (`"default"`, `"json"`). Anything else fails with `HandlerConfigError` (field
 * `formatter`). Named formatters from configuration (`formatters` sections) come later.
 *
 * @category constructors
 * @since 0.1.0
 */
export const resolve = (formatter: Formatter | FormatterId | { readonly format: Formatter }): Formatter => {
  if (typeof formatter === "function") return formatter
  if (typeof formatter === "string" && Object.hasOwn(named, formatter)) return named[formatter as FormatterId]
  if (typeof formatter === "object" && formatter !== null && typeof formatter.format === "function") {
    const wrapped: Formatter = (record) => formatter.format(record)
    // `{ format: Formatter.python("%(funcName)s ...") }`, or an object marked itself: the caller
    // is still captured for it.
    return needsCaller(formatter.format) || needsCaller(formatter as unknown as Formatter) ? withCaller(wrapped) : wrapped
  }
  throw new HandlerConfigError({
    field: "formatter",
    detail: typeof formatter === "string"
      ? `unknown formatter id: ${formatter} (known: ${Object.keys(named).join(", ")})`
      : "invalid formatter: expected a string identifier or callable"
  })
}

/**
 * The formatters that can be named by a string: `"default"`, `"json"` and `"logfmt"`.
 *
 * @category models
 * @since 0.1.0
 */
export type FormatterId = "default" | "json" | "logfmt"

const named: Record<FormatterId, Formatter> = { default: defaultFormatter, json, logfmt }

/**
 * Wraps a formatter for a handler so that one that throws cannot lose a record: the record is
 * written as the seed's line with the error appended (`… [formatter failed: <error>]`), and the
 * failure is reported on stderr (at most once per 5 s, with the count). So is a record whose
 * formatter returned something other than a string (one that forgot its `return`). The built-in
 * formatters never throw; a user's formatter may.
 *
 * @category combinators
 * @since 0.1.0
 */
export const guard = (formatter: Formatter, label: string): Formatter => {
  let last = ""
  const warner = new Warner(label, 5_000, Date.now, undefined, (n) =>
    `femtologging: ${label}: the formatter failed ${n} time${n === 1 ? "" : "s"}; last: ${last}`)
  return (record) => {
    let line: unknown
    try {
      line = formatter(record)
      if (typeof line === "string") return line
      last = `returned ${line === null ? "null" : typeof line}, not a string`
    } catch (error) {
      last = safeString(error)
    }
    warner.drop()
    return `${seedLine(record)} [formatter failed: ${last}]`
  }
}
