/**
 * The worker executor runs a handler's sink on a worker thread: the handler writes batches into a
 * bounded {@link Ring} (a SharedArrayBuffer), and the thread's loop (`sinkWorker.ts`) takes them,
 * writes them with the sink and acknowledges them. Records cross the thread boundary only through
 * the ring; messages only open sinks.
 *
 * **What it guarantees.**
 * - Memory is bounded: the ring, plus at most the batch written while it was full (ready() is
 *   false until that batch is in the ring). A batch larger than the whole ring still reaches the
 *   sink whole, streamed through in pieces; it is kept until the sink wrote it.
 * - A synchronous caller can wait for room with `waitSync` (`Atomics.wait` in slices of 50 ms),
 *   and at exit `exitSync` drains and closes the sink while the main thread's `exit` listeners
 *   run (worker threads keep running until they return).
 * - A thread that dies (`process.exit()` or an uncaught exception in a sink, running out of
 *   memory) is reported on stderr and restarted with exponential backoff and jitter (100 ms to
 *   5 s, on Effect's `Clock`); the new thread resumes from the last acknowledged frame, so what
 *   the dead one had not acknowledged is written again (counted in `duplicates()`, an upper bound).
 *   A batch larger than the ring, whose pieces the dead thread had released, is first put back
 *   into the ring whole, ahead of what followed it (`Ring.resend`).
 * - While a thread starts and opens the sink, the ring takes records (they wait there). While no
 *   thread serves the ring (it died and is not restarted yet), or the sink failed to open (retried
 *   with the same backoff), `ready()` is false and `waitSync` returns `false` at once: only the
 *   event loop can restart a thread, and a caller blocking it must not wait for that.
 *
 * **Threads.** By default each handler has a thread of its own, named `femtologging:<label>`.
 * Handlers naming the same `pool` share its threads (`femtologging:<pool>`, {@link setPoolSize}
 * of them, one by default), assigned round-robin. Threads are unref'd: they never keep the
 * process alive by themselves. Effect's `Worker` (with `NodeWorker`) spawns and watches them.
 *
 * **Limits.** A thread killed without running JavaScript (out of memory, `terminate()`) cannot
 * mark its rings dead; a main thread blocked in `waitSync` or `exitSync` then waits until its
 * deadline. When `close` or `exitSync` gives up, everything not yet written counts as lost and the
 * counters freeze; a pool thread hosting other sinks may still write some of those records.
 *
 * Written with erasable TypeScript only, like the worker side, so scripts can load it from `src/`.
 *
 * @internal
 */
import type * as Scope from "effect/Scope"
import type * as Worker from "effect/workers/Worker"
import type * as WorkerRunner from "effect/workers/WorkerRunner"
import { existsSync, writeSync } from "node:fs"
import { fileURLToPath } from "node:url"
import * as WorkerThreads from "node:worker_threads"
import { closeTimeoutMs, type Executor } from "./executor.ts"
import { moduleUrl } from "./moduleUrl.ts"
import * as Ring from "./ring.ts"
import { registry } from "./runtime.ts"
import type { Open, Opened, SinkWorkerData } from "./sinkWorker.ts"
import { within } from "./within.ts"
import { Cause, Clock, Effect, Exit, Fiber, loadWorkerPlatform, Random } from "./lazyEffect.ts"

/** @internal */
export interface WorkerSinkOptions {
  /** Names the handler in reports and its thread, e.g. `FemtoFileHandler(/tmp/a.log)`. */
  readonly label: string
  /** URL (href) of the sink module, whose default export is a `SinkFactory`. */
  readonly module: string
  /** Structured-clone data for the factory. */
  readonly options: unknown
  /** Capacity of the hand-off in bytes (rounded up to a power of two); 4 MiB by default. */
  readonly bufferBytes?: number | undefined
  /** Handlers naming the same pool share its threads. */
  readonly pool?: string | undefined
}

/** @internal */
export const defaultBufferBytes = 4 * 1024 * 1024

const sliceMs = 50
const backoffBaseMs = 100
const backoffCapMs = 5_000
/** The smallest cut of a batch, in estimated bytes, whatever the ring (see `batchBytes`). */
const minBatchBytes = 256 * 1024

/** `ready()` wants at least this much room, so that a batch rarely waits in the outbox. */
const readyRoom = 256

