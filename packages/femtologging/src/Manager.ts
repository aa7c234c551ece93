/**
 * The manager owns the loggers of one logging system: one logger per dotted name, with parents
 * following the dots up to `root`. It is an Effect service.
 *
 * There is one process-wide manager: the facade's `getLogger()` and `Manager.layer()` share it,
 * so an application that configures loggers with `getLogger()` and logs from Effect code (or the
 * other way round) reaches the same handlers. `Manager.layerIsolated()` and `Manager.make()`
 * build independent managers (for tests).
 *
 * @since 0.1.0
 */
import { Effect, Layer, Service, TaggedError } from "./internal/lazyEffect.ts"
import type * as Scope from "effect/Scope"
import { currentSpawner, facadeSpawner, registry, type Spawner } from "./internal/runtime.ts"
import { safeString } from "./internal/safe.ts"
import { writeStderr } from "./internal/warner.ts"
import * as Handler from "./Handler.ts"
import { InvalidHandlerError } from "./HandlerError.ts"
import * as Level from "./Level.ts"
import * as Redaction from "./Redaction.ts"
import { HandOff, type LayerFrame, Logger, type LoggerHost } from "./Logger.ts"
import { FemtoStreamHandler } from "./StreamHandler.ts"
import type { HandlerConfigError } from "./HandlerConfigError.ts"
import { capacityOf } from "./HandlerConfigError.ts"

/**
 * Raised for a logger name that is empty, starts or ends with `.`, or contains `..`.
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidLoggerNameError extends TaggedError("InvalidLoggerNameError")<{
  /** The refused name (as text, when it is not a string). Not `name`, which stays the error's. */
  readonly loggerName: string
  /** What is wrong, when the name is not a string at all. */
  readonly detail?: string | undefined
}> {
  override get message(): string {
    return this.detail ?? "logger name cannot be empty, start or end with '.', or contain consecutive dots"
  }
}

const warn = Level.ordinal("WARN")

/**
 * Checks a logger name, throwing {@link InvalidLoggerNameError}.
 *
 * @category validation
 * @since 0.1.0
 */
export const validateName = (name: string): string => {
  if (typeof name !== "string") {
    const type = name === null ? "null" : Array.isArray(name) ? "an array" : typeof name
    throw new InvalidLoggerNameError({ loggerName: safeString(name), detail: `logger name must be a string, got ${type}` })
  }
  if (name === "" || name.startsWith(".") || name.endsWith(".") || name.includes("..")) {
    throw new InvalidLoggerNameError({ loggerName: name })
  }
  return name
}

/**
 * Options of a manager.
 *
 * @category models
 * @since 0.1.0
 */
export interface ManagerOptions {
  /** Capacity of each logger's queue, default 1024. */
  readonly loggerCapacity?: number | undefined
}

/**
 * The loggers of one logging system.
 *
 * @category models
 * @since 0.1.0
 */
export class LoggerManager implements LoggerHost {
  version = 0
  readonly defaultCapacity: number
  private loggers = new Map<string, Logger>()
  private rootLogger: Logger

  /** @internal */
  constructor(readonly spawn: Spawner, options: ManagerOptions = {}) {
    this.defaultCapacity = capacityOf("capacity", options.loggerCapacity ?? 1024)
    this.rootLogger = new Logger("root", undefined, this)
  }

  /** @internal */
  readonly planned = new Set<Logger>()

  /** @internal */
  bump = (): void => {
    this.version++
    // The plans resolved before are stale now: forgotten at once, since a logger that does not
    // log again would keep the handlers of its plan (removed and closed since, maybe) for good.
    for (const logger of this.planned) logger.forgetPlan()
    this.planned.clear()
  }

  /** `undefined`: the default, made on first use; `null`: turned off. */
  private lastResortHandler: Handler.Handler | null | undefined

  /** Whether `lastResortHandler` is the default one, made here (not one `setLastResort` was given). */
  private lastResortMade = false

  /**
   * The handler a record at WARN or above goes to when it reaches no handler at all (CPython's
   * `logging.lastResort`); `undefined` when there is none, or the level is below WARN.
   *
   * @internal
   */
  lastResort(level: Level.Level): Handler.Handler | undefined {
    if (Level.ordinal(level) < warn || this.lastResortHandler === null) return undefined
    // The default one is made again once closed (by `shutdown()`): as CPython's `lastResort`,
    // it keeps writing after the handlers were shut down.
    if (this.lastResortHandler !== undefined && !(this.lastResortMade && this.lastResortHandler.closed)) {
      return this.lastResortHandler
    }
    try {
      this.lastResortMade = true
      return this.lastResortHandler = new FemtoStreamHandler({ target: "stderr" }, this.spawn).handler
    } catch (error) {
      // Made inside a log call, which must not throw: when it cannot be made (Effect's runtime
      // cannot be loaded: see `EagerEffect`), say why once and do without it.
      this.lastResortHandler = null
      writeStderr(`femtologging: no last-resort handler, records that reach no handler are dropped: ${safeString(error)}\n`)
      return undefined
    }
  }

