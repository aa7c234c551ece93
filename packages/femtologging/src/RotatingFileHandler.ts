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
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { Executor } from "./FemtoHandler.ts"
import { checkOptions, FemtoHandler } from "./FemtoHandler.ts"
import {
  checkPath,
  FileBuilderBase,
  type FileDict,
  fileDict,
  type FileErrors,
  type FileHandlerOptions,
  fileRules,
  type HandlerIOError,
  makeFileHandler,
  reopenSink
} from "./FileHandler.ts"
import type { Filter } from "./Filter.ts"
import type { Formatter, FormatterId } from "./Formatter.ts"
import { makeIn } from "./Handler.ts"
import { booleanOption, HandlerConfigError, nonNegativeInt, oneOf, positiveInt, show } from "./HandlerConfigError.ts"
import type { FileSink } from "./internal/fileSink.ts"
import { facadeSpawner, type Spawner } from "./internal/runtime.ts"
import type { LevelInput } from "./Level.ts"
import type * as OverflowPolicy from "./OverflowPolicy.ts"

/**
 * The message for a rotation pair with one value set and not the other.
 *
 * @category constants
 * @since 0.1.0
 */
export const ROTATION_VALIDATION_MSG =
  "both maxBytes and backupCount must be > 0 to enable rotation; set both to 0 to disable"

/**
 * Options of a rotating file handler: the file handler's, plus `maxBytes` and `backupCount`
 * (CPython's names; both > 0 to rotate, both 0 or neither to never rotate) or, in one value, the
 * seed's `rotation: [maxBytes, backupCount]` (not both forms), and `compress`.
 *
 * @category models
 * @since 0.1.0
 */
export interface RotatingFileHandlerOptions extends FileHandlerOptions {
  /** Rotate before the live file would exceed this many bytes; 0 never rotates. */
  readonly maxBytes?: number | undefined
  /** Backups kept, `<path>.1` to `<path>.<backupCount>`; 0 never rotates. */
  readonly backupCount?: number | undefined
  /** `[maxBytes, backupCount]` in one value; refused with either of them. */
  readonly rotation?: readonly [maxBytes: number, backupCount: number] | undefined
  /** Gzip rotated files in the background. */
  readonly compress?: boolean | undefined
  /**
   * When the file rotates before a record. `"exceed"` (the default): when the record would make
   * the file exceed `maxBytes` bytes (an exact fit stays). `"cpython"`: CPython's
   * `RotatingFileHandler` rule, when the bytes in the file plus the record's characters, its
   * newline included, reach `maxBytes` (what dictConfig and fileConfig use for
   * `logging.handlers.RotatingFileHandler`, so that a Python configuration rotates where CPython
   * does).
   */
  readonly rolloverRule?: "exceed" | "cpython" | undefined
}

/**
 * What a rotating builder's `asDict()` returns: the file keys, `maxBytes` and `backupCount`
 * (always, 0 when unset) and `compress` when set.
 *
 * @category models
 * @since 0.2.0
 */
export interface RotatingFileDict extends FileDict {
  readonly maxBytes: number
  readonly backupCount: number
  readonly compress?: boolean
  readonly rolloverRule?: "exceed" | "cpython"
}

const checkRotation = (value: unknown): readonly [number, number] => {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new HandlerConfigError({
      field: "rotation",
      detail: `rotation must be [maxBytes, backupCount] (got ${show(value)})`
    })
  }
  return [nonNegativeInt("maxBytes", value[0]), nonNegativeInt("backupCount", value[1])]
}

/**
 * Checks a rotating file handler's path and options, as its constructor, its builder's `build()`
 * and `RotatingFileHandler.make` do (see `checkFileOptions`). The result has `maxBytes` and
 * `backupCount` (0 when unset) and no `rotation`. Besides the file handler's messages:
 * `maxBytes must be a non-negative integer (got -1)`, `backupCount must be provided when
 * maxBytes is set` (and the reverse), {@link ROTATION_VALIDATION_MSG} when one is 0 and the other
 * is not, and `rotation cannot be combined with maxBytes or backupCount` (field `rotation`).
 *
 * @category validation
 * @since 0.2.0
 */
