/**
 * A handler takes records from loggers through its own bounded queue and delivers them to its
 * output: a sink (formatted and encoded here, on the main thread, then written inline or on a
 * worker thread) or a function (a user handler object). It owns the queue, the overflow policy,
 * the formatter and the encoding; the sink knows nothing of it.
 *
 * **The boundary**
 *
 * A handler's policy applies at its own queue, and only there. `drop` never holds the caller:
 * a full queue drops the record and counts it. `block` holds the caller while the queue is full:
 * a fiber suspends until the handler's worker makes room; a synchronous caller makes room itself
 * ("caller runs": it delivers the oldest batch, waiting with `Atomics.wait` when a worker's
 * hand-off is full). `timeout:N` holds the caller at most N ms plus one batch. Flush, close and
 * exit are not overflow: they deliver everything already queued, whatever the policy.
 *
 * **Accounting**
 *
 * Every record offered is accepted or refused (counted in `getDropped()`); every accepted record
 * ends up written, or lost (a failed write, counted in `getDropped()` too). When `close()`
 * returns, written + dropped = offered.
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import { Clock, Effect, Exit, Queue, Scope } from "./internal/lazyEffect.ts"
import * as Filter from "./Filter.ts"
import * as Formatter from "./Formatter.ts"
import { capacityOf, checkFilter, checkFilters, checkLevel, HandlerConfigError, positiveInt, timerMs } from "./HandlerConfigError.ts"
import {
  HandlerClosedError,
  HandlerError,
  type HandlerErrorReason,
  HandlerIOError,
  InvalidHandlerError,
  OfferTimeoutError,
  QueueFullError,
  WouldBlockError
} from "./HandlerError.ts"
import * as InlineExecutor from "./internal/inlineExecutor.ts"
import { isLiveClock } from "./internal/liveClock.ts"
import * as Output from "./internal/output.ts"
import {
  blocking,
  currentSpawner,
  deeper,
  facadeSpawner,
  generationOf,
  maxGenerations,
  register,
  registry,
  type Spawner,
  stopBy,
  unregister
} from "./internal/runtime.ts"
import { labelledReporter, Warner, writeStderr } from "./internal/warner.ts"
import * as WorkerExecutor from "./internal/workerExecutor.ts"
import * as Level from "./Level.ts"
import * as LogRecord from "./LogRecord.ts"
import * as OverflowPolicy from "./OverflowPolicy.ts"
import type { Sink } from "./Sink.ts"

export {
  HandlerClosedError,
  HandlerError,
  type HandlerErrorReason,
  HandlerIOError,
  InvalidHandlerError,
  OfferTimeoutError,
  QueueFullError,
  WouldBlockError
} from "./HandlerError.ts"

/**
 * Where a handler's records go.
 *
 * - `Sink`: a sink on the main thread (the inline executor); given as a function, it is opened
 *   once every option was validated.
 * - `Worker`: a sink module loaded on a worker thread (the worker executor); `module` is a URL
 *   or specifier whose default export is a `SinkFactory`, `options` cross as structured clone.
 * - `Records`: a function called with each record on the main thread (user handler objects).
 *
 * @category models
 * @since 0.1.0
 */
export type Target =
  | { readonly _tag: "Sink"; readonly sink: Sink | (() => Sink) }
  | {
    readonly _tag: "Worker"
    readonly module: string
    readonly options?: unknown
    /** Bytes the hand-off holds, default 4 MiB. */
    readonly bufferBytes?: number | undefined
    /** Handlers naming the same pool share its threads. */
    readonly pool?: string | undefined
  }
  | {
    readonly _tag: "Records"
    readonly handle: (record: LogRecord.LogRecord) => unknown
    /** Called when the handler flushes, closes, and at exit (a user handler object's `flush()`). */
    readonly flush?: (() => unknown) | undefined
  }

/**
 * Options of a handler.
 *
 * @category models
 * @since 0.1.0
 */
export interface MakeOptions {
  /** Shown in warnings and errors, e.g. `FemtoFileHandler(/var/log/app.log)`. */
  readonly label: string
  readonly target: Target
  /** Queue capacity in records, default 1024. */
  readonly capacity?: number | undefined
  /** Overflow policy, default block. */
  readonly policy?: OverflowPolicy.OverflowPolicy | string | undefined
  /**
   * How long `flush()` and `close()` wait for the records, default 1000 ms (once they are written,
   * `close()` gives the sink up to 5 s to release itself).
   */
  readonly flushTimeoutMs?: number | undefined
  /** Renders a record as text (without the newline), default the seed's line: a function, an object with `format(record)`, or an id. */
  readonly formatter?: Formatter.Formatter | Formatter.FormatterId | { readonly format: Formatter.Formatter } | undefined
  /** Write to the sink once this many records are buffered, default 1 (every batch). */
  readonly flushInterval?: number | undefined
  /** Buffered records are written at most this many ms later, default 1000. */
  readonly flushAfterMs?: number | undefined
  /** Records below this level are not taken (not counted as drops); default `NOTSET`: all. */
  readonly level?: Level.LevelInput | undefined
  /** Every record reaching the handler passes these first (see `Filter`). */
  readonly filters?: ReadonlyArray<Filter.Filter> | undefined
  /**
   * Binary frames instead of text lines (the socket handler): each record is encoded by
   * `encode` and sent as `[u32 big-endian length][payload]`; the formatter is then not used.
   */
  readonly encoding?: { readonly _tag: "Frames" } & Output.FrameEncoding | undefined
  /**
   * How long the exit drain (and `drainAll()`) waits for this handler's sink at most; default
   * the process-wide limit (5 s). A network handler sets its write timeout, so that an
   * unreachable collector does not hold the process at exit.
   */
  readonly exitTimeoutMs?: number | undefined
}

type State =
  | { readonly _tag: "Open" }
  | { readonly _tag: "Closing"; readonly done: Promise<void> }
  | { readonly _tag: "Closed" }

const open: State = { _tag: "Open" }
const closedState: State = { _tag: "Closed" }

const TypeId = "~femtologging/Handler"

/**
 * A handler. Build one with {@link make} (Effect) or {@link makeUnsafe}; the facade's classes
 * (`FemtoFileHandler`, ...) each hold one.
 *
 * @category models
 * @since 0.1.0
 */
export class Handler {
  readonly [TypeId] = TypeId
  readonly label: string
  readonly policy: OverflowPolicy.OverflowPolicy
  readonly capacity: number
  readonly flushTimeoutMs: number
  private currentFormatter: Formatter.Formatter
  /** Whether a formatter was given (to `make` or {@link setFormatter}): else the default one is in use. */
  private formatterGiven: boolean
  /**
   * Called when a formatter change alters whether records need their caller (managers re-resolve
   * their loggers' plans). Held weakly: a manager reset or closed in a test does not live on in a
   * handler that outlives it.
   */
  private formatterWatchers: Array<WeakRef<() => void>> = []
  /** `"inline"`, `"worker"` or `"records"` (a function on the main thread). */
  readonly executor: "inline" | "worker" | "records"
  private state: State = open
  private accepted = 0
  private refused = 0
  private taken = 0
  private abandoned = 0
  /** `taken` when a timed-out offer last gave up (-1: never). */
  private stalledAt = -1
  /** Records offered re-entrantly (from inside this handler's own delivery) to a full queue. */
  private spill: Array<LogRecord.LogRecord> = []
  /** A delivery is under way (on the stack, or an asynchronous write in flight). */
  private busy: Promise<void> | true | undefined
  private timerArmed = false
  /** The estimated size of each queued record, oldest first (a ring over `capacity` slots). */
  private readonly sizes: Float64Array
  private sizesHead = 0
  /** The estimated bytes of the records queued here (their share of the process-wide limit). */
  private queuedBytes = 0
  /** Fibers waiting for room (block, timeout), oldest first. */
  private waiters: Array<() => void> = []
  private readonly warner: Warner
  /** Reports records refused as a logging loop (see {@link maxGenerations}); made at the first. */
  private loopWarner: Warner | undefined
  private readonly now: () => number
  /**
   * A synchronous caller under `block` or `timeout` found the queue full while the inline sink
   * wrote asynchronously, and the sink cannot be waited for on this thread: said in the next drop
   * report (then cleared), and by `handleUnsafe`'s error when it was the last refusal.
   */
  private unheld = false
  private lastUnheld = false

