/**
 * femtologging as Effect's logger: `Effect.log`, `Effect.logInfo`, `Effect.logError(cause)` and
 * the rest go through femtologging's loggers and handlers.
 *
 * **What a log call becomes**
 *
 * - The **logger** is named by the `logger` annotation (`Effect.annotateLogs("logger", "app.db")`),
 *   else by `defaultLogger` (default `"root"`, as CPython's module-level `logging.info`). An
 *   annotation that is not a valid logger name is kept as a field and the default logger is used.
 * - The **level** is Effect's (`Fatal` is CRITICAL, `Warn` WARN; see `Level.fromEffectLogLevel`).
 * - The **message** is the logged values joined by spaces: strings as they are, anything else
 *   but an error as JSON (`util.inspect` when JSON cannot write it). The first `Error` among
 *   them becomes the record's error when no `Cause` was logged, and is left out of the message
 *   (as `logger.error("failed", error)` does); further errors are written as their message. A
 *   call that logs only an error, or only a cause, has its (first) message as the message.
 * - The other **annotations** become fields, as they are. Each **log span** becomes the field
 *   `span.<label>`: its duration in milliseconds at the time of the call. The current **tracing
 *   span** (`Effect.withSpan`) gives `traceId` and `spanId`. An annotation of the same name wins.
 * - A **`Cause`** (`Effect.logError("failed", cause)`) becomes the record's error, with every
 *   failure, defect and interruption: the first reason is the error (with its own `cause`
 *   chain), and each further reason follows in `error.causes`, after that chain, with its own
 *   chain after it; an interruption is a frame named `InterruptError` (`interrupted by fiber #N`).
 *   Stacks are Effect's cleaned ones (`Cause.prettyErrors`: no Effect internals, span frames
 *   added).
 * - **`fiberId`** is the logging fiber's id (`threadId`/`threadName` stay the thread's). The
 *   **time** is the record's own (microseconds) under Effect's live clock, and Effect's `Clock`
 *   (`TestClock`) otherwise.
 *
 * **Where records go**
 *
 * To the `Manager` service of the logging fiber when it has one (`Manager.layer()` is the
 * process-wide manager, `Manager.layerIsolated()` or `Testing.layerCapture()` an independent one),
 * else to the process-wide manager the facade's `getLogger()` uses: Effect code and plain code
 * share loggers and handlers. `manager` in the options pins one.
 *
 * **Policies.** Effect calls its loggers synchronously, inside the logging fiber, and a logger
 * cannot suspend that fiber. Records are therefore offered as the facade offers them: `drop`
 * never holds the fiber; `block` holds it (and its thread) while the handler's queue is full,
 * the caller writing the oldest batch itself (or waiting with `Atomics.wait` for a worker
 * sink); `timeout:N` at most N ms. Use `Logger.info(logger, …)` (the Effect face) where a full
 * queue must suspend the fiber instead of holding the thread.
 *
 * **Levels.** Effect drops a call below `References.MinimumLogLevel` before any logger sees it;
 * femtologging then applies the logger's effective level (set by `setLevel`, `dictConfig`...).
 * So that the femtologging configuration decides, {@link layer} sets `MinimumLogLevel` to `All`
 * for what it is provided to (or to `minimumLevel` when given; `"inherit"` leaves it alone). The
 * other Effect loggers it keeps (the tracer's span events; with `mergeWithExisting` all of them)
 * still see only what reached the minimum in place where the layer was built.
 *
 * A log call never fails nor throws because of logging: a problem building the record is
 * reported on stderr (rate-limited) and the record dropped.
 *
 * @since 0.2.0
 */
import { Cause, Clock, Context as EffectContext, Effect, Layer, LogLevel, Logger as EffectLogger, References } from "./internal/lazyEffect.ts"
import { inspect } from "node:util"
import { fiberFields } from "./internal/fiberFields.ts"
import { isLiveClock } from "./internal/liveClock.ts"
import { functionTag, isError, safeString } from "./internal/safe.ts"
import { labelledReporter } from "./internal/warner.ts"
import * as Level from "./Level.ts"
import type { Logger } from "./Logger.ts"
import * as LogRecord from "./LogRecord.ts"
import { type InvalidLoggerNameError, type LoggerManager, Manager, processWide, validateName } from "./Manager.ts"

