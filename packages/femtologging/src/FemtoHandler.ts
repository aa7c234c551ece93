/**
 * The facade's handler objects: `FemtoStreamHandler`, `FemtoFileHandler` and the others are
 * thin shells over a pipeline {@link Handler.Handler}, with Promise-returning `flush()` and
 * `close()` for code without Effect. Loggers accept them as they are (`logger.addHandler(h)`),
 * and the Effect functions (`Handler.flush(h)`, `Handler.close(h)`) take them too.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Filter from "./Filter.ts"
import * as Handler from "./Handler.ts"
import { HandlerConfigError } from "./HandlerConfigError.ts"
import type { Level } from "./Level.ts"
import * as LogRecord from "./LogRecord.ts"

/**
 * Where a handler's sink runs: `"inline"` on the main thread, inside the handler's drain;
 * `"worker"` on a dedicated worker thread (named `femtologging:<handler>`), behind a bounded
 * hand-off of bytes.
 *
 * @category models
 * @since 0.1.0
 */
export type Executor = "inline" | "worker"

/**
 * Options every handler kind shares.
 *
 * @category models
 * @since 0.1.0
 */
export interface CommonOptions {
  /** Queue capacity in records, default 1024. */
  readonly capacity?: number | undefined
  /** `"block"` (the default for local sinks), `"drop"`, `"timeout:N"`, or an `OverflowPolicy`. */
  readonly policy?: Handler.MakeOptions["policy"]
  /** How long `flush()` and `close()` wait, default 1000 ms. */
  readonly flushTimeoutMs?: number | undefined
  /** A `(record) => string`, `"default"` or `"json"`. */
  readonly formatter?: Handler.MakeOptions["formatter"]
  /** Where the sink runs, default `"inline"`. */
  readonly executor?: Executor | undefined
  /** With `executor: "worker"`: handlers naming the same pool share its threads. */
  readonly pool?: string | undefined
  /** With `executor: "worker"`: bytes the hand-off holds, default 4 MiB. */
  readonly bufferBytes?: number | undefined
  /** Write to the sink once this many records are buffered, default 1 (every batch). */
  readonly flushInterval?: number | undefined
  /** Buffered records are written at most this many ms later, default 1000. */
  readonly flushAfterMs?: number | undefined
  /** Records below this level are not taken; default `NOTSET` (everything). */
  readonly level?: Handler.MakeOptions["level"]
  /** Every record reaching the handler passes these first (see `Filter`). */
  readonly filters?: Handler.MakeOptions["filters"]
}

/**
 * The base of the facade's handler classes: it holds the pipeline handler.
 *
 * @category models
 * @since 0.1.0
 */
export class FemtoHandler {
  /** The pipeline handler this object drives. */
  readonly handler: Handler.Handler

  constructor(handler: Handler.Handler) {
    this.handler = handler
  }

  /** Shown in warnings and errors. */
  get label(): string {
    return this.handler.label
  }

  /** The overflow policy. */
  get policy(): Handler.Handler["policy"] {
    return this.handler.policy
  }

  /** The formatter. */
  get formatter(): Handler.Handler["formatter"] {
    return this.handler.formatter
  }

  /** How long `flush()` and `close()` wait. */
  get flushTimeoutMs(): number {
    return this.handler.flushTimeoutMs
  }

  /** Where the sink runs. */
  get executor(): Handler.Handler["executor"] {
    return this.handler.executor
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.handler.closed
  }

  /** The handler's level; `undefined` for `NOTSET` (everything). */
  get level(): Handler.Handler["level"] {
    return this.handler.level
  }

  /** Sets the handler's level (`NOTSET` or 0: everything). Throws `InvalidLevelError`. */
  setLevel(level: Parameters<Handler.Handler["setLevel"]>[0]): void {
    this.handler.setLevel(level)
  }

  /** Adds a filter every record reaching this handler passes. */
  addFilter(filter: Filter.Filter): void {
    this.handler.addFilter(filter)
  }

  /** Removes a filter added before. */
  removeFilter(filter: Filter.Filter): void {
    this.handler.removeFilter(filter)
  }

  /** Records dropped: refused at the queue (full, closed, timed out) or lost by the sink. */
  getDropped(): number {
    return this.handler.getDropped()
  }

  /** Records the sink wrote. */
  getWritten(): number {
    return this.handler.getWritten()
  }

  /**
   * Resolves `true` once everything accepted before the call was written and the sink flushed
   * (on a worker: by the worker's sink); `false` on timeout, a failed write, or when closed.
   */
  flush(): Promise<boolean> {
    return Effect.runPromise(this.handler.flushEffect())
  }

  /** Writes out everything accepted, then closes the sink. Idempotent. */
  close(): Promise<void> {
    return Effect.runPromise(this.handler.closeEffect())
  }

  /**
   * Offers a record directly, throwing `HandlerError` when it is refused (`queue full`,
   * `handler is closed`, `timed out after N ms`); the refusal is also counted.
   */
  handleRecord(record: LogRecord.LogRecord): void {
    Handler.handleUnsafe(this.handler, record)
  }

  /** The seed's form: builds a record from `(logger, level, message)` and offers it. */
  handle(logger: string, level: Level, message: string): void {
    this.handleRecord(LogRecord.make({ logger, level, message }))
  }
}

const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js"

/**
 * The URL of one of this package's sink modules (`internal/fileSink`, ...), as a worker thread
 * loads it: `.ts` when running from the sources, `.js` from the build.
 *
 * @internal
 */
export const sinkModule = (name: string): string => new URL(`./internal/${name}${extension}`, import.meta.url).href

/**
 * The pipeline options every kind derives from {@link CommonOptions}. @internal
 */
export const commonMakeOptions = (
  label: string,
  options: CommonOptions,
  inline: () => Handler.Target,
  worker: { readonly module: string; readonly options: unknown }
): Handler.MakeOptions => {
  const executor = options.executor ?? "inline"
  if (executor !== "inline" && executor !== "worker") {
    throw new HandlerConfigError({
      field: "executor",
      detail: `invalid executor: '${String(executor)}'. Valid options are: inline, worker`
    })
  }
  return {
  label,
  capacity: options.capacity,
  flushInterval: options.flushInterval,
  flushAfterMs: options.flushAfterMs,
  policy: options.policy,
  flushTimeoutMs: options.flushTimeoutMs,
  formatter: options.formatter,
  level: options.level,
  filters: options.filters,
  target: options.executor === "worker"
    ? { _tag: "Worker", ...worker, pool: options.pool, bufferBytes: options.bufferBytes }
    : inline()
  }
}
