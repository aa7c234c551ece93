/**
 * The watched file handler is CPython's `logging.handlers.WatchedFileHandler`: a file handler
 * that, before each write, checks that the path still names the file it has open (same device
 * and inode) and reopens the path when it does not, so an external tool (logrotate without
 * `copytruncate`, a `mv`, an `rm`) may move or delete the log and the handler goes on writing to
 * a new file at the path. It is a file handler with `watch: true`: one `stat` per write.
 *
 * @since 0.2.0
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
import { HandlerConfigError, show } from "./HandlerConfigError.ts"
import type { FileSink } from "./internal/fileSink.ts"
import { facadeSpawner, type Spawner } from "./internal/runtime.ts"

/**
 * Options of a watched file handler: a file handler's; `watch` may be given, as `true` only.
 *
 * @category models
 * @since 0.2.0
 */
export interface WatchedFileHandlerOptions extends Omit<FileHandlerOptions, "watch"> {
  /** Always on for this kind; `false` is refused. */
  readonly watch?: true | undefined
}

/**
 * What a watched builder's `asDict()` returns: a file handler's keys but `watch` (the kind's).
 *
 * @category models
 * @since 0.2.0
 */
export type WatchedFileDict = Omit<FileDict, "watch">

/**
 * Checks a watched file handler's path and options, as its constructor, its builder's `build()`
 * and `WatchedFileHandler.make` do (see `checkFileOptions`); the result has `watch: true`.
 *
 * @category validation
 * @since 0.2.0
 */
export const checkWatchedFileOptions = (
  path: string,
  options: WatchedFileHandlerOptions = {}
): WatchedFileHandlerOptions => {
  checkPath(path)
  const checked = checkOptions("WatchedFileHandler", options, {
    ...fileRules("WatchedFileHandler", path),
    watch: (value: unknown) => {
      if (value !== true) {
        throw new HandlerConfigError({
          field: "watch",
          detail: `watch must be true for WatchedFileHandler (got ${show(value)})`
        })
      }
      return value
    }
  })
  return { ...checked, watch: true }
}

/**
 * A file handler that reopens its path when the file there was moved or deleted.
 *
 * **Example** (Following logrotate)
 *
 * ```ts
 * import { FemtoWatchedFileHandler, getLogger } from "femtologging"
 * const handler = new FemtoWatchedFileHandler("/tmp/app.log")
 * getLogger("app").addHandler(handler)
 * // mv /tmp/app.log /tmp/app.log.1: the next record creates a new /tmp/app.log
 * ```
 *
 * @category constructors
 * @since 0.2.0
 */
export class FemtoWatchedFileHandler extends FemtoHandler {
  /** The file written to. */
  readonly path: string
  private readonly sink: FileSink | undefined

  /** Opens `path`. Throws `HandlerConfigError` or `HandlerIOError`. */
  constructor(path: string, options: WatchedFileHandlerOptions = {}, spawn: Spawner = facadeSpawner()) {
    const checked = checkWatchedFileOptions(path, options)
    const made = makeFileHandler(`FemtoWatchedFileHandler(${path})`, path, checked as FileHandlerOptions, {}, spawn)
    super(made.handler)
    this.path = path
    this.sink = made.sink
  }

  /** See `FemtoFileHandler.reopen`: opens the path again now, whether or not the file moved. */
  reopen(): void {
    reopenSink(this.handler, this.path, this.sink)
  }
}

/**
 * Creates a watched file handler in the current scope (Effect face); closing the scope writes
 * out what was accepted and closes the file.
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = (
  path: string,
  options: WatchedFileHandlerOptions = {}
): Effect.Effect<FemtoWatchedFileHandler, HandlerConfigError | HandlerIOError, Scope.Scope> =>
  makeIn((spawn) => new FemtoWatchedFileHandler(path, options, spawn))

/**
 * Fluent construction of a {@link FemtoWatchedFileHandler}.
 *
 * @category builders
 * @since 0.2.0
 */
export class WatchedFileHandlerBuilder extends FileBuilderBase<WatchedFileHandlerBuilder, WatchedFileHandlerOptions> {
  constructor(path: string, options: WatchedFileHandlerOptions = {}) {
    super(path, options)
  }

  protected with(options: WatchedFileHandlerOptions): WatchedFileHandlerBuilder {
    return new WatchedFileHandlerBuilder(this.path, options)
  }

  /**
   * The options as plain data under the constructor's names, with `class`
   * (`femtologging.WatchedFileHandler`) and `filename` (`watch` is the kind's, not shown).
   */
  asDict(): WatchedFileDict {
    const { watch: _, ...dict } = fileDict("WatchedFileHandler", this.path, this.options as FileHandlerOptions)
    return dict
  }

  /** Builds the handler (facade). */
  build(): FemtoWatchedFileHandler {
    return new FemtoWatchedFileHandler(this.path, this.options)
  }

  /** Builds the handler in the current scope (Effect face). */
  make(): Effect.Effect<FemtoWatchedFileHandler, HandlerConfigError | HandlerIOError, Scope.Scope> {
    return make(this.path, this.options)
  }
}
