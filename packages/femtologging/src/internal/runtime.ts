/**
 * The process-wide part of femtologging, in one place: the registry of open handlers that the
 * exit hook walks, the facade's scope (where handlers and loggers made without Effect live until
 * closed or until exit), and the exit and signal listeners.
 *
 * **Exit.** An `exit` listener (installed with the first handler) delivers, synchronously, every
 * record still queued in every open handler, then lets each executor finish (a worker sink is
 * drained and closed, bounded by {@link exitDeadlineMs}). The `exit` event also follows
 * `process.exit()` and an uncaught exception.
 *
 * **Signals.** SIGTERM/SIGINT/SIGHUP listeners come with the first handler, as the exit listener
 * does (`FEMTOLOGGING_SIGNALS=off` or `uninstallSignalHandlers()`, even before it, opts out). Alone, a listener removes itself first (so a second
 * signal during the drain ends the process at once), drains, and re-raises the signal: the process
 * ends as it would have without femtologging. Beside other listeners it drains and steps aside.
 *
 * @internal
 */
import { Context, Effect, Exit, Scope } from "./lazyEffect.ts"

/** What the exit hook needs from an open handler. @internal */
export interface Participant {
  /**
   * Delivers what is queued and finishes the executor, synchronously, until `deadline`
   * (performance.now()); a sink still busy at `stopAt` (see {@link stopBy}) is given up on then.
   */
  readonly exitSync: (deadline: number, stopAt?: number) => void
  /** Delivers what is queued, synchronously (without closing), waiting each time at most `patience` ms. */
  readonly drainSync: (deadline: number, patience?: number) => void
  /** After `drainSync`: waits until what was delivered is written (a handler on a worker thread). */
  readonly settleSync?: (deadline: number) => void
}

/** Something holding rate-limited reports back, flushed at exit. @internal */
export interface PendingReport {
  readonly flush: () => void
}

/** How long the exit drain may wait for worker sinks, in milliseconds. @internal */
export const exitDeadlineMs = 5_000

/**
 * The end of the exit drain's time that is kept for the sinks: records are handed over, and a
 * worker sink whose write does not finish (a pipe whose reader stopped) is asked to stop, by
 * {@link stopBy}, so that what of that write went out is counted written before the counts are read.
 */
const exitStopMs = 200

/**
 * When the exit drain stops handing records over and asks a busy sink to stop: `exitStopMs`
 * before `deadline`, or a quarter of the time left when that is less. @internal
 */
export const stopBy = (deadline: number): number =>
  deadline - Math.min(exitStopMs, Math.max(0, deadline - performance.now()) / 4)

/** The registry: the only process-wide mutable state of the library. @internal */
export const registry = {
  /** Open handlers (and loggers holding deferred records), walked at exit. */
  participants: new Set<Participant>(),
  /** Hand-offs with records waiting (see Logger.ts `HandOff`): handed on first at exit. */
  handOffs: new Set<{ readonly release: () => void }>(),
  /** Rate-limited reports with something held back. */
  reports: new Set<PendingReport>(),
  /**
   * The generation of a record logged now: 0 from the application, g + 1 while a user handler, a
   * filter or a formatter is at work on a record of generation g (see {@link deeper}).
   */
  generation: 0,
  /** The generation of each record logged at a generation above 0 (absent: 0); made at the first. */
  lineage: undefined as WeakMap<object, number> | undefined,
  /**
   * How many synchronous callers are delivering to make room in a handler (`makeRoomSync`) on the
   * stack: fibers woken meanwhile resume once they returned (see Handler.ts `wake`).
   */
  makingRoom: 0,
  /** Set when the `exit` event fired: records accepted later are written at once. */
  exiting: false,
  draining: false,
  exitInstalled: false,
  signalsInstalled: false,
  /** Set by `uninstallSignalHandlers()`: the first handler then installs no signal listeners. */
  signalsOptedOut: false,
  facadeScope: undefined as Scope.Closeable | undefined,
  facadeSpawner: undefined as Spawner | undefined,
  /**
   * The bytes held by records in all handler queues together (estimated from their strings), and
   * the limit beyond which a handler's queue counts as full (64 MiB by default).
   */
  memory: { used: 0, limit: 64 * 1024 * 1024 },
  /** The process-wide manager (created by Manager.ts; typed loosely to avoid an import cycle). */
  manager: undefined as unknown,
  /** Worker threads shared by named pools, and their sizes (owned by internal/workerExecutor.ts). */
  workers: { poolSizes: new Map<string, number>(), pools: new Map<string, unknown>(), nextId: 1 }
}

