/**
 * A handler takes records from loggers and writes them to a sink through its own bounded queue
 * and worker fiber, so the sink's IO never runs on the caller's path (unless the caller chose to
 * be held back by the block policy).
 *
 * Every handler offers the same operations on both faces: `handleRecord` / `flush()` /
 * `close()` returning plain values and promises for code without Effect, and {@link handle},
 * {@link flush} and {@link close} as Effects. Both call the same lane and sink code.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { type Formatter } from "./Formatter.ts"
import { HandlerConfigError, positiveInt } from "./HandlerConfigError.ts"
import * as internalLane from "./internal/lane.ts"
import { type Lane, type OfferResult } from "./internal/lane.ts"
import { currentSpawner, facadeSpawner, type Spawner } from "./internal/runtime.ts"
import { Warner, writeStderr } from "./internal/warner.ts"
import type { Level } from "./Level.ts"
import * as LogRecord from "./LogRecord.ts"
import * as OverflowPolicy from "./OverflowPolicy.ts"
import type { Sink } from "./Sink.ts"

/**
 * The queue was full under the drop policy.
 *
 * @category errors
 * @since 0.1.0
 */
export class QueueFullError extends Schema.TaggedError<QueueFullError>()("QueueFullError", {}) {
  override get message(): string {
    return "queue full"
  }
}

/**
 * The handler was closed before the record was offered.
 *
 * @category errors
 * @since 0.1.0
 */
export class HandlerClosedError extends Schema.TaggedError<HandlerClosedError>()("HandlerClosedError", {}) {
  override get message(): string {
    return "handler is closed"
  }
}

/**
 * The timeout policy gave up after `ms` milliseconds.
 *
 * @category errors
 * @since 0.1.0
 */
export class OfferTimeoutError extends Schema.TaggedError<OfferTimeoutError>()("OfferTimeoutError", {
  ms: Schema.Number
}) {
  override get message(): string {
    return `timed out after ${this.ms} ms`
  }
}

/**
 * A synchronous caller met a full queue whose sink is asynchronous and busy: nothing on its
 * thread can make room, so block and timeout cannot hold it. Use the Effect API for such sinks.
 *
 * @category errors
 * @since 0.1.0
 */
export class WouldBlockError extends Schema.TaggedError<WouldBlockError>()("WouldBlockError", {}) {
  override get message(): string {
    return "queue full and the sink is asynchronous: a synchronous caller cannot wait for it"
  }
}

/**
 * A file could not be opened or written. Its message is `<path>: <reason>`.
 *
 * @category errors
 * @since 0.1.0
 */
