/**
 * The rotating file handler is a file handler that starts a new file before a record would make
 * the live one exceed `maxBytes`: the live file becomes `<path>.1`, older backups shift up to
 * `<path>.<backupCount>`, and anything beyond is deleted. Sizes are UTF-8 bytes, counting the
 * records buffered but not yet written. No record is lost or written twice across a rotation.
 *
 * With `compress: true`, each backup is gzipped to `<path>.<N>.gz` in the background, off the
 * write path.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import {
  FileBuilderBase,
  fileDict,
  type FileHandlerOptions,
  type HandlerIOError,
  makeFileHandler,
  reopenSink
} from "./FileHandler.ts"
import { FemtoHandler } from "./FemtoHandler.ts"
import type { Formatter, FormatterId } from "./Formatter.ts"
import { makeIn } from "./Handler.ts"
import { HandlerConfigError, positiveInt } from "./HandlerConfigError.ts"
import type { FileSink } from "./internal/fileSink.ts"
import { facadeSpawner, type Spawner } from "./internal/runtime.ts"
import * as OverflowPolicy from "./OverflowPolicy.ts"
import type { Executor } from "./FemtoHandler.ts"

/**
 * The message for a rotation pair with one value set and not the other.
 *
 * @category constants
 * @since 0.1.0
 */
export const ROTATION_VALIDATION_MSG =
  "both max_bytes and backup_count must be > 0 to enable rotation; set both to 0 to disable"

/**
 * Options of a rotating file handler: the file handler's, plus `rotation: [maxBytes,
 * backupCount]` (both > 0 to rotate, `[0, 0]` to never rotate) and `compress`.
 *
 * @category models
 * @since 0.1.0
 */
export interface RotatingFileHandlerOptions extends FileHandlerOptions {
  readonly rotation?: readonly [maxBytes: number, backupCount: number] | undefined
  readonly compress?: boolean | undefined
}

const checkRotation = (rotation: readonly [number, number]): readonly [number, number] => {
  const [maxBytes, backupCount] = rotation
  for (const [field, value] of [["max_bytes", maxBytes], ["backup_count", backupCount]] as const) {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
      throw new HandlerConfigError({ field, detail: `${field} must be a non-negative integer (got ${String(value)})` })
    }
  }
  if ((maxBytes > 0) !== (backupCount > 0)) {
    throw new HandlerConfigError({ field: maxBytes > 0 ? "backup_count" : "max_bytes", detail: ROTATION_VALIDATION_MSG })
  }
  return [maxBytes, backupCount]
}

/**
 * The seed's `HandlerOptions`: validated when constructed.
 *
 * **Example** (Rotation at 1 MiB with 5 backups)
 *
 * ```ts
 * import { FemtoRotatingFileHandler, HandlerOptions } from "femtologging"
 * const h = new FemtoRotatingFileHandler("/tmp/app.log", new HandlerOptions({ rotation: [1 << 20, 5] }))
 * h.maxBytes // => 1048576
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export class HandlerOptions implements RotatingFileHandlerOptions {
  readonly capacity: number
  readonly flushInterval: number
  readonly policy: OverflowPolicy.OverflowPolicy | string
  readonly rotation: readonly [number, number]
  readonly compress: boolean
  readonly formatter: Formatter | FormatterId | undefined
  readonly flushAfterMs: number | undefined
  readonly flushTimeoutMs: number | undefined
  readonly encoding: "utf-8" | "utf8" | undefined
  readonly executor: Executor | undefined

  constructor(options: RotatingFileHandlerOptions = {}) {
    this.capacity = positiveInt("capacity", options.capacity ?? 1024)
    this.flushInterval = positiveInt("flush_interval", options.flushInterval ?? 1)
    this.policy = OverflowPolicy.parse(options.policy ?? "block")
    this.rotation = checkRotation(options.rotation ?? [0, 0])
    this.compress = options.compress ?? false
    this.formatter = options.formatter
    this.flushAfterMs = options.flushAfterMs === undefined ? undefined : positiveInt("flush_after_ms", options.flushAfterMs)
    this.flushTimeoutMs = options.flushTimeoutMs === undefined
      ? undefined
      : positiveInt("flush_timeout_ms", options.flushTimeoutMs)
    this.encoding = options.encoding
    this.executor = options.executor
  }
}

/**
 * A file handler with size-based rotation.
 *
 * @category constructors
 * @since 0.1.0
 */
