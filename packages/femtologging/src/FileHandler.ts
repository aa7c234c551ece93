/**
 * The file handler appends formatted records to a file (created with its missing parent folders)
 * from its own bounded queue and worker fiber, flushing to the OS every `flushInterval` records
 * (a record count, not time), on `flush()` and on `close()`; `flushAfterMs` adds a time bound.
 *
 * Its sink is synchronous, so every overflow policy holds: drop counts, block holds the producer
 * (a synchronous caller drains the queue itself), `timeout:N` gives up after N ms. Records still
 * queued or buffered at exit, `process.exit()` or SIGTERM/SIGINT are written before the process
 * ends.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Formatter from "./Formatter.ts"
import { Handler, HandlerIOError, makeIn } from "./Handler.ts"
import { HandlerConfigError, positiveInt } from "./HandlerConfigError.ts"

export { HandlerIOError } from "./Handler.ts"
import { FileWriter, type Rotation } from "./internal/fileWriter.ts"
import { facadeSpawner, type Spawner } from "./internal/runtime.ts"
import { labelledReporter } from "./internal/warner.ts"
import * as OverflowPolicy from "./OverflowPolicy.ts"
import type { Sink } from "./Sink.ts"

/**
 * Options of a file handler.
 *
 * @category models
 * @since 0.1.0
 */
export interface FileHandlerOptions {
  /** Queue capacity, default 1024. */
  readonly capacity?: number | undefined
  /** Write to the OS every N records, default 1 (one write per batch, not per record). */
  readonly flushInterval?: number | undefined
  /** Also write buffered records at most this many ms after they were queued. */
  readonly flushAfterMs?: number | undefined
  /** `"drop"` (default), `"block"`, `"timeout:N"` or an `OverflowPolicy`. */
  readonly policy?: OverflowPolicy.OverflowPolicy | string | undefined
  readonly formatter?: Formatter.Formatter | Formatter.FormatterId | undefined
  /** How long `flush()` and `close()` wait, default 1000 ms. */
  readonly flushTimeoutMs?: number | undefined
  /** Only UTF-8 is written; any other value is refused. */
  readonly encoding?: "utf-8" | "utf8" | undefined
}

/** The options every file handler validates the same way. @internal */
export interface ResolvedFileOptions {
  readonly capacity: number
  readonly flushInterval: number
  readonly flushAfterMs: number | undefined
  readonly policy: OverflowPolicy.OverflowPolicy
  readonly formatter: Formatter.Formatter
  readonly flushTimeoutMs: number | undefined
}

/**
 * Validates file handler options, naming the field of the first bad one.
 *
 * @internal
 */
export const resolveFileOptions = (options: FileHandlerOptions): ResolvedFileOptions => {
  if (options.encoding !== undefined && options.encoding.toLowerCase() !== "utf-8" && options.encoding.toLowerCase() !== "utf8") {
    throw new HandlerConfigError({ field: "encoding", detail: `unsupported encoding: ${String(options.encoding)} (only utf-8)` })
  }
  return {
    capacity: positiveInt("capacity", options.capacity ?? 1024),
    flushInterval: positiveInt("flush_interval", options.flushInterval ?? 1),
    flushAfterMs: options.flushAfterMs === undefined ? undefined : positiveInt("flush_after_ms", options.flushAfterMs),
    policy: OverflowPolicy.parse(options.policy ?? "drop"),
    formatter: Formatter.resolve(options.formatter ?? "default"),
    flushTimeoutMs: options.flushTimeoutMs === undefined ? undefined : positiveInt("flush_timeout_ms", options.flushTimeoutMs)
  }
}

/**
 * Opens the writer for a file handler, turning an OS error into {@link HandlerIOError}.
 *
 * @internal
 */
export const openWriter = (
  path: string,
  options: ResolvedFileOptions,
  label: string,
  rotation?: Rotation
): FileWriter => {
  if (typeof path !== "string" || path === "") throw new HandlerConfigError({ field: "path", detail: "path must not be empty" })
  try {
    return new FileWriter({
      path,
      formatter: Formatter.guard(options.formatter, label),
      flushInterval: options.flushInterval,
      flushAfterMs: options.flushAfterMs,
      rotation,
      report: labelledReporter(label)
    })
  } catch (error) {
    throw new HandlerIOError({ path, reason: (error as Error).message ?? String(error) })
  }
}

