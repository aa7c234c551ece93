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
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import {
  FileBuilderBase,
  fileDict,
  fileHandlerOptions,
  type FileHandlerOptions,
  type HandlerIOError,
  openWriter,
  resolveFileOptions
} from "./FileHandler.ts"
import { Handler, makeIn } from "./Handler.ts"
import { HandlerConfigError } from "./HandlerConfigError.ts"
import { Compressor } from "./internal/compress.ts"
import type { FileWriter, Rotation } from "./internal/fileWriter.ts"
import { facadeSpawner, type Spawner } from "./internal/runtime.ts"
import {
  filesToDelete,
  makeSchedule,
  nextRollover,
  rolledFileName,
  type TimedSchedule
} from "./internal/timedRotation.ts"
import { labelledReporter } from "./internal/warner.ts"

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
export class FemtoTimedRotatingFileHandler extends Handler {
  readonly path: string
  readonly schedule: TimedSchedule
  readonly backupCount: number
  /** @internal */
  readonly writer: FileWriter
  private readonly state: { rolloverAt: number }

  /** Opens (appends to) `path`. Throws `HandlerConfigError` or `HandlerIOError`. */
  constructor(path: string, options: TimedRotatingFileHandlerOptions = {}, spawn: Spawner = facadeSpawner()) {
    const resolved = resolveFileOptions(options)
    const plan = schedule(options)
    const backupCount = checkBackupCount(options.backupCount)
    const clock = spawn(Effect.service(Clock.Clock))
    const label = `FemtoTimedRotatingFileHandler(${path})`
    const report = labelledReporter(label)
    const compressor = new Compressor(report)
    const now = clock.currentTimeMillisUnsafe()
    let seed = now
    try {
      const mtime = fs.statSync(path).mtimeMs
      if (mtime <= now) seed = mtime
    } catch {
      // a new file: count from now
    }
    const state = { rolloverAt: nextRollover(plan, seed) }
    const rotation: Rotation = {
      countsBytes: false,
      due: () => clock.currentTimeMillisUnsafe() >= state.rolloverAt,
      rotate: (writer) => {
        // The next boundary is set first: whatever fails below, the file is not rotated again
        // (and its fresh backup overwritten) at the next record.
        const target = rolledFileName(writer.path, plan, state.rolloverAt)
        const current = clock.currentTimeMillisUnsafe()
        let next = nextRollover(plan, current)
        while (next <= current) next = nextRollover(plan, next)
        state.rolloverAt = next
        fs.rmSync(target, { force: true })
        fs.renameSync(writer.path, target)
        if (options.compress === true) compressor.start(target, () => [target])
        const dir = nodePath.dirname(writer.path)
        for (const old of filesToDelete(writer.path, fs.readdirSync(dir), plan, backupCount)) {
          try {
            fs.rmSync(old, { force: true })
          } catch (error) {
            report(`could not delete old backup ${old}: ${String(error)}`)
          }
        }
      }
    }
    const writer = openWriter(path, resolved, label, rotation)
    super(fileHandlerOptions(label, writer, resolved, () => compressor.settle()), spawn)
    this.path = path
    this.schedule = plan
    this.backupCount = backupCount
    this.writer = writer
    this.state = state
  }

  /** When the next rotation is due, in epoch milliseconds of the handler's clock. */
  get rolloverAt(): number {
    return this.state.rolloverAt
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