/**
 * Options of {@link make}.
 *
 * @category models
 * @since 0.2.0
 */
export interface MakeOptions {
  /** The logger of records without a `logger` annotation; default `"root"`. */
  readonly defaultLogger?: string | undefined
  /** The annotation naming the logger; default `"logger"`. */
  readonly loggerAnnotation?: string | undefined
  /**
   * The manager records go to, whatever the fiber's context holds; default: the fiber's
   * `Manager` service, else the process-wide manager.
   */
  readonly manager?: LoggerManager | undefined
}

/**
 * Options of {@link layer}: those of {@link make}, and which Effect loggers stay installed.
 *
 * @category models
 * @since 0.2.0
 */
export interface LayerOptions extends MakeOptions {
  /** Keep Effect's `Logger.tracerLogger` (log calls become events of the current span); default `true`. */
  readonly tracer?: boolean | undefined
  /**
   * Keep every logger already installed (Effect's console `defaultLogger` included) beside
   * femtologging; default `false`: femtologging replaces the console logger.
   */
  readonly mergeWithExisting?: boolean | undefined
  /**
   * `References.MinimumLogLevel` for what the layer is provided to: default `"NOTSET"` (Effect's
   * `All`: femtologging's levels decide alone), a level to filter in Effect first (ours, or
   * Effect's `LogLevel`: `"Warn"`, `"All"`, `"None"`...), or `"inherit"` to leave the minimum in
   * place as it is.
   */
  readonly minimumLevel?: Level.LevelInput | LogLevel.LogLevel | "inherit" | undefined
}

const marker = Symbol.for("femtologging/EffectLogger")

const reporter = labelledReporter("EffectLogger")

/**
 * femtologging as an Effect `Logger`, to install with Effect's `Logger.layer` yourself; see
 * {@link layer} for the usual way. Throws `InvalidLoggerNameError` for a bad `defaultLogger`.
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = (options: MakeOptions = {}): EffectLogger.Logger<unknown, void> => {
  const defaultName = validateName(options.defaultLogger ?? "root")
  const key = options.loggerAnnotation ?? "logger"
  const pinned = options.manager
  const logger = EffectLogger.make<unknown, void>((o) => {
    try {
      const manager = pinned ?? EffectContext.getOrUndefined(o.fiber.context, Manager) ?? processWide()
      const annotations = o.fiber.getRef(References.CurrentLogAnnotations)
      const named = annotations[key]
      let target: Logger | undefined
      if (typeof named === "string") {
        try {
          target = manager.getLogger(named)
        } catch {
          target = undefined // an invalid name: kept as a field, the default logger is used
        }
      }
      const consumed = target !== undefined
      target ??= manager.getLogger(defaultName)
      const level = Level.fromEffectLogLevel(o.logLevel)
      if (!target.isEnabledFor(level)) return
      target.handle(toRecord(o, target.name, level, annotations, consumed ? key : undefined))
    } catch (error) {
      reporter(`a log call could not be recorded: ${describe(error)}`)
    }
  })
  Object.defineProperty(logger, marker, { value: true })
  return logger
}

/** Whether an Effect logger is one {@link make} built. */
const isOurs = (logger: EffectLogger.Logger<unknown, unknown>): boolean =>
  (logger as unknown as Record<symbol, unknown>)[marker] === true

/**
 * A layer installing femtologging as Effect's logger for what it is provided to.
 *
 * **Details**
 *
 * The installed loggers become femtologging's (see the module's documentation for what a record
 * holds) and Effect's `tracerLogger` (unless `tracer: false`); with `mergeWithExisting`, every
 * logger installed before stays too (a femtologging logger installed by an outer layer is
 * replaced, never doubled). `References.MinimumLogLevel` is set as `minimumLevel` says (default
 * `All`, so that femtologging's logger levels decide); the Effect loggers kept still only see
 * what reached the minimum in place before. Building the layer fails with
 * `InvalidLoggerNameError` for a bad `defaultLogger` and `InvalidLevelError` for a bad
 * `minimumLevel` (in the error channel: `Effect.catchTag` handles them, `NodeRuntime.runMain`
 * reports them).
 *
 * **Example** (Effect's log calls through femtologging)
 *
 * ```ts
 * import { Effect } from "effect"
 * import { EffectLogger, FemtoStreamHandler, getLogger } from "femtologging"
 *
 * getLogger().addHandler(FemtoStreamHandler.stderr())
 * const program = Effect.logInfo("order placed").pipe(
 *   Effect.annotateLogs({ logger: "shop", orderId: 7 }),
 *   Effect.withLogSpan("checkout")
 * )
 * Effect.runPromise(program.pipe(Effect.provide(EffectLogger.layer())))
 * // stderr: shop [INFO] order placed orderId=7 span.checkout=0
 * ```
 *
 * @category layers
 * @since 0.2.0
 */
