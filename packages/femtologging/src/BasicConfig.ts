/**
 * `basicConfig`: one handler on the root logger in one call, as CPython's `logging.basicConfig`.
 *
 * The rules are CPython's: `filename` and `stream` exclude each other, and neither goes with
 * `handlers`; without `force`, nothing changes when root already has handlers; `force` first
 * removes root's handlers and closes them (after writing what they accepted). The handler made
 * is a file handler for `filename` (mode `filemode`, default `"a"`), else a stream handler on
 * `stream` (default stderr), formatted by `format` in `style` with `datefmt` (default CPython's
 * `%(levelname)s:%(name)s:%(message)s`, so output matches CPython's byte for byte; but a stream
 * handler writing to a terminal, with no `format`, `style` or `datefmt` given, uses the pretty
 * formatter: colour by level, local time, fields and errors readable). A handler given in
 * `handlers` keeps a formatter it was given; one made without gets `format` (or the default of
 * `style`), as CPython's `if h.formatter is None: h.setFormatter(fmt)`. `level` is set on root last.
 *
 * Unlike CPython, every argument is checked on every call, even when root already has handlers
 * and nothing would change: a mistake is never silent. Errors are `ConfigError`s with
 * `path` `"basicConfig"`, thrown before anything changes.
 *
 * @since 0.2.0
 */
import { Effect } from "./internal/lazyEffect.ts"
import { exitDeadlineMs } from "./internal/runtime.ts"
import * as tty from "node:tty"
import { ConfigError } from "./ConfigError.ts"
import { processWide } from "./Manager.ts"
import { FemtoFileHandler, type FileHandlerOptions } from "./FileHandler.ts"
import * as Formatter from "./Formatter.ts"
import * as Handler from "./Handler.ts"
import * as Level from "./Level.ts"
import * as PrettyFormatter from "./PrettyFormatter.ts"
import type { LoggerManager } from "./Manager.ts"
import { FemtoStreamHandler } from "./StreamHandler.ts"

/**
 * The arguments of {@link basicConfig}, named as CPython names them.
 *
 * @category models
 * @since 0.2.0
 */
export interface BasicConfigOptions {
  /** Root's level. */
  readonly level?: Level.LevelInput | undefined
  /** Log to this file (a file handler). */
  readonly filename?: string | undefined
  /** `"a"` (default) or `"w"`. */
  readonly filemode?: "a" | "w" | undefined
  /** Log to this stream: `"stdout"`, `"stderr"` (default), or `process.stdout` / `process.stderr`. */
  readonly stream?: "stdout" | "stderr" | NodeJS.WriteStream | undefined
  /** Remove and close root's handlers first. */
  readonly force?: boolean | undefined
  /** Attach these handlers instead of making one. */
  readonly handlers?: ReadonlyArray<unknown> | undefined
  /** The format of the handler made here, in `style`. */
  readonly format?: string | undefined
  /** strftime format of `asctime`. */
  readonly datefmt?: string | undefined
  /** `"%"` (default), `"{"` or `"$"`. */
  readonly style?: "%" | "{" | "$" | undefined
  /** Only UTF-8 is written. */
  readonly encoding?: string | undefined
  /** CPython's `errors` of the file (accepted; lone surrogates are always written as U+FFFD). */
  readonly errors?: string | undefined
}

const known = new Set([
  "level",
  "filename",
  "filemode",
  "stream",
  "force",
  "handlers",
  "format",
  "datefmt",
  "style",
  "encoding",
  "errors"
])

/** CPython's `_STYLES[style][1]`: the default format of each style. */
const defaultFormats = {
  "%": "%(levelname)s:%(name)s:%(message)s",
  "{": "{levelname}:{name}:{message}",
  "$": "${levelname}:${name}:${message}"
} as const

const fail = (detail: string): never => {
  throw new ConfigError({ path: "basicConfig", detail })
}

const streamTarget = (stream: BasicConfigOptions["stream"]): "stdout" | "stderr" => {
  if (stream === undefined || stream === "stderr" || stream === process.stderr) return "stderr"
  if (stream === "stdout" || stream === process.stdout) return "stdout"
  return fail("stream must be \"stdout\", \"stderr\", process.stdout or process.stderr")
}

/**
 * Configures the root logger in one call, as CPython's `logging.basicConfig`. Throws
 * `ConfigError` for a bad argument, before anything changes.
 *
 * **Example** (CPython's output)
 *
 * ```ts
 * import { basicConfig, getLogger } from "femtologging"
 * basicConfig({ level: "INFO", format: "%(asctime)s %(levelname)s %(name)s: %(message)s" })
 * getLogger("app").info("ready") // stderr: 2026-12-02 10:00:00,123 INFO app: ready
 * ```
 *
 * @category configuration
 * @since 0.2.0
 */
