/**
 * A lane is one bounded queue with the fiber that drains it: every logger and every handler
 * owns one. Data flows caller -> logger lane -> handler lane -> sink.
 *
 * **How a lane is drained**
 *
 * The consumer fiber waits with `Queue.peek` (which removes nothing) and then runs
 * {@link Lane.drain}: take every queued record and process the batch, synchronously, with no
 * point in between where other code can run. A synchronous caller (the facade) that finds the
 * queue full under block or timeout runs that same drain itself ("caller runs"), so records never
 * overtake each other, whoever drains.
 *
 * A lane whose processing is asynchronous (an async sink, or a logger waiting for room in a
 * handler that is busy with such a sink) hands the rest of the batch back as an Effect; the lane
 * stays busy until it completes, and no synchronous caller may drain it meanwhile.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Queue from "effect/Queue"
import * as Scope from "effect/Scope"
import type { OverflowPolicy } from "../OverflowPolicy.ts"
import { drainAllSync, exitState, live, watchExit } from "./shutdown.ts"
import { Warner, writeStderr } from "./warner.ts"

/** What an offer came to. @internal */
export type OfferResult = "ok" | "full" | "closed" | "timeout" | "would-block"

/** @internal */
export interface LaneOptions<A> {
  /** Used in drop warnings, e.g. `logger 'app'` or `FemtoFileHandler(/var/log/app.log)`. */
  readonly label: string
  readonly capacity: number
  /** `dropping` for drop-policy handlers; `suspend` (Queue.bounded) otherwise. */
  readonly strategy: "suspend" | "dropping"
  /** Whether `process(batch, false)` always completes synchronously. */
  readonly syncCapable: boolean
  /** Processes a batch; may return an Effect only when `canSuspend`. Must not throw. */
  readonly process: (batch: Array<A>, canSuspend: boolean) => Effect.Effect<void> | undefined
  /** `"logger"` lanes drain before `"handler"` lanes at exit. */
  readonly kind: "logger" | "handler"
  readonly warner?: Warner | undefined
  /** Runs at exit and on signals after the lane was drained (a file sink writes its buffer). */
  readonly onExit?: (() => void) | undefined
  /**
   * Runs at exit when the lane is busy because the exit happened inside its own processing
   * (`process.exit()` in a user handler) or while it waited for an asynchronous sink: finishes the
   * batch that was being processed, synchronously; `true` when it did.
   */
  readonly finishInterrupted?: (() => boolean) | undefined
}

interface Waiter {
  readonly target: number
  readonly resume: (ok: boolean) => void
}

/** @internal */
export class Lane<A> {
  dropped = 0
  /** Records taken from the queue and fully processed. */
  processed = 0
  private inFlight = 0
  private busy = false
  /**
   * Records offered while this lane is being drained (a handler logging from inside the drain)
   * that found the queue full under block or timeout. Bounded by the capacity; processed by the
   * drain already running, after the queue, so nothing is reordered or dropped.
   */
  private spill: Array<A> = []
  private spillWaiters: Array<() => void> = []
  private closeWaiters: Array<() => void> = []
  /** Bumped when the exit drain takes over a batch in flight; its continuation then does nothing. */
  private generation = 0
  closed = false
  private waiters: Array<Waiter> = []
  private consumer: Promise<void> | undefined
  readonly warner: Warner

  constructor(readonly queue: Queue.Queue<A, Cause.Done>, readonly options: LaneOptions<A>) {
    this.warner = options.warner ?? new Warner(options.label)
  }

  /** Counts one dropped record and warns (rate-limited). */
  countDrop(): void {
    this.dropped++
    this.warner.drop()
  }

  /** Counts records lost after they left the queue (a failed write), without a drop warning. */
  countLost(n: number): void {
    this.dropped += n
  }

  /** Whether a synchronous caller may drain this lane right now. */
  get canDrainSync(): boolean {
    return this.options.syncCapable && !this.busy
  }

  /** Number of records waiting (in the queue and spilled). */
  get size(): number {
    return Queue.sizeUnsafe(this.queue) + this.spill.length
  }