  /**
   * Sets where records that reach no handler go (CPython's `logging.lastResort`): by default a
   * stream handler on stderr, made on first use, for records at WARN or above (below WARN they
   * are ignored, as in CPython). `null` turns it off; `undefined` restores the default.
   */
  setLastResort(handler: Handler.HandlerLike | null | undefined): void {
    this.lastResortMade = false
    if (handler === null || handler === undefined) {
      this.lastResortHandler = handler
      return
    }
    const pipeline = Handler.of(handler)
    if (pipeline === undefined) throw new InvalidHandlerError({ detail: "the last resort must be a femtologging handler" })
    this.lastResortHandler = pipeline
  }

  /**
   * What every record of this manager's loggers goes through before any handler sees it (see
   * `Redaction`); the identity by default.
   *
   * @internal
   */
  redact: Redaction.Redactor = (record) => record

  /** Whether {@link setRedaction} is in force (the lines log calls return are redacted too). @internal */
  redacting = false

  /** The hand-off under way on the stack, shared by all of this manager's loggers. @internal */
  readonly handOff = new HandOff()

  /**
   * Redacts field paths and value patterns in every record before any handler sees it (see
   * `Redaction`); `undefined` or `null` turns it off (as `null` does for `setLastResort`).
   * Throws `ConfigError` for a bad path or pattern.
   */
  setRedaction(options: Redaction.RedactionOptions | ReadonlyArray<string> | null | undefined): void {
    const off = options === undefined || options === null
    this.redact = off ? (record) => record : Redaction.make(options)
    this.redacting = !off
  }

  /** Whether `log()` and the level methods return the seed's line (see {@link setReturnLines}). */
  returnLines = true

  /**
   * Whether `log()` and the level methods of this manager's loggers return the seed's line
   * (`"{logger} [{LEVEL}] {message}"`, the default) or always `undefined`: building the line
   * costs about 10 ns of the ~130 ns an accepted call costs, for callers that never read it.
   */
  setReturnLines(enabled: boolean): void {
    this.returnLines = enabled
  }

  /** The ordinal of the highest level {@link disable} turned off (-1: none). */
  disabledThrough = -1

  /**
   * CPython's `logging.disable(level)`: every logger of this manager drops records at `level` and
   * below (`CRITICAL`, the default: everything), whatever their own levels, until it is called
   * with `NOTSET` (or 0). A number between the standard ones (25) turns off the standard levels at
   * or below it (INFO and under). Throws `InvalidLevelError`.
   */
  disable(level: Level.LevelInput = "CRITICAL"): void {
    this.disabledThrough = Level.disabledThroughUnsafe(level)
    this.bump()
  }

  /** Handlers named by configuration (`dictConfig`, `fileConfig`, `ConfigBuilder`), by name. */
  private named = new Map<string, unknown>()

  /**
   * The handler configuration named `name` (CPython 3.12 `getHandlerByName`), if any and not
   * closed: as in CPython, closing a handler takes its name away.
   */
  getHandlerByName(name: string): Handler.HandlerLike | Handler.HandlerObject | undefined {
    this.forgetClosed()
    // What configuration attached to loggers: a handler of ours or a user handler object.
    return this.named.get(name) as Handler.HandlerLike | Handler.HandlerObject | undefined
  }

  /** The names of the handlers configuration named and nobody closed (CPython 3.12 `getHandlerNames`). */
  getHandlerNames(): ReadonlyArray<string> {
    this.forgetClosed()
    return [...this.named.keys()]
  }

  private forgetClosed(): void {
    for (const [name, handler] of this.named) {
      if ((handler as { readonly closed?: unknown } | null)?.closed === true) this.named.delete(name)
    }
  }

  /**
   * Replaces the named handlers (a configuration was applied).
   *
   * @internal
   */
  setNamedHandlers(named: ReadonlyMap<string, unknown>): void {
    this.named = new Map(named)
  }

  /** The root logger. */
  get root(): Logger {
    return this.rootLogger
  }