export function layer(): Layer.Layer<never>
export function layer(options?: LayerOptions | undefined): Layer.Layer<never, Level.InvalidLevelError | InvalidLoggerNameError>
export function layer(options: LayerOptions = {}): Layer.Layer<never, Level.InvalidLevelError | InvalidLoggerNameError> {
  return Layer.unwrap(Effect.try({
    try: () => build(options),
    catch: (error) => error as Level.InvalidLevelError | InvalidLoggerNameError
  }))
}

/** {@link layer}'s layer; throws for a bad `defaultLogger` or `minimumLevel`. */
const build = (options: LayerOptions): Layer.Layer<never> => {
  const ours = make(options)
  const keepTracer = options.tracer !== false
  const setting = options.minimumLevel ?? "NOTSET"
  const minimum: LogLevel.LogLevel | undefined = setting === "inherit"
    ? undefined
    : setting === "All" || setting === "None" // Effect's own, with no level of ours
    ? (setting as LogLevel.LogLevel)
    : effectThreshold(Level.parseThresholdUnsafe(setting))
  const loggers = Layer.effect(
    EffectLogger.CurrentLoggers,
    Effect.withFiber((fiber) => {
      const before = fiber.getRef(References.MinimumLogLevel)
      const gate = (logger: EffectLogger.Logger<unknown, unknown>): EffectLogger.Logger<unknown, unknown> =>
        minimum === undefined || !LogLevel.isGreaterThan(before, minimum) ? logger : gated(logger, before)
      const next = new Set<EffectLogger.Logger<unknown, any>>()
      if (options.mergeWithExisting === true) {
        for (const logger of fiber.getRef(EffectLogger.CurrentLoggers)) {
          if (isOurs(logger) || (!keepTracer && ungated(logger) === EffectLogger.tracerLogger)) continue
          next.add(gate(logger))
        }
      } else if (keepTracer) next.add(gate(EffectLogger.tracerLogger))
      next.add(ours)
      return Effect.succeed(next as ReadonlySet<EffectLogger.Logger<unknown, any>>)
    })
  )
  return minimum === undefined ? loggers : Layer.merge(loggers, Layer.succeed(References.MinimumLogLevel, minimum))
}

/** Effect's level admitting what our threshold admits (`NOTSET`: everything). */
const effectThreshold = (level: Level.Level | undefined): LogLevel.LogLevel =>
  level === undefined || level === "TRACE" ? "All" : Level.toEffectLogLevel(level)

const gatedMarker = Symbol.for("femtologging/EffectLogger/gated")

/** `logger`, seeing only calls at or above `minimum`. */
const gated = (
  logger: EffectLogger.Logger<unknown, unknown>,
  minimum: LogLevel.LogLevel
): EffectLogger.Logger<unknown, unknown> => {
  const wrapper = EffectLogger.make((o) => {
    if (!LogLevel.isGreaterThan(minimum, o.logLevel)) logger.log(o)
  })
  Object.defineProperty(wrapper, gatedMarker, { value: logger })
  return wrapper
}

/** The logger a {@link gated} wrapper (an outer layer's) sees through, else `logger` itself. */
const ungated = (logger: EffectLogger.Logger<unknown, unknown>): EffectLogger.Logger<unknown, unknown> =>
  (logger as unknown as Record<symbol, EffectLogger.Logger<unknown, unknown> | undefined>)[gatedMarker] ?? logger

/**
 * The record of one Effect log call, for the logger named `logger` (the annotation `consumed`
 * named it, and is left out of the fields).
 *
 * @category conversions
 * @since 0.2.0
 */