  /** The ordinal of the handler's level; -1 for `NOTSET` (everything). */
  private threshold = -1
  private filters: Array<Filter.Filter> = []
  /** Whether a level or a filter is set: only then does an offer check them. */
  private gated = false
  private filterReport: ((message: string) => void) | undefined
  private readonly exitTimeoutMs: number | undefined
  /** When the exit drain first reached this handler: its `exitTimeoutMs` counts from then, once for the whole exit. */
  private exitStartedAt: number | undefined
  /**
   * The scope of its own the handler was made in (see {@link inOwnScope}), closed once the handler
   * is: a scope that outlives it (the facade's lasts as long as the process) then no longer holds
   * it, its queue and its sink through their finalizers.
   */
  private scope: Scope.Closeable | undefined

  /** @internal */
  constructor(
    options: MakeOptions,
    private readonly queue: Queue.Queue<LogRecord.LogRecord, Cause.Done>,
    private readonly output: Output.Output,
    executor: "inline" | "worker" | "records",
    clock: Clock.Clock,
    private readonly arm: (ms: number) => void,
    readonly flushAfterMs: number
  ) {
    this.label = options.label
    this.policy = OverflowPolicy.parse(options.policy ?? "block")
    this.capacity = options.capacity ?? 1024
    this.flushTimeoutMs = options.flushTimeoutMs ?? 1000
    this.currentFormatter = Formatter.resolve(options.formatter ?? "default")
    this.formatterGiven = options.formatter !== undefined
    this.executor = executor
    this.now = () => clock.currentTimeMillisUnsafe()
    this.warner = new Warner(options.label, 5_000, () => clock.currentTimeMillisUnsafe(), writeStderr, (n) => {
      const why = this.unheld
        ? `queue full, and ${this.policy._tag === "Block" ? "block" : "timeout"} cannot hold a synchronous caller while ` +
          `this inline sink writes asynchronously (run it with executor: "worker", or log from an Effect fiber)`
        : this.sinkLost ? "queue full or closed, or not written by the sink" : "queue full or closed"
      this.unheld = false
      this.sinkLost = false
      return `femtologging: ${this.label} dropped ${n} record${n === 1 ? "" : "s"}; ${why}`
    })
    this.sizes = new Float64Array(this.capacity)
    this.exitTimeoutMs = options.exitTimeoutMs
    if (options.level !== undefined) this.setLevel(options.level)
    for (const filter of options.filters ?? []) this.addFilter(filter)
  }

  /**
   * Closes the handler when `scope` (its own, made by {@link inOwnScope}) closes, and `scope` when
   * the handler is closed first.
   *
   * @internal
   */
  closeWith(scope: Scope.Closeable): Effect.Effect<void> {
    this.scope = scope
    return Scope.addFinalizer(scope, Effect.suspend(() => (this.scope === scope ? this.closeEffect() : Effect.void)))
  }

  /** Whether records at the level of ordinal `n` pass the handler's level. @internal */
  takesLevel(n: number): boolean {
    return n >= this.threshold
  }

  /** The handler's level; `undefined` for `NOTSET` (everything). */
  get level(): Level.Level | undefined {
    return this.threshold < 0 ? undefined : Level.levels[this.threshold]
  }

  /**
   * Sets the handler's level: records below it are not taken (nor counted as drops). `NOTSET`
   * (or 0) lets everything through. Throws `InvalidLevelError`.
   */
  setLevel(level: Level.LevelInput): void {
    const parsed = Level.parseThresholdUnsafe(level)
    this.threshold = parsed === undefined ? -1 : Level.ordinal(parsed)
    this.gated = this.threshold >= 0 || this.filters.length > 0
  }

  /** Adds a filter every record reaching this handler passes (in the order added). */
  addFilter(filter: Filter.Filter): void {
    checkFilter(filter)
    this.filters = [...this.filters, filter]
    this.gated = true
  }

  /** Removes a filter added before (the first one equal to it). */
  removeFilter(filter: Filter.Filter): void {
    const i = this.filters.indexOf(filter)
    if (i < 0) return
    this.filters = this.filters.filter((_, j) => j !== i)
    this.gated = this.threshold >= 0 || this.filters.length > 0
  }

  /** The handler's filters, in order. */
  getFilters(): ReadonlyArray<Filter.Filter> {
    return this.filters
  }

  /** Renders a record as text (without the newline). */
  get formatter(): Formatter.Formatter {
    return this.currentFormatter
  }

  /** Whether records become text lines by the formatter (not frames, nor a user handler object's own doing). */
  get formatsText(): boolean {
    return this.output.setFormatter !== undefined
  }

  /** Whether the formatter is the default one, none having been given (CPython's `formatter is None`). */
  get formatterIsDefault(): boolean {
    return !this.formatterGiven
  }

  /**
   * CPython's `setFormatter`: records are formatted by `formatter` (a `(record) => string`, an
   * object with a `format(record)` method, or an id such as `"json"`) from now on. What was queued
   * before is written first, with the formatter it was logged under (waiting at most
   * `flushTimeoutMs` for a worker's hand-off; what a stalled sink, or the delivery the call was
   * made from, still holds up then keeps the old formatter, and is written later). A handler whose
   * records go to a function (a capture handler, whose `lines` use it; a memory handler, which
   * ignores it as CPython's does) keeps it. Throws
   * `HandlerConfigError` for something that is not a formatter, and for a handler that writes no
   * text lines (a socket handler sends records as data).
   */
  setFormatter(formatter: Formatter.Formatter | Formatter.FormatterId | { readonly format: Formatter.Formatter }): void {
    const resolved = Formatter.resolve(formatter)
    const setOutput = this.output.setFormatter
    if (setOutput !== undefined) {
      const change = { at: this.accepted, formatter: Formatter.guard(resolved, this.label), plain: plainOf(resolved) }
      this.drainSync(performance.now() + this.flushTimeoutMs)
      // What is still queued (a stalled sink, a write under way, or a call from inside this
      // handler's own delivery: its formatter) was logged under the old formatter: the change
      // waits until the delivery has taken it.
      this.formatterChanges.push(change)
      if (this.busy !== true) this.changeFormatter()
    } else if (this.executor !== "records") {
      // Frames (the socket handler): records are sent as data.
      throw new HandlerConfigError({
        field: "formatter",
        detail: `${this.label} writes no text lines: it has no formatter to set`
      })
    }
    const callerBefore = Formatter.needsCaller(this.currentFormatter)
    this.currentFormatter = resolved
    this.formatterGiven = true
    if (Formatter.needsCaller(resolved) !== callerBefore) this.callerNeedChanged()
  }

  /**
   * Formatter changes ({@link setFormatter}) waiting for the delivery to take the records accepted
   * before them (`at`: `accepted` at the call), oldest first.
   */
  private formatterChanges: Array<{ readonly at: number; readonly formatter: Formatter.Formatter; readonly plain: "default" | "json" | undefined }> = []

