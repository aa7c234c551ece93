/**
 * The error every handler option, builder and policy parser raises for a value it refuses.
 *
 * Its message names the field and the rule, e.g. `capacity must be greater than zero`, so a
 * configuration problem is found without reading code. Fields are the camelCase option names the
 * constructors, builders, `asDict()` and the configuration use alike (`flushInterval`,
 * `maxBytes`, `backupCount`...).
 *
 * @since 0.1.0
 */
import * as Filter from "./Filter.ts"
import { TaggedError } from "./internal/lazyEffect.ts"
import * as Level from "./Level.ts"

/**
 * A refused handler option. `field` names the option; `message` is the full sentence.
 *
 * @category errors
 * @since 0.1.0
 */
export class HandlerConfigError extends TaggedError("HandlerConfigError")<{
  readonly field: string
  readonly detail: string
}> {
  override get message(): string {
    return this.detail
  }
}

/** The largest queue capacity (records); a queue's bookkeeping is allocated up front. */
export const maxCapacity = 16_777_216

/**
 * Checks a queue capacity: an integer from 1 to {@link maxCapacity}, naming `field` otherwise.
 *
 * @category validation
 * @since 0.2.0
 */
export const capacityOf = (field: string, value: unknown): number => {
  const n = positiveInt(field, value)
  if (n > maxCapacity) throw new HandlerConfigError({ field, detail: `${field} must be at most ${maxCapacity} (got ${n})` })
  return n
}

/** The longest delay Node's timers take; a longer one fires after 1 ms (with a `TimeoutOverflowWarning`). */
export const maxTimerMs = 2 ** 31 - 1

/**
 * Checks a duration that becomes a timer: an integer from 1 to {@link maxTimerMs} (about 24.8
 * days), naming `field` otherwise. A longer one would fire at once, not late.
 *
 * @category validation
 * @since 0.2.0
 */
export const timerMs = (field: string, value: unknown): number => {
  const n = positiveInt(field, value)
  if (n > maxTimerMs) {
    throw new HandlerConfigError({ field, detail: `${field} must be at most ${maxTimerMs} ms, Node's longest timer (got ${n})` })
  }
  return n
}

/**
 * Checks that `value` is an integer greater than zero, naming `field` when it is not.
 *
 * @category validation
 * @since 0.1.0
 */
export const positiveInt = (field: string, value: unknown): number => {
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw new HandlerConfigError({
      field,
      detail: typeof value === "number" && Number.isInteger(value)
        ? `${field} must be greater than zero`
        : `${field} must be a positive integer (got ${String(value)})`
    })
  }
  return value
}

/**
 * Checks that `value` is an integer, zero or more, naming `field` when it is not:
 * `backupCount must be a non-negative integer (got -1)`.
 *
 * @category validation
 * @since 0.2.0
 */
export const nonNegativeInt = (field: string, value: unknown): number => {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new HandlerConfigError({ field, detail: `${field} must be a non-negative integer (got ${show(value)})` })
  }
  return value
}

/**
 * Checks that `value` is a boolean: `compress must be true or false (got 1)`.
 *
 * @category validation
 * @since 0.2.0
 */
export const booleanOption = (field: string, value: unknown): boolean => {
  if (typeof value !== "boolean") {
    throw new HandlerConfigError({ field, detail: `${field} must be true or false (got ${show(value)})` })
  }
  return value
}

/**
 * Checks that `value` is one of `valid`: `invalid mode: 'x'. Valid options are: a, w`.
 *
 * @category validation
 * @since 0.2.0
 */
export const oneOf = <const A extends string>(field: string, value: unknown, valid: ReadonlyArray<A>): A => {
  if (typeof value === "string" && (valid as ReadonlyArray<string>).includes(value)) return value as A
  throw new HandlerConfigError({
    field,
    detail: `invalid ${field}: '${show(value)}'. Valid options are: ${valid.join(", ")}`
  })
}

/**
 * Refuses an options value that is not an object, and every key of it that is not in `known`,
 * naming the key and the handler kind: `unknown option 'maxbytes' for FileHandler`. Only the
 * object's own enumerable keys count (a class instance's fields, not its prototype's methods).
 *
 * @category validation
 * @since 0.2.0
 */
export const checkKeys = (kind: string, options: unknown, known: ReadonlySet<string>): void => {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new HandlerConfigError({ field: "options", detail: `options of ${kind} must be an object (got ${show(options)})` })
  }
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new HandlerConfigError({ field: key, detail: `unknown option '${key}' for ${kind}` })
  }
}

/** A value for a message; never throws. @internal */
export const show = (value: unknown): string => {
  try {
    if (Array.isArray(value)) return `[${value.map((v) => (Array.isArray(v) ? "[...]" : show(v))).join(", ")}]`
    return typeof value === "symbol" ? value.toString() : String(value)
  } catch {
    return Object.prototype.toString.call(value)
  }
}

/** A handler's level, checked: a bad one is refused naming `level`. @internal */
export const checkLevel = (value: unknown): Level.LevelInput => {
  try {
    Level.parseThresholdUnsafe(value as Level.LevelInput)
  } catch (error) {
    if (error instanceof Level.InvalidLevelError) throw new HandlerConfigError({ field: "level", detail: error.message })
    throw error
  }
  return value as Level.LevelInput
}

/** One of a handler's filters, checked: a function or an object with a `filter` method. @internal */
export const checkFilter = (filter: unknown): Filter.Filter => {
  if (!Filter.isFilter(filter)) {
    throw new HandlerConfigError({ field: "filters", detail: "a filter must be a function or have a filter method" })
  }
  return filter
}

/** A handler's filters, checked: an array of filters. @internal */
export const checkFilters = (value: unknown): ReadonlyArray<Filter.Filter> => {
  if (!Array.isArray(value)) {
    throw new HandlerConfigError({ field: "filters", detail: `filters must be an array (got ${show(value)})` })
  }
  for (const filter of value) checkFilter(filter)
  return value
}
