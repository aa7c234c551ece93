/**
 * `dictConfig`: the whole logging system from one plain object, in CPython's `logging.config`
 * schema (so an existing Python `LOGGING` dict works), decoded with Effect Schema.
 *
 * **The schema** (CPython's, with our additions marked):
 * - `version` (1), `disable_existing_loggers` (default `true`, as in CPython), `incremental`
 *   (default `false`).
 * - `formatters.<id>`: `format`, `datefmt`, `style` (`%`, `{`, `$`), `validate`, `defaults`,
 *   `class` (`logging.Formatter`; ours: `femtologging.JsonFormatter`, `femtologging.LogfmtFormatter`,
 *   `femtologging.DefaultFormatter`; others from the registry's `formatters`), or `()` naming a
 *   factory of the registry (other keys are its options).
 * - `filters.<id>`: `name` (CPython's `logging.Filter(name)`: that logger and its descendants);
 *   ours: `min` and `max` levels, and `level` (a maximum, as upstream femtologging's
 *   `LevelFilterBuilder`); or `()` naming a factory of the registry.
 * - `handlers.<id>`: `class`, `level`, `formatter` (an id), `filters` (ids), and the handler's
 *   constructor arguments by CPython's keyword names (`filename`, `mode`, `encoding`, `delay`,
 *   `errors`, `maxBytes`, `backupCount`, `when`, `interval`, `utc`, `atTime`, `stream`) and ours
 *   (`capacity`, `policy`, `executor`, `pool`, `bufferBytes`, `flushInterval`, `flushAfterMs`,
 *   `flushTimeoutMs`, `compress`); upstream femtologging's `args` (positional, in CPython's
 *   constructor order) and `kwargs` forms too. `()` names a factory of the registry instead of a
 *   class. Classes by CPython name (`logging.StreamHandler`, `logging.FileHandler`,
 *   `logging.NullHandler`, `logging.handlers.RotatingFileHandler`,
 *   `logging.handlers.TimedRotatingFileHandler`, `logging.handlers.WatchedFileHandler`,
 *   `logging.handlers.QueueHandler`, `logging.handlers.SocketHandler` with `host` and `port`,
 *   `port: null` meaning `host` is a Unix socket path) and ours (`femtologging.StreamHandler`,
 *   `femtologging.SocketHandler` with `unixPath`, `tls`, `backoff`, ...).
 * - `loggers.<name>` and `root`: `level`, `handlers`, `filters`, `propagate` (loggers; when not
 *   given, left as it was, as in CPython); `qualname` (fileConfig's key, kept by gunicorn's
 *   defaults) is accepted and ignored, as CPython's dictConfig does.
 * - Values `ext://sys.stdout` / `ext://sys.stderr` (and names the registry's `objects` hold);
 *   `cfg://handlers.file.level` or `cfg://handlers[file][level]` refer to another value of the
 *   configuration.
 * - CPython 3.12's `QueueHandler` keys (`queue`, `listener`, `handlers`,
 *   `respect_handler_level`): our handlers already queue, so a logger naming a `QueueHandler`
 *   gets the handlers it lists, attached directly (`queue` and `listener` are accepted and not
 *   used; handler levels are always respected, so a listed handler with a level needs
 *   `respect_handler_level: true`, and the QueueHandler's own `level`, `filters` and `formatter`
 *   are refused).
 *
 * Unknown keys are errors naming their path, never ignored. Every error is a `ConfigError` whose
 * message names where the problem is: `handlers.file.maxBytes: expected a non-negative integer,
 * got "ten"`.
 *
 * **Transactional.** Everything is decoded, every reference resolved, every formatter compiled and
 * every handler made (files opened) before any logger changes. When anything fails, the handlers
 * already made are closed and nothing else changed. Once applied, the handlers of the previous
 * configuration that the new one does not use are detached and closed after writing what they
 * accepted (nothing queued is lost), but for those on loggers the new one neither configures nor
 * resets, which stay there and keep writing, as in CPython (a memory handler and a file handler
 * opened with mode "w" excepted: CPython's closed ones write nothing more); loggers that existed
 * and are not configured are disabled (CPython's `disable_existing_loggers`), except descendants
 * of configured loggers, which are reset to propagate to them (as CPython does). `incremental:
 * true` changes only the levels of loggers and handlers and the loggers' `propagate`.
 *
 * **Security.** Nothing named in a configuration is imported or evaluated: classes are looked up
 * in the table above, `()` factories and `ext://` names in the registry the application passes.
 *
 * Effect Schema is loaded on first use (it costs more to load than the rest of the package).
 *
 * @since 0.2.0
 */
