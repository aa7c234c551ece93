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
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { FileBuilderBase, fileDict, type FileHandlerOptions, type HandlerIOError, makeFileHandler, reopenSink } from "./FileHandler.ts"
import { FemtoHandler } from "./FemtoHandler.ts"
import { makeIn } from "./Handler.ts"
import { HandlerConfigError } from "./HandlerConfigError.ts"
import type { FileSink } from "./internal/fileSink.ts"
import { facadeSpawner, type Spawner } from "./internal/runtime.ts"
import { makeSchedule, type TimedSchedule } from "./internal/timedRotation.ts"

/**
 * A time of day: `"HH:MM"`, `"HH:MM:SS"` or its parts.
 *
 * @category models
 * @since 0.1.0
 */
export type AtTime = string | { readonly hour: number; readonly minute?: number; readonly second?: number }

/**
 * Options of a timed rotating file handler.
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

const schedule = (options: TimedRotatingFileHandlerOptions): TimedSchedule => {
  try {
    return makeSchedule({ when: options.when, interval: options.interval, utc: options.utc, atTime: options.atTime })
  } catch (error) {
    const detail = (error as Error).message
    const field = detail.includes("interval") ? "interval" : detail.includes("at_time") ? "at_time" : "when"
    throw new HandlerConfigError({ field, detail })
  }
}

const checkBackupCount = (n: number | undefined): number => {
  const value = n ?? 0
  if (!Number.isInteger(value) || value < 0) {
    throw new HandlerConfigError({ field: "backup_count", detail: "backup_count must be a non-negative integer" })
  }
  return value
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

  /** Opens (appends to) `path`. Throws `HandlerConfigError` or `HandlerIOError`. */
  constructor(path: string, options: TimedRotatingFileHandlerOptions = {}, spawn: Spawner = facadeSpawner()) {
    const plan = schedule(options)
    const backupCount = checkBackupCount(options.backupCount)
    const made = makeFileHandler("FemtoTimedRotatingFileHandler", path, options, {
      rotation: { kind: "time", ...plan, backupCount },
      ...(options.compress === true ? { compress: true } : {})
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
 * Fluent construction of a {@link FemtoTimedRotatingFileHandler}.
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
    return this.with({ ...this.options, when })
  }

  /** Units of `when` per file; must be greater than zero. */
  withInterval(interval: number): TimedRotatingFileHandlerBuilder {
    return this.with({ ...this.options, interval })
  }

  /** Backups kept (0 keeps all). */
  withBackupCount(backupCount: number): TimedRotatingFileHandlerBuilder {
    return this.with({ ...this.options, backupCount: checkBackupCount(backupCount) })
  }

  /** Use UTC instead of local time. */
  withUtc(utc = true): TimedRotatingFileHandlerBuilder {
    return this.with({ ...this.options, utc })
  }

  /** Time of day for D, MIDNIGHT and W0–W6 (`undefined` clears it). */
  withAtTime(atTime: AtTime | undefined): TimedRotatingFileHandlerBuilder {
    return this.with({ ...this.options, atTime })
  }

  /** Gzip rotated files in the background. */
  withCompression(compress = true): TimedRotatingFileHandlerBuilder {
    return this.with({ ...this.options, compress })
  }

  /** The options as plain data, with upstream's keys. */
  asDict(): Record<string, unknown> {
    const plan = schedule(this.options)
    const at = plan.atTime
    const pad = (n: number) => String(n).padStart(2, "0")
    return {
      ...fileDict(this.path, this.options),
      when: plan.when,
      interval: plan.interval,
      backup_count: this.options.backupCount ?? 0,
      utc: plan.utc,
      ...(at === undefined ? {} : { at_time: `${pad(at.hour)}:${pad(at.minute)}:${pad(at.second)}` })
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