  /**
   * Processes queued records, batch by batch, until `processed` reaches `target` (by default: one
   * batch) or nothing is left. Returns `false` when the lane is already being drained (re-entry
   * from inside processing, or an asynchronous batch in flight), `undefined` when done, or an
   * Effect that finishes the current batch (only when `canSuspend`).
   *
   * **Gotchas**
   *
   * Taking from an Effect queue resumes a fiber suspended offering to it *inside the take*, and
   * that fiber may offer again at once. So a batch is capped at what the queue held when the take
   * began (memory stays bounded), and code of such fibers can run while the lane is busy: a
   * synchronous offer made then goes to the spill list (see {@link offerSync}).
   */
  drain(canSuspend: boolean, target?: number): Effect.Effect<void> | undefined | false {
    if (this.busy) return false
    this.busy = true
    const until = target ?? this.processed + 1
    let continuation: Effect.Effect<void> | undefined
    try {
      // Spilled records exist only while a drain runs: never stop before they are processed.
      while (this.processed < until || this.spill.length > 0) {
        let batch = this.takeBatch()
        let spilled = false
        if (batch.length === 0) {
          if (this.spill.length === 0) break
          batch = this.spill
          this.spill = []
          this.inFlight = batch.length
          spilled = true
        }
        let rest: Effect.Effect<void> | undefined
        try {
          rest = this.options.process(batch, canSuspend)
        } catch (error) {
          writeStderr(`femtologging: ${this.options.label} failed to process records: ${String(error)}\n`)
        }
        if (rest !== undefined) {
          const generation = this.generation
          continuation = Effect.ensuring(
            rest,
            Effect.suspend(() => {
              if (this.generation !== generation) return Effect.void // taken over at exit
              this.inFlight = 0
              this.busy = false
              this.completed(batch.length)
              if (spilled) this.spillDrained()
              // Records spilled while this batch waited are processed now, before anyone else can
              // find the lane idle with a spill pending.
              if (this.spill.length === 0) return Effect.void
              const more = this.drain(true)
              return more === false || more === undefined ? Effect.void : more
            })
          )
          return continuation
        }
        this.inFlight = 0
        this.completed(batch.length)
        if (spilled) this.spillDrained()
      }
    } finally {
      if (continuation === undefined) this.busy = false
    }
    return undefined
  }

  /** Processes everything queued now (flush, close, exit). */
  drainQueued(): void {
    if (this.canDrainSync) this.drain(false, this.flushTarget())
  }

  /**
   * Takes what the queue holds now, and no more (see the gotcha on {@link drain}). Each record
   * counts as in flight from the moment it is taken: code resumed inside a take (a fiber calling
   * `flush()`) must see it in {@link flushTarget}.
   */
  private takeBatch(): Array<A> {
    const n = Queue.sizeUnsafe(this.queue)
    const batch: Array<A> = []
    while (batch.length < n) {
      this.inFlight++ // before the take: a fiber resumed inside it already sees the record gone
      const exit = Queue.takeUnsafe(this.queue)
      if (exit === undefined || exit._tag === "Failure") {
        this.inFlight--
        break
      }
      batch.push(exit.value)
    }
    return batch
  }

  private spillDrained(): void {
    const waiters = this.spillWaiters
    this.spillWaiters = []
    for (const resume of waiters) resume()
  }

  /** Waits until the spill list is empty (an Effect offer must not overtake a spilled record). */
  private awaitSpill(): Effect.Effect<void> {
    return Effect.callback<void>((resume) => {
      const waiter = () => resume(Effect.void)
      this.spillWaiters.push(waiter)
      return Effect.sync(() => {
        this.spillWaiters = this.spillWaiters.filter((w) => w !== waiter)
      })
    })
  }

  /**
   * At exit, for a lane left busy (the process exits inside its processing, or while it waits for
   * an asynchronous sink): finishes or counts the batch in flight and makes the lane drainable.
   */
  interruptedAtExit(): void {
    if (!this.busy) return
    this.generation++
    const n = this.inFlight
    const finished = this.options.finishInterrupted?.() === true
    this.inFlight = 0
    this.busy = false
    if (finished) this.completed(n)
    else if (n > 0) this.abandon(n)
    this.spillDrained()
  }

  /** Counts `n` records that will never be processed (an asynchronous sink at exit) as dropped. */
  abandon(n: number): void {
    this.dropped += n
    this.warner.add(n)
  }

  private completed(n: number): void {
    this.processed += n
    if (this.waiters.length === 0) return
    const ready = this.waiters.filter((w) => w.target <= this.processed)
    if (ready.length === 0) return
    this.waiters = this.waiters.filter((w) => w.target > this.processed)
    for (const w of ready) w.resume(true)
  }

  /**
   * Offers from synchronous code. Under block and timeout a full queue is drained by the caller
   * (when the lane is synchronous and not already being drained) and the offer retried.
   */
  offerSync(record: A, policy: OverflowPolicy): OfferResult {
    const result = this.offerSyncOnce(record, policy)
    if (result === "ok" && exitState.exited) drainAllSync()
    return result
  }

  private offerSyncOnce(record: A, policy: OverflowPolicy): OfferResult {
    if (this.spill.length === 0 && Queue.offerUnsafe(this.queue, record)) return "ok"
    if (this.closed) return "closed"
    if (policy._tag === "Drop" && this.spill.length === 0) return "full"
    const deadline = policy._tag === "Timeout" ? Date.now() + policy.ms : Number.POSITIVE_INFINITY
    for (;;) {
      if (!this.canDrainSync) {
        if (!this.busy || !this.options.syncCapable || this.spill.length >= this.options.capacity) return "would-block"
        this.spill.push(record)
        return "ok"
      }
      this.drain(false)
      if (Queue.offerUnsafe(this.queue, record)) return "ok"
      if (this.closed) return "closed"
      if (Date.now() >= deadline) return "timeout"
    }
  }

