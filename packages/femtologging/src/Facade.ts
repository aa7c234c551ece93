/**
 * The facade: femtologging for code that does not use Effect. `getLogger(name)` returns loggers
 * of one process-wide manager whose queues and worker fibers run on a runtime the facade owns.
 * It calls the same Logger, Handler and queue code as the Effect face.
 *
 * **Nothing lost at exit**
 *
 * Worker fibers drain queues as soon as the caller yields to the event loop. Whatever is still
 * queued when the process ends normally or calls `process.exit()` is written synchronously from
 * an `exit` listener. On SIGTERM, SIGINT and SIGHUP the facade drains the same way; when its
 * listener is the only one, it then removes itself and re-raises the signal, so the process ends
 * as it would have without femtologging (exit status 128 + signal number).
 *
 * @since 0.1.0
 */
import { facadeSpawner } from "./internal/runtime.ts"
import * as shutdown from "./internal/shutdown.ts"
import type { Logger } from "./Logger.ts"
import { LoggerManager, type ManagerOptions } from "./Manager.ts"

let manager: LoggerManager | undefined

/**
 * Installs the facade's SIGTERM/SIGINT/SIGHUP listeners (done by the first facade logger or
 * handler). They write out every queued record, then re-raise the signal when no other listener
 * handles it.
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const installSignalHandlers: () => void = shutdown.installSignalHandlers

/**
 * Removes the listeners installed by {@link installSignalHandlers}.
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const uninstallSignalHandlers: () => void = shutdown.uninstallSignalHandlers

/**
 * The facade's manager, created on first use.
 *
 * @category accessors
 * @since 0.1.0
 */
export const getManager = (options?: ManagerOptions): LoggerManager => {
  if (manager === undefined) {
    manager = new LoggerManager(facadeSpawner(), options)
  }
  return manager
}

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
 * Clears every facade logger (for tests). Queued records are delivered to their handlers first;
 * handlers are not closed.
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const resetManager = (): void => {
  manager?.reset()
}

/**
 * Writes out, synchronously, every record queued in any logger or handler of this process. The
 * exit and signal listeners call it; call it yourself before an abrupt end you control.
 *
 * @category lifecycle
 * @since 0.1.0
 */
export const drainAll = (): void => shutdown.drainAllSync()
