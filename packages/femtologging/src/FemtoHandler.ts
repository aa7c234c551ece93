/**
 * The facade's handler objects: `FemtoStreamHandler`, `FemtoFileHandler` and the others are
 * thin shells over a pipeline {@link Handler.Handler}, with Promise-returning `flush()` and
 * `close()` for code without Effect. Loggers accept them as they are (`logger.addHandler(h)`),
 * and the Effect functions (`Handler.flush(h)`, `Handler.close(h)`) take them too.
 *
 * **One options spec per kind**
 *
 * Each kind's options have one set of names (camelCase) used alike by its constructor, its
 * builder's state, its builder's `asDict()` and the configuration, and one validation function
 * (`checkFileOptions`, `checkStreamOptions`...) that the constructor, the builder's `build()` and
 * the Effect `make()` all go through, so they refuse the same values with the same
 * `HandlerConfigError` (field: the option's name). An unknown key is refused too:
 * `unknown option 'maxbytes' for FileHandler`. A builder's `asDict()` result is valid options for
 * the kind's constructor as it is (its `class` and `filename` keys are accepted there when they
 * match).
 *
 * @since 0.1.0
 */
import { Effect } from "./internal/lazyEffect.ts"
import { moduleUrl } from "./internal/moduleUrl.ts"
import * as WorkerExecutor from "./internal/workerExecutor.ts"
import * as Filter from "./Filter.ts"
import * as Formatter from "./Formatter.ts"
import * as Handler from "./Handler.ts"
import { capacityOf, checkFilters, checkKeys, checkLevel, HandlerConfigError, oneOf, positiveInt, show, timerMs } from "./HandlerConfigError.ts"
import * as Level from "./Level.ts"
import * as LogRecord from "./LogRecord.ts"
import * as OverflowPolicy from "./OverflowPolicy.ts"

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
  /**
   * The kind's configuration class name (`femtologging.FileHandler`...), as `asDict()` gives it:
   * accepted so that dict can be passed back; any other value is refused.
   */
  readonly class?: string | undefined
  /** Queue capacity in records, default 1024. */
  readonly capacity?: number | undefined
  /** `"block"` (the default for local sinks), `"drop"`, `"timeout:N"`, or an `OverflowPolicy`. */
  readonly policy?: Handler.MakeOptions["policy"]
  /**
   * How long `flush()` and `close()` wait for the records, default 1000 ms. Once every record is
   * written, `close()` lets the sink release itself for up to 5 s (a rotating handler finishing
   * its compressions).
   */
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

  /** `handler.formatter = Formatter.python("%(message)s")`, as CPython's attribute: {@link setFormatter}. */
  set formatter(formatter: Parameters<Handler.Handler["setFormatter"]>[0]) {
    this.handler.setFormatter(formatter)
  }

  /**
   * CPython's `setFormatter`: what is logged from now on is formatted by `formatter` (a
   * `(record) => string`, an object with a `format(record)` method, or an id: `"default"`,
   * `"json"`, `"logfmt"`). Records queued before the call are written first, as they were logged.
   * Throws `HandlerConfigError` for something that is not a formatter, and on the socket handler
   * (it sends records as data). A capture handler's `lines` use it; a memory handler ignores it,
   * as CPython's (its target formats).
   */
  setFormatter(formatter: Parameters<Handler.Handler["setFormatter"]>[0]): void {
    this.handler.setFormatter(formatter)
  }

  /** How long `flush()` and `close()` wait for the records (see the option). */
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

  /** `handler.level = "ERROR"`, as a logger's level is set: {@link setLevel}. */
  set level(level: Parameters<Handler.Handler["setLevel"]>[0]) {
    this.handler.setLevel(level)
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
  handle(logger: string, level: Level.Level, message: string): void {
    this.handleRecord(LogRecord.make({ logger, level, message }))
  }
}

const here = moduleUrl(import.meta.url)
const extension = here.endsWith(".ts") ? ".ts" : ".js"

/**
 * The URL of one of this package's sink modules (`internal/fileSink`, ...), as a worker thread
 * loads it: `.ts` when running from the sources, `.js` from the build.
 *
 * @internal
 */
export const sinkModule = (name: string): string => new URL(`./internal/${name}${extension}`, here).href

/**
 * The pipeline options every kind derives from its checked {@link CommonOptions}. @internal
 */