/**
 * The delay before restart number `attempt` (from 0): `d = min(5 s, 100 ms · 2^attempt)`, with
 * jitter, somewhere in `[d/2, d]` (`random` in [0, 1)).
 *
 * @internal
 */
export const backoff = (attempt: number, random: number): number => {
  const ceiling = Math.min(backoffCapMs, backoffBaseMs * 2 ** attempt)
  return Math.round(ceiling / 2 + (random * ceiling) / 2)
}

const here = moduleUrl(import.meta.url)
const entry = new URL(`./sinkWorker${here.endsWith(".ts") ? ".ts" : ".js"}`, here)

let entryFound = false

/**
 * Why a sink on a worker thread cannot start from here, if it cannot: the thread's entry, or the
 * sink module (see {@link missingModule}), is not a file. That is a bundle (esbuild, webpack...)
 * that holds this code but did not emit those files beside it, and without this check every
 * thread started would die at once, restarted with backoff, its records counted as lost. Checked
 * when a worker handler is made.
 *
 * @internal
 */
export const missingFile = (module: string): string | undefined => {
  if (!entryFound) {
    if (!existsSync(fileURLToPath(entry))) return fileURLToPath(entry)
    entryFound = true
  }
  return missingModule(module)
}

/**
 * Why the sink module `module` (a URL) cannot be imported by a thread, if it is a `file:` URL
 * that names no file there: the path, or the URL and why it names no path (another host, an
 * encoded "/"). `undefined` for a file that is there and for other URLs.
 *
 * @internal
 */
export const missingModule = (module: string): string | undefined => {
  if (!module.startsWith("file:")) return undefined
  let file: string
  try {
    file = fileURLToPath(module)
  } catch (error) {
    return `${module} (${(error as Error).message})`
  }
  return existsSync(file) ? undefined : file
}

/** The parent's Node options, but `--input-type` (from `node --input-type=module -e`), which breaks a file entry. */
const execArgv = (): Array<string> =>
  process.execArgv.filter((arg, i, all) => !arg.startsWith("--input-type") && all[i - 1] !== "--input-type")

const report = (line: string): void => {
  try {
    writeSync(2, `${line}\n`)
  } catch {
    // stderr is gone
  }
}

interface Slot {
  readonly ring: Ring.Ring
  readonly open: Open
  /** Failed opens in a row, for the retry backoff. */
  failures: number
  /** Called before a thread takes over the ring (no thread serves it then); set by the executor. */
  beforeStart: (() => void) | undefined
}

interface Pool {
  readonly name: string
  readonly hosts: Array<Host | undefined>
  next: number
}

/** A thread and the sinks it hosts. */
interface Host {
  readonly name: string
  readonly pool: Pool | undefined
  readonly slots: Map<number, Slot>
  fiber: Fiber.Fiber<void> | undefined
  worker: Worker.Worker<Opened, Open> | undefined
  thread: WorkerThreads.Worker | undefined
  closing: boolean
}

const poolSizes = registry.workers.poolSizes
const pools = registry.workers.pools as Map<string, Pool>

/**
 * Sets how many threads the pool `name` has (1 by default). Applies to handlers created later.
 *
 * @internal
 */
export const setPoolSize = (name: string, threads: number): void => {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`pool size must be a positive integer: ${threads}`)
  }
  poolSizes.set(name, threads)
}

const newHost = (name: string, pool: Pool | undefined): Host => ({
  name: `femtologging:${name}`,
  pool,
  slots: new Map(),
  fiber: undefined,
  worker: undefined,
  thread: undefined,
  closing: false
})

const hostFor = (options: WorkerSinkOptions): Host => {
  if (options.pool === undefined) return newHost(options.label, undefined)
  let pool = pools.get(options.pool)
  if (pool === undefined) {
    pool = { name: options.pool, hosts: [], next: 0 }
    pools.set(options.pool, pool)
  }
  const index = pool.next++ % (poolSizes.get(options.pool) ?? 1)
  return (pool.hosts[index] ??= newHost(options.pool, pool))
}

const stateOf = (ring: Ring.Ring): number => Atomics.load(ring.cells, Ring.cell.state)

/** Sets a ring's state unless its sink was closed. */
const mark = (ring: Ring.Ring, state: number): void => {
  if (stateOf(ring) !== Ring.state.closed) Ring.setState(ring, state)
}

