/**
 * A formatter turns a record into the text a handler writes (without the trailing newline).
 *
 * The default renders `"{logger} [{LEVEL}] {message}"`, e.g. `demo.app [INFO] hello`, then
 * structured fields as ` key=value` pairs and an error's stack and cause chain on the lines
 * after it. Any `(record) => string` is a formatter.
 *
 * @since 0.1.0
 */
import { HandlerConfigError } from "./HandlerConfigError.ts"
import { Warner } from "./internal/warner.ts"
import { type ErrorInfo, type LogRecord, timestampMs } from "./LogRecord.ts"

/**
 * A formatter.
 *
 * @category models
 * @since 0.1.0
 */
export type Formatter = (record: LogRecord) => string

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

const renderValue = (value: unknown): string => {
  if (typeof value === "string") return /[\s="]/.test(value) || value === "" ? JSON.stringify(value) : value
  if (value instanceof Error) return JSON.stringify(value.message)
  if (typeof value === "bigint") return value.toString()
  if (value === undefined) return "undefined"
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/**
 * Renders fields as logfmt-style ` key=value` pairs (empty when there are none).
 *
 * @category formatting
 * @since 0.1.0
 */
export const renderFields = (fields: LogRecord["fields"]): string => {
  if (fields === undefined) return ""
  let out = ""
  for (const key in fields) out += ` ${key}=${renderValue(fields[key])}`
  return out
}

/**
 * Renders an error with its stack, then each cause as `Caused by: <stack>`.
 *
 * @category formatting
 * @since 0.1.0
 */
export const renderError = (error: ErrorInfo): string => {
  let out = error.stack ?? `${error.name}: ${error.message}`
  for (const cause of error.causes) out += `\nCaused by: ${cause.stack ?? `${cause.name}: ${cause.message}`}`
  return out
}

/**
 * The default formatter: the seed's line, then fields, then the error on the following lines.
 *
 * **Example** (Fields)
 *
 * ```ts
 * import { Formatter, LogRecord } from "femtologging"
 * Formatter.defaultFormatter(LogRecord.make({ logger: "root", level: "WARN", message: "x", fields: { n: 1 } }))
 * // => "root [WARN] x n=1"
 * ```
 *
 * @category formatting
 * @since 0.1.0
 */
export const defaultFormatter: Formatter = (record) => {
  const head = line(record.logger, record.level, record.message)
  const withFields = record.fields === undefined ? head : head + renderFields(record.fields)
  return record.error === undefined ? withFields : `${withFields}\n${renderError(record.error)}`
}

/**
 * One JSON object per record with a stable key order: `time` (ISO), `level`, `logger`,
 * `message`, then the fields (a field named like one of those keys is left out), then `error`.
 *
 * @category formatting
 * @since 0.1.0
 */
export const json: Formatter = (record) => {
  const out: Record<string, unknown> = {
    time: new Date(timestampMs(record)).toISOString(),
    level: record.level,
    logger: record.logger,
    message: record.message
  }
  // Fields never overwrite the record's own keys.
  for (const key in record.fields) if (!(key in out)) out[key] = record.fields[key]
  if (record.error !== undefined) out.error = record.error
  return JSON.stringify(out)
}

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
    return (record) => formatter.format(record)
  }
  throw new HandlerConfigError({
    field: "formatter",
    detail: typeof formatter === "string"
      ? `unknown formatter id: ${formatter} (known: ${Object.keys(named).join(", ")})`
      : "invalid formatter: expected a string identifier or callable"
  })
}

/**
 * The formatters that can be named by a string: `"default"` and `"json"`.
 *
 * @category models
 * @since 0.1.0
 */
export type FormatterId = "default" | "json"

const named: Record<FormatterId, Formatter> = { default: defaultFormatter, json }

/**
 * Wraps a formatter for a handler so that one that throws cannot lose a record: the record is
 * written as the seed's line with the error appended (`… [formatter failed: <error>]`), and the
 * failure is reported on stderr (at most once per 5 s, with the count). The default formatter is
 * guarded too: a field value can make rendering throw (a null-prototype object holding a bigint).
 *
 * @category combinators
 * @since 0.1.0
 */
export const guard = (formatter: Formatter, label: string): Formatter => {
  let last = ""
  const warner = new Warner(label, 5_000, Date.now, undefined, (n) =>
    `femtologging: ${label}: the formatter threw ${n} time${n === 1 ? "" : "s"}; last: ${last}`)
  return (record) => {
    try {
      return formatter(record)
    } catch (error) {
      last = safeString(error)
      warner.drop()
      return `${line(record.logger, record.level, record.message)} [formatter failed: ${last}]`
    }
  }
}

/** `String(u)`, or a tag such as `[object Object]` for a value that cannot be converted. */
const safeString = (u: unknown): string => {
  try {
    return String(u)
  } catch {
    return Object.prototype.toString.call(u)
  }
}
