/**
 * Process shutdown: every open lane is registered here so that whatever is still queued when the
 * process ends is written first. An `exit` listener drains every lane synchronously (logger lanes
 * first, so their records reach the handler lanes, then handler lanes, then each sink's buffer).
 * The facade also installs SIGTERM/SIGINT/SIGHUP listeners that drain the same way and, when they
 * are the only listener for the signal, remove themselves and re-raise it so that the process ends
 * as it would have without femtologging.
 *
 * @internal
 */
import type { Lane } from "./lane.ts"
import { writeStderr } from "./warner.ts"

/** Every open lane. @internal */
export const live = new Set<Lane<unknown>>()

/**
 * Drains every open lane synchronously: logger lanes first, then handler lanes, then each lane's
 * exit step (a file sink writes its buffer) and pending drop warnings.
 *
 * @internal
 */
export const drainAllSync = (): void => {
  for (const kind of ["logger", "handler"] as const) {
    for (const lane of live) {
      if (lane.options.kind === kind && lane.canDrainSync) lane.drain(false)
    }
  }
  for (const lane of live) {
    try {
      lane.options.onExit?.()
    } catch (error) {
      writeStderr(`femtologging: ${lane.options.label} failed to flush at exit: ${String(error)}\n`)
    }
    lane.warner.flush()
  }
}

let exitWatched = false

/** Installs the `exit` listener once. @internal */
export const watchExit = (): void => {
  if (exitWatched) return
  exitWatched = true
  process.on("exit", drainAllSync)
}

const signals = ["SIGTERM", "SIGINT", "SIGHUP"] as const
let signalsInstalled = false

const onSignal = (signal: NodeJS.Signals): void => {
  drainAllSync()
  if (process.listenerCount(signal) === 1) {
    uninstallSignalHandlers()
    process.kill(process.pid, signal)
  }
}

/** Installs the SIGTERM/SIGINT/SIGHUP listeners once. @internal */
export const installSignalHandlers = (): void => {
  if (signalsInstalled) return
  signalsInstalled = true
  for (const signal of signals) process.on(signal, onSignal)
}

/** Removes the listeners installed by {@link installSignalHandlers}. @internal */
export const uninstallSignalHandlers = (): void => {
  if (!signalsInstalled) return
  signalsInstalled = false
  for (const signal of signals) process.off(signal, onSignal)
}