export const checkRotatingFileOptions = (
  path: string,
  options: RotatingFileHandlerOptions = {}
): CheckedRotatingOptions => checkRotating(checkPath(path), options)

type CheckedRotatingOptions = RotatingFileHandlerOptions & { readonly maxBytes: number; readonly backupCount: number }

/** Without a path (`HandlerOptions`), `filename` is not an option. */
const checkRotating = (path: string | undefined, options: RotatingFileHandlerOptions): CheckedRotatingOptions => {
  const { filename, ...file } = fileRules("RotatingFileHandler", path ?? "")
  const { rotation, ...checked } = checkOptions("RotatingFileHandler", options, {
    ...file,
    ...(path === undefined ? {} : { filename }),
    maxBytes: (value: unknown) => nonNegativeInt("maxBytes", value),
    backupCount: (value: unknown) => nonNegativeInt("backupCount", value),
    rotation: checkRotation,
    compress: (value: unknown) => booleanOption("compress", value),
    rolloverRule: (value: unknown) => oneOf("rolloverRule", value, ["exceed", "cpython"])
  })
  if (rotation !== undefined && (checked.maxBytes !== undefined || checked.backupCount !== undefined)) {
    throw new HandlerConfigError({
      field: "rotation",
      detail: "rotation cannot be combined with maxBytes or backupCount; give one form"
    })
  }
  const maxBytes = rotation?.[0] ?? checked.maxBytes
  const backupCount = rotation?.[1] ?? checked.backupCount
  if (maxBytes !== undefined && maxBytes > 0 && backupCount === undefined) {
    throw new HandlerConfigError({ field: "backupCount", detail: "backupCount must be provided when maxBytes is set" })
  }
  if (backupCount !== undefined && backupCount > 0 && maxBytes === undefined) {
    throw new HandlerConfigError({ field: "maxBytes", detail: "maxBytes must be provided when backupCount is set" })
  }
  if (((maxBytes ?? 0) > 0) !== ((backupCount ?? 0) > 0)) {
    throw new HandlerConfigError({ field: maxBytes === 0 ? "maxBytes" : "backupCount", detail: ROTATION_VALIDATION_MSG })
  }
  return { ...checked, maxBytes: maxBytes ?? 0, backupCount: backupCount ?? 0 }
}

