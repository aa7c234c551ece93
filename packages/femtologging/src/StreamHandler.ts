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
import { type CommonOptions, commonMakeOptions, FemtoHandler, sinkModule } from "./FemtoHandler.ts"
import * as Formatter from "./Formatter.ts"
import * as Handler from "./Handler.ts"
import { type HandlerConfigError, positiveInt } from "./HandlerConfigError.ts"
import { facadeSpawner, type Spawner } from "./internal/runtime.ts"
import { makeStreamSink } from "./internal/streamSink.ts"
import * as OverflowPolicy from "./OverflowPolicy.ts"

/**
 * Which standard stream to write to.
 *
 * @category models
 * @since 0.1.0
 */
export type StreamTarget = "stdout" | "stderr"

/**
 * Options of a stream handler.
 *
 * @category models
 * @since 0.1.0
 */
export interface StreamHandlerOptions extends CommonOptions {
  readonly target?: StreamTarget | undefined
}

const makeOptions = (options: StreamHandlerOptions): Handler.MakeOptions => {
  const target = options.target ?? "stderr"
  const fd = target === "stdout" ? 1 : 2
  return commonMakeOptions(
    `FemtoStreamHandler(${target})`,
    options,
    () => ({ _tag: "Sink", sink: makeStreamSink({ fd }) }),
    { module: sinkModule("streamSink"), options: { fd } }
  )
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

  constructor(options: StreamHandlerOptions = {}, spawn: Spawner = facadeSpawner()) {
    super(Handler.makeUnsafe(makeOptions(options), spawn))
    this.target = options.target ?? "stderr"
  }

  /** A handler writing to stderr. */
  static stderr(options: Omit<StreamHandlerOptions, "target"> = {}): FemtoStreamHandler {
    return new FemtoStreamHandler({ ...options, target: "stderr" })
  }

  /** A handler writing to stdout. */
  static stdout(options: Omit<StreamHandlerOptions, "target"> = {}): FemtoStreamHandler {
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
 * .withCapacity(n).withFlushTimeoutMs(ms).withFormatter(f).build()`.
 *
 * @category builders
 * @since 0.1.0
 */
export class StreamHandlerBuilder {
  private readonly options: StreamHandlerOptions

  private constructor(options: StreamHandlerOptions) {
    this.options = options
  }

  /** A builder for stderr (the default). */
  static stderr(): StreamHandlerBuilder {
    return new StreamHandlerBuilder({ target: "stderr" })
  }

  /** A builder for stdout. */
  static stdout(): StreamHandlerBuilder {
    return new StreamHandlerBuilder({ target: "stdout" })
  }

  /** Queue capacity; must be greater than zero. */
  withCapacity(capacity: number): StreamHandlerBuilder {
    return new StreamHandlerBuilder({ ...this.options, capacity: positiveInt("capacity", capacity) })
  }

  /** How long `flush()`/`close()` wait; must be greater than zero. */
  withFlushTimeoutMs(ms: number): StreamHandlerBuilder {
    return new StreamHandlerBuilder({ ...this.options, flushTimeoutMs: positiveInt("flush_timeout_ms", ms) })
  }

  /** The formatter: a `(record) => string`, or `"default"` / `"json"`. */
  withFormatter(formatter: Formatter.Formatter | Formatter.FormatterId): StreamHandlerBuilder {
    Formatter.resolve(formatter)
    return new StreamHandlerBuilder({ ...this.options, formatter })
  }

  /** The overflow policy (default block). */
  withOverflowPolicy(policy: OverflowPolicy.OverflowPolicy | string): StreamHandlerBuilder {
    return new StreamHandlerBuilder({ ...this.options, policy: OverflowPolicy.parse(policy) })
  }

  /** Runs the sink on a dedicated worker thread. */
  onWorkerThread(pool?: string): StreamHandlerBuilder {
    return new StreamHandlerBuilder({ ...this.options, executor: "worker", pool })
  }

  /** The options as plain data, with the seed's keys. */
  asDict(): Record<string, unknown> {
    const o = this.options
    return {
      target: o.target ?? "stderr",
      ...(o.capacity === undefined ? {} : { capacity: o.capacity }),
      ...(o.flushTimeoutMs === undefined ? {} : { flush_timeout_ms: o.flushTimeoutMs }),
      ...(o.formatter === undefined ? {} : { formatter: typeof o.formatter === "string" ? o.formatter : { kind: "instance" } }),
      ...(o.policy === undefined ? {} : { overflow_policy: OverflowPolicy.format(OverflowPolicy.parse(o.policy)) }),
      ...(o.executor === undefined ? {} : { executor: o.executor })
    }
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