const describe = (exit: Exit.Exit<unknown, unknown>): string => {
  if (Exit.isSuccess(exit)) return "it stopped"
  const error = Cause.squash(exit.cause)
  const cause = error instanceof loadWorkerPlatform().WorkerError.WorkerError ? error.reason.cause : undefined
  if (cause instanceof Error) return cause.stack ?? cause.message
  return error instanceof Error ? error.message : String(error)
}

/** Resolves `true` once `done()` holds (re-checked on every signal), `false` after `timeoutMs`. */
const until = async (ring: Ring.Ring, done: () => boolean, timeoutMs: number): Promise<boolean> => {
  const deadline = performance.now() + timeoutMs
  // A pending waitAsync does not keep the process alive; someone awaiting this should. The timer
  // outlives the deadline a little: libuv's cached loop time can fire it before performance.now()
  // reaches the deadline, which would leave only the waitAsync pending and let the process end
  // with the caller's await unsettled.
  const keepAlive = setTimeout(() => {}, Math.min(Math.max(0, timeoutMs) + 100, 2 ** 31 - 1))
  try {
    for (;;) {
      const seen = Atomics.load(ring.cells, Ring.cell.signal)
      if (done()) return true
      const left = deadline - performance.now()
      if (left <= 0) return false
      await Ring.waitAsync(ring, Ring.cell.signal, seen, left)
    }
  } finally {
    clearTimeout(keepAlive)
  }
}

/**
 * A thread running the entry, with the parent's options (loaders such as `--import` included)
 * less those a worker refuses (`--input-type`, V8 flags such as `--trace-gc`): Node names the
 * refused ones in its error, and the thread is created again without them.
 */
const newThread = (name: string, workerData: SinkWorkerData): WorkerThreads.Worker => {
  let argv = execArgv()
  for (;;) {
    try {
      return new WorkerThreads.Worker(entry, { name, workerData, execArgv: argv })
    } catch (error) {
      const code = (error as NodeJS.ErrnoException)?.code
      const refused = /flags: (.*)$/.exec(String((error as Error)?.message))?.[1]?.split(/,\s*/) ?? []
      const kept = argv.filter((arg) => !refused.includes(arg))
      if (code !== "ERR_WORKER_INVALID_EXEC_ARGV" || kept.length === argv.length) throw error
      argv = kept
    }
  }
}

/** Spawns the host's thread, with the sinks to open in its `workerData`. */
const spawnThread = (host: Host) => (): WorkerThreads.Worker => {
  const open: Array<Open> = []
  for (const slot of host.slots.values()) {
    if (stateOf(slot.ring) === Ring.state.closed) continue
    slot.beforeStart?.()
    mark(slot.ring, Ring.state.starting)
    open.push(slot.open)
  }
  const workerData: SinkWorkerData = { open }
  const thread = newThread(host.name, workerData)
  thread.unref()
  host.thread = thread
  return thread
}

/** A sink reported how its open went: a failure is retried after a backoff. */
const onMessage = (host: Host, worker: Worker.Worker<Opened, Open>, message: Opened): Effect.Effect<void> => {
  const slot = host.slots.get(message.id)
  if (slot === undefined) return Effect.void
  if (message._tag === "Opened") {
    slot.failures = 0
    return Effect.void
  }
  return Random.next.pipe(
    Effect.flatMap((random) => Effect.sleep(backoff(slot.failures++, random))),
    Effect.andThen(Effect.suspend(() =>
      host.slots.has(message.id) && host.worker === worker ? worker.send(slot.open) : Effect.void
    )),
    Effect.ignore
  )
}