  /**
   * Hands the output the formatter changes whose earlier records were all taken (never while a
   * batch is being formatted: the rest of it was accepted before the change too).
   */
  private changeFormatter(): void {
    const changes = this.formatterChanges
    while (changes.length > 0 && this.taken >= changes[0]!.at) {
      const change = changes.shift()!
      this.output.setFormatter!(change.formatter, change.plain)
    }
  }

  /**
   * Whether the records this handler receives need their caller's location: its formatter prints
   * it, or that of the handler it hands its records on to (a memory handler's target, and on).
   * @internal
   */
  get needsCaller(): boolean {
    let h: Handler | undefined = this
    // A chain of memory handlers is short; the bound guards a cycle.
    for (let hops = 0; h !== undefined && hops < 64; hops++, h = h.feeds()) {
      if (Formatter.needsCaller(h.formatter)) return true
    }
    return false
  }

  /** Tells the watchers (see {@link watchFormatter}) that {@link needsCaller} may have changed. @internal */
  protected callerNeedChanged(): void {
    for (const watcher of this.formatterWatchers) watcher.deref()?.()
  }

  /**
   * Calls `watcher` when a formatter change alters whether records need their caller's location
   * ({@link needsCaller}: a logger's manager, whose loggers' plans say whether to capture it; a
   * memory handler whose target this is). @internal
   */
  watchFormatter(watcher: () => void): void {
    if (this.formatterWatchers.some((w) => w.deref() === watcher)) return
    this.formatterWatchers = this.formatterWatchers.filter((w) => w.deref() !== undefined)
    this.formatterWatchers.push(new WeakRef(watcher))
  }

  /**
   * The record to queue after the handler's level and filters, or `undefined` when they stop it
   * (a filter that throws is reported and the record counted as dropped).
   */
  private admit(record: LogRecord.LogRecord): LogRecord.LogRecord | undefined {
    if (Level.ordinal(record.level) < this.threshold) return undefined
    if (this.filters.length === 0) return record
    // What a filter logs is one generation deeper than the record it filters.
    return deeper(registry.generation, this.filtered, record)
  }

  /** The record after this handler's filters (see `admit`). */
  private readonly filtered = (record: LogRecord.LogRecord): LogRecord.LogRecord | undefined =>
    Filter.apply(this.filters, record, this.filterThrew)

  private readonly filterThrew = (error: unknown): void => {
    this.refuse()
    ;(this.filterReport ??= labelledReporter(this.label))(`a filter threw: ${describeError(error)}`)
  }

  /**
   * Puts a record in the queue if it has room and the records queued in all handlers together
   * stay within the process-wide byte limit; under `block`, also within {@link blockQueueBytes}
   * here, unless the caller could not make room (a handler with an empty queue may always take one).
   */
  private enqueue(record: LogRecord.LogRecord): boolean {
    const bytes = estimateBytes(record)
    const memory = registry.memory
    const queued = Queue.sizeUnsafe(this.queue)
    if (queued > 0) {
      if (memory.used + bytes > memory.limit) return false
      // Not while an asynchronous write is under way that a synchronous caller cannot wait for:
      // then the queue is all it has.
      if (this.queuedBytes + bytes > blockQueueBytes && this.policy._tag === "Block" && !this.cannotMakeRoom()) return false
    }
    if (!Queue.offerUnsafe(this.queue, record)) return false
    this.sizes[(this.sizesHead + queued) % this.capacity] = bytes
    memory.used += bytes
    this.queuedBytes += bytes
    return true
  }

  /** Takes the oldest queued record, releasing its bytes. */
  private dequeue(): LogRecord.LogRecord | undefined {
    const exit = Queue.takeUnsafe(this.queue)
    if (exit === undefined || exit._tag === "Failure") return undefined
    this.released(1)
    return exit.value
  }

  /** The `n` oldest queued records were taken: releases their bytes. */
  private released(n: number): void {
    const memory = registry.memory
    for (let i = 0; i < n; i++) {
      const bytes = this.sizes[this.sizesHead]!
      memory.used -= bytes
      this.queuedBytes -= bytes
      this.sizesHead = (this.sizesHead + 1) % this.capacity
    }
  }

  /**
   * Takes the oldest queued records, at most about `maxBatchBytes` of them (the output's buffer
   * stays small for large records), and no more than a worker's hand-off takes whole. Many at
   * once are one bulk take (no `Exit` per record: ~20 instead of ~50 ns a record at 1024), a few
   * one by one (a bulk take costs ~0.7 µs to start). At most `records` records.
   */
  private dequeueBatch(records: number): Array<LogRecord.LogRecord> {
    const queued = Math.min(Queue.sizeUnsafe(this.queue), records)
    let count = 0
    const most = Math.min(maxBatchBytes, this.output.batchBytes)
    for (let bytes = 0; count < queued && bytes < most; count++) {
      bytes += this.sizes[(this.sizesHead + count) % this.capacity]!
    }
    if (count >= bulkTake) {
      const exit = Effect.runSyncExit(Queue.takeBetween(this.queue, count, count))
      if (exit._tag === "Failure") return [] // shut down, as `dequeue` finds it
      this.released(exit.value.length)
      return exit.value
    }
    const batch: Array<LogRecord.LogRecord> = []
    while (batch.length < count) {
      const record = this.dequeue()
      if (record === undefined) break
      batch.push(record)
    }
    return batch
  }

  /** Records this handler dropped: refused at its queue (full, closed, timed out) or lost by its sink. */
  getDropped(): number {
    return this.refused + this.abandoned + this.output.lost()
  }

  /** Records the sink wrote (or the function handled). */
  getWritten(): number {
    return this.output.written()
  }

  /** Records accepted and not yet written or dropped. */
  getPending(): number {
    return this.accepted - this.taken + this.output.pending()
  }

  /** Records that may have been written twice (resent after a worker crashed mid-write). */
  getDuplicates(): number {
    return this.output.duplicates()
  }

  /** Records the queue accepted so far. */
  getAccepted(): number {
    return this.accepted
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.state._tag !== "Open"
  }

  /** Counts a refused record; `unheld`: a synchronous caller the sink cannot hold (see `unheld`). */
  private refuse(unheld = false): false {
    this.refused++
    this.lastUnheld = unheld
    if (unheld) this.unheld = true
    this.warner.drop()
    return false
  }

  /**
   * Whether a record logged now is a logging loop's, by its generation: deeper than
   * {@link maxGenerations} (logged by a handler, filter or formatter at work on a record logged the
   * same way, and so on), it is refused and counted. Checked before this handler's filters run.
   */
  private looping(): boolean {
    if (registry.generation <= maxGenerations) return false
    this.refused++
    this.lastUnheld = false
    ;(this.loopWarner ??= new Warner(this.label, 5_000, this.now, writeStderr, (n) =>
      `femtologging: ${this.label} dropped ${n} record${n === 1 ? "" : "s"}; a logging loop: each was logged ` +
      `by a handler, filter or formatter while it handled a record logged the same way, more than ${maxGenerations} ` +
      `deep (one that logs, for every record, to a logger that reaches it again)`)).drop()
    return true
  }

  /**
   * Remembers the generation of a record logged by a piece at work (`registry.generation` > 0). A
   * record keeps the generation it was first seen at: one handed on as it is, by handlers routing
   * it to others (`handleUnsafe`), is not logged anew and does not get deeper.
   */
  private remember(record: LogRecord.LogRecord): void {
    const lineage = (registry.lineage ??= new WeakMap())
    if (!lineage.has(record)) lineage.set(record, registry.generation)
  }

