/**
 * Redaction: field paths and value patterns replaced before any handler sees a record.
 *
 * Paths are dot-separated keys into a record's fields (`password`, `user.token`,
 * `headers.authorization`), `*` matching any one key or array index at its place
 * (`*.password`, `users.*.ssn`, `req.headers.*`; pino's `users[*].ssn` and `users[0].ssn` too);
 * a key holding a dot or a `*` is written in brackets with quotes (`headers["x-api.key"]`). Patterns are regular expressions replaced in
 * every string value of the fields and in the message (`/\b\d{16}\b/g` for card numbers). The
 * record keeps its shape: a matched value becomes the censor (`"[REDACTED]"` by default), never
 * removed, so a reader sees that something was there.
 *
 * What is redacted is what the formatters write: an object that is not plain is copied as they
 * write it. A class instance (or `Map`, `Set`...) is walked like a plain object, by its own
 * enumerable properties (for the fields object itself, the keys `for...in` lists); an object with
 * `toJSON` (a `Date`, a `URL`) by what its `toJSON` returns; an error in the fields keeps its
 * prototype, and its message, stack, own properties, `cause` and `errors` are redacted (paths
 * reach them by name: `upstream.code`; an error under `err` or `error` is the record's error,
 * whose own properties paths through `err`, `error` or `*` reach: `err.config.headers.authorization`).
 * Binary data (Buffers, typed arrays) is kept as it is. What
 * `String()` gives of such an object, which CPython's `%s` prints, is kept scrubbed by the
 * patterns. The copies write as the originals did, but for a
 * `toJSON` that looks at its key (it is given `""` for a field's value, as the default formatter
 * gives it) and, for the CPython formatter, a plain object with its own `toJSON` (printed as
 * `String()` gives it) and attributes read through a prototype (`{url.href}`).
 *
 * Hardening (pino's bar): paths naming `__proto__`, `constructor` or `prototype` are refused at
 * configuration; fields are copied (the caller's objects are never changed) with own properties
 * only, through `defineProperty`, so a field named `__proto__` cannot reach a prototype. Objects
 * are copied when the record is made (a later change by the caller cannot bypass redaction); a
 * back-reference becomes `"[Circular]"` (one to an enclosing error is to its copy: a cause chain
 * ends where it did), below 32 levels `"[Too deep]"`, an unreadable value its marker
 * (`[Getter threw: …]`, `[toJSON threw: …]`) while its siblings are still redacted. Patterns also
 * apply to the record's error's name, message and stack (and its causes'); paths through `err`,
 * `error` or `*` reach its own properties (not its causes').
 *
 * @since 0.2.0
 */
import { ConfigError } from "./ConfigError.ts"
import { isError, putOwn, safeString } from "./internal/safe.ts"
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
const knownOptions: ReadonlySet<string> = new Set(["paths", "patterns", "censor"])

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
      // pino's (fast-redact's) array forms: `rows[*].token`, `rows[0].token`.
      const index = /^\[(\*|\d+)\]/.exec(path.slice(i))
      if (index !== null) {
        keys.push(index[1]!)
        i += index[0].length
      } else {
        if (quote !== "\"" && quote !== "'") invalid()
        const end = path.indexOf(`${quote}]`, i + 2)
        if (end < 0) invalid()
        keys.push(path.slice(i + 2, end))
        i = end + 2
      }
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
/** Arrays up to this length are copied index by index (see `copyArray`). */
const maxIndexed = 100_000

/** The objects enclosing the one being copied, each with its copy when that is an error's (see `copyError`). */
type Seen = Map<object, object | undefined>

/**
 * An `Error` without the stack trace `new Error()` captures (~5 us; an error's copy gets the
 * original's stack, or none, as a hidden property in its place).
 */
const bareError = (): Error => {
  const limit = Error.stackTraceLimit
  if (typeof limit !== "number" || limit <= 0) return new Error()
  try {
    Error.stackTraceLimit = 0
  } catch {
    // not writable (frozen intrinsics): the trace is captured, and replaced
  }
  try {
    return new Error()
  } finally {
    try {
      Error.stackTraceLimit = limit
    } catch {
      // as above
    }
  }
}

/** Defines `key` on `o` as a hidden (non-enumerable) property: JSON and key listings skip it. */
const hide = (o: object, key: string, value: unknown): void => {
  Object.defineProperty(o, key, { value, writable: true, configurable: true })
}