/**
 * The seed's `HandlerOptions`: validated when constructed (by `checkRotatingFileOptions`, so with
 * the same messages), every option kept, the pair as `rotation`.
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
  readonly rolloverRule: "exceed" | "cpython" | undefined
  readonly formatter: Formatter | FormatterId | { readonly format: Formatter } | undefined
  readonly flushAfterMs: number | undefined
  readonly flushTimeoutMs: number | undefined
  readonly encoding: FileHandlerOptions["encoding"]
  readonly executor: Executor | undefined
  readonly pool: string | undefined
  readonly bufferBytes: number | undefined
  readonly level: LevelInput | undefined
  readonly filters: ReadonlyArray<Filter> | undefined
  readonly mode: "a" | "w" | undefined
  readonly delay: boolean | undefined
  readonly errors: FileErrors | undefined
  readonly watch: boolean | undefined

  constructor(options: RotatingFileHandlerOptions = {}) {
    // The path is not known yet: `filename` is refused (unknown), `class` checked but not kept.
    const o = checkRotating(undefined, options)
    this.capacity = o.capacity ?? 1024
    this.flushInterval = o.flushInterval ?? 1
    this.policy = o.policy ?? "block"
    this.rotation = [o.maxBytes, o.backupCount]
    this.compress = o.compress ?? false
    this.rolloverRule = o.rolloverRule
    this.formatter = o.formatter
    this.flushAfterMs = o.flushAfterMs
    this.flushTimeoutMs = o.flushTimeoutMs
    this.encoding = o.encoding
    this.executor = o.executor
    this.pool = o.pool
    this.bufferBytes = o.bufferBytes
    this.level = o.level
    this.filters = o.filters
    this.mode = o.mode
    this.delay = o.delay
    this.errors = o.errors
    this.watch = o.watch
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

  /**
   * Opens `path` (appending, or truncating with `mode: "w"`). Throws `HandlerConfigError` (see
   * {@link checkRotatingFileOptions}) or `HandlerIOError`.
   */
  constructor(path: string, options: RotatingFileHandlerOptions = {}, spawn: Spawner = facadeSpawner()) {
    const checked = checkRotatingFileOptions(path, options)
    const { maxBytes, backupCount } = checked
    const made = makeFileHandler(`FemtoRotatingFileHandler(${path})`, path, checked, {
      ...(maxBytes === 0 ? {} : {
        rotation: { kind: "size", maxBytes, backupCount, ...(checked.rolloverRule === "cpython" ? { rule: "cpython" } : {}) }
      }),
      ...(checked.compress === true ? { compress: true } : {})
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
 * Fluent construction of a {@link FemtoRotatingFileHandler}. Its state holds `maxBytes` and
 * `backupCount` (a `rotation` given to the constructor is split into them); `build()` and
 * `make()` check the pair as the constructor does (`backupCount must be provided when maxBytes
 * is set` and the reverse).
 *
 * @category builders
 * @since 0.1.0
 */
export class RotatingFileHandlerBuilder extends FileBuilderBase<RotatingFileHandlerBuilder, RotatingFileHandlerOptions> {
  constructor(path: string, options: RotatingFileHandlerOptions = {}) {
    super(path, splitRotation(options))
  }

  protected with(options: RotatingFileHandlerOptions): RotatingFileHandlerBuilder {
    return new RotatingFileHandlerBuilder(this.path, options)
  }

  /** Rotate before the live file would exceed this many bytes; must be greater than zero. */
  withMaxBytes(maxBytes: number): RotatingFileHandlerBuilder {
    return this.with({ ...this.options, maxBytes: positiveInt("maxBytes", maxBytes) })
  }

  /** Keep this many backups; must be greater than zero. */
  withBackupCount(backupCount: number): RotatingFileHandlerBuilder {
    return this.with({ ...this.options, backupCount: positiveInt("backupCount", backupCount) })
  }

  /** Gzip rotated files in the background. */
  withCompression(compress = true): RotatingFileHandlerBuilder {
    return this.with({ ...this.options, compress: booleanOption("compress", compress) })
  }

  /** When the file rotates before a record: see `RotatingFileHandlerOptions.rolloverRule`. */
  withRolloverRule(rule: "exceed" | "cpython"): RotatingFileHandlerBuilder {
    return this.with({ ...this.options, rolloverRule: oneOf("rolloverRule", rule, ["exceed", "cpython"]) })
  }

  /**
   * The options as plain data under the constructor's names, with `class`
   * (`femtologging.RotatingFileHandler`), `filename`, and `maxBytes`, `backupCount` (0 when unset).
   */
  asDict(): RotatingFileDict {
    const o = this.options
    return {
      ...fileDict("RotatingFileHandler", this.path, o),
      maxBytes: o.maxBytes ?? 0,
      backupCount: o.backupCount ?? 0,
      ...(o.compress === undefined ? {} : { compress: o.compress }),
      ...(o.rolloverRule === undefined ? {} : { rolloverRule: o.rolloverRule })
    }
  }

  /** Builds the handler (facade). */
  build(): FemtoRotatingFileHandler {
    return new FemtoRotatingFileHandler(this.path, this.options)
  }

  /** Builds the handler in the current scope (Effect face). */
  make(): Effect.Effect<FemtoRotatingFileHandler, HandlerConfigError | HandlerIOError, Scope.Scope> {
    return make(this.path, this.options)
  }
}

/** A builder's state holds the pair as `maxBytes` and `backupCount`, not as `rotation`. */
const splitRotation = (options: RotatingFileHandlerOptions): RotatingFileHandlerOptions => {
  const rotation = options.rotation
  if (!Array.isArray(rotation) || rotation.length !== 2 || options.maxBytes !== undefined || options.backupCount !== undefined) {
    return options
  }
  const { rotation: _, ...rest } = options
  return { ...rest, maxBytes: rotation[0], backupCount: rotation[1] }
}