  /** Whether the last record refused was one a synchronous caller could not be held for. @internal */
  get refusedUnheld(): boolean {
    return this.lastUnheld
  }

  /**
   * Offers a record from synchronous code, applying the policy; `true` when accepted. Never
   * throws: a refused record is counted.
   *
   * @internal
   */
  offerUnsafe(record: LogRecord.LogRecord): boolean {
    if (registry.generation > 0 && this.looping()) return false
    if (this.gated) {
      const admitted = this.admit(record)
      if (admitted === undefined) return true // not for this handler: neither taken nor refused
      record = admitted
    }
    if (this.state._tag !== "Open") return this.refuse()
    if (registry.generation > 0) this.remember(record)
    if (this.spill.length === 0 && this.enqueue(record)) return this.acceptedOne()
    const policy = this.policy
    if (policy._tag === "Drop") return this.refuse()
    if (this.busy === true) return this.spillInDelivery(record)
    // A stalled sink costs the caller N ms once; once the output is ready again, it is tried anew.
    if (policy._tag === "Timeout" && this.stalledAt === this.taken && !this.output.ready()) {
      return this.refuse(this.cannotMakeRoom())
    }
    const deadline = policy._tag === "Timeout" ? performance.now() + policy.ms : Number.POSITIVE_INFINITY
    for (;;) {
      const room = this.makeRoomSync(deadline)
      // Closed by what that delivery ran (a user handler removing itself, a formatter calling
      // `shutdown()`): its queue takes nothing more, so waiting for room would never end.
      if (this.state._tag !== "Open") return this.refuse()
      // Records spilled during that delivery are delivered first (by the next one), then this.
      if (room && this.spill.length === 0 && this.enqueue(record)) return this.acceptedOne()
      if (!room || performance.now() >= deadline) {
        // Timed out: until the queue moves again, later records are refused at once, so that a
        // stalled sink costs the caller N ms once, not N ms per record.
        if (policy._tag === "Timeout") this.stalledAt = this.taken
        return this.refuse(!room && this.cannotMakeRoom())
      }
    }
  }

  /**
   * A record logged from inside this handler's own delivery (a user handler, filter or formatter
   * logging), under a policy that would wait: the delivery on the stack takes these next, in
   * order, and past a queue's worth they are refused (counted).
   */
  private spillInDelivery(record: LogRecord.LogRecord): boolean {
    if (this.spill.length >= this.capacity) return this.refuse()
    this.spill.push(record)
    return this.acceptedOne()
  }

  private acceptedOne(): true {
    this.accepted++
    if (registry.exiting) this.deliverAtExit()
    else if (!this.scheduled) this.schedule()
    return true
  }

  /**
   * A record accepted once the exit drain ran (an application `exit` listener registered after
   * ours logged it) is delivered at once. A worker's sink was closed by that drain: what it can
   * no longer write is counted, and reported now, since no timer runs any more.
   */
  private deliverAtExit(): void {
    this.drainSync(performance.now() + 1_000)
    if (this.noteLost() > 0) this.warner.flush()
  }

  /**
   * Whether a synchronous caller can neither write now nor wait: an inline sink's asynchronous
   * write is under way and the sink has no `waitSync`.
   */
  private cannotMakeRoom(): boolean {
    return !this.output.canWaitSync && !this.output.ready()
  }

  /** Delivers the oldest batch on the calling thread, waiting (at most until `deadline`) for the output. */
  private makeRoomSync(deadline: number): boolean {
    if (this.busy === true) return false
    if (this.busy !== undefined || !this.output.ready()) {
      // Nothing to wait for on this thread: refused at once, without stepping aside from the
      // signals (which costs tens of microseconds a record).
      if (this.cannotMakeRoom()) return false
      if (!blocking(deadline, this.output.waitSync)) return false
      this.busy = undefined // an asynchronous write the output finished synchronously
    }
    registry.makingRoom++
    try {
      void this.deliverBatch()
    } finally {
      registry.makingRoom--
    }
    return true
  }

  /**
   * Takes what the queue holds now plus the spill, and hands it to the output. Returns a promise
   * while an asynchronous write continues. Call only when the output is ready.
   */
  private deliverBatch(): void | Promise<void> {
    // A user handler called by the delivery can reach here again (it flushes): never deliver
    // inside a delivery.
    if (this.busy !== undefined || this.size() === 0) return
    this.busy = true
    let result: void | Promise<void> = undefined
    // What is queued now goes out in this call; records logged during it (a user handler that
    // logs) wait for the next round, which `run` starts after a turn of the event loop: a handler
    // whose every delivery logs more for itself never returned, and timers and signals starved.
    let due = this.size()
    try {
      do {
        // A formatter change waits for the records accepted before it: a batch never spans it.
        if (this.formatterChanges.length > 0) this.changeFormatter()
        const most = this.formatterChanges.length > 0 ? this.formatterChanges[0]!.at - this.taken : Number.POSITIVE_INFINITY
        const batch = this.dequeueBatch(most)
        // Spilled records come after everything the queue holds (a fiber resumed by the take
        // above may have offered to it, before it logged what was spilled).
        if (this.spill.length > 0 && Queue.sizeUnsafe(this.queue) === 0 && batch.length < most) {
          for (const r of this.spill.splice(0, Math.min(this.capacity, most - batch.length))) batch.push(r)
        }
        if (batch.length === 0) break
        this.taken += batch.length
        due -= batch.length
        result = this.output.deliver(batch)
        // The rest of what was due comes next, before anyone else can deliver. What is left when
        // it stops is taken, in order, by the next delivery (an offer meanwhile finds the spill
        // non-empty and delivers it first).
      } while (result === undefined && due > 0 && this.size() > 0 && this.output.ready())
    } finally {
      this.busy = undefined
    }
    if (this.formatterChanges.length > 0) this.changeFormatter()
    this.wake()
    this.noteLost()
    if (result === undefined) return
    const pending: Promise<void> = result.finally(() => {
      if (this.busy === pending) this.busy = undefined
      this.noteLost()
    })
    this.busy = pending
    return pending
  }

  /** Called by the output when it holds buffered records: writes them within `flushAfterMs`. @internal */
  onBuffered(): void {
    if (this.timerArmed) return
    this.timerArmed = true
    this.arm(this.flushAfterMs)
  }