export class FemtoRotatingFileHandler extends FemtoHandler {
  readonly path: string
  readonly maxBytes: number
  readonly backupCount: number
  private readonly sink: FileSink | undefined

  /** Opens (appends to) `path`. Throws `HandlerConfigError` or `HandlerIOError`. */
  constructor(path: string, options: RotatingFileHandlerOptions = {}, spawn: Spawner = facadeSpawner()) {
    const [maxBytes, backupCount] = checkRotation(options.rotation ?? [0, 0])
    const made = makeFileHandler("FemtoRotatingFileHandler", path, options, {
      ...(maxBytes === 0 ? {} : { rotation: { kind: "size", maxBytes, backupCount } }),
      ...(options.compress === true ? { compress: true } : {})
    }, spawn)
    super(made.handler)
    this.path = path
    this.maxBytes = maxBytes
    this.backupCount = backupCount
    this.sink = made.sink
  }

  /** See `FemtoFileHandler.reopen`. */
  reopen(): void {
    reopenSink(this.handler, this.path, this.sink)
  }
}

/**
 * Creates a rotating file handler in the current scope (Effect face).
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (
  path: string,
  options: RotatingFileHandlerOptions = {}
): Effect.Effect<FemtoRotatingFileHandler, HandlerConfigError | HandlerIOError, Scope.Scope> =>
  makeIn((spawn) => new FemtoRotatingFileHandler(path, options, spawn))

/**
 * Fluent construction of a {@link FemtoRotatingFileHandler}; `build()` checks the rotation pair
 * (`backup_count must be provided when max_bytes is set` and the reverse).
 *
 * @category builders
 * @since 0.1.0
 */
export class RotatingFileHandlerBuilder extends FileBuilderBase<RotatingFileHandlerBuilder, RotatingFileHandlerOptions> {
  constructor(path: string, options: RotatingFileHandlerOptions = {}) {
    super(path, options)
  }

  protected with(options: RotatingFileHandlerOptions): RotatingFileHandlerBuilder {
    return new RotatingFileHandlerBuilder(this.path, options)
  }

  private get pair(): readonly [number, number] {
    return this.options.rotation ?? [0, 0]
  }

  /** Rotate before the live file would exceed this many bytes; must be greater than zero. */
  withMaxBytes(maxBytes: number): RotatingFileHandlerBuilder {
    if (!Number.isInteger(maxBytes) || maxBytes <= 0) {
      throw new HandlerConfigError({ field: "max_bytes", detail: "max_bytes must be greater than zero" })
    }
    return this.with({ ...this.options, rotation: [maxBytes, this.pair[1]] })
  }

  /** Keep this many backups; must be greater than zero. */
  withBackupCount(backupCount: number): RotatingFileHandlerBuilder {
    if (!Number.isInteger(backupCount) || backupCount <= 0) {
      throw new HandlerConfigError({ field: "backup_count", detail: "backup_count must be greater than zero" })
    }
    return this.with({ ...this.options, rotation: [this.pair[0], backupCount] })
  }

  /** Gzip rotated files in the background. */
  withCompression(compress = true): RotatingFileHandlerBuilder {
    return this.with({ ...this.options, compress })
  }

  private checked(): RotatingFileHandlerOptions {
    const [maxBytes, backupCount] = this.pair
    if (maxBytes > 0 && backupCount === 0) {
      throw new HandlerConfigError({ field: "backup_count", detail: "backup_count must be provided when max_bytes is set" })
    }
    if (backupCount > 0 && maxBytes === 0) {
      throw new HandlerConfigError({ field: "max_bytes", detail: "max_bytes must be provided when backup_count is set" })
    }
    return this.options
  }

  /** The options as plain data, with upstream's keys (`max_bytes`, `backup_count` 0 when unset). */
  asDict(): Record<string, unknown> {
    const [maxBytes, backupCount] = this.pair
    return {
      ...fileDict(this.path, this.options),
      max_bytes: maxBytes,
      backup_count: backupCount,
      ...(this.options.compress ? { compress: true } : {})
    }
  }

  /** Builds the handler (facade). */
  build(): FemtoRotatingFileHandler {
    return new FemtoRotatingFileHandler(this.path, this.checked())
  }

  /** Builds the handler in the current scope (Effect face). */
  make(): Effect.Effect<FemtoRotatingFileHandler, HandlerConfigError | HandlerIOError, Scope.Scope> {
    return Effect.flatMap(
      Effect.try({ try: () => this.checked(), catch: (error) => error as HandlerConfigError }),
      (options) => make(this.path, options)
    )
  }
}
