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
  fileHandlerOptions,
  type FileHandlerOptions,
  type HandlerIOError,
  openWriter,
  resolveFileOptions
} from "./FileHandler.ts"
import type { Formatter, FormatterId } from "./Formatter.ts"
import { Handler, makeIn } from "./Handler.ts"
import { HandlerConfigError } from "./HandlerConfigError.ts"
import { Compressor } from "./internal/compress.ts"
import type { FileWriter, Rotation } from "./internal/fileWriter.ts"
import { backupName, rotateFiles, shouldRotate } from "./internal/rotation.ts"
import { facadeSpawner, type Spawner } from "./internal/runtime.ts"
import { labelledReporter } from "./internal/warner.ts"
import type { OverflowPolicy } from "./OverflowPolicy.ts"

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
  readonly policy: OverflowPolicy | string
  readonly rotation: readonly [number, number]
  readonly compress: boolean
  readonly formatter: Formatter | FormatterId | undefined
  readonly flushAfterMs: number | undefined
  readonly flushTimeoutMs: number | undefined
  readonly encoding: "utf-8" | "utf8" | undefined

  constructor(options: RotatingFileHandlerOptions = {}) {
    const resolved = resolveFileOptions(options)
    this.capacity = resolved.capacity
    this.flushInterval = resolved.flushInterval
    this.policy = resolved.policy
    this.rotation = checkRotation(options.rotation ?? [0, 0])
    this.compress = options.compress ?? false
    this.formatter = options.formatter
    this.flushAfterMs = resolved.flushAfterMs
    this.flushTimeoutMs = resolved.flushTimeoutMs
    this.encoding = options.encoding
  }
}

/**
 * A file handler with size-based rotation.
 *
 * @category constructors
 * @since 0.1.0
 */
export class FemtoRotatingFileHandler extends Handler {
  readonly path: string
  readonly maxBytes: number
  readonly backupCount: number
  /** @internal */
  readonly writer: FileWriter
  private readonly compressor: Compressor

  /** Opens (appends to) `path`. Throws `HandlerConfigError` or `HandlerIOError`. */
  constructor(path: string, options: RotatingFileHandlerOptions = {}, spawn: Spawner = facadeSpawner()) {
    const resolved = resolveFileOptions(options)
    const [maxBytes, backupCount] = checkRotation(options.rotation ?? [0, 0])
    const label = `FemtoRotatingFileHandler(${path})`
    const compressor = new Compressor(labelledReporter(label))
    const rotation: Rotation | undefined = maxBytes === 0 ? undefined : {
      countsBytes: true,
      due: (writer, bytes) => shouldRotate(writer.size, writer.pendingBytes, bytes, maxBytes),
      rotate: (writer) => {
        rotateFiles(writer.path, backupCount)
        if (options.compress === true) {
          const candidates = () => Array.from({ length: backupCount }, (_, i) => backupName(writer.path, i + 1))
          compressor.start(backupName(writer.path, 1), candidates)
        }
      }
    }
    const writer = openWriter(path, resolved, label, rotation)
    super(fileHandlerOptions(label, writer, resolved, () => compressor.settle()), spawn)
    this.path = path
    this.maxBytes = maxBytes
    this.backupCount = backupCount
    this.writer = writer
    this.compressor = compressor
  }

  /** Waits for the background compressions started so far (`close()` waits for them too). */
  compressed(): Promise<void> {
    return this.compressor.settle()
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