  /** The `flushAfterMs` timer fired: writes out what the output buffers. @internal */
  timerFired(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.timerArmed = false
      return this.state._tag === "Open" ? this.settle(() => this.output.emit()) : Effect.void
    })
  }

  /** Runs `step` once nothing is busy and the output is ready; awaits what it starts. */
  private settle(step: () => void | Promise<void>): Effect.Effect<void> {
    return Effect.suspend((): Effect.Effect<void> => {
      const busy = this.busy
      if (busy === true) return Effect.andThen(Effect.yieldNow, this.settle(step))
      if (busy !== undefined) return Effect.andThen(Effect.promise(() => busy), this.settle(step))
      if (!this.output.ready()) {
        return Effect.promise(() => this.output.wait()).pipe(Effect.andThen(Effect.yieldNow), Effect.andThen(this.settle(step)))
      }
      const result = step()
      return result === undefined ? Effect.void : Effect.promise(() => result)
    })
  }

  /** Delivers until every record accepted before the call was handed to the output. */
  private deliverUntil(target: number): Effect.Effect<void> {
    return Effect.suspend((): Effect.Effect<void> => {
      if (this.taken >= target || this.size() === 0) return Effect.void
      return Effect.andThen(this.settle(() => this.deliverBatch()), this.deliverUntil(target))
    })
  }

  private size(): number {
    return Queue.sizeUnsafe(this.queue) + this.spill.length
  }

  /**
   * The handler's worker: delivery is scheduled as a microtask when a record arrives, so a
   * synchronous burst goes out as one batch at the end of the caller's turn, and a record logged
   * once per turn (a server handling requests) is written within that turn, without waking a
   * fiber (which measured 5 µs of Effect scheduling plus 3.5 µs of Node's per record). While a
   * write continues asynchronously, or a worker's hand-off is full, the next delivery waits for
   * it; batches delivered back to back yield to the event loop in between. The microtask is a
   * settled promise's reaction, not `queueMicrotask`, whose async resource cost ~0.3 µs a turn in a
   * micro-benchmark (~0.1 µs on the whole path).
   */
  private scheduled = false

  private schedule(): void {
    this.scheduled = true
    resolvedPromise.then(this.run)
  }

  private readonly resume = (): void => {
    this.scheduled = false
    this.run()
  }

  private readonly run = (): void => {
    this.scheduled = false
    if (this.size() === 0 || this.busy === true) return
    this.scheduled = true
    if (this.busy !== undefined) {
      this.busy.then(this.resume)
      return
    }
    if (!this.output.ready()) {
      // Through a macrotask: an output whose wait settles while it stays unready must not starve
      // the event loop.
      this.output.wait().then(() => setImmediate(this.resume))
      return
    }
    const pending = this.deliverBatch()
    if (pending !== undefined) pending.then(this.resume)
    else if (this.size() > 0) setImmediate(this.resume)
    else this.scheduled = false
  }

  /**
   * Offers a record from a fiber: drop returns at once, block suspends until there is room,
   * `timeout:N` suspends at most N ms (Effect's `Clock`). `true` when accepted.
   *
   * @internal
   */
  offer(record: LogRecord.LogRecord): Effect.Effect<boolean> {
    return Effect.suspend(() => {
      if (registry.generation > 0 && this.looping()) return Effect.succeed(false)
      if (this.gated) {
        const admitted = this.admit(record)
        if (admitted === undefined) return Effect.succeed(true)
        record = admitted
      }
      if (this.state._tag !== "Open") return Effect.succeed(this.refuse())
      if (registry.generation > 0) this.remember(record)
      if (this.spill.length === 0 && this.enqueue(record)) return Effect.succeed(this.acceptedOne())
      const policy = this.policy
      if (policy._tag === "Drop") return Effect.succeed(this.refuse())
      // As `offerUnsafe` takes it: the room a fiber would wait for comes only once that delivery
      // returns, and `Effect.runSync` (in a user handler or formatter) cannot wait.
      if (this.busy === true) return Effect.succeed(this.spillInDelivery(record))
      // As for a synchronous caller: a stalled sink costs N ms once, not N ms per record.
      if (policy._tag === "Timeout" && this.stalledAt === this.taken && !this.output.ready()) {
        return Effect.succeed(this.refuse())
      }
      // Accepted where it is queued, in the same step: a fiber interrupted (or a timeout firing)
      // between the two would leave a queued record uncounted and its delivery unscheduled.
      let accepted = false
      // Whether waiting is over: queued now, or the handler is no longer open.
      const settled = (): boolean => {
        if (accepted || this.state._tag !== "Open") return true
        if (this.spill.length === 0 && this.enqueue(record)) accepted = this.acceptedOne()
        return accepted
      }
      const attempt: Effect.Effect<void> = Effect.suspend(() =>
        settled() ? Effect.void : Effect.andThen(this.room(settled), attempt)
      )
      const bounded = policy._tag === "Timeout" ? Effect.timeoutOption(attempt, policy.ms) : attempt
      return Effect.map(bounded, () => {
        if (accepted) return true
        // Timed out: until the queue moves again, later records are refused at once.
        if (policy._tag === "Timeout" && this.state._tag === "Open") this.stalledAt = this.taken
        return this.refuse()
      }).pipe(
        // The logging fiber interrupted while it waited for room (a request's timeout): its
        // record is lost, and counted as a refused one is, never silently.
        Effect.onInterrupt(() =>
          Effect.sync(() => {
            if (!accepted) this.refuse()
          })
        )
      )
    })
  }

  /**
   * Waits until a delivery made room (or the handler closes). Not `Queue.offer`: a take resumes
   * a fiber suspended there synchronously, inside the take, where what it logs next could only
   * overtake what it offered; waiters here resume once the delivery is over.
   */
  private room(settled: () => boolean): Effect.Effect<void> {
    return Effect.callback<void>((resume) => {
      // Checked again as the waiter registers: the fiber may have yielded since it found the
      // queue full, and a delivery meanwhile would have emptied it and woken nobody.
      if (settled()) {
        resume(Effect.void)
        return
      }
      const waiter = () => resume(Effect.void)
      this.waiters.push(waiter)
      this.holdOpen ??= setInterval(() => {}, 2 ** 31 - 1)
      return Effect.sync(() => {
        const i = this.waiters.indexOf(waiter)
        if (i >= 0) this.waiters.splice(i, 1)
        if (this.waiters.length === 0) this.letGo()
      })
    })
  }

  /**
   * A ref'd timer while fibers wait for room: what they wait for (a worker thread releasing its
   * hand-off, unref'd, seen through `Atomics.waitAsync`) does not keep the event loop alive, and
   * without it Node would end the program in the middle of `await Effect.runPromise(...)`.
   */
  private holdOpen: ReturnType<typeof setInterval> | undefined

  private letGo(): void {
    if (this.holdOpen === undefined) return
    clearInterval(this.holdOpen)
    this.holdOpen = undefined
  }

  private wake(): void {
    if (this.waiters.length === 0) return
    const waiters = this.waiters
    this.waiters = []
    // The resumed fibers run before Node next checks for work; one that still finds no room waits
    // again. Effect resumes a fiber synchronously: inside a synchronous caller making room (a log
    // call under block, whose logger's hand-off is under way), a fiber would log into that
    // hand-off, unheld, until its logger's queue overflowed and dropped records: resumed once the
    // caller returned instead.
    this.letGo()
    if (registry.makingRoom > 0) resolvedPromise.then(() => resumeAll(waiters))
    else resumeAll(waiters)
  }

  /**
   * The handler this one hands its records on to when it flushes or closes (a memory handler's
   * target): flushed and closed after it. @internal
   */
  feeds(): Handler | undefined {
    return undefined
  }

  /** Flushes: `true` once everything accepted before the call is written and the sink flushed. @internal */
  flushEffect(): Effect.Effect<boolean> {
    return Effect.suspend(() => {
      if (this.state._tag !== "Open") return Effect.succeed(false)
      const target = this.accepted
      return this.deliverUntil(target).pipe(
        Effect.andThen(this.settle(() => {})),
        Effect.timeoutOption(this.flushTimeoutMs),
        // The output bounds its own wait (a worker's start-up does not count against it).
        Effect.flatMap((o) =>
          o._tag === "None" ? Effect.succeed(false) : Effect.promise(() => this.output.flush(this.flushTimeoutMs))
        ),
        Effect.map((ok) => {
          this.noteLost()
          return ok && this.state._tag === "Open"
        })
      )
    })
  }

  /**
   * Closes: refuses new records, delivers what was accepted, then flushes and closes the sink.
   * Idempotent; everything not written within the flush timeout is counted as dropped.
   *
   * @internal
   */
  closeEffect(): Effect.Effect<void> {
    return Effect.uninterruptible(Effect.suspend((): Effect.Effect<void> => {
      const state = this.state
      if (state._tag === "Closed") return Effect.void
      if (state._tag === "Closing") return Effect.promise(() => state.done)
      let done!: () => void
      this.state = { _tag: "Closing", done: new Promise((resolve) => (done = resolve)) }
      Queue.endUnsafe(this.queue)
      this.wake()
      return this.deliverUntil(this.accepted).pipe(
        Effect.timeoutOption(this.flushTimeoutMs),
        Effect.andThen(Effect.promise(() => this.output.close(this.flushTimeoutMs))),
        Effect.ensuring(Effect.suspend(() => {
          // What the sink could not write by now is reported, with what is still queued.
          this.noteLost()
          this.abandonQueued()
          this.state = closedState
          this.warner.flush()
          this.loopWarner?.flush()
          unregister(this)
          done()
          // Its own scope: its finalizers (this close, the executor's) no longer hold the handler.
          const scope = this.scope
          this.scope = undefined
          return scope === undefined ? Effect.void : Scope.close(scope, Exit.void)
        }))
      )
    }))
  }

  /** Whether some of the drops the warner holds were the sink's (its report then says so). */
  private sinkLost = false

  /** Reports records the output lost (not written by the sink, or not taken by it in time). */
  private lostBySink(n: number): void {
    this.sinkLost = true
    this.warner.add(n)
  }

  /** `output.lost()` when last looked at: what the output lost since is yet to be reported. */
  private lostSeen = 0

  /**
   * Reports what the output lost since the last look (failed writes, on either executor: a
   * worker's thread counts them in the hand-off), with the drops, rate-limited; returns how many.
   * Looked at after each delivery, at the next one, and on flush, close and exit.
   */
  private noteLost(): number {
    const lost = this.output.lost()
    const n = lost - this.lostSeen
    if (n <= 0) return 0
    this.lostSeen = lost
    this.lostBySink(n)
    return n
  }

  /** Counts what is still queued as dropped and forgets it (close timed out, or the exit). */
  private abandonQueued(): void {
    const n = this.size()
    if (n === 0) return
    this.spill = []
    while (Queue.sizeUnsafe(this.queue) > 0 && this.dequeue() !== undefined) {
      // forgotten
    }
    this.taken += n
    this.abandoned += n
    this.warner.add(n)
  }

  /**
   * Where `exitTimeoutMs` counts from: now, but at the exit from when the drain first reached this
   * handler, so that its delivery (`drainSync`) and its finish (`exitSync`) share the one bound
   * (they took it twice: a socket handler whose peer stopped reading held the exit 2 write timeouts).
   */
  private exitTimeoutFrom(): number {
    return registry.exiting ? (this.exitStartedAt ??= performance.now()) : performance.now()
  }

  /**
   * Delivers everything queued, synchronously (for `drainAll()` and signals), waiting for a
   * worker's hand-off until `deadline`, and each time at most `patience` ms (a sink that takes
   * nothing for that long is stalled: given up on); writes out what the output buffers.
   *
   * @internal
   */
  drainSync(deadline: number, patience = Number.POSITIVE_INFINITY): void {
    if (this.exitTimeoutMs !== undefined) deadline = Math.min(deadline, this.exitTimeoutFrom() + this.exitTimeoutMs)
    const until = (): number => Math.min(deadline, performance.now() + patience)
    // Each round delivers what was queued when it began; a handler that keeps logging for itself
    // adds rounds, so the deadline bounds them too.
    for (let guard = 0; guard < 1_000_000 && this.size() > 0 && performance.now() < deadline; guard++) {
      if (!this.makeRoomSync(until())) break
    }
    if (this.busy === undefined && (this.output.ready() || this.output.waitSync(until()))) void this.output.emit()
  }

  /**
   * {@link drainSync}, then waits (until `deadline`) for the output to have written what it was
   * handed: a worker's thread holds a hand-off of records not yet in the file.
   *
   * @internal
   */
  settleSync(deadline: number): void {
    this.drainSync(deadline)
    // The last batch may still be on its way out (an inline stream sink facing a full pipe
    // retries from a timer): finished here, as at exit, or a SIGKILL right after loses it.
    while (this.busy !== undefined && this.busy !== true && performance.now() < deadline) {
      if (!blocking(deadline, this.output.waitSync)) return
      this.busy = undefined // an asynchronous write the output finished synchronously
      this.drainSync(deadline)
    }
    if (this.busy === undefined) this.output.settleSync(deadline)
  }

  /**
   * {@link drainSync}, then has a worker's sink open its file again after what was delivered
   * (see `Executor.reopenSync`), waiting until `deadline`. Returns why it failed, or `undefined`.
   * Only for a worker's sink: the caller reopens an inline one directly.
   *
   * @internal
   */
  reopenSync(deadline: number): string | undefined {
    this.drainSync(deadline)
    return this.output.reopenSync?.(deadline)
  }

  /**
   * At process exit: finishes a delivery the exit cut short, delivers everything queued, lets the
   * output finish, and counts what could not be delivered as dropped.
   *
   * @internal
   */
  exitSync(deadline: number, stopAt = stopBy(deadline)): void {
    if (this.state._tag === "Closed") return
    if (this.exitTimeoutMs !== undefined) {
      deadline = Math.min(deadline, this.exitTimeoutFrom() + this.exitTimeoutMs)
      stopAt = Math.min(stopAt, stopBy(deadline))
    }
    if (this.busy === true) {
      this.busy = undefined
      this.output.resumeAtExit()
    } else if (this.busy !== undefined && this.output.waitSync(stopAt)) this.busy = undefined
    this.drainSync(stopAt)
    this.abandonQueued()
    // The time after `stopAt` is for giving up a write that does not finish, and counting it.
    this.output.exitSync(deadline, stopAt)
    this.noteLost()
    this.warner.flush()
    this.loopWarner?.flush()
  }
}