  /**
   * The logger for a dotted name (root when omitted or `"root"`), created with its parents on
   * first use. Throws {@link InvalidLoggerNameError} for a bad name.
   */
  getLogger(name?: string): Logger {
    if (name === undefined || name === "root") return this.rootLogger
    const logger = this.loggerFor(name)
    if (this.implicit.size > 0) this.implicit.delete(name)
    return logger
  }

  /** Loggers made only as a parent of one asked for (CPython's placeholders), not asked for themselves. */
  private readonly implicit = new Set<string>()

  private loggerFor(name: string): Logger {
    const existing = this.loggers.get(name)
    if (existing !== undefined) return existing
    validateName(name)
    const dot = name.lastIndexOf(".")
    const parent = dot < 0 ? this.rootLogger : this.loggerFor(name.slice(0, dot))
    const logger = new Logger(name, parent, this)
    if (this.closed) logger.retire()
    this.loggers.set(name, logger)
    this.implicit.add(name)
    this.bump()
    return logger
  }

  /**
   * Whether the logger `name` exists only as the parent of loggers asked for (CPython's
   * placeholder: a configuration's `disable_existing_loggers` leaves it alone).
   *
   * @internal
   */
  isImplicit(name: string): boolean {
    return this.implicit.has(name)
  }

  /** The logger for a dotted name if it was created already (root for `"root"`); never creates one. */
  findLogger(name: string): Logger | undefined {
    return name === "root" ? this.rootLogger : this.loggers.get(name)
  }

  /** How many loggers were created (root excluded). */
  get size(): number {
    return this.loggers.size
  }

  /** Whether the manager's scope has closed: its loggers count their records as dropped. */
  closed = false

  /**
   * Retires every logger for good (the manager's scope closed): later records, even on loggers
   * created afterwards, are dropped and counted.
   *
   * @internal
   */
  close(): void {
    this.closed = true
    this.rootLogger.retire()
    for (const logger of this.loggers.values()) logger.retire()
  }

  /** Names of the loggers created so far (root excluded). */
  loggerNames(): Array<string> {
    return [...this.loggers.keys()]
  }

  /**
   * Clears every logger (for tests): the registry and root are replaced. Loggers obtained before
   * are retired: their later records are dropped and counted, never thrown at the caller.
   * Handlers are not closed; records they accepted are still written.
   */
  reset(): void {
    this.rootLogger.retire()
    for (const logger of this.loggers.values()) logger.retire()
    this.loggers = new Map()
    this.implicit.clear()
    this.rootLogger = new Logger("root", undefined, this)
    this.bump()
  }
}

/**
 * The manager service.
 *
 * @category services
 * @since 0.1.0
 */
export class Manager extends Service<Manager, LoggerManager>()("femtologging/Manager") {}

/**
 * Creates an independent manager in the current scope; closing the scope retires its loggers.
 * Fails with `HandlerConfigError` for a logger capacity that is not a positive integer.
 *
 * @category constructors
 * @since 0.1.0
 */
export function make(): Effect.Effect<LoggerManager, never, Scope.Scope>
export function make(options: ManagerOptions): Effect.Effect<LoggerManager, HandlerConfigError, Scope.Scope>
export function make(options?: ManagerOptions): Effect.Effect<LoggerManager, HandlerConfigError, Scope.Scope> {
  return Effect.gen(function*() {
    const spawn = yield* currentSpawner()
    const manager = yield* Effect.try({
      try: () => new LoggerManager(spawn, options),
      catch: (error) => error as HandlerConfigError
    })
    yield* Effect.addFinalizer(() => Effect.sync(() => manager.close()))
    return manager
  })
}

/**
 * The process-wide manager, shared by the facade (`getLogger()`) and {@link layer}; created on
 * first use, in the facade's process-wide scope.
 *
 * @category accessors
 * @since 0.1.0
 */
export const processWide = (): LoggerManager =>
  (registry.manager ??= new LoggerManager(facadeSpawn)) as LoggerManager

/**
 * The facade's spawner, made (with its scope, Effect's runtime and the signal listeners) when the
 * first handler is, not when the first logger is.
 */
const facadeSpawn: Spawner = (effect) => facadeSpawner()(effect)

/**
 * A layer providing the process-wide {@link Manager}: the one the facade's `getLogger()` uses.
 * Releasing the layer leaves it running (it lives as long as the process); handlers made in the
 * layer's scope are closed with it.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (): Layer.Layer<Manager> => Layer.sync(Manager, processWide)

/**
 * A layer providing a fresh, independent {@link Manager} (for tests): its loggers are not the
 * facade's, and are retired when the layer is released.
 *
 * @category layers
 * @since 0.1.0
 */
