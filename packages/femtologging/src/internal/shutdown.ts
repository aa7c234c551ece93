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
import { flushAllWarnings, writeStderr } from "./warner.ts"

/** Every open lane. @internal */
export const live = new Set<Lane<unknown>>()

/** Whether the process is exiting: records accepted from now on are written at once. @internal */
export const exitState = { exited: false }

let draining = false

/**
 * Drains every open lane synchronously: logger lanes first, then handler lanes, repeated while
 * records keep arriving (a handler that logs), then each lane's exit step (a file sink writes its
 * buffer) and pending warnings.
 *
 * @internal
 */
export const drainAllSync = (): void => {
  if (draining) return
  draining = true
  try {
    // Only while exiting: processing interrupted by the exit (or waiting for an asynchronous sink)
    // will never resume, so finishing it here cannot deliver a record twice.
    if (exitState.exited) for (const lane of live) lane.interruptedAtExit()
    // Until nothing moves: a handler may log to another logger, whose lane may come earlier.
    for (let round = 0; round < 10_000; round++) {
      let moved = false
      for (const kind of ["logger", "handler"] as const) {
        for (const lane of live) {
          if (lane.options.kind === kind && lane.size > 0 && lane.canDrainSync) {
            const before = lane.processed
            lane.drainQueued()
            moved ||= lane.processed !== before
          }
        }
      }
      if (!moved) break
    }
    for (const lane of live) {
      try {
        lane.options.onExit?.()
      } catch (error) {
        writeStderr(`femtologging: ${lane.options.label} failed to flush at exit: ${String(error)}\n`)
      }
      // An asynchronous sink cannot write once the process is exiting: count what it still holds.
      if (exitState.exited && !lane.options.syncCapable && lane.size > 0) lane.abandon(lane.size)
    }
    flushAllWarnings()
  } finally {
    draining = false
  }
}

const onExit = (): void => {
  exitState.exited = true
  drainAllSync()
}

let exitWatched = false

/** Installs the `exit` listener once. @internal */
export const watchExit = (): void => {
  if (exitWatched) return
  exitWatched = true
  process.on("exit", onExit)
}

const signals = ["SIGTERM", "SIGINT", "SIGHUP"] as const
let signalsInstalled = false

/**
 * Drains, then lets the signal do what it would have done without us. The listener runs first
 * (it is prepended), so it sees every listener before a `once` wrapper removes itself. Alone, it
 * removes itself and re-raises the signal: the process ends by that signal. Not alone, someone else
 * handles the signal; the listener steps aside for the rest of this emit, so that a library which
 * re-raises only when it is the last listener (signal-exit) still can, and comes back afterwards.
 */
const onSignal = (signal: NodeJS.Signals): void => {
  drainAllSync()
  const alone = process.listenerCount(signal) === 1
  process.off(signal, onSignal)
  if (alone) {
    process.kill(process.pid, signal)
    return
  }
  setImmediate(() => {
    if (signalsInstalled && !process.listeners(signal).includes(onSignal)) process.prependListener(signal, onSignal)
  }).unref()
}

/** Installs the SIGTERM/SIGINT/SIGHUP listeners once, ahead of any existing ones. @internal */
export const installSignalHandlers = (): void => {
  if (signalsInstalled) return
  signalsInstalled = true
  for (const signal of signals) process.prependListener(signal, onSignal)
}

/** Removes the listeners installed by {@link installSignalHandlers}. @internal */
export const uninstallSignalHandlers = (): void => {
  if (!signalsInstalled) return
  signalsInstalled = false
  for (const signal of signals) process.off(signal, onSignal)
}