/**
 * Whether a value is a {@link Handler}.
 *
 * @category guards
 * @since 0.1.0
 */
export const isHandler = (u: unknown): u is Handler =>
  typeof u === "object" && u !== null && (u as Record<string, unknown>)[TypeId] === TypeId

/**
 * Something that holds a handler: a {@link Handler} itself, or a facade handler object
 * (`FemtoFileHandler`, `CaptureHandler`, ...) exposing it as `handler`.
 *
 * @category models
 * @since 0.1.0
 */
export type HandlerLike = Handler | { readonly handler: Handler }

/**
 * The handler behind a {@link HandlerLike}, if any.
 *
 * @category getters
 * @since 0.1.0
 */
export const of = (u: unknown): Handler | undefined => {
  if (isHandler(u)) return u
  if (typeof u === "object" && u !== null && "handler" in u && isHandler((u as { handler: unknown }).handler)) {
    return (u as { handler: Handler }).handler
  }
  return undefined
}

const toHandler = (like: HandlerLike): Handler => of(like)!

const reportFailure = (label: string): (what: string, error: unknown) => void => {
  const report = labelledReporter(label)
  return (what, error) => report(`${what} failed: ${describeError(error)}`)
}

/** An error's stack (or message) for a report; never throws. @internal */
export const describeError = (error: unknown): string => {
  try {
    return error instanceof Error ? error.stack ?? `${error.name}: ${error.message}` : String(error)
  } catch {
    return Object.prototype.toString.call(error)
  }
}

