/**
 * A log record: what a logger builds for every accepted call, and what queues carry to handlers.
 *
 * A record holds enough to fill the socket map of the seed (`logger, level, message, timestamp_ns,
 * filename, line_number, module_path, thread_id, thread_name, key_values`) plus the fiber that
 * logged it and error details. Records are immutable once built.
 *
 * @since 0.1.0
 */
import * as WorkerThreads from "node:worker_threads"
import { functionTag, isError, read, safeString } from "./internal/safe.ts"
import type { Level } from "./Level.ts"

/**
 * One error of a chain: its name, message and stack text, and its own enumerable properties.
 *
 * **Details**
 *
 * `props` holds the error's own enumerable properties other than `name`, `message`, `stack` and
 * `cause` (for an `AggregateError`, `errors` too), in the error's own key order: the `errno`,
 * `code`, `syscall`, `path` of a Node.js system error, an HTTP client's `statusCode`. It is
 * absent when there are none. It is copied when the record is made, as plain data that
 * `structuredClone` and `postMessage` accept:
 *
 * - strings, booleans, numbers (`NaN` and `Infinity` included), `null` and `undefined` are kept;
 * - a bigint is kept as a bigint (the JSON formatter writes it as a decimal string);
 * - a function becomes the string `"[Function name]"` (never its source), a symbol the string
 *   `"Symbol(description)"`;
 * - an error becomes `{ name, message, ...its own properties }`; an object with `toJSON` (a
 *   `Date`, a `Buffer`) becomes what `toJSON` returns; other objects and arrays become plain
 *   copies of their own enumerable properties, as `JSON.stringify` sees them;
 * - what cannot be copied becomes a marker string: `"[Circular]"` for a reference back to an
 *   enclosing object, `"[Getter threw: <error>]"` for a property whose getter (or `Proxy` trap)
 *   throws, `"[toJSON threw: <error>]"`, `"[Unreadable: <error>]"` for an object that cannot be
 *   read at all, `"[Too deep]"` for an object more than 5 levels deep (the property's own
 *   value being level 1), and `"[Truncated]"` once 500 values have been copied for one error
 *   (under the key `"…"` in an object, as the last element of an array).
 *
 * A thrown value that is not an error keeps all its own enumerable properties in `props`, with
 * `name` its `typeof` and `message` its string form (`"[Function name]"` for a function).
 *
 * @category models
 * @since 0.1.0
 */
export interface ErrorFrame {
  readonly name: string
  readonly message: string
  readonly stack: string | undefined
  readonly props?: Readonly<Record<string, unknown>> | undefined
}

/**
 * An error as data: the error itself first, then each `cause` it carries (and, for an
 * `AggregateError`, its members after it), so the record can cross threads and sockets.
 *
 * @category models
 * @since 0.1.0
 */
export interface ErrorInfo extends ErrorFrame {
  readonly causes: ReadonlyArray<ErrorFrame>
}

/**
 * Structured fields attached to a record.
 *
 * @category models
 * @since 0.1.0
 */
export type Fields = Readonly<Record<string, unknown>>

/**
 * A log record.
 *
 * **Details**
 *
 * `timestampNs` is nanoseconds since the Unix epoch as a `number`. A float64 holds today's
 * nanosecond timestamps to within 256 ns, which is finer than the microsecond clock it is read
 * from; use {@link timestampNsBigInt} where an exact integer is needed (the socket frame).
 * `threadId` is the `worker_threads` id (0 on the main thread); `fiberId` is the Effect fiber
 * that logged the record, when one did.
 *
 * @category models
 * @since 0.1.0
 */
export interface LogRecord {
  readonly logger: string
  readonly level: Level
  readonly message: string
  readonly timestampNs: number
  readonly threadId: number
  readonly threadName: string
  readonly fiberId: number | undefined
  readonly fields: Fields | undefined
  readonly error: ErrorInfo | undefined
  readonly filename: string | undefined
  readonly lineNumber: number | undefined
  readonly modulePath: string | undefined
  /** The calling function, when caller location was captured (see `Formatter.needsCaller`). */
  readonly functionName?: string | undefined
}

