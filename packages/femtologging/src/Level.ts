/**
 * Severity levels, ordered TRACE < DEBUG < INFO < WARN < ERROR < CRITICAL.
 *
 * A level is its canonical upper-case name (`"WARN"`, never `"WARNING"`). Parsing is
 * case-insensitive and accepts `WARNING` as an alias of `WARN`; anything else fails with
 * {@link InvalidLevelError}. Levels map to and from Effect's `LogLevel`.
 *
 * @since 0.1.0
 */
import { Effect, TaggedError } from "./internal/lazyEffect.ts"
import type * as LogLevel from "effect/LogLevel"

/**
 * The six levels in ascending order of severity.
 *
 * @category constants
 * @since 0.1.0
 */
export const levels = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL"] as const

/**
 * A canonical level name.
 *
 * @category models
 * @since 0.1.0
 */
export type Level = typeof levels[number]

/**
 * Anything {@link parse} accepts: a level, `"WARNING"` and `"FATAL"` (aliases of `WARN` and
 * `CRITICAL`), any casing of these, or CPython's number of a level (5 for TRACE, 10, 20, 30, 40,
 * 50). Where a threshold is set (a logger's or a handler's level), `"NOTSET"` or 0 too.
 *
 * @category models
 * @since 0.1.0
 */
export type LevelInput =
  | Level
  | "WARNING"
  | "FATAL"
  | "NOTSET"
  | Lowercase<Level | "WARNING" | "FATAL" | "NOTSET">
  | number
  | (string & {})

/**
 * Raised when a string names no level. Its message is `invalid log level: <name>`.
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidLevelError extends TaggedError("InvalidLevelError")<{
  readonly level: string
}> {
  override get message(): string {
    return `invalid log level: ${this.level}`
  }
}

const ordinals: Record<Level, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, CRITICAL: 5 }

const lookup: Record<string, Level> = {
  TRACE: "TRACE",
  DEBUG: "DEBUG",
  INFO: "INFO",
  WARN: "WARN",
  WARNING: "WARN",
  ERROR: "ERROR",
  CRITICAL: "CRITICAL",
  FATAL: "CRITICAL"
}

const byNumber: Record<number, Level> = { 5: "TRACE", 10: "DEBUG", 20: "INFO", 30: "WARN", 40: "ERROR", 50: "CRITICAL" }
const numbers: Record<Level, number> = { TRACE: 5, DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40, CRITICAL: 50 }
const pythonNames: Record<Level, string> = {
  TRACE: "TRACE",
  DEBUG: "DEBUG",
  INFO: "INFO",
  WARN: "WARNING",
  ERROR: "ERROR",
  CRITICAL: "CRITICAL"
}

/**
 * CPython's number of a level: 5 (TRACE), 10, 20, 30, 40, 50 (`%(levelno)d`).
 *
 * @category conversions
 * @since 0.2.0
 */
export const toNumber = (level: Level): number => numbers[level]

/**
 * CPython's name of a level (`%(levelname)s`): `WARNING` for WARN, the others as they are.
 *
 * @category conversions
 * @since 0.2.0
 */
export const pythonName = (level: Level): string => pythonNames[level]

/**
 * The position of a level, 0 for TRACE to 5 for CRITICAL (femtologging's `levelno`).
 *
 * **Example** (Ordering)
 *
 * ```ts
 * import { Level } from "femtologging"
 * Level.ordinal("WARN") // => 3
 * ```
 *
 * @category getters
 * @since 0.1.0
 */
export const ordinal = (level: Level): number => ordinals[level]

/**
 * Whether a string is a canonical level name.
 *
 * @category guards
 * @since 0.1.0
 */
export const isLevel = (u: unknown): u is Level => typeof u === "string" && Object.hasOwn(ordinals, u)

/**
 * Parses a level name, case-insensitively, throwing {@link InvalidLevelError} when it names none.
 *
 * **Example** (Aliases and case)
 *
 * ```ts
 * import { Level } from "femtologging"
 * Level.parseUnsafe("warning") // => "WARN"
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const parseUnsafe = (name: LevelInput): Level => {
  if (typeof name === "string" && name.length <= maxNameLength) {
    const upper = name.toUpperCase()
    if (Object.hasOwn(lookup, upper)) return lookup[upper]!
  } else if (typeof name === "number" && Object.hasOwn(byNumber, name)) return byNumber[name]!
  throw new InvalidLevelError({ level: safeName(name) })
}

/**
 * Parses a threshold (a logger's or a handler's level): a level as {@link parseUnsafe} takes it,
 * or `"NOTSET"` (any case) or 0, returned as `undefined`: on a logger other than root, inherit
 * the parent's level; on root or a handler, let everything through. An integer between the
 * standard numbers up to 50 (a CPython custom level, `setLevel(25)`) is the standard level at or
 * above it.
 *
 * @category constructors
 * @since 0.2.0
 */