export const toRecord = (
  options: EffectLogger.Options<unknown>,
  logger: string,
  level: Level.Level = Level.fromEffectLogLevel(options.logLevel),
  annotations: Readonly<Record<string, unknown>> = options.fiber.getRef(References.CurrentLogAnnotations),
  consumed?: string
): LogRecord.LogRecord => {
  const fiber = options.fiber
  const now = options.date.getTime()
  const fields = fiberFields(fiber, () => now, annotations, consumed)
  const parts = Array.isArray(options.message) ? options.message : [options.message]
  const error = options.cause.reasons.length > 0 ? causeInfo(options.cause) : undefined
  let text = ""
  let thrown: unknown
  let first = true
  for (let i = 0; i < parts.length; i++) {
    const part: unknown = parts[i]
    if (error === undefined && thrown === undefined && isError(part)) {
      thrown = part // the record's error, written as such: not repeated in the message
      continue
    }
    text += (first ? "" : " ") + textOf(part)
    first = false
  }
  if (first) {
    // Nothing but an error (or a cause) was logged: its message is the record's.
    if (thrown !== undefined) text = errorMessage(thrown as Error)
    else if (error !== undefined) text = error.message
  }
  const record = LogRecord.make({
    logger,
    level,
    message: text,
    timestampNs: isLiveClock(fiber.getRef(Clock.Clock)) ? undefined : now * 1e6,
    fiberId: fiber.id,
    fields,
    error: error === undefined ? thrown : undefined
  })
  return error === undefined ? record : { ...record, error }
}

/** One logged value as text. */
const textOf = (u: unknown): string => {
  switch (typeof u) {
    case "string":
      return u
    case "function":
      return functionTag(u)
    case "object":
      if (u === null) return "null"
      if (isError(u)) return errorMessage(u)
      try {
        const json = JSON.stringify(u)
        if (typeof json === "string") return json
      } catch {
        // a cycle, a bigint, a throwing getter: inspect copes with those
      }
      try {
        return inspect(u, { depth: 4, breakLength: Number.POSITIVE_INFINITY })
      } catch {
        return safeString(u)
      }
    default:
      return safeString(u)
  }
}

const errorMessage = (e: Error): string => {
  try {
    const message = e.message
    return typeof message === "string" ? message : safeString(message)
  } catch (thrown) {
    return `[Getter threw: ${safeString(thrown)}]`
  }
}

const describe = (u: unknown): string => (isError(u) ? `${u.name}: ${errorMessage(u)}` : safeString(u))

/** At most this many frames follow the error (as `LogRecord.errorInfo` keeps). */
const maxCauses = 100

/**
 * A `Cause` as `ErrorInfo`: the first reason is the error (its own `cause` chain in `causes`);
 * every further reason follows in `causes`, each with its own chain after it. Failures and
 * defects are read through `Cause.prettyErrors` (Effect's cleaned stacks); an interruption is a
 * frame named `InterruptError`. An empty cause gives `undefined`.
 *
 * @category conversions
 * @since 0.2.0
 */
export const causeInfo = (cause: Cause.Cause<unknown>): LogRecord.ErrorInfo | undefined => {
  const infos: Array<LogRecord.ErrorInfo> = []
  for (const reason of cause.reasons) infos.push(reasonInfo(reason))
  const [first, ...rest] = infos
  if (first === undefined || rest.length === 0) return first
  const causes: Array<LogRecord.ErrorFrame> = [...first.causes]
  for (const info of rest) {
    const { causes: chain, ...frame } = info
    causes.push(frame, ...chain)
  }
  if (causes.length > maxCauses) {
    causes.length = maxCauses
    causes.push({ name: "Truncated", message: `more than ${maxCauses} causes; the rest are left out`, stack: undefined })
  }
  return { ...first, causes }
}

const reasonInfo = (reason: Cause.Reason<unknown>): LogRecord.ErrorInfo => {
  if (reason._tag === "Interrupt") {
    const by = reason.fiberId
    return {
      name: "InterruptError",
      message: by === undefined ? "interrupted" : `interrupted by fiber #${by}`,
      stack: undefined,
      causes: []
    }
  }
  const raw = reason._tag === "Fail" ? reason.error : reason.defect
  let pretty: unknown = raw
  try {
    pretty = Cause.prettyErrors(Cause.fromReasons([reason]))[0] ?? raw
  } catch {
    // an error Effect cannot render: read as it is
  }
  return LogRecord.errorInfo(pretty)
}