/** Runs the host's thread, restarting it with backoff whenever it dies, until the host closes. */
const supervise = (host: Host): Effect.Effect<void> =>
  Effect.gen(function*() {
    // Effect's worker modules and the Node platform layer load with the first worker handler, not
    // with the package: they cost more than the rest of it together. A synchronous `require`: the
    // thread exists before `make` returns, so records logged just before `process.exit()` are written.
    const spawner = yield* loadWorkerPlatform().Worker.WorkerPlatform
    let attempt = 0
    while (!host.closing) {
      const started = yield* Clock.currentTimeMillis
      const worker = yield* Effect.orDie(spawner.spawn<Opened, Open>(0))
      host.worker = worker
      // Node refs a worker again when a first `message` listener is added, as `run` does.
      const unref = Effect.sync(() => host.thread?.unref())
      const exit = yield* Effect.exit(worker.run((message) => onMessage(host, worker, message), { onSpawn: unref }))
      host.worker = undefined
      host.thread = undefined
      if (host.closing) return
      for (const slot of host.slots.values()) mark(slot.ring, Ring.state.dead)
      if ((yield* Clock.currentTimeMillis) - started >= backoffCapMs) attempt = 0
      const delay = backoff(attempt++, yield* Random.next)
      report(`femtologging: ${host.name}: the worker thread died (${describe(exit)}); restarting in ${delay} ms`)
      yield* Effect.sleep(delay)
    }
  }).pipe(Effect.provide(loadWorkerPlatform().NodeWorker.layer(spawnThread(host))))

/** Removes a closed sink from its host; the last one out ends the thread. */
const leave = (host: Host, slot: Slot, deadline: number): Promise<void> => {
  host.slots.delete(slot.open.id)
  if (host.slots.size > 0) return Promise.resolve()
  host.closing = true
  if (host.pool !== undefined) {
    const { hosts, name } = host.pool
    const index = hosts.indexOf(host)
    if (index >= 0) hosts[index] = undefined
    if (hosts.every((h) => h === undefined) && pools.get(name) === host.pool) pools.delete(name)
  }
  // Every sink of the thread is closed (or given up on): nothing is lost by ending it now.
  const ended = Promise.all([
    host.thread?.terminate(),
    host.fiber === undefined ? undefined : Effect.runPromise(Fiber.interrupt(host.fiber))
  ])
  // Even past the deadline the thread gets a moment to stop: its counts are read after it.
  return within(ended, Math.max(deadline - performance.now(), 1_000)).then(() => undefined)
}

