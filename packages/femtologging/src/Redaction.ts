/**
 * Redaction: field paths and value patterns replaced before any handler sees a record.
 *
 * Paths are dot-separated keys into a record's fields (`password`, `user.token`,
 * `headers.authorization`), `*` matching any one key or array index at its place
 * (`*.password`, `users.*.ssn`, `req.headers.*`); a key holding a dot or a `*` is written in
 * brackets with quotes (`headers["x-api.key"]`). Patterns are regular expressions replaced in
 * every string value of the fields and in the message (`/\b\d{16}\b/g` for card numbers). The
 * record keeps its shape: a matched value becomes the censor (`"[REDACTED]"` by default), never
 * removed, so a reader sees that something was there.
 *
 * Hardening (pino's bar): paths naming `__proto__`, `constructor` or `prototype` are refused at
 * configuration; fields are copied (the caller's objects are never changed) with own properties
 * only, through `defineProperty`, so a field named `__proto__` cannot reach a prototype. Plain
 * objects and arrays are copied when the record is made (a later change by the caller cannot
 * bypass redaction); a back-reference becomes `"[Circular]"`, below 32 levels `"[Too deep]"`, an
 * unreadable value its marker (`[Getter threw: …]`) while its siblings are still redacted.
 * Patterns also apply to the error's message and stack (and its causes'); an error's own
 * properties are not reached by paths.
 *
 * @since 0.2.0
 */
import { ConfigError } from "./ConfigError.ts"
import { safeString } from "./internal/safe.ts"
import type { ErrorFrame, Fields, LogRecord } from "./LogRecord.ts"

/**
 * What to redact.
 *
 * @category models
 * @since 0.2.0
 */
export interface RedactionOptions {
  readonly paths?: ReadonlyArray<string> | undefined
  readonly patterns?: ReadonlyArray<RegExp> | undefined
  /** What a redacted value becomes; default `"[REDACTED]"`. */
  readonly censor?: string | undefined
}

/**
 * A compiled redaction: `(record) => record` with the paths and patterns replaced (the same
 * record when nothing matched).
 *
 * @category models
 * @since 0.2.0
 */
export type Redactor = (record: LogRecord) => LogRecord

const forbidden = new Set(["__proto__", "constructor", "prototype"])

/** Splits a path into keys: `a.b`, `a["x.y"]`, `a.*`. */
const parsePath = (path: string): ReadonlyArray<string> => {
  const invalid = (): never => {
    throw new ConfigError({ path: "redact.paths", detail: `invalid path: ${JSON.stringify(path)}` })
  }
  if (typeof path !== "string" || path === "") invalid()
  const keys: Array<string> = []
  let i = 0
  while (i < path.length) {
    if (path[i] === "[") {
      const quote = path[i + 1]
      if (quote !== "\"" && quote !== "'") invalid()
      const end = path.indexOf(`${quote}]`, i + 2)
      if (end < 0) invalid()
      keys.push(path.slice(i + 2, end))
      i = end + 2
    } else {
      let j = i
      while (j < path.length && path[j] !== "." && path[j] !== "[") j++
      if (j === i) invalid()
      keys.push(path.slice(i, j))
      i = j
    }
    if (i < path.length) {
      if (path[i] === ".") {
        i++
        if (i >= path.length) invalid()
      } else if (path[i] !== "[") invalid()
    }
  }
  for (const key of keys) {
    if (forbidden.has(key)) throw new ConfigError({ path: "redact.paths", detail: `a path may not name ${key}: ${path}` })
  }
  return keys
}

const maxDepth = 32

/**
 * Compiles redaction options. Throws `ConfigError` for a bad path or pattern.
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = (options: RedactionOptions): Redactor => {
  const paths = (options.paths ?? []).map(parsePath)
  const patterns = [...(options.patterns ?? [])]
  for (const p of patterns) {
    if (!(p instanceof RegExp)) throw new ConfigError({ path: "redact.patterns", detail: "a pattern must be a RegExp" })
  }
  const censor = options.censor ?? "[REDACTED]"
  const scrub = (text: string): string => {
    let out = text
    for (const p of patterns) out = out.replace(p.global ? p : new RegExp(p.source, `${p.flags}g`), censor)
    return out
  }
  /**
   * `value` with the paths in `active` (each the rest of a path) and the patterns applied. Plain
   * objects and arrays are always copied (a snapshot: the caller changing them after the call
   * cannot bypass redaction); other objects (dates, class instances) are kept as they are.
   */
  const visit = (value: unknown, active: ReadonlyArray<ReadonlyArray<string>>, depth: number, seen: Set<object>): unknown => {
    if (typeof value === "string") return patterns.length === 0 ? value : scrub(value)
    if (typeof value !== "object" || value === null) return value
    if (seen.has(value)) return "[Circular]"
    let isArray: boolean
    let plain: boolean
    try {
      isArray = Array.isArray(value)
      const proto = Object.getPrototypeOf(value)
      plain = isArray || proto === Object.prototype || proto === null
    } catch (thrown) {
      return `[Unreadable: ${safeString(thrown)}]`
    }
    if (!plain) return value
    if (depth > maxDepth) return "[Too deep]"
    seen.add(value)
    try {
      const out: Record<string, unknown> | Array<unknown> = isArray ? [] : {}
      let keys: Array<string>
      try {
        keys = Object.keys(value)
      } catch (thrown) {
        return `[Unreadable: ${safeString(thrown)}]`
      }
      for (const key of keys) {
        const here = active.filter((k) => k[0] === "*" || k[0] === key)
        let next: unknown
        if (here.some((k) => k.length === 1)) next = censor
        else {
          let original: unknown
          try {
            original = (value as Record<string, unknown>)[key]
          } catch (thrown) {
            original = `[Getter threw: ${safeString(thrown)}]`
          }
          next = visit(original, here.map((k) => k.slice(1)), depth + 1, seen)
        }
        Object.defineProperty(out, key, { value: next, enumerable: true, writable: true, configurable: true })
      }
      return out
    } finally {
      seen.delete(value)
    }
  }
  const scrubError = (error: LogRecord["error"]): LogRecord["error"] => {
    if (error === undefined || patterns.length === 0) return error
    // The error's own properties too (`err.card`, a response body): the patterns reach every
    // string in them; the paths do not (they name fields).
    const frame = <F extends ErrorFrame>(f: F): F => ({
      ...f,
      message: scrub(f.message),
      stack: f.stack === undefined ? undefined : scrub(f.stack),
      ...(f.props === undefined ? {} : { props: visit(f.props, [], 0, new Set()) as typeof f.props })
    })
    return { ...frame(error), causes: error.causes.map(frame) }
  }
  return (record) => {
    const visited = record.fields === undefined ? undefined : visit(record.fields, paths, 0, new Set())
    // Fields that cannot be read come back as a string: kept as one field, not spread letter by letter.
    const fields = typeof visited === "string" ? { fieldsError: visited } : visited as Fields | undefined
    const message = patterns.length === 0 ? record.message : scrub(record.message)
    return { ...record, fields, message, error: scrubError(record.error) }
  }
}
