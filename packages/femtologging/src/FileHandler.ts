/**
 * The file handler appends formatted records to a file (created with its missing parent folders;
 * truncated when the handler opens it with `mode: "w"`).
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
import { Clock, Effect } from "./internal/lazyEffect.ts"
import type * as Scope from "effect/Scope"
import {
  checkOptions,
  classRule,
  type CommonDict,
  commonDict,
  type CommonOptions,
  commonMakeOptions,
  commonRules,
  exactly,
  FemtoHandler,
  HandlerBuilderBase,
  sinkModule
} from "./FemtoHandler.ts"
import * as fs from "node:fs"
import * as Handler from "./Handler.ts"
import { HandlerIOError } from "./Handler.ts"
import { booleanOption, HandlerConfigError, oneOf, show } from "./HandlerConfigError.ts"
import { type FileSink, type FileSinkOptions, makeFileSink } from "./internal/fileSink.ts"
import { facadeSpawner, type Spawner } from "./internal/runtime.ts"
import { labelledReporter } from "./internal/warner.ts"

export { HandlerIOError } from "./Handler.ts"

/**
 * What CPython's `errors` argument may say. Records are encoded to UTF-8 from JavaScript strings,
 * where the only unencodable thing is a lone surrogate: it is written as U+FFFD whatever this says.
 *
 * @category models
 * @since 0.2.0
 */
export type FileErrors = "strict" | "replace" | "backslashreplace" | "surrogateescape" | "ignore"

/**
 * Options of a file handler: the {@link CommonOptions}, and CPython's `FileHandler` keywords
 * under their own names (`mode`, `encoding`, `delay`, `errors`). The keys of a builder's
 * `asDict()` result (`class` and `filename` included) are accepted as they are.
 *
 * @category models
 * @since 0.1.0
 */
export interface FileHandlerOptions extends CommonOptions {
  /** `"a"` appends (the default); `"w"` truncates the file when the handler opens it. */
  readonly mode?: "a" | "w" | undefined
  /** Only UTF-8 is written: `"utf-8"` or `"utf8"` in any case; any other value is refused. */
  readonly encoding?: "utf-8" | "utf8" | "UTF-8" | "UTF8" | undefined
  /**
   * CPython's `delay`: the file is opened (and created, with its folders) at the first record
   * written, not at construction, so a handler that never writes leaves no file. A bad path then
   * fails at that first write (reported on stderr, its records counted as dropped; the next
   * write tries again) instead of throwing `HandlerIOError` from the constructor. With `mode:
   * "w"`, the file is truncated when opened (on a worker thread too: a restarted worker appends).
   */
  readonly delay?: boolean | undefined
  /**
   * CPython's `errors`: `strict`, `replace`, `backslashreplace`, `surrogateescape` or `ignore` are
   * accepted (anything else is refused); whatever it says, a lone surrogate is written as U+FFFD.
   */
  readonly errors?: FileErrors | undefined
  /** Reopen the file when it was moved or deleted (CPython's WatchedFileHandler), default false. */
  readonly watch?: boolean | undefined
  /** The path, under CPython's name, as `asDict()` gives it: accepted when it is the path argument. */
  readonly filename?: string | undefined
}

/**
 * What a file builder's `asDict()` returns: the kind's `class`, the path as `filename`, and the
 * options set, as plain data. It is valid options for the kind's constructor as it is.
 *
 * @category models
 * @since 0.2.0
 */
export interface FileDict extends CommonDict {
  /** `femtologging.FileHandler`, `femtologging.RotatingFileHandler`... */
  readonly class: string
  readonly filename: string
  readonly mode?: "a" | "w"
  readonly encoding?: FileHandlerOptions["encoding"]
  readonly delay?: boolean
  readonly errors?: FileErrors
  readonly watch?: boolean
}

/** UTF-8 by the names Python's codecs know it by (`utf-8`, `UTF8`, `utf_8`, `U8`, `utf`). */
const isUtf8 = (value: unknown): boolean =>
  typeof value === "string" && ["utf-8", "utf8", "u8", "utf"].includes(value.toLowerCase().replaceAll("_", "-"))