export class HandlerIOError extends Schema.TaggedError<HandlerIOError>()("HandlerIOError", {
  path: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.path}: ${this.reason}`
  }
}

/**
 * Why a handler refused a record.
 *
 * @category errors
 * @since 0.1.0
 */
export type HandlerErrorReason = QueueFullError | HandlerClosedError | OfferTimeoutError | WouldBlockError

/**
 * A record a handler refused; `reason` says why and `message` is the reason's message.
 *
 * @category errors
 * @since 0.1.0
 */
export class HandlerError extends Schema.TaggedError<HandlerError>()("HandlerError", {
  handler: Schema.String,
  reason: Schema.Union([QueueFullError, HandlerClosedError, OfferTimeoutError, WouldBlockError])
}) {
  override get message(): string {
    return this.reason.message
  }
}

const holdSync = OverflowPolicy.block()

const reasonFor = (result: Exclude<OfferResult, "ok">, policy: OverflowPolicy.OverflowPolicy): HandlerErrorReason => {
  switch (result) {
    case "full":
      return new QueueFullError()
    case "closed":
      return new HandlerClosedError()
    case "timeout":
      return new OfferTimeoutError({ ms: policy._tag === "Timeout" ? policy.ms : 0 })
    case "would-block":
      return new WouldBlockError()
  }
}

/**
 * Something whose records reach handlers through queues of its own (a manager's loggers).
 * `flush()` and `close()` drain these first, so `logger.info(x); await handler.close()` writes x.
 *
 * @category models
 * @since 0.1.0
 */
export interface Feeder {
  /** The queues in front of the handler. @internal */
  readonly feederLanes: () => Iterable<Lane<any>>
}

/**
 * Where a logger delivers a record: a {@link Handler}, or a user object adapted by
 * {@link fromObject}. Returns an Effect only when it must wait and `canSuspend` allows it.
 *
 * @category models
 * @since 0.1.0
 */
export interface Target {
  readonly deliver: (record: LogRecord.LogRecord, canSuspend: boolean) => Effect.Effect<void> | undefined
  /** The policy the logger's own queue must honour for this target. */
  readonly policy: OverflowPolicy.OverflowPolicy
  /** The object the user attached (for `removeHandler`). */
  readonly original: unknown
  /** Counts, once each, the records loggers were waiting to hand over when the process exited. */
  readonly abandoned?: (() => void) | undefined
  /** Called when a logger starts feeding this target. */
  readonly attach: (feeder: Feeder) => void
}

/**
 * Options shared by every queued handler.
 *
 * @category models
 * @since 0.1.0
 */
export interface MakeOptions {
  /** Shown in warnings and errors, e.g. `FemtoFileHandler(/var/log/app.log)`. */
  readonly label: string
  readonly sink: Sink
  /** Queue capacity, default 1024. */
  readonly capacity?: number | undefined
  /** Overflow policy, default drop. */
  readonly policy?: OverflowPolicy.OverflowPolicy | undefined
  /** How long `flush()` and `close()` wait, default 1000 ms. */
  readonly flushTimeoutMs?: number | undefined
  /** The formatter, for handlers that render text; kept for introspection. */
  readonly formatter?: Formatter | undefined
}

/**
 * A queued handler. Build one with {@link make} (Effect) or a handler class such as
 * `FemtoStreamHandler` (facade).
 *
 * @category models
 * @since 0.1.0
 */
export class Handler implements Target {
  readonly label: string
  readonly policy: OverflowPolicy.OverflowPolicy
  readonly flushTimeoutMs: number
  readonly formatter: Formatter | undefined
  private readonly feeders = new Set<Feeder>()
  private writeErrors = 0
  private lastWriteError: unknown
  private readonly writeWarner: Warner
  private sinkClosed = false
  /** Deliveries a logger is waiting to make (block or timeout from a fiber). */
  private readonly waits = new Set<{ abandoned: boolean }>()
  private closing: Promise<void> | undefined

  readonly lane: Lane<LogRecord.LogRecord>
  readonly sink: Sink

  /**
   * Validates the options, then creates the queue and its worker in the spawner's scope (the
   * facade's process-wide scope by default). Throws `HandlerConfigError` for a bad option.
   */
  constructor(options: MakeOptions, spawn: Spawner = facadeSpawner()) {
    const capacity = positiveInt("capacity", options.capacity ?? 1024)
    if (options.flushTimeoutMs !== undefined) positiveInt("flush_timeout_ms", options.flushTimeoutMs)
    this.label = options.label
    this.sink = options.sink
    this.policy = options.policy ?? OverflowPolicy.drop()
    this.flushTimeoutMs = options.flushTimeoutMs ?? 1000
    this.formatter = options.formatter
    this.writeWarner = new Warner(options.label, 5_000, Date.now, undefined, (n) =>
      `femtologging: ${options.label} ${
        n === 0 ? "failed to flush or close its sink" : `failed to write ${n} record${n === 1 ? "" : "s"}`
      }; last error: ${String(this.lastWriteError)}`)
    options.sink.onLost?.((records, error) => this.recordLost(records, error))
    this.lane = spawn(Effect.gen({ self: this }, function*() {
      const lane = yield* internalLane.make<LogRecord.LogRecord>({
        label: options.label,
        capacity,
        strategy: this.policy._tag === "Drop" ? "dropping" : "suspend",
        syncCapable: options.sink.sync,
        kind: "handler",
        process: (batch) => this.process(batch),
        onExit: () => {
          if (this.sink.sync) this.sink.flush()
        }
      })
      yield* Effect.addFinalizer(() => this.closeEffect())
      return lane
    }))
  }

  get original(): unknown {
    return this
  }

  /** Records this handler dropped (full queue, closed, timeout, or a failed write). */
  getDropped(): number {
    return this.lane.dropped
  }

  /** Sink write failures reported so far (each failed batch counts once). */
  getErrors(): number {
    return this.writeErrors
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.lane.closed
  }

  /** @internal */
  abandoned(): void {
    for (const wait of this.waits) {
      if (wait.abandoned) continue
      wait.abandoned = true
      this.lane.countDrop()
    }
  }

  /** @internal */
  attach(feeder: Feeder): void {
    this.feeders.add(feeder)
  }

  /** Drops counted by the logger queues in front of this handler, by logger. */
  upstreamDrops(): Array<{ readonly label: string; readonly dropped: number }> {
    const out: Array<{ label: string; dropped: number }> = []
    for (const feeder of this.feeders) {
      for (const lane of feeder.feederLanes()) {
        if (lane.dropped > 0) out.push({ label: lane.options.label, dropped: lane.dropped })
      }
    }
    return out
  }

  /** @internal */
  process(batch: Array<LogRecord.LogRecord>): Effect.Effect<void> | undefined {
    if (this.sinkClosed) {
      // close() gave up waiting (its timeout) and closed the sink: these can no longer be written.
      this.recordLost(batch.length, new Error("the sink was closed before these records reached it"))
      return undefined
    }
    let result: void | Effect.Effect<void, unknown>
    try {
      result = this.sink.write(batch)
    } catch (error) {
      this.recordLost(batch.length, error)
      return undefined
    }
    if (result === undefined) return undefined
    return Effect.catchCause(result, (cause) => Effect.sync(() => this.recordLost(batch.length, cause)))
  }

  /**
   * Counts records the sink failed to write as dropped (so that lines written plus drops always
   * equals records accepted) and reports the failure on stderr, rate-limited.
   *
   * @internal
   */
  recordLost(records: number, error: unknown): void {
    this.writeErrors++
    this.lastWriteError = error
    this.lane.countLost(records)
    this.writeWarner.add(records)
  }

  /**
   * Delivers a record from a logger's queue. From the logger's fiber (`canSuspend`) the handler's
   * policy applies as such. A synchronous drain (caller runs, flush, close, exit) is already doing
   * the work, so it drains a full synchronous handler queue instead of dropping from it.
   *
   * @internal
   */
  deliver(record: LogRecord.LogRecord, canSuspend: boolean): Effect.Effect<void> | undefined {
    const result = this.lane.offerSync(record, canSuspend ? this.policy : holdSync)
    if (result === "ok") return undefined
    if (result === "would-block" && canSuspend) {
      const wait = { abandoned: false }
      this.waits.add(wait)
      return Effect.map(this.lane.offer(record, this.policy), (r) => {
        this.waits.delete(wait)
        // Abandoned at exit, this record was counted as dropped then: count it once.
        if (wait.abandoned) {
          if (r === "ok") this.lane.dropped-- // it made it into the queue after all
        } else if (r !== "ok") this.lane.countDrop()
      })
    }
    this.lane.countDrop()
    return undefined
  }

  /**
   * Offers a record from synchronous code, throwing {@link HandlerError} when it is refused
   * (`queue full`, `handler is closed`, `timed out after N ms`). The refusal is also counted.
   */
  handleRecord(record: LogRecord.LogRecord): void {
    const result = this.lane.offerSync(record, this.policy)
    if (result === "ok") return
    this.lane.countDrop()
    throw new HandlerError({ handler: this.label, reason: reasonFor(result, this.policy) })
  }

  /** The seed's form: builds a record from `(logger, level, message)` and offers it. */
  handle(logger: string, level: Level, message: string): void {
    this.handleRecord(LogRecord.make({ logger, level, message }))
  }

  /** @internal */
  flushEffect(): Effect.Effect<boolean> {
    return Effect.gen({ self: this }, function*() {
      if (this.lane.closed) return false
      const ok = yield* drainFeeders(this.feeders, this.flushTimeoutMs)
      const target = this.lane.flushTarget()
      if (this.lane.canDrainSync) this.lane.drain(false, target)
      const done = yield* this.lane.awaitProcessed(target, this.flushTimeoutMs)
      if (!ok || !done || this.lane.closed) return false
      return yield* this.sinkStep(() => this.sink.flush())
    })
  }

  /**
   * Runs a sink step that may be synchronous or return an Effect; a throw or failure is reported
   * and counted, and gives `failed`.
   */
  private sinkStep(step: () => boolean | void | Effect.Effect<boolean> | Effect.Effect<void>): Effect.Effect<boolean> {
    let result: boolean | void | Effect.Effect<boolean> | Effect.Effect<void>
    try {
      result = step()
    } catch (error) {
      this.recordLost(0, error)
      return Effect.succeed(false)
    }
    if (!Effect.isEffect(result)) return Effect.succeed(result !== false)
    return (result as Effect.Effect<boolean | void>).pipe(
      Effect.timeoutOption(this.flushTimeoutMs),
      Effect.map((o) => o._tag === "Some" && o.value !== false),
      Effect.catchCause((cause) => Effect.sync(() => (this.recordLost(0, cause), false)))
    )
  }

  /** Flushes and closes the sink once; synchronous sinks finish before this returns. */
  private finishSink(): Effect.Effect<void> {
    if (this.sinkClosed) return Effect.void
    this.sinkClosed = true
    return Effect.andThen(
      this.sinkStep(() => this.sink.flush()),
      Effect.andThen(this.sinkStep(() => this.sink.close()), Effect.sync(() => this.writeWarner.flush()))
    )
  }

  /**
   * Closes the handler. With a synchronous sink everything (draining the loggers in front, the
   * queue, the sink's buffer) happens before the first await, so `close()` not awaited and
   * followed by `process.exit()` still writes everything.
   *
   * @internal
   */
  closeEffect(): Effect.Effect<void> {
    // Uninterruptible (every wait inside is bounded by the flush timeout): a close abandoned
    // half-way would leave later close() calls waiting for it forever.
    return Effect.uninterruptible(Effect.gen({ self: this }, function*() {
      if (this.closing !== undefined) return yield* Effect.promise(() => this.closing!)
      let done!: () => void
      this.closing = new Promise((resolve) => (done = resolve))
      yield* drainFeeders(this.feeders, this.flushTimeoutMs)
      this.lane.closeUnsafe()
      if (this.lane.size === 0 && this.lane.canDrainSync) yield* this.finishSink()
      yield* this.lane.close(this.flushTimeoutMs)
      yield* this.finishSink()
      const settle = this.sink.settle
      if (settle !== undefined) yield* Effect.timeoutOption(Effect.promise(settle), this.flushTimeoutMs * 10)
      done()
    }))
  }

  /**
   * Resolves `true` once every record queued before the call (including those still in the
   * queues of loggers in front of this handler) has reached the sink and the sink was flushed;
   * `false` on timeout or when closed.
   */
  flush(): Promise<boolean> {
    return Effect.runPromise(this.flushEffect())
  }

  /** Writes out everything queued, then closes the sink. Idempotent. */
  close(): Promise<void> {
    return Effect.runPromise(this.closeEffect())
  }
}

const drainFeeders = (feeders: ReadonlySet<Feeder>, timeoutMs: number): Effect.Effect<boolean> =>
  Effect.suspend(() => {
    const waits: Array<Effect.Effect<boolean>> = []
    for (const feeder of feeders) {
      for (const lane of feeder.feederLanes()) {
        if (lane.canDrainSync) lane.drainQueued()
        else waits.push(lane.awaitProcessed(lane.flushTarget(), timeoutMs))
      }
    }
    if (waits.length === 0) return Effect.succeed(true)
    return Effect.map(Effect.all(waits), (oks) => oks.every((ok) => ok))
  })

/**
 * Whether a value is a queued {@link Handler}.
 *
 * @category guards
 * @since 0.1.0
 */
export const isHandler = (u: unknown): u is Handler => u instanceof Handler

/**
 * Creates a queued handler over a sink in the current scope; closing the scope drains and closes
 * it. Fails with a `HandlerConfigError` when the options are invalid.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: MakeOptions): Effect.Effect<Handler, HandlerConfigError, Scope.Scope> =>
  makeIn<Handler, HandlerConfigError>((spawn) => new Handler(options, spawn))

/**
 * Runs a handler's constructor in the current scope (the Effect face of every handler class),
 * failing with its `HandlerConfigError` or `HandlerIOError` instead of throwing.
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeIn = <H, E extends HandlerConfigError | HandlerIOError = HandlerConfigError | HandlerIOError>(
  construct: (spawn: Spawner) => H
): Effect.Effect<H, E, Scope.Scope> =>
  Effect.flatMap(currentSpawner, (spawn) =>
    Effect.try({
      try: () => construct(spawn),
      catch: (error) => {
        if (error instanceof HandlerConfigError || error instanceof HandlerIOError) return error as E
        throw error
      }
    }))

/**
 * Offers a record: under drop a full queue fails at once, under block the fiber waits for room,
 * under `timeout:N` it waits at most N ms. Every refusal is counted and fails with
 * {@link HandlerError}.
 *
 * @category combinators
 * @since 0.1.0
 */
export const handle = (handler: Handler, record: LogRecord.LogRecord): Effect.Effect<void, HandlerError> =>
  Effect.flatMap(handler.lane.offer(record, handler.policy), (result) => {
    if (result === "ok") return Effect.void
    handler.lane.countDrop()
    return Effect.fail(new HandlerError({ handler: handler.label, reason: reasonFor(result, handler.policy) }))
  })

/**
 * Flushes a handler: `true` once everything queued before it was written and flushed.
 *
 * @category combinators
 * @since 0.1.0
 */
export const flush = (handler: Handler): Effect.Effect<boolean> => handler.flushEffect()

/**
 * Closes a handler after writing out everything queued. Idempotent.
 *
 * @category combinators
 * @since 0.1.0
 */
export const close = (handler: Handler): Effect.Effect<void> => handler.closeEffect()

/**
 * A user handler: any object with a callable `handle(logger, level, message)` or
 * `handleRecord(record)`.
 *
 * @category models
 * @since 0.1.0
 */
export type HandlerObject =
  | { readonly handle: (logger: string, level: Level, message: string) => unknown }
  | { readonly handleRecord: (record: LogRecord.LogRecord) => unknown }

/**
 * Raised by `addHandler` for a value that is neither a handler nor an object with a callable
 * `handle` (or `handleRecord`).
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidHandlerError extends Schema.TaggedError<InvalidHandlerError>()("InvalidHandlerError", {
  detail: Schema.String
}) {
  override get message(): string {
    return this.detail
  }
}

class ObjectTarget implements Target {
  readonly policy = OverflowPolicy.drop()
  errors = 0
  constructor(
    readonly original: unknown,
    private readonly call: (record: LogRecord.LogRecord) => unknown,
    private readonly label: string
  ) {}
  attach(): void {}
  deliver(record: LogRecord.LogRecord): undefined {
    try {
      const result = this.call(record)
      if (typeof (result as PromiseLike<unknown> | undefined)?.then === "function") {
        ;(result as PromiseLike<unknown>).then(undefined, (error: unknown) => this.failed(error))
      }
    } catch (error) {
      this.failed(error)
    }
    return undefined
  }
  private failed(error: unknown): void {
    this.errors++
    const text = error instanceof Error ? error.stack ?? error.message : String(error)
    writeStderr(`femtologging: handler ${this.label} threw while handling a record: ${text}\n`)
  }
}

/**
 * Adapts what `addHandler` accepts into a {@link Target}. A user object runs inside the logger's
 * worker (no queue of its own); `handleRecord` is preferred over `handle` when both exist, decided
 * once, here. A user handler that throws is reported on stderr and counted; the next record is
 * handled as usual.
 *
 * @category constructors
 * @since 0.1.0
 */
export const toTarget = (value: unknown): Target => {
  if (value instanceof Handler) return value
  if (typeof value === "object" && value !== null) {
    const o = value as Record<string, unknown>
    const name = (o.constructor as { name?: string } | undefined)?.name ?? "object"
    if (typeof o.handleRecord === "function") {
      return new ObjectTarget(value, (r) => (o.handleRecord as (r: LogRecord.LogRecord) => unknown).call(o, r), name)
    }
    if (typeof o.handle === "function") {
      const fn = o.handle as (logger: string, level: string, message: string) => unknown
      return new ObjectTarget(value, (r) => fn.call(o, r.logger, r.level, r.message), name)
    }
    if ("handle" in o) {
      throw new InvalidHandlerError({ detail: `'handler.handle' is not callable (type: ${typeof o.handle})` })
    }
  }
  throw new InvalidHandlerError({ detail: "handler must implement a callable 'handle' method" })
}

/**
 * Errors thrown by user handlers behind a target (0 for queued handlers, which count their own).
 *
 * @category getters
 * @since 0.1.0
 */
export const targetErrors = (target: Target): number => target instanceof ObjectTarget ? target.errors : 0
