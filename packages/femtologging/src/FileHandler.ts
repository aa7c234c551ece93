/**
 * The file handler appends formatted records to a file (created with its missing parent folders).
 * Records are written as soon as the handler's worker takes them (one `write(2)` per batch), or,
 * with `flushInterval: N`, once N records are buffered and never later than `flushAfterMs`
 * (default 1000 ms) after they were accepted, so `tail -f` follows the log.
 *
 * The default policy is block: a caller that finds the queue full writes the oldest batch itself,
 * so a synchronous loop of any length writes every line. The sink runs inline (on the main
 * thread) by default, or on a worker thread with `executor: "worker"`. Records still queued or
 * buffered at exit, `process.exit()`, an uncaught exception or SIGTERM/SIGINT are written before
 * the process ends.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { type CommonOptions, commonMakeOptions, FemtoHandler, sinkModule } from "./FemtoHandler.ts"
import * as Formatter from "./Formatter.ts"
import * as Handler from "./Handler.ts"
import { HandlerIOError } from "./Handler.ts"
import { HandlerConfigError, positiveInt } from "./HandlerConfigError.ts"
import { type FileSink, type FileSinkOptions, makeFileSink } from "./internal/fileSink.ts"
import { facadeSpawner, type Spawner } from "./internal/runtime.ts"
import { labelledReporter } from "./internal/warner.ts"
import * as OverflowPolicy from "./OverflowPolicy.ts"

export { HandlerIOError } from "./Handler.ts"

/**
 * Options of a file handler.
 *
 * @category models
 * @since 0.1.0
 */
export interface FileHandlerOptions extends CommonOptions {
  /** Only UTF-8 is written; any other value is refused. */
  readonly encoding?: "utf-8" | "utf8" | undefined
  /** Reopen the file when it was moved or deleted (CPython's WatchedFileHandler), default false. */
  readonly watch?: boolean | undefined
}

/**
 * Creates the pipeline handler of a file handler kind: validates the options, opens the file
 * (inline) or checks that it can be opened (worker), and returns the handler with its inline sink.
 *
 * @internal
 */
export const makeFileHandler = (
  kind: string,
  path: string,
  options: FileHandlerOptions,
  sinkOptions: Omit<FileSinkOptions, "path" | "label">,
  spawn: Spawner
): { readonly handler: Handler.Handler; readonly sink: FileSink | undefined } => {
  if (typeof path !== "string" || path === "") throw new HandlerConfigError({ field: "path", detail: "path must not be empty" })
  const encoding = options.encoding
  if (encoding !== undefined && encoding.toLowerCase() !== "utf-8" && encoding.toLowerCase() !== "utf8") {
    throw new HandlerConfigError({ field: "encoding", detail: `unsupported encoding: ${String(encoding)} (only utf-8)` })
  }
  if (options.flushInterval !== undefined) positiveInt("flush_interval", options.flushInterval)
  if (options.flushAfterMs !== undefined) positiveInt("flush_after_ms", options.flushAfterMs)
  const label = `${kind}(${path})`
  const full: FileSinkOptions = { ...sinkOptions, path, label, ...(options.watch === true ? { watch: true } : {}) }
  const clock = spawn(Clock.clockWith(Effect.succeed))
  const open = (): FileSink => {
    try {
      return makeFileSink(full, { now: () => clock.currentTimeMillisUnsafe(), report: labelledReporter(label) })
    } catch (error) {
      throw new HandlerIOError({ path, reason: (error as Error)?.message ?? String(error) })
    }
  }
  let sink: FileSink | undefined
  const makeOptions = commonMakeOptions(
    label,
    options,
    () => ({ _tag: "Sink", sink: () => (sink = open()) }),
    { module: sinkModule("fileSink"), options: full }
  )
  // A worker opens the file itself, later: check now that it can be, so a bad path fails here.
  if (options.executor === "worker") void open().close?.()
  return { handler: Handler.makeUnsafe(makeOptions, spawn), sink }
}

/**
 * A handler appending to a file.
 *
 * **Example** (Blocking file handler)
 *
 * ```ts
 * import { FemtoFileHandler, getLogger } from "femtologging"
 * const handler = new FemtoFileHandler("/tmp/app.log", { flushInterval: 100 })
 * getLogger("app").addHandler(handler)
 * getLogger("app").info("saved") // => "app [INFO] saved"
 * await handler.close()
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export class FemtoFileHandler extends FemtoHandler {
  /** The file written to. */
  readonly path: string
  private readonly sink: FileSink | undefined

  /** Opens (appends to) `path`. Throws `HandlerConfigError` or `HandlerIOError`. */
  constructor(path: string, options: FileHandlerOptions = {}, spawn: Spawner = facadeSpawner()) {
    const made = makeFileHandler("FemtoFileHandler", path, options, {}, spawn)
    super(made.handler)
    this.path = path
    this.sink = made.sink
  }

  /**
   * Writes out what is queued and opens the path again: call it after an external tool (such as
   * logrotate) moved the file, e.g. from a SIGHUP listener. Throws `HandlerIOError` when the path
   * cannot be opened (the handler then keeps writing to the file it had), and
   * `HandlerConfigError` on a worker executor (use `watch: true` there).
   */
  reopen(): void {
    reopenSink(this.handler, this.path, this.sink)
  }
}