export const commonMakeOptions = (
  label: string,
  options: CommonOptions,
  inline: () => Handler.Target,
  worker: { readonly module: string; readonly options: unknown }
): Handler.MakeOptions => ({
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
    ? { _tag: "Worker", ...checkWorkerFiles(worker), pool: options.pool, bufferBytes: options.bufferBytes }
    : inline()
})

/**
 * The worker target, once the files its thread runs are known to be there; else (a bundle that
 * did not emit them) a `HandlerConfigError` saying so, instead of a thread that dies at every
 * start while records are counted as lost.
 */
const checkWorkerFiles = <W extends { readonly module: string }>(worker: W): W => {
  const missing = WorkerExecutor.missingFile(worker.module)
  if (missing === undefined) return worker
  throw new HandlerConfigError({
    field: "executor",
    detail: `executor "worker" runs femtologging's worker files, and ${missing} is not there: ` +
      "in a bundle (esbuild, webpack...), emit them beside it (see the README, \"Bundling\"), or use executor: \"inline\""
  })
}

/**
 * How one option is checked: returns the value to keep, or throws `HandlerConfigError` naming
 * the option. @internal
 */
export type Rule = (value: unknown) => unknown

/** The rules of a kind's options, by option name. @internal */
export type Rules = Readonly<Record<string, Rule>>

const nonEmptyString = (field: string) => (value: unknown): string => {
  if (typeof value !== "string" || value === "") {
    throw new HandlerConfigError({ field, detail: `${field} must be a non-empty string (got ${show(value)})` })
  }
  return value
}

/**
 * The rules of the options every kind shares (see {@link CommonOptions}). @internal
 */
export const commonRules = {
  capacity: (value: unknown) => capacityOf("capacity", value),
  policy: (value: unknown) => OverflowPolicy.parse(value as string),
  flushInterval: (value: unknown) => positiveInt("flushInterval", value),
  flushAfterMs: (value: unknown) => timerMs("flushAfterMs", value),
  flushTimeoutMs: (value: unknown) => timerMs("flushTimeoutMs", value),
  formatter: (value: unknown) => {
    Formatter.resolve(value as Parameters<typeof Formatter.resolve>[0])
    return value as NonNullable<CommonOptions["formatter"]>
  },
  executor: (value: unknown) => oneOf("executor", value, ["inline", "worker"]),
  pool: nonEmptyString("pool"),
  bufferBytes: (value: unknown) => positiveInt("bufferBytes", value),
  level: checkLevel,
  filters: checkFilters
} as const satisfies Rules

/**
 * A rule refusing any value but `expected` (a kind's `class`, a file kind's `filename`), e.g.
 * `class must be 'femtologging.FileHandler' for FileHandler (got 'x')`. @internal
 */
export const exactly = (field: string, expected: string, what: string): Rule => (value) => {
  if (value !== expected) {
    throw new HandlerConfigError({ field, detail: `${field} must be ${what} (got '${show(value)}')` })
  }
  return value
}

/** The rule of a kind's `class` option. @internal */
export const classRule = (kind: string): Rule => exactly("class", `femtologging.${kind}`, `'femtologging.${kind}' for ${kind}`)

/**
 * Checks `options` against a kind's rules: refuses an unknown key (`unknown option 'x' for
 * <kind>`) and every value its rule refuses. Returns the options with each value as its rule
 * keeps it (a policy parsed), and without the keys whose value is `undefined`. @internal
 */
export const checkOptions = <O extends object>(kind: string, options: O, rules: Rules): O => {
  checkKeys(kind, options, new Set(Object.keys(rules)))
  const checked: Record<string, unknown> = {}
  for (const key of Object.keys(rules)) {
    const value = (options as Record<string, unknown>)[key]
    if (value !== undefined) checked[key] = rules[key]!(value)
  }
  return checked as O
}

/**
 * The keys of {@link CommonOptions} an `asDict()` shows: those set, the policy as its string form
 * (`"timeout:250"`), the formatter when it is an id (a function is left out), the level as its
 * name. Filters are left out (they are functions). @internal
 */