/**
 * Creates a handler in the current scope: its queue, its delivery and its executor.
 * Closing the scope delivers what was accepted and closes the sink. Fails with
 * `HandlerConfigError` for a bad option.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: MakeOptions): Effect.Effect<Handler, HandlerConfigError | HandlerIOError, Scope.Scope> =>
  inOwnScope((scope) => Effect.gen(function*() {
    const capacity = yield* check(() => capacityOf("capacity", options.capacity ?? 1024))
    const policy = yield* check(() => OverflowPolicy.parse(options.policy ?? "block"))
    const flushInterval = yield* check(() => positiveInt("flushInterval", options.flushInterval ?? 1))
    const flushAfterMs = yield* check(() => timerMs("flushAfterMs", options.flushAfterMs ?? 1000))
    yield* check(() => timerMs("flushTimeoutMs", options.flushTimeoutMs ?? 1000))
    if (options.exitTimeoutMs !== undefined) yield* check(() => timerMs("exitTimeoutMs", options.exitTimeoutMs))
    const formatter = yield* check(() => Formatter.resolve(options.formatter ?? "default"))
    if (options.level !== undefined) yield* check(() => checkLevel(options.level))
    if (options.filters !== undefined) yield* check(() => checkFilters(options.filters))
    const guarded = Formatter.guard(formatter, options.label)
    const clock = yield* Clock.Clock
    const queue = yield* Queue.make<LogRecord.LogRecord, Cause.Done>({
      capacity,
      strategy: policy._tag === "Drop" ? "dropping" : "suspend"
    })
    let handler!: Handler
    const target = options.target
    let output: Output.Output
    if (target._tag === "Records") {
      const report = labelledReporter(options.label)
      const handle = target.handle
      output = Output.records(
        (record) => deeper(generationOf(record), handle, record),
        (error) => report(`threw while handling a record: ${describeError(error)}`),
        target.flush === undefined
          ? undefined
          : { flush: target.flush, report: (error) => report(`flush failed: ${describeError(error)}`) }
      )
    } else {
      const executor = target._tag === "Sink"
        ? InlineExecutor.make(
          yield* check(() => typeof target.sink === "function" ? target.sink() : target.sink),
          reportFailure(options.label)
        )
        : yield* WorkerExecutor.make({
          label: options.label,
          module: target.module,
          options: target.options,
          bufferBytes: target.bufferBytes,
          pool: target.pool
        })
      output = options.encoding?._tag === "Frames"
        ? Output.frames(executor, options.encoding, options.label, flushInterval, () => handler.onBuffered())
        : Output.bytes(executor, guarded, flushInterval, () => handler.onBuffered(), plainOf(formatter))
    }
    const context = yield* Effect.context<never>()
    // Under the live clock a plain unref'd timer (an idle process is not kept alive to flush);
    // under another clock (TestClock) a fiber sleeping on it.
    const arm = isLiveClock(clock)
      ? (ms: number) => {
        setTimeout(() => Effect.runFork(handler.timerFired()), ms).unref()
      }
      : (ms: number) => {
        Effect.runForkWith(context)(Effect.andThen(Effect.sleep(ms), handler.timerFired()))
      }
    handler = new Handler(
      { ...options, capacity, policy, formatter: options.formatter === undefined ? undefined : formatter },
      queue,
      output,
      target._tag === "Sink" ? "inline" : target._tag === "Worker" ? "worker" : "records",
      clock,
      arm,
      flushAfterMs
    )
    register(handler)
    yield* handler.closeWith(scope)
    return handler
  }))

/**
 * Runs `build` (a handler's constructor) in a scope of its own, forked from the current one, and
 * closed at once if `build` fails; the handler closes it when it is closed ({@link Handler.closeWith}).
 *
 * @internal
 */
export const inOwnScope = <A, E>(
  build: (scope: Scope.Closeable) => Effect.Effect<A, E, Scope.Scope>
): Effect.Effect<A, E, Scope.Scope> =>
  Effect.flatMap(Effect.scope, (parent) => {
    const scope = Scope.forkUnsafe(parent)
    return build(scope).pipe(
      Scope.provide(scope),
      Effect.onExit((exit) => (Exit.isFailure(exit) ? Scope.close(scope, exit) : Effect.void))
    )
  })

/**
 * The estimated bytes (see `estimateBytes`) of records taken for one batch, at most (one record
 * may exceed it). 1 MiB (about 512 KiB of one-byte text): with 16 KiB messages, 1 MiB batches
 * measured 14% (inline) and 35% (worker) more records/s than 2 MiB, and 512 KiB batches slowed
 * 1 KiB messages on a worker by 16% (more wake-ups of its thread). Small records are bounded by
 * the queue's capacity first.
 */
const maxBatchBytes = 1024 * 1024

/**
 * Under `block`, a queue holding this many estimated bytes counts as full (the caller then writes
 * or waits, as when the queue holds `capacity` records): eight batches, enough to keep a sink
 * busy, while a deeper queue only holds memory the caller waits for anyway. 16 KiB messages, one
 * handler, 3 alternating rounds: inline 34-47k -> 57-74k rec/s and 129 -> 98 MiB peak RSS, on a
 * worker 26-35k -> 49-56k and 151-180 -> 125-128 MiB (against the 64 MiB process-wide limit alone).
 * `drop` and `timeout` queues keep the process-wide limit only: what they hold absorbs a burst or
 * an outage without waiting.
 */
const blockQueueBytes = 8 * 1024 * 1024

/** The built-in formatter whose plain lines the output writes in parts, if `formatter` is one. */
const plainOf = (formatter: unknown): "default" | "json" | undefined =>
  formatter === Formatter.defaultFormatter ? "default" : formatter === Formatter.json ? "json" : undefined
/** Batches of this many records or more are taken from the queue at once. */
const bulkTake = 64

/** Where `schedule` chains its microtasks. */
const resolvedPromise = Promise.resolve()

const resumeAll = (waiters: ReadonlyArray<() => void>): void => {
  for (const resume of waiters) resume()
}

/**
 * What a queued record holds, roughly, in bytes: its strings (message, fields at any depth
 * through plain objects and arrays, error stacks and properties) and a fixed overhead. Never
 * throws (what cannot be read counts the overhead).
 */
const estimateBytes = (record: LogRecord.LogRecord): number => {
  // A filter may have made the message something else (a number, an object with toString):
  // counted as the overhead, never NaN, which would have disabled the limit for good.
  const message: unknown = record.message
  const logger: unknown = record.logger
  let n = 200 + ((typeof message === "string" ? message.length : 0) + (typeof logger === "string" ? logger.length : 0)) * 2
  if (record.fields !== undefined) n += fieldsBytes(record.fields)
  const error = record.error
  if (error !== undefined) {
    n += ((error.stack?.length ?? 0) + error.message.length) * 2
    if (error.props !== undefined) n += fieldsBytes(error.props)
    for (const cause of error.causes) {
      n += ((cause.stack?.length ?? 0) + cause.message.length) * 2
      if (cause.props !== undefined) n += fieldsBytes(cause.props)
    }
  }
  return n
}

/** Fields are walked this deep, and at most this many values a record (the rest is extrapolated). */
const estimateDepth = 16
const estimateNodes = 1_000

/**
 * The estimated bytes of a record's fields, whatever object holds them: each key and its value
 * (see {@link valueBytes}). Strings and other primitives, the common fields, are counted here
 * without a call; the walk's budget is made only for a nested object.
 */
const fieldsBytes = (fields: object): number => {
  let n = 0
  let keys = 0
  let budget: { nodes: number } | undefined
  try {
    for (const key in fields) {
      if (++keys + (budget?.nodes ?? 0) > estimateNodes) break
      const value = (fields as Record<string, unknown>)[key]
      n += key.length * 2 + (
        typeof value === "string"
          ? value.length * 2
          : typeof value === "object" && value !== null
          ? valueBytes(value, budget ??= { nodes: 0 }, 1)
          : 8
      )
    }
  } catch {
    // what cannot be read counts the overhead only
  }
  return n
}

