/**
 * The facade: femtologging for code that does not use Effect. `getLogger(name)` returns loggers
 * of the process-wide manager (the same one `Manager.layer()` provides to Effect code), whose
 * handlers' queues and executors live in a scope the facade owns. It calls the same Logger
 * and Handler code as the Effect face.
 *
 * **Nothing lost at exit**
 *
 * Worker fibers drain queues as soon as the caller yields to the event loop. Whatever is still
 * queued when the process ends normally, calls `process.exit()` or dies of an uncaught exception
 * is written synchronously from an `exit` listener (worker sinks included, within 5 s). On
 * SIGTERM, SIGINT and SIGHUP the facade drains the same way; when its listener is the only one,
 * it removes itself first (a second signal then ends the process at once), drains, and re-raises
 * the signal, so the process ends as it would have without femtologging (exit status 128 + signal
 * number). Opt out with `FEMTOLOGGING_SIGNALS=off` or {@link uninstallSignalHandlers}.
 *
 * @since 0.1.0
 */
import * as Handler from "./Handler.ts"
import type * as Level from "./Level.ts"
import { positiveInt } from "./HandlerConfigError.ts"
import * as runtime from "./internal/runtime.ts"
import type { Logger } from "./Logger.ts"
import { type LoggerManager, processWide } from "./Manager.ts"

/**
 * Installs the SIGTERM/SIGINT/SIGHUP listeners (done with the first handler). They write out
 * every queued record, then re-raise the signal when no other listener handles it.
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const installSignalHandlers: () => void = runtime.installSignalHandlers

/**
 * Removes the listeners installed by {@link installSignalHandlers}; called before the first
 * handler, it keeps them from being installed.
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const uninstallSignalHandlers: () => void = runtime.uninstallSignalHandlers

/**
 * The process-wide manager, created on first use.
 *
 * @category accessors
 * @since 0.1.0
 */
export const getManager = (): LoggerManager => processWide()

/**
 * The logger for a dotted name (root when omitted or `"root"`). Throws
 * `InvalidLoggerNameError` for an empty name, a leading or trailing dot, or `..`.
 *
 * **Example** (One logger per name)
 *
 * ```ts
 * import { getLogger } from "femtologging"
 * getLogger("api.v1") === getLogger("api.v1") // => true
 * getLogger("api.v1").parent?.name // => "api"
 * ```
 *
 * @category accessors
 * @since 0.1.0
 */
export const getLogger = (name?: string): Logger => getManager().getLogger(name)

/**
 * Clears every logger of the process-wide manager (for tests). Handlers are not closed: records
 * they accepted are still written, and a handler may be added again after the reset. Close the
 * ones you made yourself when done with them: one left attached to the cleared loggers stays
 * open (its file included) until the process ends.
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const resetManager = (): void => {
  processWide().reset()
}

/**
 * Writes out, synchronously, every record queued in any logger or handler of this process, and
 * waits (5 s at most) until handlers on worker threads have written what they were handed. The
 * exit and signal listeners call it; call it yourself before an abrupt end you control.
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const drainAll = (): void => runtime.drainAllSync(false, true)

/**
 * Flushes and closes every open handler of the process, as CPython's `logging.shutdown()` does,
 * all at once (a memory handler before its target), and resolves once each one has
 * closed: its records
 * written (or counted dropped), its sink flushed and released, its worker thread ended. What the
 * exit drain cannot wait for is waited for here: asynchronous writes (a socket handler on the
 * main thread, a sink returning promises) and the promises of asynchronous user handlers, each
 * within its handler's flush timeout. Loggers stay usable; a record logged afterwards to a closed
 * handler is counted as dropped. Call it at the end of a script, or before `process.exit()`; in a
 * process that goes on (a serverless instance reused between invocations), {@link flushAll}.
 *
 * ```ts
 * import { getLogger, shutdown } from "femtologging"
 * getLogger("job").info("done")
 * await shutdown()
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const shutdown = async (): Promise<void> => {
  await Handler.inWaves(openHandlers(), Handler.close)
}

/**
 * Flushes every open handler of the process without closing it, all at once (a memory handler
 * before its target), and resolves to `true` once each has written what it accepted before the call
 * (its asynchronous writes and the promises of an asynchronous user handler included) and
 * flushed its sink; `false` when one of them did not within its flush timeout. For a process that
 * goes on afterwards, such as a serverless instance reused between invocations: await it before
 * the invocation returns (after which the platform may freeze the process); `shutdown()` would
 * close the handlers for good.
 *
 * ```ts
 * import { flushAll, getLogger } from "femtologging"
 * getLogger("job").info("invocation done")
 * await flushAll()
 * ```
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const flushAll = async (): Promise<boolean> => {
  const flushed = await Handler.inWaves(openHandlers(), Handler.flush)
  return flushed.every((ok) => ok)
}

/** Every open handler, in the exit drain's order, once records waiting in a logger's hand-off reached them. */
const openHandlers = (): ReadonlyArray<Handler.Handler> => {
  for (const handOff of [...runtime.registry.handOffs]) handOff.release()
  return [...runtime.registry.participants].filter(Handler.isHandler)
}