const checkEncoding = (value: unknown): FileHandlerOptions["encoding"] => {
  if (!isUtf8(value)) {
    throw new HandlerConfigError({ field: "encoding", detail: `encoding: only utf-8 is supported (got ${show(value)})` })
  }
  return value as FileHandlerOptions["encoding"]
}

/** Refuses a path that is not a non-empty string. @internal */
export const checkPath = (path: unknown): string => {
  if (typeof path !== "string") {
    const type = path === null ? "null" : Array.isArray(path) ? "an array" : typeof path
    throw new HandlerConfigError({ field: "path", detail: `path must be a string, got ${type}` })
  }
  if (path === "") throw new HandlerConfigError({ field: "path", detail: "path must not be empty" })
  return path
}

/**
 * The rules of the options every file kind takes, for the kind named `kind` writing to `path`.
 *
 * @internal
 */
export const fileRules = (kind: string, path: string) => ({
  ...commonRules,
  class: classRule(kind),
  filename: exactly("filename", path, `the path argument, '${path}'`),
  mode: (value: unknown) => oneOf("mode", value, ["a", "w"]),
  encoding: checkEncoding,
  delay: (value: unknown) => booleanOption("delay", value),
  errors: (value: unknown) =>
    oneOf("errors", value, ["strict", "replace", "backslashreplace", "surrogateescape", "ignore"]),
  watch: (value: unknown) => booleanOption("watch", value)
})

/**
 * Checks a file handler's path and options, as its constructor, its builder's `build()` and
 * `FileHandler.make` do: throws `HandlerConfigError` naming the option (an unknown key included),
 * or returns the options with `undefined` values left out and the policy parsed.
 *
 * @category validation
 * @since 0.2.0
 */
export const checkFileOptions = (path: string, options: FileHandlerOptions = {}): FileHandlerOptions => {
  checkPath(path)
  return checkOptions("FileHandler", options, fileRules("FileHandler", path))
}

/**
 * Creates the pipeline handler of a file handler kind from checked options: opens the file
 * (inline) or checks that it can be opened (worker), and returns the handler with its inline sink.
 *
 * @internal
 */
export const makeFileHandler = (
  label: string,
  path: string,
  options: FileHandlerOptions,
  sinkOptions: Omit<FileSinkOptions, "path" | "label">,
  spawn: Spawner
): { readonly handler: Handler.Handler; readonly sink: FileSink | undefined } => {
  const full: FileSinkOptions = {
    ...sinkOptions,
    path,
    label,
    ...(options.mode === "w" ? { mode: "w" } : {}),
    ...(options.watch === true ? { watch: true } : {}),
    ...(options.delay === true ? { delay: true } : {})
  }
  const clock = spawn(Clock.clockWith(Effect.succeed))
  const open = (): FileSink => {
    try {
      return makeFileSink(full, { now: () => clock.currentTimeMillisUnsafe(), report: labelledReporter(label) })
    } catch (error) {
      throw new HandlerIOError({ path, reason: (error as Error)?.message ?? String(error) })
    }
  }
  let sink: FileSink | undefined
  // A worker opens the file itself, later, and again after a restart: it appends, and `mode: "w"`
  // truncates here, once, when checking that the file can be opened. With `delay`, the worker
  // truncates when it first opens the file (CPython's: a handler that never writes leaves the file
  // as it was), and a flag shared with it makes a restarted worker append.
  const { mode: _, ...appending } = full
  const delayedTruncate = options.executor === "worker" && options.delay === true && options.mode === "w"
  const opened = new Int32Array(new SharedArrayBuffer(4))
  const workerOptions: FileSinkOptions = delayedTruncate ? { ...full, opened } : { ...appending, opened }
  const makeOptions = commonMakeOptions(
    label,
    options,
    () => ({ _tag: "Sink", sink: () => (sink = open()) }),
    { module: sinkModule("fileSink"), options: workerOptions }
  )
  // Check now that the worker will be able to open the file, so a bad path fails here (with
  // `delay`, the worker opens it when it writes).
  if (options.executor === "worker" && options.delay !== true) closeOnceOpened(open(), path, opened)
  return { handler: Handler.makeUnsafe(makeOptions, spawn), sink }
}