/**
 * How deep records logged while records are at work may nest: what a user handler, a filter or a
 * formatter logs while at work on a record of generation g is of generation g + 1, and one deeper
 * than this is refused (counted, and reported as a logging loop). Such a piece that logs, for every
 * record, to a logger that reaches it again otherwise never stops (the chain of records feeds
 * itself: a handler's grew RSS by 170 MiB in 5 s; a filter's wrote 55 GB in 10 minutes, no timer
 * firing); CPython stops the same loops with a `RecursionError`. Logging about a record once, to
 * any logger, is one generation deep; eight leave room for handlers that hand records on.
 *
 * @internal
 */
export const maxGenerations = 8

/** The generation of a record: the one it was logged at (0 unless logged by a piece at work). @internal */
export const generationOf = (record: object): number => registry.lineage?.get(record) ?? 0

/**
 * Runs `work` (a user handler, a filter, a formatter, an encoder) on `input`, a record of
 * `generation`: what it logs meanwhile is one generation deeper. The input is passed, not closed
 * over, so that the calls made for every record allocate nothing.
 *
 * @internal
 */
export const deeper = <I, A>(generation: number, work: (input: I) => A, input: I): A => {
  const outer = registry.generation
  registry.generation = generation + 1
  try {
    return work(input)
  } finally {
    registry.generation = outer
  }
}

/** Registers an open handler with the exit hook. @internal */
export const register = (participant: Participant): void => {
  registry.participants.add(participant)
  if (!registry.exitInstalled) {
    registry.exitInstalled = true
    process.on("exit", onExit)
    // The signal listeners come with the first handler too (in any manager, facade or Effect),
    // unless `FEMTOLOGGING_SIGNALS` is `off` (or `0`, `false`) or `uninstallSignalHandlers()` ran.
    const setting = (process.env.FEMTOLOGGING_SIGNALS ?? "").toLowerCase()
    if (!registry.signalsOptedOut && setting !== "off" && setting !== "0" && setting !== "false") {
      installSignalHandlers()
    }
  }
}

/** Removes a closed handler from the exit hook. @internal */
export const unregister = (participant: Participant): void => {
  registry.participants.delete(participant)
}

/**
 * Delivers every queued record of every open handler, synchronously, then flushes held-back
 * reports. `finish` (the exit): each handler then finishes its sink. `settle` (`drainAll()`):
 * each waits until its worker thread wrote what it was handed. Neither (a signal the application
 * also listens to): records are only handed over, so that a second signal still ends the process;
 * a sink that takes none for `patience` ms is then stalled, and the thread no longer held for it.
 *
 * @internal
 */
export const drainAllSync = (finish: boolean, settle = false, patience?: number): void => {
  if (registry.draining) return
  registry.draining = true
  try {
    const deadline = performance.now() + exitDeadlineMs
    // One stop for all: a handler given up on at `stopAt` leaves the time until the deadline to
    // the next ones, which are given up on at once if they are stuck too.
    const stopAt = stopBy(deadline)
    for (const h of [...registry.handOffs]) h.release()
    for (const p of registry.participants) p.drainSync(finish ? stopAt : deadline, patience)
    if (finish) for (const p of [...registry.participants]) p.exitSync(deadline, stopAt)
    else if (settle) for (const p of registry.participants) p.settleSync?.(deadline)
    for (const report of registry.reports) report.flush()
  } finally {
    registry.draining = false
  }
}

const onExit = (): void => {
  registry.exiting = true
  drainAllSync(true)
}

const signals = ["SIGTERM", "SIGINT", "SIGHUP"] as const

const onSignal = (signal: NodeJS.Signals): void => {
  process.off(signal, onSignal)
  // Alone, our listener is gone now: the signal's default action is back, so a second signal
  // during the drain ends the process at once.
  const alone = process.listenerCount(signal) === 0
  // Beside the application's listeners (`NodeRuntime.runMain`'s, which closes the handlers within
  // their own timeouts): a sink that takes nothing for `stepAsideAfterMs` (a pipe whose reader
  // stopped) does not hold the thread, and them, for the exit drain's whole bound.
  drainAllSync(alone, false, alone ? undefined : stepAsideAfterMs)
  if (alone) {
    process.kill(process.pid, signal)
    return
  }
  setImmediate(() => {
    if (registry.signalsInstalled && !process.listeners(signal).includes(onSignal)) {
      process.prependListener(signal, onSignal)
    }
  }).unref()
}