const executor = (host: Host, slot: Slot): Executor => {
  const { ring } = slot
  /**
   * Waits (at most `closeTimeoutMs`) until the thread runs and the sink opened: a thread's
   * start-up (0.3 s idle, over 1 s on a loaded machine) is not the sink being slow, and must not
   * eat the flush or close timeout.
   */
  const started = (): Promise<boolean> =>
    until(ring, () => {
      const state = stateOf(ring)
      return (state !== Ring.state.starting && state !== Ring.state.dead) || final !== undefined
    }, closeTimeoutMs)
  const { cells } = ring
  const producer = Ring.producer(ring)
  /** Records put into the ring. */
  let accepted = 0
  /** Records written after close: never handed over, counted lost. */
  let late = 0
  let flushes = 0
  let reopens = 0
  let closing: Promise<void> | undefined
  let closeSent = false
  let exited = false
  /** Set when close or exit gave up: `written` then, and everything else is lost. */
  let final: { readonly written: number } | undefined
  let pumping = false

  /** Whether a thread serves the ring (or is opening its sink): what is written will be taken. */
  const served = (): boolean => {
    const state = stateOf(ring)
    return state === Ring.state.running || state === Ring.state.starting
  }
  // Closing (or given up), `write` only counts what it gets as lost: it is always ready then, so
  // nobody waits for a hand-off that will not move again.
  const ready = (): boolean =>
    closing !== undefined || final !== undefined ||
    (producer.outbox.length === 0 && served() && Ring.room(producer) >= readyRoom)

  /**
   * Moves the outbox into the ring as room appears, off the caller's path, then waits until the
   * worker wrote the batches larger than the ring it moved (kept until then: see `beforeStart`).
   */
  const pumpLater = async (): Promise<void> => {
    if (pumping) return
    pumping = true
    for (;;) {
      const seen = Atomics.load(cells, Ring.cell.signal)
      if ((Ring.pump(producer) && Ring.acknowledged(producer)) || final !== undefined) break
      await Ring.waitAsync(ring, Ring.cell.signal, seen)
    }
    pumping = false
  }

  const put = (type: number, a: number, bytes?: Uint8Array, ends?: Uint32Array): void => {
    Ring.put(producer, type, a, bytes, ends)
    if (producer.outbox.length > 0) void pumpLater()
  }

  const sendClose = (): void => {
    if (closeSent) return
    closeSent = true
    put(Ring.frame.close, 0)
  }

  /**
   * Asks the worker to stop after the write it is making (whose records are then counted
   * written): close or exit gave up waiting. A write under way (a socket waiting for its peer, a
   * pipe whose reader stopped) is ended by closing the sink.
   */
  const askToStop = (): void => {
    Atomics.store(cells, Ring.cell.stop, 1)
    Atomics.notify(cells, Ring.cell.write)
    Atomics.notify(cells, Ring.cell.stop)
  }

  const giveUp = (): void => {
    if (final !== undefined) return
    final = { written: Ring.total(ring, Ring.counter.written) }
    producer.outbox.length = 0
    producer.unacked.length = 0
    // Wakes what waits for room (`pumpLater`, `wait`): nothing else will once the thread is
    // ended, and a pending wait would hold this executor and its batches for good.
    Ring.signal(ring)
  }

  // A thread that died in a batch larger than the ring had released its pieces: the batch is put
  // back whole, ahead of what followed it, so the new thread writes it again like any batch the
  // dead one had not acknowledged.
  slot.beforeStart = () => {
    if (final !== undefined) return
    Ring.resend(producer)
    if (producer.outbox.length > 0) void pumpLater()
  }

  /** Records put into the ring and not yet counted written or lost. */
  const pending = (): number =>
    final === undefined ? accepted - Ring.total(ring, Ring.counter.written) - Ring.total(ring, Ring.counter.lost) : 0

  /**
   * Blocks the thread (`Atomics.wait` in slices, moving the outbox into the ring as room appears)
   * until `done()`, or until `hopeless()` or the deadline; returns whether `done()`.
   */
  const blockUntil = (done: () => boolean, hopeless: () => boolean, deadline: number): boolean => {
    for (;;) {
      const seen = Atomics.load(cells, Ring.cell.signal)
      Ring.pump(producer)
      if (done()) return true
      if (hopeless()) return false
      const left = deadline - performance.now()
      if (left <= 0) return false
      Atomics.wait(cells, Ring.cell.signal, seen, Math.min(sliceMs, left))
    }
  }

  return {
    kind: "worker",
    ready,
    canWaitSync: true,
    // Estimated at about twice the bytes a record encodes to: a batch of at most the ring's
    // capacity takes about half of it. Not under 256 KiB: a tiny ring would get batches of a few
    // records, a wake of the thread each (a 1 KiB ring measured 2x slower); larger batches are
    // streamed through it.
    batchBytes: Math.max(ring.capacity, minBatchBytes),
    write: (bytes, ends) => {
      const records = ends.length
      if (records === 0) return
      if (closing !== undefined || final !== undefined) {
        late += records
        return
      }
      accepted += records
      put(Ring.frame.data, records, bytes, ends)
    },
    waitSync: (deadline) => blockUntil(ready, () => closing !== undefined || !served(), deadline),
    settleSync: (deadline) => blockUntil(() => pending() === 0, () => !served(), deadline),
    wait: async () => {
      for (;;) {
        const seen = Atomics.load(cells, Ring.cell.signal)
        Ring.pump(producer)
        if (ready() || closing !== undefined) return
        await Ring.waitAsync(ring, Ring.cell.signal, seen)
      }
    },
    flush: async (timeoutMs) => {
      if (closing !== undefined || final !== undefined) return false
      await started()
      const sequence = ++flushes
      put(Ring.frame.flush, sequence)
      const done = () => ((Atomics.load(cells, Ring.cell.flushed) - sequence) | 0) >= 0
      await until(ring, () => done() || final !== undefined || stateOf(ring) === Ring.state.sinkFailed, timeoutMs)
      return done() && ((Atomics.load(cells, Ring.cell.flushFailed) - sequence) | 0) < 0
    },
    reopenSync: (deadline) => {
      if (closing !== undefined || final !== undefined) {
        return exited ? "the process is exiting: the exit drain closed the handler" : "the handler is closed"
      }
      const sequence = ++reopens
      put(Ring.frame.reopen, sequence)
      const done = (): boolean => ((Atomics.load(cells, Ring.cell.reopened) - sequence) | 0) >= 0
      if (!blockUntil(done, () => !served(), deadline)) return undefined
      if (Atomics.load(cells, Ring.cell.reopenFailed) !== (sequence | 0)) return undefined
      // Copied out of the shared buffer first: a decoder refuses a view of one.
      return Buffer.from(ring.reason.slice(0, Atomics.load(cells, Ring.cell.reopenReason))).toString("utf8")
    },
    close: (timeoutMs) =>
      closing ??= (async () => {
        await started()
        const deadline = performance.now() + timeoutMs
        // A sink that failed to open keeps its records in the ring until it is opened again after
        // a backoff: that retry is waited for, within the timeout, rather than the records lost.
        await until(ring, () => stateOf(ring) !== Ring.state.sinkFailed || final !== undefined, timeoutMs)
        if (final === undefined) {
          sendClose()
          await until(ring, () => {
            const state = stateOf(ring)
            return state === Ring.state.closed || state === Ring.state.sinkFailed || final !== undefined
          }, deadline - performance.now())
        }
        const gaveUp = final === undefined && stateOf(ring) !== Ring.state.closed
        if (gaveUp && served()) {
          report(`femtologging: ${slot.open.label}: close failed: not finished after ${timeoutMs} ms: given up on`)
          // Not closed in time: so that nothing is both written and counted lost.
          askToStop()
          await until(ring, () => stateOf(ring) !== Ring.state.running || final !== undefined, closeTimeoutMs)
        }
        // A dedicated thread is ended before its counts are read (a pool thread serving other
        // sinks is not ended).
        await leave(host, slot, deadline)
        if (gaveUp) giveUp()
      })(),
    exitSync: (deadline, stopAt = deadline) => {
      if (exited) return
      exited = true
      closing ??= Promise.resolve()
      if (final !== undefined || stateOf(ring) === Ring.state.closed) return
      sendClose()
      const over = (): boolean => {
        const state = stateOf(ring)
        // Nothing restarts a dead thread while the process exits.
        return state === Ring.state.closed || state === Ring.state.sinkFailed || state === Ring.state.dead
      }
      // The end of the time is kept for a write that does not finish (a pipe whose reader
      // stopped): the worker is asked to stop, which ends that write and counts the records of it
      // already out as written, before the counts are read.
      if (!blockUntil(over, () => false, stopAt) && stateOf(ring) === Ring.state.running) {
        askToStop()
        blockUntil(() => stateOf(ring) !== Ring.state.running, () => false, deadline)
        // What the stopped worker did not take is lost, closed or not.
        giveUp()
        return
      }
      blockUntil(over, () => false, deadline)
      if (stateOf(ring) !== Ring.state.closed) giveUp()
    },
    written: () => final?.written ?? Ring.total(ring, Ring.counter.written),
    lost: () => late + (final === undefined ? Ring.total(ring, Ring.counter.lost) : accepted - final.written),
    pending,
    duplicates: () => Ring.total(ring, Ring.counter.duplicates)
  }
}