import type * as Scope from "effect/Scope"
import { ConfigError } from "./ConfigError.ts"
import { Effect, Layer } from "./internal/lazyEffect.ts"
import { dictConfigEngine, loadOrFail } from "./internal/lazyModules.ts"
import { currentSpawner, type Spawner } from "./internal/runtime.ts"
import { safeString } from "./internal/safe.ts"
import { Manager, type LoggerManager, processWide } from "./Manager.ts"

// =============================================================================================
// Public models
// =============================================================================================

/**
 * What a configuration may name besides the built-in classes: the application lists them here,
 * so that a configuration never imports or evaluates anything.
 *
 * @category models
 * @since 0.2.0
 */
export interface Registry {
  /**
   * Factories named by `()` in formatters, filters and handlers, called with the section's other
   * keys: a formatter factory returns a formatter (a function or an object with `format`), a
   * filter factory a filter, a handler factory a handler.
   */
  readonly factories?: Readonly<Record<string, (options: Record<string, unknown>) => unknown>> | undefined
  /** Handler classes by name (`class: "myapp.AuditHandler"`): called with the handler's keyword arguments. */
  readonly handlers?: Readonly<Record<string, (options: Record<string, unknown>) => unknown>> | undefined
  /**
   * Formatter classes by name (`class: "pythonjsonlogger.jsonlogger.JsonFormatter"`, in a
   * dictionary or an INI file): called with the section's `format`, `datefmt`, `style`, `validate`
   * and `defaults` (those given), returning a formatter.
   */
  readonly formatters?: Readonly<Record<string, (options: Record<string, unknown>) => unknown>> | undefined
  /** Values `ext://<name>` may name, besides `sys.stdout` and `sys.stderr`. */
  readonly objects?: Readonly<Record<string, unknown>> | undefined
}

/**
 * Options of {@link dictConfig}.
 *
 * @category models
 * @since 0.2.0
 */
export interface DictConfigOptions {
  readonly registry?: Registry | undefined
  /** The manager to configure; default the process-wide one (the facade's `getLogger`). */
  readonly manager?: LoggerManager | undefined
}

/**
 * Builds what `config` describes, then applies it to `manager` (see the module's description).
 * Throws `ConfigError` only; on a throw, nothing changed. Returns the handlers it made, in
 * `options.spawn`'s scope (default the manager's). `cpythonRoot` (default true): root gets
 * CPython's WARNING when neither the application nor the configuration set its level.
 *
 * @internal
 */
export const configureUnsafe = (
  config: unknown,
  registry: Registry,
  manager: LoggerManager,
  options: { readonly spawn?: Spawner | undefined; readonly cpythonRoot?: boolean | undefined } = {}
): ReadonlyArray<unknown> => engine().configureUnsafe(config, registry, manager, options)

/** The engine (loaded on first use). */
const engine = () => loadOrFail("", dictConfigEngine)

// =============================================================================================
// Entry points
// =============================================================================================

