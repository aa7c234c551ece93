/**
 * The timed rotating file handler starts a new file when a time boundary passes, as CPython's
 * `TimedRotatingFileHandler` does: `when` is S, M, H, D, MIDNIGHT or W0–W6 (W0 is Monday),
 * every `interval` units, in local time or UTC, at `atTime` for daily and weekly schedules. The
 * finished file is renamed `<path>.<suffix>` where the suffix is the start of its period
 * (`%Y-%m-%d_%H-%M-%S` for S, shorter for M/H, `%Y-%m-%d` for days and weeks), and the oldest
 * beyond `backupCount` are deleted (0 keeps all).
 *
 * Time comes from Effect's `Clock`: under `TestClock` rotation follows `TestClock.adjust`.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { checkOptions, FemtoHandler } from "./FemtoHandler.ts"
import {
  checkPath,
  FileBuilderBase,
  type FileDict,
  fileDict,
  type FileHandlerOptions,
  fileRules,
  type HandlerIOError,
  makeFileHandler,
  reopenSink
} from "./FileHandler.ts"
import { makeIn } from "./Handler.ts"
import { booleanOption, HandlerConfigError, nonNegativeInt, show } from "./HandlerConfigError.ts"
import type { FileSink } from "./internal/fileSink.ts"
import { facadeSpawner, type Spawner } from "./internal/runtime.ts"
import { makeSchedule, type TimedSchedule, WHEN_ERROR_MESSAGE } from "./internal/timedRotation.ts"

/**
 * A validated schedule (`when` upper-cased, `interval`, `utc`, `atTime` as parts), as a timed
 * handler's `schedule` holds it.
 *
 * @category models
 * @since 0.2.0
 */
export type { TimedSchedule }

/**
 * A time of day: `"HH:MM"`, `"HH:MM:SS"` or its parts.
 *
 * @category models
 * @since 0.1.0
 */
export type AtTime = string | { readonly hour: number; readonly minute?: number; readonly second?: number }

/**
 * Options of a timed rotating file handler: the file handler's, and CPython's
 * `TimedRotatingFileHandler` keywords under their own names.
 *
 * @category models
 * @since 0.1.0
 */
export interface TimedRotatingFileHandlerOptions extends FileHandlerOptions {
  /** S, M, H (default), D, MIDNIGHT, W0–W6; case-insensitive. */
  readonly when?: string | undefined
  /** Units of `when` per file, default 1. */
  readonly interval?: number | undefined
  /** Backups kept, default 0 (keep all). */
  readonly backupCount?: number | undefined
  /** Use UTC instead of local time, default false. */
  readonly utc?: boolean | undefined
  /** Time of day for D, MIDNIGHT and W0–W6. */
  readonly atTime?: AtTime | undefined
  /** Gzip rotated files in the background. */
  readonly compress?: boolean | undefined
}

/**
 * What a timed builder's `asDict()` returns: the file keys, `when`, `interval`, `backupCount` and
 * `utc` (always, defaults included), `atTime` (`"HH:MM:SS"`) and `compress` when set.
 *
 * @category models
 * @since 0.2.0
 */
export interface TimedRotatingFileDict extends FileDict {
  readonly when: string
  readonly interval: number
  readonly backupCount: number
  readonly utc: boolean
  readonly atTime?: string
  readonly compress?: boolean
}

const schedule = (options: TimedRotatingFileHandlerOptions): TimedSchedule => {
  try {
    return makeSchedule({ when: options.when, interval: options.interval, utc: options.utc, atTime: options.atTime })
  } catch (error) {
    const detail = (error as Error).message.replace(/\bat_time\b/g, "atTime")
    const field = detail.includes("interval") ? "interval" : detail.includes("atTime") ? "atTime" : "when"
    throw new HandlerConfigError({ field, detail })
  }
}

const timedRules = {
  when: (value: unknown) => {
    if (typeof value !== "string") {
      throw new HandlerConfigError({ field: "when", detail: `${WHEN_ERROR_MESSAGE} (got ${show(value)})` })
    }
    return value
  },
  interval: (value: unknown) => {
    if (typeof value !== "number") {
      throw new HandlerConfigError({ field: "interval", detail: "interval must be greater than zero" })
    }
    return value
  },
  backupCount: (value: unknown) => nonNegativeInt("backupCount", value),
  utc: (value: unknown) => booleanOption("utc", value),
  atTime: (value: unknown) => {
    if (typeof value !== "string" && (typeof value !== "object" || value === null)) {
      throw new HandlerConfigError({ field: "atTime", detail: `invalid atTime: '${show(value)}'` })
    }
    return value
  },
  compress: (value: unknown) => booleanOption("compress", value)
}

/**
 * Checks a timed rotating file handler's path and options, as its constructor, its builder's
 * `build()` and `TimedRotatingFileHandler.make` do (see `checkFileOptions`), and returns them
 * with the schedule they give. Besides the file handler's messages, upstream's: `when must be
 * one of: S, M, H, D, MIDNIGHT, or W0-W6 (got W7)`, `interval must be greater than zero`, `weekday
 * rotation only supports interval = 1`, `atTime is only supported for daily, midnight, and
 * weekday rotation (got H)`, `invalid atTime: '25:00'`; and `backupCount must be a non-negative
 * integer (got -1)`.
 *
 * @category validation
 * @since 0.2.0
 */
