/**
 * Filters decide, per record, whether it goes on, as CPython's logging filters do.
 *
 * A filter is a function of the record, or an object with a `filter` method (CPython's
 * `logging.Filter` shape). It returns `true` to let the record through, `false` to stop it, or a
 * record to let that one through instead (CPython 3.12: a filter may return a modified record,
 * e.g. with a field added; build it with `LogRecord.make` or spread the original).
 *
 * Where they apply, as in CPython:
 * - on a logger (`logger.addFilter`): to records logged on that logger itself, before they are
 *   handed to any handler; records propagated from a child logger do not pass through them;
 * - on a handler (the `filters` option, `handler.addFilter`): to every record reaching that
 *   handler, on the caller's thread, before its queue. A record one handler refuses still reaches
 *   the others.
 *
 * A filter that throws stops the record (at a handler, it counts as dropped there) and the
 * error is reported on stderr, rate-limited; the log call itself never throws.
 *
 * @since 0.2.0
 */
import { isError } from "./internal/safe.ts"
import * as Level from "./Level.ts"
import { type ErrorInfo, errorInfo, type LogRecord } from "./LogRecord.ts"

/**
 * What a filter returns: `true` (go on), `false` (stop), or the record to use instead.
 *
 * @category models
 * @since 0.2.0
 */
export type FilterResult = boolean | LogRecord

/**
 * A filter: a function of the record, or an object with a `filter` method.
 *
 * @category models
 * @since 0.2.0
 */
export type Filter = ((record: LogRecord) => FilterResult) | { readonly filter: (record: LogRecord) => FilterResult }

/**
 * Lets through records whose level is within `min` and `max` (both inclusive, both optional).
 * Throws `InvalidLevelError` for a bad level.
 *
 * **Example** (Only warnings, not errors)
 *
 * ```ts
 * import { Filter } from "femtologging"
 * const onlyWarnings = Filter.level({ min: "WARN", max: "WARN" })
 * ```
 *
 * @category constructors
 * @since 0.2.0
 */
export const level = (options: { readonly min?: Level.LevelInput; readonly max?: Level.LevelInput }): Filter => {
  const min = options.min === undefined ? 0 : Level.ordinal(Level.parseUnsafe(options.min))
  const max = options.max === undefined ? Number.POSITIVE_INFINITY : Level.ordinal(Level.parseUnsafe(options.max))
  return (record) => {
    const n = Level.ordinal(record.level)
    return n >= min && n <= max
  }
}

/**
 * Lets through records of the logger `prefix` and its descendants, as CPython's
 * `logging.Filter(name)`: `"a.b"` passes `a.b` and `a.b.c`, not `a.bc`; `""` passes everything.
 *
 * @category constructors
 * @since 0.2.0
 */
export const name = (prefix: string): Filter => {
  const below = `${prefix}.`
  return (record) => prefix === "" || record.logger === prefix || record.logger.startsWith(below)
}

/**
 * Runs `filters` in order: the record to go on with (the last one a filter returned), or
 * `undefined` when one stopped it or threw (then `onError` is called with what it threw).
 * Never throws.
 *
 * @category combinators
 * @since 0.2.0
 */
export const apply = (
  filters: ReadonlyArray<Filter>,
  record: LogRecord,
  onError: (error: unknown) => void
): LogRecord | undefined => {
  for (let i = 0; i < filters.length; i++) {
    const filter = filters[i]!
    let result: FilterResult
    try {
      result = typeof filter === "function" ? filter(record) : filter.filter(record)
    } catch (error) {
      onError(error)
      return undefined
    }
    if (result === false) return undefined
    if (result !== true) {
      if (typeof result !== "object" || result === null) {
        if (!result) return undefined // CPython: any false value stops the record
        continue
      }
      // CPython replaces the record only with a LogRecord; any other object is a true value (an
      // async filter's promise, `{ ok: true }`) and lets the record through as it is.
      if (isRecord(result)) record = result
    }
  }
  return sound(record)
}

/** Whether a filter's result is a record to go on with (a logger's name and a level). */
const isRecord = (u: object): u is LogRecord => {
  try {
    return typeof (u as LogRecord).logger === "string" && Level.isLevel((u as LogRecord).level)
  } catch {
    return false
  }
}

/**
 * The record as filters left it (returned, or changed in place, as CPython's filters change
 * `record.exc_info`), with what a record cannot hold read as a log call's would be: an error
 * given as an `Error` (or any other value) as its `ErrorInfo`, `null` as none; a `null` or
 * `undefined` message as its text.
 */
const sound = (record: LogRecord): LogRecord => {
  try {
    const error: unknown = record.error
    const message: unknown = record.message
    if ((error === undefined || isErrorInfo(error)) && message !== undefined && message !== null) return record
    return {
      ...record,
      message: message === undefined || message === null ? String(message) : record.message,
      error: error === undefined || error === null ? undefined : isErrorInfo(error) ? record.error : errorInfo(error)
    }
  } catch {
    return record
  }
}

const isErrorInfo = (u: unknown): boolean => {
  try {
    return typeof u === "object" && u !== null && !isError(u) && typeof (u as ErrorInfo).message === "string" &&
      Array.isArray((u as ErrorInfo).causes)
  } catch {
    return false // a getter that throws: read as any other value, by errorInfo
  }
}

/**
 * Whether `u` can be used as a filter.
 *
 * @category guards
 * @since 0.2.0
 */
export const isFilter = (u: unknown): u is Filter =>
  typeof u === "function" ||
  (typeof u === "object" && u !== null && typeof (u as { readonly filter?: unknown }).filter === "function")