/**
 * Sets the limit on the bytes that records may hold in all handler queues together (estimated
 * from their strings: message, fields at any depth, error stacks and properties; 64 MiB by default). Beyond
 * it a handler's queue counts as full and its policy applies (a handler with an empty queue may
 * always take one record). Throws `HandlerConfigError` for a value that is not a positive integer.
 *
 * @category configuration
 * @since 0.1.0
 */
export const setMaxQueuedBytes = (bytes: number): void => {
  runtime.registry.memory.limit = positiveInt("maxQueuedBytes", bytes)
}

/**
 * The bytes records hold in all handler queues together right now (an estimate).
 *
 * @category getters
 * @since 0.1.0
 */
export const getQueuedBytes = (): number => runtime.registry.memory.used

/**
 * The handler that configuration (`dictConfig`, `fileConfig`, `ConfigBuilder`) named `name`, as
 * CPython 3.12's `logging.getHandlerByName`; `undefined` when none has that name.
 *
 * @category configuration
 * @since 0.2.0
 */
export const getHandlerByName = (name: string): ReturnType<LoggerManager["getHandlerByName"]> =>
  processWide().getHandlerByName(name)

/**
 * The names configuration gave to handlers (CPython 3.12's `logging.getHandlerNames`).
 *
 * @category configuration
 * @since 0.2.0
 */
export const getHandlerNames = (): ReadonlyArray<string> => processWide().getHandlerNames()

/**
 * Sets where a record at WARN or above goes when it reaches no handler (CPython's
 * `logging.lastResort`): by default stderr. `null` turns it off (such records are ignored, as
 * lower ones always are); `undefined` restores the default.
 *
 * @category configuration
 * @since 0.2.0
 */
export const setLastResort = (handler: Parameters<LoggerManager["setLastResort"]>[0]): void =>
  processWide().setLastResort(handler)

/**
 * Redacts field paths (`password`, `user.token`, `*.secret`, `users.*.ssn`) and value patterns in
 * every record of the facade's loggers before any handler sees it (see `Redaction`); `undefined`
 * or `null` turns it off. Throws `ConfigError` for a bad path or pattern.
 *
 * @category configuration
 * @since 0.2.0
 */
export const setRedaction = (options: Parameters<LoggerManager["setRedaction"]>[0]): void =>
  processWide().setRedaction(options)

/**
 * CPython's `logging.disable(level)`: every logger drops records at `level` and below (`CRITICAL`,
 * the default: everything), whatever their own levels, until `disable("NOTSET")`. Throws
 * `InvalidLevelError`.
 *
 * **Example** (Quiet tests)
 *
 * ```ts
 * import { disable, getLogger } from "femtologging"
 * disable("WARN")
 * getLogger("app").warn("not logged") // => undefined
 * disable("NOTSET")
 * ```
 *
 * @category configuration
 * @since 0.3.0
 */
export const disable = (level?: Level.LevelInput): void => processWide().disable(level)

/**
 * Whether `log()` and the level methods of the facade's loggers return the seed's line (the
 * default) or always `undefined`, which saves building it (about 10 ns of an accepted call).
 *
 * @category configuration
 * @since 0.2.0
 */
export const setReturnLines = (enabled: boolean): void => processWide().setReturnLines(enabled)