/**
 * The estimated bytes of a value inside the fields: strings at 2 bytes a character, binary data
 * by its length, plain objects and arrays by what they hold, anything else 8 or 16. Visits at
 * most `estimateNodes` values in all: an array longer than what is left counts the rest at the
 * mean of the elements it visited; an object's further keys are not counted.
 */
const valueBytes = (value: unknown, budget: { nodes: number }, depth: number): number => {
  if (typeof value === "string") return value.length * 2
  if (typeof value !== "object" || value === null) return 8
  if (ArrayBuffer.isView(value)) return value.byteLength
  if (depth >= estimateDepth || budget.nodes >= estimateNodes) return 16
  let n = 16
  try {
    if (Array.isArray(value)) {
      const length = value.length
      let i = 0
      let sum = 0
      for (; i < length && budget.nodes < estimateNodes; i++) {
        budget.nodes++
        sum += itemBytes(value[i], budget, depth + 1)
      }
      return n + sum + (i < length && i > 0 ? Math.round((sum / i) * (length - i)) : 0)
    }
    const proto = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) return n
    for (const key in value) {
      if (budget.nodes++ >= estimateNodes) break
      n += key.length * 2 + itemBytes((value as Record<string, unknown>)[key], budget, depth + 1)
    }
  } catch {
    // what cannot be read counts the overhead only
  }
  return n
}

/**
 * {@link valueBytes} of an array's element or an object's value: numbers and strings, what long
 * arrays mostly hold, without a call each (a field of 1,000 numbers cost the caller ~3 us more).
 */
const itemBytes = (item: unknown, budget: { nodes: number }, depth: number): number =>
  typeof item === "number" ? 8 : typeof item === "string" ? item.length * 2 : valueBytes(item, budget, depth)

const check = <A>(f: () => A): Effect.Effect<A, HandlerConfigError | HandlerIOError> =>
  Effect.try({
    try: f,
    catch: (error) => {
      if (error instanceof HandlerConfigError || error instanceof HandlerIOError) return error
      throw error
    }
  })

/**
 * Creates a handler synchronously, in the facade's process-wide scope (or `spawn`'s). Throws
 * `HandlerConfigError` for a bad option.
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeUnsafe = (options: MakeOptions, spawn: Spawner = facadeSpawner()): Handler =>
  spawn(Effect.orDie(make(options)))

/**
 * Runs a synchronous handler constructor (the facade's classes) in the current scope, failing
 * with its `HandlerConfigError` or `HandlerIOError` instead of throwing.
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeIn = <H, E extends HandlerConfigError | HandlerIOError = HandlerConfigError | HandlerIOError>(
  construct: (spawn: Spawner) => H
): Effect.Effect<H, E, Scope.Scope> =>
  Effect.flatMap(currentSpawner(), (spawn) =>
    Effect.try({
      try: () => construct(spawn),
      catch: (error) => {
        if (error instanceof HandlerConfigError || error instanceof HandlerIOError) return error as E
        throw error
      }
    }))

const reasonFor = (handler: Handler): HandlerErrorReason => {
  if (handler.closed) return new HandlerClosedError()
  if (handler.refusedUnheld) return new WouldBlockError()
  const policy = handler.policy
  if (policy._tag === "Drop") return new QueueFullError()
  if (policy._tag === "Timeout") return new OfferTimeoutError({ ms: policy.ms })
  return new WouldBlockError()
}

/**
 * Offers a record from synchronous code, throwing {@link HandlerError} when it is refused
 * (`queue full`, `handler is closed`, `timed out after N ms`); the refusal is also counted.
 *
 * @category combinators
 * @since 0.1.0
 */
export const handleUnsafe = (handler: HandlerLike, record: LogRecord.LogRecord): void => {
  const h = toHandler(handler)
  if (!h.offerUnsafe(record)) throw new HandlerError({ handler: h.label, reason: reasonFor(h) })
}

/**
 * Offers a record from a fiber: under drop a full queue fails at once, under block the fiber
 * waits for room, under `timeout:N` at most N ms. Every refusal is counted and fails with
 * {@link HandlerError}.
 *
 * @category combinators
 * @since 0.1.0
 */
export const handle = (handler: HandlerLike, record: LogRecord.LogRecord): Effect.Effect<void, HandlerError> => {
  const h = toHandler(handler)
  return Effect.flatMap(
    h.offer(record),
    (ok) => (ok ? Effect.void : Effect.fail(new HandlerError({ handler: h.label, reason: reasonFor(h) })))
  )
}

/**
 * Flushes a handler: `true` once everything accepted before it was written and the sink flushed;
 * `false` on timeout, a failed write, or when closed.
 *
 * @category combinators
 * @since 0.1.0
 */
export const flush = (handler: HandlerLike): Effect.Effect<boolean> => toHandler(handler).flushEffect()

/**
 * Runs `step` on every handler of `handlers` at once, but for a memory handler's target, which
 * waits until the memory handler's step is over (it hands its buffer on there): stalled handlers
 * cost their timeouts side by side, not one after another. The results in the order the steps
 * ended, wave by wave.
 *
 * @internal
 */
export const inWaves = async <A>(
  handlers: ReadonlyArray<Handler>,
  step: (handler: Handler) => Effect.Effect<A>
): Promise<Array<A>> => {
  const results: Array<A> = []
  let left = handlers
  while (left.length > 0) {
    const fed = new Set(left.map((h) => h.feeds()))
    let wave = left.filter((h) => !fed.has(h))
    if (wave.length === 0) wave = [...left] // a cycle of memory handlers: all at once
    results.push(...await Promise.all(wave.map((h) => Effect.runPromise(step(h)))))
    left = left.filter((h) => !wave.includes(h))
  }
  return results
}

/**
 * Closes a handler after writing out everything accepted. Idempotent.
 *
 * @category combinators
 * @since 0.1.0
 */
export const close = (handler: HandlerLike): Effect.Effect<void> => toHandler(handler).closeEffect()

/**
 * A user handler: any object with a callable `handle(logger, level, message)` or
 * `handleRecord(record)`.
 *
 * @category models
 * @since 0.1.0
 */
export type HandlerObject =
  | { readonly handle: (logger: string, level: Level.Level, message: string) => unknown }
  | { readonly handleRecord: (record: LogRecord.LogRecord) => unknown }

/**
 * The function a user handler object is called through, preferring `handleRecord` over
 * `handle`; throws {@link InvalidHandlerError} for anything else.
 *
 * @category constructors
 * @since 0.1.0
 */
export const objectTarget = (value: unknown): { readonly name: string; readonly target: Target } => {
  if (typeof value === "object" && value !== null) {
    const o = value as Record<string, unknown>
    const name = (o.constructor as { name?: string } | undefined)?.name ?? "object"
    // Its own flush(), if it has one, when the handler flushes, closes and at exit (CPython's
    // logging.shutdown() flushes every handler); never its close(): removeHandler closes the
    // queue made for it, and CPython's removeHandler does not close the handler.
    const flush = typeof o.flush === "function" ? () => (o.flush as () => unknown).call(o) : undefined
    if (typeof o.handleRecord === "function") {
      const fn = o.handleRecord as (r: LogRecord.LogRecord) => unknown
      return { name, target: { _tag: "Records", handle: (r) => fn.call(o, r), flush } }
    }
    if (typeof o.handle === "function") {
      const fn = o.handle as (logger: string, level: string, message: string) => unknown
      return { name, target: { _tag: "Records", handle: (r) => fn.call(o, r.logger, r.level, r.message), flush } }
    }
    if ("handle" in o) {
      throw new InvalidHandlerError({ detail: `'handler.handle' is not callable (type: ${typeof o.handle})` })
    }
  }
  throw new InvalidHandlerError({ detail: "handler must implement a callable 'handle' method" })
}
