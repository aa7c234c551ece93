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
import * as Level from "./Level.ts"
import type { LogRecord } from "./LogRecord.ts"

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
  return record
}

/** Whether a filter's result is a record to go on with (a logger's name, a level, a message). */
const isRecord = (u: object): u is LogRecord => {
  try {
    const r = u as { readonly logger?: unknown; readonly level?: unknown; readonly message?: unknown }
    return typeof r.logger === "string" && Level.isLevel(r.level) && r.message !== undefined && r.message !== null
  } catch {
    return false
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
