/**
 * The stream handler writes formatted records to stdout or stderr (the default). Its sink runs
 * inline by default: one `write(2)` per batch, so what was accepted is on the stream when
 * `flush()` resolves and at process exit. A pipe whose reader stops reading never freezes the
 * application: the sink waits for it asynchronously (inline) or on its own thread
 * (`executor: "worker"`, where `block` then holds callers until the reader resumes).
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import {
  checkOptions,
  classRule,
  type CommonDict,
  commonDict,
  type CommonOptions,
  commonMakeOptions,
  commonRules,
  FemtoHandler,
  HandlerBuilderBase,
  sinkModule
} from "./FemtoHandler.ts"
import * as Handler from "./Handler.ts"
import { HandlerConfigError, oneOf } from "./HandlerConfigError.ts"
import { facadeSpawner, type Spawner } from "./internal/runtime.ts"
import { makeStreamSink } from "./internal/streamSink.ts"

/**
 * Which standard stream to write to.
 *
 * @category models
 * @since 0.1.0
 */
export type StreamTarget = "stdout" | "stderr"

/**
 * Options of a stream handler: the {@link CommonOptions} and the stream, as `stream` (CPython's
 * keyword, and the name `asDict()` uses) or `target` (the same thing; both given must agree).
 *
 * @category models
 * @since 0.1.0
 */
export interface StreamHandlerOptions extends CommonOptions {
  /** `"stdout"` or `"stderr"` (the default); `process.stdout` and `process.stderr` name them too. */
  readonly stream?: StreamTarget | NodeJS.WriteStream | undefined
  /** The same as `stream`. */
  readonly target?: StreamTarget | NodeJS.WriteStream | undefined
}

/**
 * What a stream builder's `asDict()` returns: `class` (`femtologging.StreamHandler`), `stream`
 * and the options set.
 *
 * @category models
 * @since 0.2.0
 */
export interface StreamDict extends CommonDict {
  readonly class: string
  readonly stream: StreamTarget
}

const streams = ["stdout", "stderr"] as const

/**
 * A stream option's value: `process.stdout` and `process.stderr` as their names (CPython's
 * `StreamHandler(sys.stdout)`); another stream object is refused with what to do instead.
 */
const streamRule = (field: string) => (value: unknown): StreamTarget => {
  if (value === process.stdout) return "stdout"
  if (value === process.stderr) return "stderr"
  if (isStreamObject(value)) throw notStdio(field)
  return oneOf(field, value, streams)
}

/** A stream option's name (`process.stdout` is `"stdout"`); `"stderr"` when not given. */
const nameOf = (value: StreamTarget | NodeJS.WriteStream | undefined): StreamTarget =>
  value === process.stdout ? "stdout" : value === process.stderr ? "stderr" : (value as StreamTarget | undefined) ?? "stderr"

const isStreamObject = (value: unknown): boolean =>
  typeof value === "object" && value !== null && typeof (value as { write?: unknown }).write === "function"

const notStdio = (field: string): HandlerConfigError =>
  new HandlerConfigError({
    field,
    detail: `a stream handler writes to process.stdout or process.stderr ('stdout', 'stderr'), not another ` +
      `stream object; for another stream, add a handler object whose handle(record) writes to it`
  })

/**
 * Checks a stream handler's options, as its constructor, its builder's `build()` and
 * `StreamHandler.make` do: throws `HandlerConfigError` naming the option (an unknown key
 * included), or returns them with `stream` set (from `target` when only that was given, else
 * `"stderr"`), without `target`, `undefined` values left out and the policy parsed.
 *
 * @category validation
 * @since 0.2.0
 */
export const checkStreamOptions = (
  options: StreamHandlerOptions | NodeJS.WriteStream = {}
): Omit<StreamHandlerOptions, "target" | "stream"> & { readonly stream: StreamTarget } => {
  // CPython's `StreamHandler(sys.stdout)`: the stream given in place of the options.
  if (options === process.stdout || options === process.stderr) options = { stream: options as NodeJS.WriteStream }
  else if (isStreamObject(options)) throw notStdio("stream")
  const { target, stream, ...checked } = checkOptions("StreamHandler", options as StreamHandlerOptions, {
    ...commonRules,
    class: classRule("StreamHandler"),
    stream: streamRule("stream"),
    target: streamRule("target")
  }) as Omit<StreamHandlerOptions, "target" | "stream"> & { readonly stream?: StreamTarget; readonly target?: StreamTarget }
  if (target !== undefined && stream !== undefined && target !== stream) {
    throw new HandlerConfigError({
      field: "stream",
      detail: `stream and target name different streams ('${stream}', '${target}'); give one`
    })
  }
  return { ...checked, stream: stream ?? target ?? "stderr" }
}