export const checkTimedRotatingFileOptions = (
  path: string,
  options: TimedRotatingFileHandlerOptions = {}
): TimedRotatingFileHandlerOptions & { readonly schedule: TimedSchedule; readonly backupCount: number } => {
  checkPath(path)
  const checked = checkOptions("TimedRotatingFileHandler", options, {
    ...fileRules("TimedRotatingFileHandler", path),
    ...timedRules
  })
  return { ...checked, schedule: schedule(checked), backupCount: checked.backupCount ?? 0 }
}

/**
 * A file handler with time-based rotation.
 *
 * @category constructors
 * @since 0.1.0
 */
export class FemtoTimedRotatingFileHandler extends FemtoHandler {
  readonly path: string
  readonly schedule: TimedSchedule
  readonly backupCount: number
  private readonly sink: FileSink | undefined

  /**
   * Opens `path` (appending, or truncating with `mode: "w"`). Throws `HandlerConfigError` (see
   * {@link checkTimedRotatingFileOptions}) or `HandlerIOError`.
   */
  constructor(path: string, options: TimedRotatingFileHandlerOptions = {}, spawn: Spawner = facadeSpawner()) {
    const { schedule: plan, ...checked } = checkTimedRotatingFileOptions(path, options)
    const backupCount = checked.backupCount
    const made = makeFileHandler(`FemtoTimedRotatingFileHandler(${path})`, path, checked, {
      rotation: { kind: "time", ...plan, backupCount },
      ...(checked.compress === true ? { compress: true } : {})
    }, spawn)
    super(made.handler)
    this.path = path
    this.schedule = plan
    this.backupCount = backupCount
    this.sink = made.sink
  }

  /** When the next rotation is due, in epoch milliseconds of the handler's clock (inline executor only). */
  get rolloverAt(): number {
    return this.sink?.rolloverAt ?? Number.NaN
  }

  /** See `FemtoFileHandler.reopen`. */
  reopen(): void {
    reopenSink(this.handler, this.path, this.sink)
  }
}

/**
 * Creates a timed rotating file handler in the current scope (Effect face); it reads time from
 * the scope's `Clock`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (
  path: string,
  options: TimedRotatingFileHandlerOptions = {}
): Effect.Effect<FemtoTimedRotatingFileHandler, HandlerConfigError | HandlerIOError, Scope.Scope> =>
  makeIn((spawn) => new FemtoTimedRotatingFileHandler(path, options, spawn))

/**
 * Fluent construction of a {@link FemtoTimedRotatingFileHandler}; each step checks the schedule
 * it makes.
 *
 * @category builders
 * @since 0.1.0
 */
export class TimedRotatingFileHandlerBuilder
  extends FileBuilderBase<TimedRotatingFileHandlerBuilder, TimedRotatingFileHandlerOptions>
{
  constructor(path: string, options: TimedRotatingFileHandlerOptions = {}) {
    super(path, options)
  }

  protected with(options: TimedRotatingFileHandlerOptions): TimedRotatingFileHandlerBuilder {
    schedule(options)
    return new TimedRotatingFileHandlerBuilder(this.path, options)
  }

  /** S, M, H, D, MIDNIGHT or W0–W6. */
  withWhen(when: string): TimedRotatingFileHandlerBuilder {
    return this.with({ ...this.options, when: timedRules.when(when) })
  }

  /** Units of `when` per file; must be greater than zero. */
  withInterval(interval: number): TimedRotatingFileHandlerBuilder {
    return this.with({ ...this.options, interval: timedRules.interval(interval) })
  }

  /** Backups kept (0 keeps all). */
  withBackupCount(backupCount: number): TimedRotatingFileHandlerBuilder {
    return this.with({ ...this.options, backupCount: timedRules.backupCount(backupCount) })
  }

  /** Use UTC instead of local time. */
  withUtc(utc = true): TimedRotatingFileHandlerBuilder {
    return this.with({ ...this.options, utc: timedRules.utc(utc) })
  }

  /** Time of day for D, MIDNIGHT and W0–W6 (`undefined` clears it). */
  withAtTime(atTime: AtTime | undefined): TimedRotatingFileHandlerBuilder {
    if (atTime === undefined) {
      const { atTime: _, ...rest } = this.options
      return this.with(rest)
    }
    return this.with({ ...this.options, atTime: timedRules.atTime(atTime) as AtTime })
  }

  /** Gzip rotated files in the background. */
  withCompression(compress = true): TimedRotatingFileHandlerBuilder {
    return this.with({ ...this.options, compress: timedRules.compress(compress) })
  }

  /**
   * The options as plain data under the constructor's names, with `class`
   * (`femtologging.TimedRotatingFileHandler`), `filename`, the schedule (`when` upper case,
   * `interval`, `backupCount`, `utc`, and `atTime` as `"HH:MM:SS"` when set).
   */
  asDict(): TimedRotatingFileDict {
    const plan = schedule(this.options)
    const at = plan.atTime
    const pad = (n: number) => String(n).padStart(2, "0")
    return {
      ...fileDict("TimedRotatingFileHandler", this.path, this.options),
      when: plan.when,
      interval: plan.interval,
      backupCount: this.options.backupCount ?? 0,
      utc: plan.utc,
      ...(at === undefined ? {} : { atTime: `${pad(at.hour)}:${pad(at.minute)}:${pad(at.second)}` }),
      ...(this.options.compress === undefined ? {} : { compress: this.options.compress })
    }
  }

  /** Builds the handler (facade). */
  build(): FemtoTimedRotatingFileHandler {
    return new FemtoTimedRotatingFileHandler(this.path, this.options)
  }

  /** Builds the handler in the current scope (Effect face). */
  make(): Effect.Effect<FemtoTimedRotatingFileHandler, HandlerConfigError | HandlerIOError, Scope.Scope> {
    return make(this.path, this.options)
  }
}