/**
 * Compiles redaction options (or an array of paths, pino's shorthand). Throws `ConfigError` for
 * a bad path or pattern, a censor that is not a string, or an unknown option (pino's `remove`
 * included: a matched value is always replaced by the censor).
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = (given: RedactionOptions | ReadonlyArray<string>): Redactor => {
  // pino's shorthand: `redact: ["password", "req.headers.authorization"]` is the paths.
  if (Array.isArray(given)) return make({ paths: given as ReadonlyArray<string> })
  const options = given as RedactionOptions
  if (typeof options !== "object" || options === null) {
    throw new ConfigError({ path: "redact", detail: "expected { paths, patterns, censor } or an array of paths" })
  }
  // An option left unread would redact less than its author meant (a typo'd `path`, pino's `remove`).
  for (const key of Object.keys(options)) {
    if (!knownOptions.has(key)) {
      throw new ConfigError({
        path: `redact.${key}`,
        detail: key === "remove"
          ? "not supported: a matched value is replaced by the censor, never removed"
          : `unknown option '${key}' (known: ${[...knownOptions].join(", ")})`
      })
    }
  }
  if (options.paths !== undefined && !Array.isArray(options.paths)) {
    throw new ConfigError({ path: "redact.paths", detail: "expected an array of paths" })
  }
  if (options.patterns !== undefined && !Array.isArray(options.patterns)) {
    throw new ConfigError({ path: "redact.patterns", detail: "expected an array of RegExps" })
  }
  if (options.censor !== undefined && typeof options.censor !== "string") {
    throw new ConfigError({ path: "redact.censor", detail: "the censor must be a string" })
  }
  const paths = (options.paths ?? []).map(parsePath)
  const patterns = [...(options.patterns ?? [])]
  for (const p of patterns) {
    if (!(p instanceof RegExp)) throw new ConfigError({ path: "redact.patterns", detail: "a pattern must be a RegExp" })
  }
  const censor = options.censor ?? "[REDACTED]"
  // Each pattern made global once (replace() then starts from 0 each time), not once a string.
  const everywhere = patterns.map((p) => (p.global ? p : new RegExp(p.source, `${p.flags}g`)))
  // The censor as replace() writes it literally: a `$&` (or `$'`...) in it is not the match.
  const replacement = censor.replaceAll("$", "$$$$")
  const scrub = (text: string): string => {
    let out = text
    for (const p of everywhere) out = out.replace(p, replacement)
    return out
  }
  /** The value at `key` (already read) with the paths in `active` and the patterns applied. */
  const entry = (
    value: unknown,
    key: string,
    active: ReadonlyArray<ReadonlyArray<string>>,
    depth: number,
    seen: Seen
  ): unknown => {
    if (active.length === 0) return visit(value, active, depth + 1, seen, depth === 0 ? "" : key)
    const here = active.filter((k) => k[0] === "*" || k[0] === key)
    if (here.some((k) => k.length === 1)) return censor
    // A field's value is stringified on its own (its toJSON is given ""), a nested one under its key.
    return visit(value, here.map((k) => k.slice(1)), depth + 1, seen, depth === 0 ? "" : key)
  }
  /**
   * Copies `keys` of `value` into `out`, each redacted: defined, never assigned (a `__proto__`
   * key stays data); a getter that throws leaves its marker. `out`, or a marker when the keys
   * cannot be listed.
   */
  const copyKeys = <O extends object>(
    value: object,
    out: O,
    keys: () => ReadonlyArray<string>,
    active: ReadonlyArray<ReadonlyArray<string>>,
    depth: number,
    seen: Seen
  ): O | string => {
    let listed: ReadonlyArray<string>
    try {
      listed = keys()
    } catch (thrown) {
      return `[Unreadable: ${safeString(thrown)}]`
    }
    // Into a plain object, as `putOwn` puts it; into anything else (an error's class may have
    // setters), defined.
    const plain = Object.getPrototypeOf(out) === Object.prototype
    for (const key of listed) {
      let original: unknown
      try {
        original = (value as Record<string, unknown>)[key]
      } catch (thrown) {
        original = `[Getter threw: ${safeString(thrown)}]`
      }
      const next = entry(original, key, active, depth, seen)
      if (plain) putOwn(out as Record<string, unknown>, key, next)
      else Object.defineProperty(out, key, { value: next, enumerable: true, writable: true, configurable: true })
    }
    return out
  }
  /**
   * `value` with the paths in `active` (each the rest of a path) and the patterns applied, as a
   * copy made now (a snapshot: the caller changing its objects after the call cannot bypass
   * redaction). Plain objects and arrays are copied as such; any other object as what the
   * formatters write of it (see {@link snapshot}). `key` is the property it was read from, what
   * `toJSON` is given.
   */
  const visit = (
    value: unknown,
    active: ReadonlyArray<ReadonlyArray<string>>,
    depth: number,
    seen: Seen,
    key: string,
    callToJSON = true
  ): unknown => {
    if (typeof value === "string") return patterns.length === 0 ? value : scrub(value)
    if ((typeof value === "number" || typeof value === "bigint") && patterns.length > 0) {
      // Written as its digits (a card number kept as a number): censored when a pattern matches them.
      const text = String(value)
      const scrubbed = scrub(text)
      return scrubbed === text ? value : scrubbed
    }
    if (typeof value !== "object" || value === null) return value
    // A reference back to an enclosing error is to its copy, so a cause chain ends where it did.
    if (seen.has(value)) return seen.get(value) ?? "[Circular]"
    let isArray: boolean
    let proto: object | null
    try {
      isArray = Array.isArray(value)
      proto = Object.getPrototypeOf(value)
    } catch (thrown) {
      return `[Unreadable: ${safeString(thrown)}]`
    }
    if (depth > maxDepth) return "[Too deep]"
    // Binary data (a Buffer, a typed array, an ArrayBuffer) holds numbers, which no path names and
    // no pattern matches: kept as it is (walking a 1 MiB Buffer's toJSON cost a second a call).
    try {
      if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return value
    } catch {
      // a Proxy: walked below
    }
    seen.set(value, undefined)
    try {
      // Any object, a plain one too, is written as its toJSON gives it, where it has one.
      let toJSON: unknown
      try {
        toJSON = callToJSON ? (value as { readonly toJSON?: unknown }).toJSON : undefined
      } catch (thrown) {
        return `[Getter threw: ${safeString(thrown)}]`
      }
      if (typeof toJSON === "function") {
        let json: unknown
        try {
          json = toJSON.call(value, key)
        } catch (thrown) {
          return `[toJSON threw: ${safeString(thrown)}]`
        }
        // What toJSON returns is written as it is (JSON does not call its toJSON in turn); an
        // object returning itself is written by its properties.
        if (json !== value) return rendered(visit(json, active, depth, seen, key, false), scrub(safeString(value)))
      }
      if (isArray) {
        const array = value as ReadonlyArray<unknown>
        // A longer one may be sparse (`[]` with a length of 2^32 - 1): only its keys are walked.
        return array.length <= maxIndexed
          ? copyArray(array, active, depth, seen)
          : copyKeys(value, [], () => Object.keys(value), active, depth, seen)
      }
      if (proto === Object.prototype || proto === null) return copyKeys(value, {}, () => Object.keys(value), active, depth, seen)
      return snapshot(value, proto, active, depth, seen)
    } catch (thrown) {
      // A Proxy whose traps throw where the formatters would have written a marker too.
      return `[Unreadable: ${safeString(thrown)}]`
    } finally {
      seen.delete(value)
    }
  }
  /**
   * An array, copied index by index as JSON (and so every formatter) writes it: holes stay holes,
   * other own properties are left out (JSON writes none). A plain value with no path left to match
   * is taken as it is, without the key listing and the property definition per element that
   * {@link copyKeys} costs (a 100,000-number array: ~125 ms a call before).
   */
  const copyArray = (
    value: ReadonlyArray<unknown>,
    active: ReadonlyArray<ReadonlyArray<string>>,
    depth: number,
    seen: Seen
  ): Array<unknown> => {
    const n = value.length
    const out = new Array<unknown>(n)
    for (let i = 0; i < n; i++) {
      let original: unknown
      try {
        if (!(i in value)) continue
        original = value[i]
      } catch (thrown) {
        original = `[Getter threw: ${safeString(thrown)}]`
      }
      out[i] = active.length === 0 && typeof original !== "object"
        ? (typeof original === "string" && patterns.length > 0 ? scrub(original) : original)
        : entry(original, String(i), active, depth, seen)
    }
    return out
  }
  /**
   * An object that is neither plain nor an array, as a copy that every formatter writes as it
   * wrote the original, redacted. The formatters write such an object as `JSON.stringify` does
   * (its `toJSON`'s result, else its own enumerable properties), an error as its message, stack,
   * own properties and causes, and CPython's `%s` as `String()` gives it. So: an error becomes
   * an error copy ({@link copyError}); an object with `toJSON` a plain object whose `toJSON`
   * returns the redacted result; a boxed string its scrubbed text; anything else (class
   * instances, `Map`, `Set`) a plain object of its own enumerable properties, redacted. All but
   * errors carry, as a hidden `toString`, the original's `String()` scrubbed by the patterns
   * (paths name properties, not text). Boxed numbers and booleans, which hold no text, are kept.
   */
  const snapshot = (
    value: object,
    proto: object,
    active: ReadonlyArray<ReadonlyArray<string>>,
    depth: number,
    seen: Seen
  ): unknown => {
    if (isError(value)) return copyError(value, proto, active, depth, seen)
    if (value instanceof Number || value instanceof Boolean || value instanceof BigInt) return value
    const text = scrub(safeString(value))
    if (value instanceof String) return rendered(text, text)
    const out = copyKeys(value, {}, () => Object.keys(value), active, depth, seen)
    if (typeof out === "string") return out
    if (!Object.hasOwn(out, "toString")) hide(out, "toString", () => text)
    return out
  }
  /** A plain object that JSON writes as `json` and `String()` as `text`. */
  const rendered = (json: unknown, text: string): object => {
    const out = {}
    hide(out, "toJSON", () => json)
    hide(out, "toString", () => text)
    return out
  }
  /**
   * A copy of an error in the fields: an `Error` (so it is one to `isError`, of any realm) with
   * the original's prototype, its own enumerable properties redacted, and its `name`, `message`
   * and `stack`, its `cause` and an `AggregateError`'s `errors` redacted as hidden properties,
   * as the original holds them. Paths reach them by name like any key (`err.code`,
   * `err.message`).
   */
  const copyError = (
    error: Error,
    proto: object,
    active: ReadonlyArray<ReadonlyArray<string>>,
    depth: number,
    seen: Seen
  ): unknown => {
    const out = bareError()
    Object.setPrototypeOf(out, proto)
    seen.set(error, out)
    const copied = copyKeys(error, out, () => Object.keys(error), active, depth, seen)
    if (typeof copied === "string") return copied
    for (const key of ["name", "message", "stack", "cause", "errors"]) {
      if (Object.prototype.propertyIsEnumerable.call(out, key)) continue
      let original: unknown
      try {
        if (key !== "name" && key !== "message" && !Object.hasOwn(error, key)) {
          if (key === "stack") hide(out, key, undefined)
          continue
        }
        original = (error as unknown as Record<string, unknown>)[key]
      } catch (thrown) {
        // As the formatters read them: no stack, else the marker.
        original = key === "stack" ? undefined : `[Getter threw: ${safeString(thrown)}]`
      }
      hide(out, key, entry(original, key, active, depth, seen))
    }
    return out
  }
  /**
   * The record's fields. The formatters list them with `for...in`, so an object that is not
   * plain (a class instance, a URL given as the fields) is read by the keys that lists,
   * inherited ones too (a URL's `href`), into a plain object.
   */
  const visitFields = (fields: Fields): unknown => {
    let proto: object | null
    try {
      proto = Object.getPrototypeOf(fields)
    } catch (thrown) {
      return `[Unreadable: ${safeString(thrown)}]`
    }
    // The fields object itself is never written by its toJSON: each field is.
    if (proto === Object.prototype || proto === null) return visit(fields, paths, 0, new Map(), "", false)
    const seen: Seen = new Map([[fields, undefined]])
    return copyKeys(fields, {}, () => {
      const keys: Array<string> = []
      for (const key in fields) keys.push(key)
      return keys
    }, paths, 0, seen)
  }
  // The record's error was logged under `err` or `error` (pino's `{ err }`, `error(err, msg)`):
  // paths through those keys (or `*`) reach its own properties, as pino's reach its serialized
  // `err` (`err.config.headers.authorization`, an HTTP client's request).
  const errorPaths = paths.filter((k) => k.length > 1 && (k[0] === "*" || k[0] === "err" || k[0] === "error")).map((k) =>
    k.slice(1)
  )
  const scrubError = (error: LogRecord["error"]): LogRecord["error"] => {
    if (error === undefined || (patterns.length === 0 && errorPaths.length === 0)) return error
    // The error's own properties too (`err.card`, a response body, a `name` it was given): the
    // patterns reach every string in them.
    const frame = <F extends ErrorFrame>(f: F, active: ReadonlyArray<ReadonlyArray<string>>): F => ({
      ...f,
      name: scrub(f.name),
      message: scrub(f.message),
      stack: f.stack === undefined ? undefined : scrub(f.stack),
      ...(f.props === undefined ? {} : { props: visit(f.props, active, 0, new Map(), "") as typeof f.props })
    })
    return { ...frame(error, errorPaths), causes: error.causes.map((cause) => frame(cause, [])) }
  }
  return (record) => {
    const visited = record.fields === undefined ? undefined : visitFields(record.fields)
    // Fields that cannot be read come back as a string: kept as one field, not spread letter by letter.
    const fields = typeof visited === "string" ? { fieldsError: visited } : visited as Fields | undefined
    const message = patterns.length === 0 ? record.message : scrub(record.message)
    return { ...record, fields, message, error: scrubError(record.error) }
  }
}