/**
 * A worker executor for the sink module `options.module`, on a thread of its own or of
 * `options.pool`. Never suspends (the facade runs constructors synchronously): the thread is
 * created before it returns, and the executor is `ready()` at once; what is written before the
 * sink opened waits in the ring. Closing the scope closes the executor (within
 * {@link closeTimeoutMs}).
 *
 * @internal
 */
export const make = (options: WorkerSinkOptions): Effect.Effect<Executor, never, Scope.Scope> =>
  Effect.gen(function*() {
    const ring = Ring.make(options.bufferBytes ?? defaultBufferBytes)
    Atomics.store(ring.cells, Ring.cell.state, Ring.state.dead)
    const open: Open = {
      _tag: "Open",
      id: registry.workers.nextId++,
      label: options.label,
      module: options.module,
      options: options.options,
      buffer: ring.buffer
    }
    const slot: Slot = { ring, open, failures: 0, beforeStart: undefined }
    const host = hostFor(options)
    host.slots.set(open.id, slot)
    if (host.fiber === undefined) {
      // Started at once, the supervisor creates the thread (see `spawnThread`) before this returns.
      host.fiber = yield* Effect.forkDetach(supervise(host), { startImmediately: true })
    } else if (host.thread !== undefined) {
      // A running pool thread: told directly (`Worker.send` would wait for a fiber to run).
      mark(ring, Ring.state.starting)
      host.thread.postMessage([0, open] satisfies WorkerRunner.PlatformMessage<Open>)
    } // else the pool thread is being restarted, and will open it with the others
    const result = executor(host, slot)
    yield* Effect.addFinalizer(() => Effect.promise(() => result.close(closeTimeoutMs)))
    return result
  })