export const basicConfig = (options: BasicConfigOptions = {}, manager: LoggerManager = processWide()): void => {
  if (typeof options !== "object" || options === null) fail("expected an object of options")
  const unknown = Object.keys(options).filter((key) => !known.has(key))
  if (unknown.length > 0) fail(`unrecognised argument(s): ${unknown.join(", ")}`)
  const { filename, handlers, stream } = options
  if (handlers === undefined) {
    if (stream !== undefined && filename !== undefined) fail("'stream' and 'filename' should not be specified together")
  } else {
    if (stream !== undefined || filename !== undefined) {
      fail("'stream' or 'filename' should not be specified together with 'handlers'")
    }
    if (!Array.isArray(handlers)) fail("handlers must be an array of handlers")
    // Each one is checked before root changes (force would otherwise have closed root's handlers
    // before addHandler refused one, with an InvalidHandlerError).
    handlers.forEach((handler, index) => {
      if (Handler.of(handler) !== undefined) return
      try {
        Handler.objectTarget(handler)
      } catch (error) {
        fail(`handlers[${index}]: ${error instanceof Error ? error.message : String(error)}`)
      }
    })
  }
  const style = options.style ?? "%"
  if (style !== "%" && style !== "{" && style !== "$") fail("Style must be one of: %,{,$")
  const mode = options.filemode ?? "a"
  if (mode !== "a" && mode !== "w") fail(`filemode must be "a" or "w" (got ${String(mode)})`)
  const level = options.level === undefined ? undefined : attempt(() => Level.parseThresholdUnsafe(options.level!))
  const target = handlers === undefined && filename === undefined ? streamTarget(stream) : undefined
  // In a terminal, with no format asked for, the pretty formatter (colour per NO_COLOR/FORCE_COLOR);
  // everywhere else (pipes, files, an explicit format) CPython's format, byte for byte.
  const pretty = target !== undefined && options.format === undefined && options.style === undefined &&
    options.datefmt === undefined && process.env.TERM !== "dumb" && tty.isatty(target === "stdout" ? 1 : 2)
  const formatter = pretty
    ? PrettyFormatter.make({ stream: target })
    : attempt(() => Formatter.python(options.format ?? defaultFormats[style], { style, datefmt: options.datefmt }))
  const root = manager.root
  if (options.force !== true && root.handlers.length > 0) return
  if (options.force === true) {
    // As CPython, which closes them (flushing) before it opens the new file: what root's handlers
    // accepted is written first (a worker's thread included), so that a new handler on the same
    // file writes after it, and one with filemode "w" truncates it, as CPython's does.
    const deadline = performance.now() + exitDeadlineMs
    for (const old of root.handlers) Handler.of(old)?.settleSync(deadline)
  }
  // Everything is checked and the new handler opened before root changes.
  const fileOptions = { formatter, mode, ...(options.encoding === undefined ? {} : { encoding: options.encoding }) }
  const made = handlers === undefined
    ? [
      attempt(() =>
        filename === undefined
          ? new FemtoStreamHandler({ target, formatter }, manager.spawn)
          : new FemtoFileHandler(filename, fileOptions as FileHandlerOptions, manager.spawn)
      )
    ]
    : handlers
  if (options.force === true) {
    const closed = new Set<unknown>(root.handlers)
    for (const old of closed) {
      root.removeHandler(old)
      const pipeline = Handler.of(old)
      if (pipeline !== undefined) Effect.runFork(pipeline.closeEffect())
    }
    // A closed handler leaves CPython's `logging._handlers`: it no longer has a name.
    const named = new Map<string, unknown>()
    for (const name of manager.getHandlerNames()) {
      const handler = manager.getHandlerByName(name)
      if (!closed.has(handler)) named.set(name, handler)
    }
    manager.setNamedHandlers(named)
  }
  if (handlers !== undefined) {
    // CPython formats a given handler that has no formatter of its own (never with the pretty one,
    // which only the stream handler made here may use).
    for (const handler of handlers) {
      const pipeline = Handler.of(handler)
      if (pipeline !== undefined && pipeline.formatsText && pipeline.formatterIsDefault) pipeline.setFormatter(formatter)
    }
  }
  for (const handler of made) root.addHandler(handler as Parameters<typeof root.addHandler>[0])
  if (options.level !== undefined) root.setLevel(level ?? "NOTSET")
  // CPython's root starts at WARNING (ours at INFO): unless the application set root's level.
  else if (root.levelIsDefault) root.setLevel("WARNING")
}

/** Runs `f`, turning what it throws into a `ConfigError` with the same message. */
const attempt = <A>(f: () => A): A => {
  try {
    return f()
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error))
  }
}