export const commonDict = (o: CommonOptions): CommonDict => {
  const dict: { -readonly [K in keyof CommonDict]: CommonDict[K] } = {}
  if (o.capacity !== undefined) dict.capacity = o.capacity
  if (o.policy !== undefined) dict.policy = OverflowPolicy.format(OverflowPolicy.parse(o.policy))
  if (o.flushInterval !== undefined) dict.flushInterval = o.flushInterval
  if (o.flushAfterMs !== undefined) dict.flushAfterMs = o.flushAfterMs
  if (o.flushTimeoutMs !== undefined) dict.flushTimeoutMs = o.flushTimeoutMs
  if (typeof o.formatter === "string") dict.formatter = o.formatter
  if (o.executor !== undefined) dict.executor = o.executor
  if (o.pool !== undefined) dict.pool = o.pool
  if (o.bufferBytes !== undefined) dict.bufferBytes = o.bufferBytes
  if (o.level !== undefined) dict.level = Level.parseThresholdUnsafe(o.level) ?? "NOTSET"
  return dict
}

/**
 * The {@link CommonOptions} keys of an `asDict()` result: plain data, valid as options again.
 *
 * @category models
 * @since 0.2.0
 */
export interface CommonDict {
  readonly capacity?: number
  /** `"block"`, `"drop"` or `"timeout:N"`. */
  readonly policy?: string
  readonly flushInterval?: number
  readonly flushAfterMs?: number
  readonly flushTimeoutMs?: number
  /** Only when the formatter is an id (`"default"`, `"json"`...). */
  readonly formatter?: Formatter.FormatterId
  readonly executor?: Executor
  readonly pool?: string
  readonly bufferBytes?: number
  /** The level's name (`"INFO"`, `"NOTSET"`). */
  readonly level?: string
}

/**
 * The fluent methods every handler builder shares; each returns a new builder, its state the
 * kind's options under their own names, each value checked by the kind's rule as it is set.
 *
 * @category builders
 * @since 0.2.0
 */
export abstract class HandlerBuilderBase<Self, Options extends CommonOptions> {
  /** The options set so far, under the constructor's names. */
  readonly options: Options

  constructor(options: Options) {
    this.options = options
  }

  /** @internal */
  protected abstract with(options: Options): Self

  /** Queue capacity; must be greater than zero. */
  withCapacity(capacity: number): Self {
    return this.with({ ...this.options, capacity: commonRules.capacity(capacity) })
  }

  /** Sets `flushInterval`: write to the sink once N records are buffered; must be greater than zero. */
  withFlushAfterRecords(records: number): Self {
    return this.with({ ...this.options, flushInterval: commonRules.flushInterval(records) })
  }

  /** Sets `flushAfterMs`: write buffered records at most `ms` after they were accepted. */
  withFlushAfterMs(ms: number): Self {
    return this.with({ ...this.options, flushAfterMs: commonRules.flushAfterMs(ms) })
  }

  /** Sets `flushTimeoutMs`: how long `flush()`/`close()` wait; must be greater than zero. */
  withFlushTimeoutMs(ms: number): Self {
    return this.with({ ...this.options, flushTimeoutMs: commonRules.flushTimeoutMs(ms) })
  }

  /** Sets `policy`: `OverflowPolicy.drop()`, `.block()`, `.timeout(ms)` or their string forms. */
  withOverflowPolicy(policy: OverflowPolicy.OverflowPolicy | string): Self {
    return this.with({ ...this.options, policy: commonRules.policy(policy) })
  }

  /**
   * The formatter: a `(record) => string` (checked now), or an id: a built-in one (`"default"`,
   * `"json"`...) or the id of a formatter a `ConfigBuilder` defines, which it puts in its place
   * before building. An id is checked at `build()`/`make()`, by the constructor's rule, so one
   * that names no built-in formatter and was not replaced is refused there.
   */
  withFormatter(formatter: Formatter.Formatter | Formatter.FormatterId | (string & {})): Self {
    if (typeof formatter === "string") {
      if (formatter === "") {
        throw new HandlerConfigError({ field: "formatter", detail: "formatter must be a non-empty id or a function" })
      }
      return this.with({ ...this.options, formatter: formatter as Formatter.FormatterId })
    }
    return this.with({ ...this.options, formatter: commonRules.formatter(formatter) })
  }

  /** Sets `executor: "worker"` (and `pool`): the sink runs on a worker thread (a dedicated one, or the pool's). */
  onWorkerThread(pool?: string): Self {
    const next: Record<string, unknown> = { ...(this.options as object), executor: "worker" }
    if (pool === undefined) delete next.pool
    else next.pool = commonRules.pool(pool)
    return this.with(next as Options)
  }
}