  /** Offers from a fiber: drop returns at once, block suspends, timeout suspends at most N ms. */
  offer(record: A, policy: OverflowPolicy): Effect.Effect<OfferResult> {
    if (policy._tag === "Drop") {
      return Effect.sync(() => Queue.offerUnsafe(this.queue, record) ? "ok" : this.closed ? "closed" : "full")
    }
    // Waits for spilled records first (an Effect offer must not overtake them), then for room;
    // closing the lane refuses a waiting offer. Under `timeout:N` all of it counts against N.
    const attempt: Effect.Effect<OfferResult> = Effect.suspend(() => {
      if (this.closed) return Effect.succeed<OfferResult>("closed")
      if (this.spill.length > 0) return Effect.andThen(this.awaitSpill(), attempt)
      if (Queue.offerUnsafe(this.queue, record)) return Effect.succeed<OfferResult>("ok")
      return Effect.raceFirst(
        Effect.map(Queue.offer(this.queue, record), (ok): OfferResult => ok ? "ok" : "closed"),
        Effect.as(this.awaitClosed(), "closed" as OfferResult)
      )
    })
    if (policy._tag === "Block") return attempt
    return Effect.map(Effect.timeoutOption(attempt, policy.ms), (o) => o._tag === "None" ? "timeout" : o.value)
  }

  private awaitClosed(): Effect.Effect<void> {
    return Effect.callback<void>((resume) => {
      if (this.closed) return resume(Effect.void)
      const waiter = () => resume(Effect.void)
      this.closeWaiters.push(waiter)
      return Effect.sync(() => {
        this.closeWaiters = this.closeWaiters.filter((w) => w !== waiter)
      })
    })
  }

  /** The count `processed` must reach for everything queued now to be done. */
  flushTarget(): number {
    return this.processed + this.inFlight + this.size
  }

  /** Waits until `processed` reaches `target`; `false` after `timeoutMs` or when the lane stops. */
  awaitProcessed(target: number, timeoutMs: number): Effect.Effect<boolean> {
    if (this.processed >= target) return Effect.succeed(true)
    return Effect.callback<boolean>((resume) => {
      const waiter: Waiter = { target, resume: (ok) => resume(Effect.succeed(ok)) }
      this.waiters.push(waiter)
      return Effect.sync(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter)
      })
    }).pipe(Effect.timeoutOption(timeoutMs), Effect.map((o) => o._tag === "Some" && o.value))
  }

  /** Stops accepting records and drains synchronously what it can. Idempotent. */
  closeUnsafe(): void {
    if (!this.closed) {
      this.closed = true
      Queue.endUnsafe(this.queue)
      const waiters = this.closeWaiters
      this.closeWaiters = []
      for (const resume of waiters) resume()
      this.spillDrained()
    }
    this.drainQueued()
    this.warner.flush()
    // A lane leaves the exit drain's list only once nothing of it can be pending any more.
    if (this.size === 0 && !this.busy) live.delete(this as Lane<unknown>)
  }

  /** Stops accepting records and waits (at most `timeoutMs`) until every queued one is processed. */
  close(timeoutMs: number): Effect.Effect<boolean> {
    return Effect.suspend(() => {
      this.closeUnsafe()
      const consumer = this.consumer
      if (consumer === undefined) return Effect.succeed(this.size === 0)
      return Effect.promise(() => consumer).pipe(
        Effect.timeoutOption(timeoutMs),
        Effect.map((o) => {
          for (const w of this.waiters) w.resume(false)
          this.waiters = []
          return o._tag === "Some"
        })
      )
    })
  }

  /** @internal */
  start(consumer: Promise<void>): void {
    this.consumer = consumer
  }
}

/**
 * Creates a lane in the current scope: the queue, its consumer fiber, and a finalizer that closes
 * the lane and lets the consumer finish what was queued.
 *
 * @internal
 */
export const make = <A>(options: LaneOptions<A>): Effect.Effect<Lane<A>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const queue = yield* Queue.make<A, Cause.Done>({ capacity: options.capacity, strategy: options.strategy })
    const lane = new Lane(queue, options)
    const consume: Effect.Effect<void> = Effect.gen(function*() {
      for (;;) {
        if (lane.size === 0) {
          const exit = yield* Effect.exit(Queue.peek(queue))
          if (Exit.isFailure(exit)) return
        }
        const rest = lane.drain(true)
        if (rest !== undefined && rest !== false) yield* rest
        // One batch per turn: let producers, other lanes and IO run between batches.
        yield* Effect.yieldNow
      }
    })
    let done!: () => void
    lane.start(new Promise<void>((resolve) => (done = resolve)))
    yield* Effect.forkDetach(Effect.ensuring(
      consume,
      Effect.sync(() => {
        if (lane.size === 0) live.delete(lane as Lane<unknown>)
        done()
      })
    ))
    live.add(lane as Lane<unknown>)
    watchExit()
    yield* Effect.addFinalizer(() => Effect.asVoid(lane.close(5_000)))
    return lane
  })