/**
 * What {@link make} needs; everything but the name, level and message is optional.
 *
 * @category models
 * @since 0.1.0
 */
export interface LogRecordInput {
  readonly logger: string
  readonly level: Level
  readonly message: string
  readonly timestampNs?: number | undefined
  /** Defaults to the current thread; set it to rebuild a record made elsewhere (a receiver). */
  readonly threadId?: number | undefined
  readonly threadName?: string | undefined
  readonly fiberId?: number | undefined
  readonly fields?: Fields | undefined
  readonly error?: unknown
  readonly filename?: string | undefined
  readonly lineNumber?: number | undefined
  readonly modulePath?: string | undefined
  readonly functionName?: string | undefined
}

// A worker's `name` (Node >= 22.19 gives it as `threadName`), else `worker-<threadId>`.
const currentThreadId = WorkerThreads.threadId
const threadName = WorkerThreads.isMainThread
  ? "main"
  : (WorkerThreads as { readonly threadName?: string | undefined }).threadName || `worker-${currentThreadId}`
// The wall clock at the monotonic clock's zero, in milliseconds. The monotonic clock gives the
// sub-millisecond part; the wall clock, read again after each millisecond, decides: a record's time
// stays within a few milliseconds of `Date.now()` after NTP steps or slews it, or the machine sleeps
// (the monotonic clock stops then). Reading `Date.now()` for every record would cost ~40 ns.
let wallAtZeroMs = performance.timeOrigin
let checkedAt = 0

/**
 * The current time in nanoseconds since the Unix epoch (microsecond resolution), on the wall
 * clock that `Date.now()` reads.
 *
 * @category constructors
 * @since 0.1.0
 */
export const nowNs = (): number => {
  const monotonic = performance.now()
  let ms = wallAtZeroMs + monotonic
  if (monotonic - checkedAt >= 1) {
    checkedAt = monotonic
    const wall = Date.now()
    // `Date.now()` is whole milliseconds: the true time is in [wall, wall + 1). Re-anchored, a
    // record's time is that interval's middle; times go back (by at most ~2.5 ms) only when the
    // wall clock itself was set back or slowed.
    if (ms < wall - 1 || ms >= wall + 2) {
      wallAtZeroMs = wall + 0.5 - monotonic
      ms = wall + 0.5
    }
  }
  return ms * 1e6
}

/**
 * Builds a record, stamping the time and thread and turning an `error` into {@link ErrorInfo}.
 *
 * **Details**
 *
 * Never throws: the error is read by {@link errorInfo}, which survives anything; the fields are
 * kept as given (not copied), so a formatter reads them when it formats the record.
 *
 * **Example** (A record)
 *
 * ```ts
 * import { LogRecord } from "femtologging"
 * LogRecord.make({ logger: "app", level: "INFO", message: "hi" }).threadName // => "main"
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (input: LogRecordInput): LogRecord => {
  // One object literal of a fixed shape, no spread: a record is built per log call.
  const record: { -readonly [K in keyof LogRecord]: LogRecord[K] } = {
    logger: input.logger,
    level: input.level,
    message: input.message,
    timestampNs: input.timestampNs ?? nowNs(),
    threadId: input.threadId ?? currentThreadId,
    threadName: input.threadName ?? threadName,
    fiberId: input.fiberId,
    fields: input.fields,
    error: input.error === undefined ? undefined : errorInfo(input.error),
    filename: input.filename,
    lineNumber: input.lineNumber,
    modulePath: input.modulePath
  }
  // Only with caller information (a formatter that prints it), which costs far more anyway.
  if (input.functionName !== undefined) record.functionName = input.functionName
  return record
}

/**
 * The record's timestamp as an exact integer of nanoseconds.
 *
 * @category getters
 * @since 0.1.0
 */
export const timestampNsBigInt = (record: LogRecord): bigint => BigInt(Math.round(record.timestampNs))