export const parseThresholdUnsafe = (name: LevelInput): Level | undefined => {
  if (isNotSet(name)) return undefined
  // A CPython custom level as a threshold lets through what it lets through there: the standard
  // level at or above it (25 lets WARN through, not INFO).
  if (isCustomNumber(name) && name < 50) return atOrAbove(name)
  return parseUnsafe(name)
}

/** `"NOTSET"` (any case) or 0: no threshold. */
const isNotSet = (level: LevelInput): boolean =>
  level === 0 || (typeof level === "string" && level.toUpperCase() === "NOTSET")

/**
 * The ordinal of the highest level CPython's `logging.disable(level)` turns off: -1 for `NOTSET`
 * (or 0: none), a level's own, for a number between the standard ones the highest standard level
 * below it, and CRITICAL's above 50. Throws {@link InvalidLevelError}.
 *
 * @internal
 */
export const disabledThroughUnsafe = (level: LevelInput): number => {
  if (isNotSet(level)) return -1
  if (isCustomNumber(level)) return levels.findLastIndex((l) => numbers[l] <= level)
  return ordinals[parseUnsafe(level)]
}

/**
 * Parses the level of a log call: a level as {@link parseUnsafe} takes it, or any other integer
 * from 0 up, as CPython's custom levels are (`log(25, ...)`): the standard level at or above it,
 * as a threshold's (see {@link parseThresholdUnsafe}), so that a custom level used for both passes
 * its own threshold (a `NOTICE = 25` record passes `setLevel(25)`, as in CPython); above 50 it is
 * CRITICAL. Such a record may pass a threshold CPython's would not stop it at (25 passes WARN):
 * shown rather than lost. Throws {@link InvalidLevelError} otherwise.
 *
 * @category constructors
 * @since 0.3.0
 */
export const parseRecordUnsafe = (name: LevelInput): Level => {
  if (isCustomNumber(name)) return atOrAbove(name)
  return parseUnsafe(name)
}

/** A CPython custom level: an integer from 0 up other than the standard levels' numbers. */
const isCustomNumber = (u: unknown): u is number =>
  typeof u === "number" && Number.isInteger(u) && u >= 0 && !Object.hasOwn(byNumber, u)

/** The standard level at or above a custom level's number (CRITICAL above 50). */
const atOrAbove = (n: number): Level => levels.find((l) => numbers[l] >= n) ?? "CRITICAL"

/** How long a refused level's text may be in the error's message (and a drop report's). */
const maxNameLength = 100

const clip = (s: string): string =>
  s.length > maxNameLength ? `${s.slice(0, maxNameLength)}... (${s.length} characters)` : s

/**
 * A refused level as the error's message names it: a primitive's text (at most 100 characters),
 * an object's or a function's type tag (`[object Array]`): never `String()` of an object, which
 * may throw (a Proxy), print a function's source, or take seconds (a sparse array's commas).
 */
const safeName = (u: unknown): string => {
  if (typeof u === "string") return clip(u)
  try {
    if (typeof u === "symbol") return clip(u.toString())
    if (u === null || (typeof u !== "object" && typeof u !== "function")) return clip(String(u))
    return Object.prototype.toString.call(u)
  } catch {
    return `[${typeof u}]`
  }
}

/**
 * Parses a level name as an Effect that fails with {@link InvalidLevelError}.
 *
 * @category constructors
 * @since 0.1.0
 */
export const parse = (name: LevelInput): Effect.Effect<Level, InvalidLevelError> =>
  Effect.try({ try: () => parseUnsafe(name), catch: (e) => e as InvalidLevelError })

/**
 * Effect's `LogLevel` for each of our levels. CRITICAL maps to `Fatal`, WARN to `Warn`.
 *
 * @category conversions
 * @since 0.1.0
 */
export const toEffectLogLevel = (level: Level): LogLevel.LogLevel => toEffect[level]

const toEffect: Record<Level, LogLevel.LogLevel> = {
  TRACE: "Trace",
  DEBUG: "Debug",
  INFO: "Info",
  WARN: "Warn",
  ERROR: "Error",
  CRITICAL: "Fatal"
}

/**
 * Our level for an Effect `LogLevel`. `All` maps to TRACE and `None` to CRITICAL, the nearest
 * levels that keep "log everything" and "log almost nothing" meaning what they say.
 *
 * @category conversions
 * @since 0.1.0
 */
export const fromEffectLogLevel = (level: LogLevel.LogLevel): Level => fromEffect[level]

const fromEffect: Record<LogLevel.LogLevel, Level> = {
  All: "TRACE",
  Trace: "TRACE",
  Debug: "DEBUG",
  Info: "INFO",
  Warn: "WARN",
  Error: "ERROR",
  Fatal: "CRITICAL",
  None: "CRITICAL"
}