/**
 * A handler writing to stdout or stderr.
 *
 * **Example** (The seed's quick start)
 *
 * ```ts
 * import { FemtoStreamHandler, getLogger } from "femtologging"
 * const logger = getLogger("demo.app")
 * logger.addHandler(FemtoStreamHandler.stderr())
 * logger.log("INFO", "hello from femtologging") // => "demo.app [INFO] hello from femtologging"
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export class FemtoStreamHandler extends FemtoHandler {
  /** Which stream this handler writes to. */
  readonly target: StreamTarget

  /**
   * Throws `HandlerConfigError` (see {@link checkStreamOptions}). `process.stdout` or
   * `process.stderr` may stand in place of the options, as `sys.stdout` does for CPython's.
   */
  constructor(options: StreamHandlerOptions | NodeJS.WriteStream = {}, spawn: Spawner = facadeSpawner()) {
    const checked = checkStreamOptions(options)
    const target = checked.stream
    const fd = target === "stdout" ? 1 : 2
    super(Handler.makeUnsafe(
      commonMakeOptions(
        `FemtoStreamHandler(${target})`,
        checked,
        () => ({ _tag: "Sink", sink: makeStreamSink({ fd }) }),
        { module: sinkModule("streamSink"), options: { fd } }
      ),
      spawn
    ))
    this.target = target
  }

  /** Which stream this handler writes to (the same as `target`). */
  get stream(): StreamTarget {
    return this.target
  }

  /** A handler writing to stderr. */
  static stderr(options: Omit<StreamHandlerOptions, "target" | "stream"> = {}): FemtoStreamHandler {
    return new FemtoStreamHandler({ ...options, target: "stderr" })
  }

  /** A handler writing to stdout. */
  static stdout(options: Omit<StreamHandlerOptions, "target" | "stream"> = {}): FemtoStreamHandler {
    return new FemtoStreamHandler({ ...options, target: "stdout" })
  }
}

/**
 * Creates a stream handler in the current scope (Effect face); closing the scope writes out what
 * was accepted.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (
  options: StreamHandlerOptions = {}
): Effect.Effect<FemtoStreamHandler, HandlerConfigError, Scope.Scope> =>
  Handler.makeIn<FemtoStreamHandler, HandlerConfigError>((spawn) => new FemtoStreamHandler(options, spawn))

/**
 * Fluent construction of a stream handler, as in the seed: `StreamHandlerBuilder.stdout()
 * .withCapacity(n).withFlushTimeoutMs(ms).withFormatter(f).build()`. Its state holds the stream
 * as `stream`.
 *
 * @category builders
 * @since 0.1.0
 */
export class StreamHandlerBuilder extends HandlerBuilderBase<StreamHandlerBuilder, StreamHandlerOptions> {
  /**
   * A builder starting from options (an `asDict()` result included), checked at `build()`; a
   * valid `target` given alone is kept as `stream`.
   */
  constructor(options: StreamHandlerOptions = {}) {
    const { target, ...rest } = options
    const alone = rest.stream === undefined && (target === "stdout" || target === "stderr")
    super(alone ? { ...rest, stream: target } : options)
  }

  /** A builder for stderr (the default). */
  static stderr(): StreamHandlerBuilder {
    return new StreamHandlerBuilder({ stream: "stderr" })
  }

  /** A builder for stdout. */
  static stdout(): StreamHandlerBuilder {
    return new StreamHandlerBuilder({ stream: "stdout" })
  }

  protected with(options: StreamHandlerOptions): StreamHandlerBuilder {
    return new StreamHandlerBuilder(options)
  }

  /**
   * The options as plain data under the constructor's names, with `class`
   * (`femtologging.StreamHandler`) and `stream`; valid options for the constructor as they are.
   */
  asDict(): StreamDict {
    const o = this.options
    return { class: "femtologging.StreamHandler", stream: nameOf(o.stream ?? o.target), ...commonDict(o) }
  }

  /** Builds the handler (facade). */
  build(): FemtoStreamHandler {
    return new FemtoStreamHandler(this.options)
  }

  /** Builds the handler in the current scope (Effect face). */
  make(): Effect.Effect<FemtoStreamHandler, HandlerConfigError, Scope.Scope> {
    return make(this.options)
  }
}