/**
 * The record's timestamp in milliseconds since the epoch, as `Date` and `Date.now()` use.
 *
 * @category getters
 * @since 0.1.0
 */
export const timestampMs = (record: LogRecord): number => msOfNs(record.timestampNs)

/**
 * Nanoseconds since the epoch as milliseconds, rounded to the microsecond: a float64 holds
 * today's nanoseconds to within 256 ns, so a whole millisecond (`ms * 1e6`, as Effect's
 * `TestClock` makes) can be stored a little below it, and its millisecond would print one short.
 *
 * @category getters
 * @since 0.2.0
 */
export const msOfNs = (timestampNs: number): number => Math.round(timestampNs / 1e3) / 1e3

/** `o[key]` as a string (the marker when reading it throws). */
const readText = (o: unknown, key: PropertyKey): string => {
  const value = read(o, key)
  return typeof value === "string" ? value : safeString(value)
}


const isArray = (u: unknown): u is ReadonlyArray<unknown> => {
  try {
    return Array.isArray(u)
  } catch {
    return false
  }
}

const isAggregate = (u: unknown): u is AggregateError => {
  try {
    return u instanceof AggregateError
  } catch {
    return false
  }
}

/** Sets `out[key]`, as an own property even for `"__proto__"`. */
const put = (out: Record<string, unknown>, key: string, value: unknown): void => {
  if (key === "__proto__") {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  } else out[key] = value
}

/** Levels of objects copied for a property of an error (its value is level 1); deeper: `"[Too deep]"`. */
const maxPropsDepth = 5
/** Values copied for the properties of one error; the rest become `"[Truncated]"`. */
const maxPropsValues = 500
/** Frames kept in `causes`; the chain is cut after them (with a last `Truncated` frame). */
const maxCauses = 100

interface Budget {
  left: number
}

const truncated = "[Truncated]"

/** Copies a property value of an error as plain, cloneable data (see {@link ErrorFrame}). */
const copy = (value: unknown, key: string, ancestors: Array<object>, budget: Budget, callToJSON = true): unknown => {
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
    case "undefined":
    case "bigint":
      return value
    case "symbol":
      return value.toString()
    case "function":
      return functionTag(value)
  }
  if (value === null) return null
  const o = value as object
  if (ancestors.includes(o)) return "[Circular]"
  if (ancestors.length > maxPropsDepth) return "[Too deep]"
  ancestors.push(o)
  try {
    if (isError(o)) {
      const out: Record<string, unknown> = { name: readText(o, "name"), message: readText(o, "message") }
      copyProps(o, out, errorKeys(o), ancestors, budget)
      return out
    }
    const toJSON = callToJSON ? read(o, "toJSON") : undefined
    if (typeof toJSON === "function") {
      let json: unknown
      try {
        json = toJSON.call(o, key)
      } catch (thrown) {
        return `[toJSON threw: ${safeString(thrown)}]`
      }
      // What toJSON returns is taken as it is, as JSON does (its own toJSON is not called).
      if (json !== o) return copy(json, key, ancestors, budget, false)
    }
    return copyContainer(o, ancestors, budget)
  } catch (thrown) {
    return `[Unreadable: ${safeString(thrown)}]`
  } finally {
    ancestors.pop()
  }
}

const copyContainer = (o: object, ancestors: Array<object>, budget: Budget): unknown => {
  if (Array.isArray(o)) {
    const out: Array<unknown> = []
    const length = o.length
    for (let i = 0; i < length; i++) {
      if (budget.left-- <= 0) {
        out.push(truncated)
        break
      }
      out.push(copy(read(o, i), String(i), ancestors, budget))
    }
    return out
  }
  const out: Record<string, unknown> = {}
  copyProps(o, out, noKeys, ancestors, budget)
  return out
}

const noKeys: ReadonlySet<string> = new Set()
const errorOwnKeys: ReadonlySet<string> = new Set(["name", "message", "stack", "cause"])
const aggregateOwnKeys: ReadonlySet<string> = new Set(["name", "message", "stack", "cause", "errors"])
const errorKeys = (u: object): ReadonlySet<string> => isAggregate(u) ? aggregateOwnKeys : errorOwnKeys