export function layerIsolated(): Layer.Layer<Manager>
export function layerIsolated(options: ManagerOptions): Layer.Layer<Manager, HandlerConfigError>
export function layerIsolated(options?: ManagerOptions): Layer.Layer<Manager, HandlerConfigError> {
  return Layer.effect(Manager, options === undefined ? make() : make(options))
}

/**
 * The logger for a name, from the {@link Manager} in context.
 *
 * @category accessors
 * @since 0.1.0
 */
export const getLogger = (name?: string): Effect.Effect<Logger, InvalidLoggerNameError, Manager> =>
  Effect.flatMap(Effect.service(Manager), (manager) =>
    Effect.try({ try: () => manager.getLogger(name), catch: (e) => e as InvalidLoggerNameError }))

/**
 * Releases one build of {@link layerLogger}. Builds that overlap without nesting (the same layer
 * provided to two fibers) release in any order: what a release puts back is the setting of the
 * newest build still open, else what the logger had before them all (`logger.layered`).
 */
const unlayer = (logger: Logger, frame: LayerFrame): void => {
  const state = logger.layered
  if (state === undefined) return
  const i = state.frames.indexOf(frame)
  if (i >= 0) state.frames.splice(i, 1)
  let level: Level.LevelInput | undefined
  let propagate: boolean | undefined
  for (const f of state.frames) {
    if (f.level !== undefined) level = f.level
    if (f.propagate !== undefined) propagate = f.propagate
  }
  if (frame.level !== undefined) {
    if (level !== undefined) logger.setLevel(level)
    else logger.restoreLevel(state.own, state.isDefault)
  }
  if (frame.propagate !== undefined) logger.setPropagate(propagate ?? state.propagate)
  if (state.frames.length === 0) logger.layered = undefined
}

/**
 * How {@link layerLogger} configures a logger.
 *
 * @category models
 * @since 0.1.0
 */
export interface LoggerLayerOptions<E = never> {
  readonly level?: Level.LevelInput | undefined
  readonly propagate?: boolean | undefined
  /** Capacity of the logger's queue. */
  readonly capacity?: number | undefined
  /** Handlers created in the layer's scope and attached to the logger. */
  readonly handlers?: ReadonlyArray<Effect.Effect<Handler.HandlerLike | Handler.HandlerObject, E, Scope.Scope>> | undefined
}

/**
 * A layer that configures one logger of the {@link Manager} in context: its level, propagation,
 * and handlers created in the layer's scope. Releasing the layer detaches the handlers and then
 * closes them, after everything queued for them was written, and puts back the level and
 * propagation the logger had before (while another build configuring the same logger is still
 * open, the one it set: builds that overlap may be released in any order).
 *
 * **Example** (A logger with two handlers)
 *
 * ```ts
 * import { Layer } from "effect"
 * import { FileHandler, Manager, StreamHandler } from "femtologging"
 *
 * const Logging = Manager.layerLogger("app", {
 *   level: "DEBUG",
 *   handlers: [StreamHandler.make(), FileHandler.make("/tmp/app.log", { policy: "block" })]
 * }).pipe(Layer.provideMerge(Manager.layer()))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layerLogger = <E = never>(
  name: string | undefined,
  options: LoggerLayerOptions<E> = {}
): Layer.Layer<never, E | InvalidLoggerNameError | Level.InvalidLevelError | HandlerConfigError, Manager> =>
  Layer.effectDiscard(Effect.gen(function*() {
    const logger = yield* getLogger(name)
    // What the layer sets is put back on release (the capacity stays: fixed once records flowed).
    const frame: LayerFrame = { level: undefined, propagate: undefined }
    const state = logger.layered ??= {
      own: logger.ownLevelValue,
      isDefault: logger.levelIsDefault,
      propagate: logger.propagate,
      frames: []
    }
    state.frames.push(frame)
    yield* Effect.addFinalizer(() => Effect.sync(() => unlayer(logger, frame)))
    yield* Effect.try({
      try: () => {
        if (options.level !== undefined) {
          logger.setLevel(options.level)
          frame.level = options.level
        }
        if (options.propagate !== undefined) {
          logger.setPropagate(options.propagate)
          frame.propagate = options.propagate
        }
        if (options.capacity !== undefined) logger.setCapacity(options.capacity)
      },
      catch: (error) => error as Level.InvalidLevelError | HandlerConfigError
    })
    for (const make of options.handlers ?? []) {
      const handler = yield* make
      logger.addHandler(handler)
      yield* Effect.addFinalizer(() => Effect.sync(() => logger.removeHandler(handler)))
    }
  }))