/**
 * The sink over a file writer. @internal
 */
export const writerSink = (writer: FileWriter, settle?: () => Promise<void>): Sink => ({
  sync: true,
  write: (batch) => writer.write(batch),
  flush: () => writer.flush(),
  close: () => writer.close(),
  onLost: (lost) => {
    writer.onLost = lost
  },
  settle
})

/**
 * The handler options for a file handler class. @internal
 */
export const fileHandlerOptions = (
  label: string,
  writer: FileWriter,
  options: ResolvedFileOptions,
  settle?: () => Promise<void>
) => ({
  label,
  sink: writerSink(writer, settle),
  capacity: options.capacity,
  policy: options.policy,
  formatter: options.formatter,
  flushTimeoutMs: options.flushTimeoutMs
})

/**
 * A handler appending to a file.
 *
 * **Example** (Blocking file handler)
 *
 * ```ts
 * import { FemtoFileHandler, getLogger } from "femtologging"
 * const handler = new FemtoFileHandler("/tmp/app.log", { policy: "block", flushInterval: 100 })
 * getLogger("app").addHandler(handler)
 * getLogger("app").info("saved") // => "app [INFO] saved"
 * await handler.close()
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export class FemtoFileHandler extends Handler {
  /** The file written to. */
  readonly path: string
  /** @internal */
  readonly writer: FileWriter

  /** Opens (appends to) `path`. Throws `HandlerConfigError` or `HandlerIOError`. */
  constructor(path: string, options: FileHandlerOptions = {}, spawn: Spawner = facadeSpawner()) {
    const resolved = resolveFileOptions(options)
    const label = `FemtoFileHandler(${path})`
    const writer = openWriter(path, resolved, label)
    super(fileHandlerOptions(label, writer, resolved), spawn)
    this.path = path
    this.writer = writer
  }

  /**
   * Writes out what is queued and opens the path again: call it after an external tool (such as
   * logrotate) moved the file, e.g. from a SIGHUP listener. Throws `HandlerIOError` when the path
   * cannot be opened; the handler then keeps writing to the file it had.
   */
  reopen(): void {
    this.lane.drainQueued()
    try {
      this.writer.reopen()
    } catch (error) {
      throw new HandlerIOError({ path: this.path, reason: (error as Error).message ?? String(error) })
    }
  }
}

/**
 * Creates a file handler in the current scope (Effect face); closing the scope writes out what
 * was queued and closes the file.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (
  path: string,
  options: FileHandlerOptions = {}
): Effect.Effect<FemtoFileHandler, HandlerConfigError | HandlerIOError, Scope.Scope> =>
  makeIn((spawn) => new FemtoFileHandler(path, options, spawn))

/**
 * The `asDict()` keys every file builder shares.
 *
 * @internal
 */
export const fileDict = (path: string, o: FileHandlerOptions): Record<string, unknown> => {
  const policy = OverflowPolicy.parse(o.policy ?? "drop")
  return {
    path,
    ...(o.capacity === undefined ? {} : { capacity: o.capacity }),
    ...(o.flushInterval === undefined ? {} : { flush_after_records: o.flushInterval }),
    ...(o.flushAfterMs === undefined ? {} : { flush_after_ms: o.flushAfterMs }),
    ...(o.formatter === undefined ? {} : { formatter: typeof o.formatter === "string" ? o.formatter : { kind: "instance" } }),
    overflow_policy: policy._tag.toLowerCase(),
    ...(policy._tag === "Timeout" ? { timeout_ms: policy.ms } : {})
  }
}

/**
 * The fluent methods every file handler builder shares; each returns a new builder.
 *
 * @category builders
 * @since 0.1.0
 */
export abstract class FileBuilderBase<Self, Options extends FileHandlerOptions> {
  constructor(readonly path: string, readonly options: Options) {}

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

  /** Also write buffered records at most `ms` after they were queued; must be greater than zero. */
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