/** Copies `o`'s own enumerable properties but `skip` into `out`; the number copied. */
const copyProps = (
  o: object,
  out: Record<string, unknown>,
  skip: ReadonlySet<string>,
  ancestors: Array<object>,
  budget: Budget
): number => {
  const keys = Object.keys(o)
  let n = 0
  for (const key of keys) {
    if (skip.has(key)) continue
    if (budget.left-- <= 0) {
      put(out, "…", truncated)
      return n + 1
    }
    put(out, key, copy(read(o, key), key, ancestors, budget))
    n++
  }
  return n
}

/** The own properties of a thrown value, as {@link ErrorFrame} describes, or `undefined`. */
const ownProps = (u: unknown, skip: ReadonlySet<string>): Record<string, unknown> | undefined => {
  if ((typeof u !== "object" && typeof u !== "function") || u === null) return undefined
  const out: Record<string, unknown> = {}
  try {
    return copyProps(u, out, skip, [u], { left: maxPropsValues }) > 0 ? out : undefined
  } catch (thrown) {
    // The keys cannot be listed (a Proxy whose ownKeys trap throws).
    put(out, "…", `[Unreadable: ${safeString(thrown)}]`)
    return out
  }
}

const withProps = (
  name: string,
  message: string,
  stack: string | undefined,
  props: Record<string, unknown> | undefined
): ErrorFrame => props === undefined ? { name, message, stack } : { name, message, stack, props }

/** One frame, read without ever throwing. */
const frame = (u: unknown): ErrorFrame => {
  if (isError(u)) {
    let stack: unknown
    try {
      stack = u.stack
    } catch {
      // Formatting the stack can throw (Node's formatter reads `name` and `message`): no stack.
      stack = undefined
    }
    return withProps(
      readText(u, "name"),
      readText(u, "message"),
      typeof stack === "string" ? stack : undefined,
      ownProps(u, errorKeys(u))
    )
  }
  return withProps(
    typeof u,
    typeof u === "function" ? functionTag(u) : safeString(u),
    undefined,
    ownProps(u, noKeys)
  )
}

/**
 * Turns any thrown value into {@link ErrorInfo}, following `cause` links and `AggregateError`
 * members (each error visited once, so cycles end).
 *
 * **Details**
 *
 * Never throws, whatever the value: a getter (or `Proxy` trap) that throws gives the marker
 * `[Getter threw: <error>]` in its place (for `stack`, no stack), a cause that is not an error
 * becomes a frame named by its `typeof`, and the error's own properties are copied as
 * {@link ErrorFrame} describes. At most 100 causes are kept; a longer chain ends with a frame
 * named `Truncated`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const errorInfo = (error: unknown): ErrorInfo => {
  try {
    const seen = new Set<unknown>([error])
    const causes: Array<ErrorFrame> = []
    let cut = false
    const add = (u: unknown): void => {
      if (seen.has(u)) return
      if (causes.length >= maxCauses) {
        cut = true
        return
      }
      seen.add(u)
      causes.push(frame(u))
      visit(u)
    }
    const visit = (u: unknown): void => {
      if (isAggregate(u)) {
        const members = read(u, "errors")
        const length = isArray(members) ? read(members, "length") : 0
        if (typeof length === "number") for (let i = 0; i < length && !cut; i++) add(read(members, i))
      }
      if (isError(u)) {
        const cause = read(u, "cause")
        if (cause !== undefined) add(cause)
      }
    }
    visit(error)
    if (cut) {
      const message = `more than ${maxCauses} causes; the rest are left out`
      causes.push({ name: "Truncated", message, stack: undefined })
    }
    return { ...frame(error), causes }
  } catch (thrown) {
    // Not expected (every read above is guarded); a stack overflow, say.
    return { name: "Error", message: `[error could not be read: ${safeString(thrown)}]`, stack: undefined, causes: [] }
  }
}