/** @internal */
export const reopenSink = (handler: Handler.Handler, path: string, sink: FileSink | undefined): void => {
  if (sink === undefined) {
    throw new HandlerConfigError({ field: "executor", detail: "reopen() needs the inline executor; use watch: true" })
  }
  handler.drainSync(performance.now() + handler.flushTimeoutMs)
  try {
    sink.reopen()
  } catch (error) {
    throw new HandlerIOError({ path, reason: (error as Error)?.message ?? String(error) })
  }
}

/**
 * Creates a file handler in the current scope (Effect face); closing the scope writes out what
 * was accepted and closes the file.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (
  path: string,
  options: FileHandlerOptions = {}
): Effect.Effect<FemtoFileHandler, HandlerConfigError | HandlerIOError, Scope.Scope> =>
  Handler.makeIn((spawn) => new FemtoFileHandler(path, options, spawn))

/**
 * The `asDict()` keys every file builder shares.
 *
 * @internal
 */
export const fileDict = (path: string, o: FileHandlerOptions): Record<string, unknown> => {
  const policy = OverflowPolicy.parse(o.policy ?? "block")
  return {
    path,
    ...(o.capacity === undefined ? {} : { capacity: o.capacity }),
    ...(o.flushInterval === undefined ? {} : { flush_after_records: o.flushInterval }),
    ...(o.flushAfterMs === undefined ? {} : { flush_after_ms: o.flushAfterMs }),
    ...(o.formatter === undefined ? {} : { formatter: typeof o.formatter === "string" ? o.formatter : { kind: "instance" } }),
    overflow_policy: policy._tag.toLowerCase(),
    ...(policy._tag === "Timeout" ? { timeout_ms: policy.ms } : {}),
    ...(o.executor === undefined ? {} : { executor: o.executor })
  }
}

/**
 * The fluent methods every file handler builder shares; each returns a new builder.
 *
 * @category builders
 * @since 0.1.0
 */
export abstract class FileBuilderBase<Self, Options extends FileHandlerOptions> {
  readonly path: string
  readonly options: Options

  constructor(path: string, options: Options) {
    this.path = path
    this.options = options
  }

  /** @internal */
  protected abstract with(options: Options): Self

  /** Queue capacity; must be greater than zero. */
  withCapacity(capacity: number): Self {
    return this.with({ ...this.options, capacity: positiveInt("capacity", capacity) })
  }

  /** Write to the OS every N records; must be greater than zero. */
  withFlushAfterRecords(records: number): Self {
    return this.with({ ...this.options, flushInterval: positiveInt("flush_after_records", records) })
  }

  /** Write buffered records at most `ms` after they were accepted; must be greater than zero. */
  withFlushAfterMs(ms: number): Self {
    return this.with({ ...this.options, flushAfterMs: positiveInt("flush_after_ms", ms) })
  }

  /** `OverflowPolicy.drop()`, `.block()`, `.timeout(ms)` or their string forms. */
  withOverflowPolicy(policy: OverflowPolicy.OverflowPolicy | string): Self {
    return this.with({ ...this.options, policy: OverflowPolicy.parse(policy) })
  }

  /** The formatter: a `(record) => string`, or `"default"` / `"json"`. */
  withFormatter(formatter: Formatter.Formatter | Formatter.FormatterId): Self {
    Formatter.resolve(formatter)
    return this.with({ ...this.options, formatter })
  }

  /** Runs the sink on a worker thread (a dedicated one, or the named pool's). */
  onWorkerThread(pool?: string): Self {
    return this.with({ ...this.options, executor: "worker", pool })
  }
}

/**
 * Fluent construction of a {@link FemtoFileHandler}.
 *
 * @category builders
 * @since 0.1.0
 */
export class FileHandlerBuilder extends FileBuilderBase<FileHandlerBuilder, FileHandlerOptions> {
  constructor(path: string, options: FileHandlerOptions = {}) {
    super(path, options)
  }

  protected with(options: FileHandlerOptions): FileHandlerBuilder {
    return new FileHandlerBuilder(this.path, options)
  }

  /** The options as plain data, with upstream's keys. */
  asDict(): Record<string, unknown> {
    return fileDict(this.path, this.options)
  }

  /** Builds the handler (facade). */
  build(): FemtoFileHandler {
    return new FemtoFileHandler(this.path, this.options)
  }

  /** Builds the handler in the current scope (Effect face). */
  make(): Effect.Effect<FemtoFileHandler, HandlerConfigError | HandlerIOError, Scope.Scope> {
    return make(this.path, this.options)
  }
}