/**
 * Closes the sink that checked the path for a worker: at once for a regular file; for a FIFO
 * (anything else), once the thread's sink has opened it too (at most 10 s later), since a FIFO
 * left without a writer in between gives its reader an end of file (`cat` ends, and the thread
 * then finds a FIFO that nobody reads).
 */
const closeOnceOpened = (check: FileSink, path: string, opened: Int32Array): void => {
  let regular = true
  try {
    regular = fs.statSync(path).isFile()
  } catch {
    // gone already: nothing to keep open for
  }
  if (regular) {
    void check.close()
    return
  }
  const deadline = Date.now() + 10_000
  const timer = setInterval(() => {
    if (Atomics.load(opened, 0) === 0 && Date.now() < deadline) return
    clearInterval(timer)
    void check.close()
  }, 10)
  timer.unref()
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

  /**
   * Opens `path` (appending, or truncating with `mode: "w"`). Throws `HandlerConfigError` (see
   * {@link checkFileOptions}) or `HandlerIOError`.
   */
  constructor(path: string, options: FileHandlerOptions = {}, spawn: Spawner = facadeSpawner()) {
    const checked = checkFileOptions(path, options)
    const made = makeFileHandler(`FemtoFileHandler(${path})`, path, checked, {}, spawn)
    super(made.handler)
    this.path = path
    this.sink = made.sink
  }

  /**
   * Writes out what is queued and opens the path again: call it after an external tool (such as
   * logrotate) moved the file, e.g. from a SIGHUP listener. Throws `HandlerIOError` when the path
   * cannot be opened (the handler then keeps writing to the file it had). On a worker executor
   * the thread reopens it, after what was queued; the call waits for it at most
   * `flushTimeoutMs` (a thread still starting, or busy with a backlog, reopens it when it gets
   * there, and a failure then is reported on stderr).
   */
  reopen(): void {
    reopenSink(this.handler, this.path, this.sink)
  }
}

/** @internal */
export const reopenSink = (handler: Handler.Handler, path: string, sink: FileSink | undefined): void => {
  if (sink === undefined) {
    // On a worker: the thread's sink reopens the file after what was queued.
    const failed = handler.reopenSync(performance.now() + handler.flushTimeoutMs)
    if (failed !== undefined) throw new HandlerIOError({ path, reason: failed })
    return
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
 * The `asDict()` keys every file kind shares: `class`, `filename`, and the options set.
 *
 * @internal
 */
export const fileDict = (kind: string, path: string, o: FileHandlerOptions): FileDict => ({
  class: `femtologging.${kind}`,
  filename: path,
  ...commonDict(o),
  ...(o.mode === undefined ? {} : { mode: o.mode }),
  ...(o.encoding === undefined ? {} : { encoding: o.encoding }),
  ...(o.delay === undefined ? {} : { delay: o.delay }),
  ...(o.errors === undefined ? {} : { errors: o.errors }),
  ...(o.watch === undefined ? {} : { watch: o.watch })
})

/**
 * The fluent methods every file handler builder shares; each returns a new builder.
 *
 * @category builders
 * @since 0.1.0
 */
export abstract class FileBuilderBase<Self, Options extends FileHandlerOptions> extends HandlerBuilderBase<Self, Options> {
  readonly path: string

  constructor(path: string, options: Options) {
    super(options)
    this.path = path
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

  /**
   * The options as plain data under the constructor's names, with `class`
   * (`femtologging.FileHandler`) and `filename`; valid options for the constructor as they are.
   */
  asDict(): FileDict {
    return fileDict("FileHandler", this.path, this.options)
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