/**
 * Configures logging from a dictionary in CPython's `logging.config.dictConfig` schema (see the
 * module's description). Throws `ConfigError` naming the path of the problem; a configuration
 * that fails changes nothing.
 *
 * **Example** (The CPython documentation's shape)
 *
 * ```ts
 * import { dictConfig, getLogger } from "femtologging"
 *
 * dictConfig({
 *   version: 1,
 *   formatters: { brief: { format: "%(levelname)-8s %(name)s: %(message)s" } },
 *   handlers: {
 *     console: { class: "logging.StreamHandler", formatter: "brief", stream: "ext://sys.stdout" },
 *     file: { class: "logging.handlers.RotatingFileHandler", filename: "app.log", maxBytes: 1048576, backupCount: 3 }
 *   },
 *   root: { level: "INFO", handlers: ["console", "file"] }
 * })
 * getLogger("app").info("configured")
 * ```
 *
 * @category configuration
 * @since 0.2.0
 */
export const dictConfig = (config: unknown, options: DictConfigOptions = {}): void => {
  configureUnsafe(config, options.registry ?? {}, options.manager ?? processWide())
}

/**
 * Options of the Effect face ({@link dictConfigEffect}, {@link layer}).
 *
 * @category models
 * @since 0.2.0
 */
export interface EffectConfigOptions {
  readonly registry?: Registry | undefined
  /**
   * Read overrides from Effect's `ConfigProvider` (the environment by default), default `true`:
   * `LOG_LEVEL` then `FEMTOLOG_LEVEL` set root's level, `FEMTOLOG_DISABLE_EXISTING_LOGGERS`
   * (`true`/`false`) the option of that name. Values are decoded with the same level Schema as
   * the configuration's, and a bad one fails naming the variable.
   */
  readonly env?: boolean | undefined
}

/**
 * The Effect face of {@link dictConfig}: configures the {@link Manager} in context, with
 * handlers made in the current scope (when it closes, taken off the loggers, then closed after
 * writing what they accepted),
 * and the environment's overrides (see {@link EffectConfigOptions}).
 *
 * @category configuration
 * @since 0.2.0
 */
export const dictConfigEffect = (
  config: unknown,
  options: EffectConfigOptions = {}
): Effect.Effect<void, ConfigError, Manager | Scope.Scope> =>
  Effect.gen(function*() {
    const manager = yield* Manager
    const spawn = yield* currentSpawner()
    const configure = yield* Effect.try({ try: engine, catch: (error) => error as ConfigError })
    const effective = options.env === false ? config : configure.withOverrides(config, yield* configure.environment())
    const made = yield* Effect.try({
      try: () => configureUnsafe(effective, options.registry ?? {}, manager, { spawn }),
      catch: (error) => error instanceof ConfigError ? error : new ConfigError({ path: "", detail: safeString(error) })
    })
    // Released, the scope first takes the handlers it made off every logger, then closes them
    // (its finalizers run last added first): a record logged afterwards is not offered to a
    // closed handler, to be counted dropped and reported.
    yield* Effect.addFinalizer(() => Effect.sync(() => detach(manager, made)))
  })

/**
 * Takes `handlers` off every logger of `manager`. Loggers are found, not asked for: `getLogger`
 * would turn a placeholder (a parent nobody asked for) into a logger a later configuration disables.
 */
const detach = (manager: LoggerManager, handlers: ReadonlyArray<unknown>): void => {
  if (handlers.length === 0) return
  for (const logger of [manager.root, ...manager.loggerNames().map((name) => manager.findLogger(name)!)]) {
    for (const h of handlers) if (logger.handlers.includes(h as never)) logger.removeHandler(h as never)
  }
}

/**
 * A layer that configures the {@link Manager} in context from `config` when built; released, it
 * takes the handlers it made off the loggers, then closes them (after they wrote what they accepted).
 *
 * @category layers
 * @since 0.2.0
 */
export const layer = (
  config: unknown,
  options: EffectConfigOptions = {}
): Layer.Layer<never, ConfigError, Manager> => Layer.effectDiscard(dictConfigEffect(config, options))