/** Installs the SIGTERM/SIGINT/SIGHUP listeners once, ahead of any existing ones. @internal */
export const installSignalHandlers = (): void => {
  registry.signalsOptedOut = false
  if (registry.signalsInstalled) return
  registry.signalsInstalled = true
  for (const signal of signals) process.prependListener(signal, onSignal)
}

/**
 * How long a caller held by the block policy keeps our signal listeners before stepping aside.
 * A sink that is only busy frees room within milliseconds: a signal that arrives meanwhile is
 * handled as soon as the caller returns, and drains every handler. A hold this long means a
 * stalled sink.
 *
 * @internal
 */
export const stepAsideAfterMs = 1_000

/**
 * Runs a wait that blocks the thread until `deadline` (a caller held by the block or timeout
 * policy; `wait` returns `false` at the deadline or when it cannot wait). Once it has lasted
 * {@link stepAsideAfterMs}, a signal whose only listener is ours gets its default action back,
 * since our listener could not run before the wait ends: SIGTERM or Ctrl-C then end a process held
 * by a stalled sink at once. Before that, our listener stays: stepping aside at once would let a
 * SIGTERM that lands during one of a busy sink's short holds end the process with the queues
 * unwritten (a reviewer lost ~1,000 records that way on every SIGTERM under load). The price: a
 * signal that arrived in the first second of a hold that lasts longer is lost (Node drops a
 * signal not yet handled when the last listener is removed), and a second one is needed.
 *
 * @internal
 */
export const blocking = (deadline: number, wait: (deadline: number) => boolean): boolean => {
  if (!registry.signalsInstalled) return wait(deadline)
  const stepAt = performance.now() + stepAsideAfterMs
  if (stepAt >= deadline) return wait(deadline)
  if (wait(stepAt)) return true
  // Returned before its deadline: it cannot wait, nothing to step aside for.
  if (performance.now() < stepAt) return false
  const stepped: Array<NodeJS.Signals> = []
  for (const signal of signals) {
    if (process.listenerCount(signal) === 1 && process.listeners(signal)[0] === onSignal) {
      process.off(signal, onSignal)
      stepped.push(signal)
    }
  }
  try {
    return wait(deadline)
  } finally {
    for (const signal of stepped) {
      if (registry.signalsInstalled) process.prependListener(signal, onSignal)
    }
  }
}

/** Removes the listeners installed by {@link installSignalHandlers}. @internal */
export const uninstallSignalHandlers = (): void => {
  registry.signalsOptedOut = true
  if (!registry.signalsInstalled) return
  registry.signalsInstalled = false
  for (const signal of signals) process.off(signal, onSignal)
}

/** Runs a scoped constructor in a fixed scope and returns its value. @internal */
export type Spawner = <A>(effect: Effect.Effect<A, never, Scope.Scope>) => A

/**
 * A spawner over a captured context and scope. A queue remembers the dispatcher of the fiber
 * that created it, and `Effect.runSync` uses one that must not outlive the call; so constructors
 * run in a fiber on the default scheduler, complete without suspending, and are read back at once.
 *
 * @internal
 */
export const spawner = (context: Context.Context<never>, scope: Scope.Scope): Spawner => (effect) => {
  const fiber = Effect.runForkWith(context)(Scope.provide(scope)(effect))
  const exit = fiber.pollUnsafe()
  if (exit === undefined) {
    fiber.interruptUnsafe()
    throw new Error("femtologging: a constructor suspended while being run synchronously")
  }
  if (Exit.isFailure(exit)) throw squash(exit)
  return exit.value
}

const squash = <A, E>(exit: Exit.Failure<A, E>): unknown => {
  const defect = exit.cause.reasons.find((r) => r._tag === "Die")
  if (defect !== undefined && defect._tag === "Die") return defect.defect
  const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (failure !== undefined && failure._tag === "Fail") return failure.error
  return new Error("femtologging: constructor interrupted")
}

/** The spawner of the current fiber's context and scope. @internal */
export const currentSpawner = (): Effect.Effect<Spawner, never, Scope.Scope> =>
  Effect.map(
    Effect.context<Scope.Scope>(),
    (context) => spawner(context as Context.Context<never>, Context.get(context, Scope.Scope))
  )

/**
 * The facade's spawner: one process-wide scope that lives as long as the process.
 *
 * @internal
 */
export const facadeSpawner = (): Spawner => {
  if (registry.facadeSpawner === undefined) {
    registry.facadeScope = Scope.makeUnsafe()
    registry.facadeSpawner = spawner(Context.empty(), registry.facadeScope)
  }
  return registry.facadeSpawner
}
