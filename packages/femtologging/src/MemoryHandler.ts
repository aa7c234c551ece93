/**
 * The memory handler (CPython's `logging.handlers.MemoryHandler`, "fingers crossed"): it keeps
 * records in a buffer and hands them to a target handler only when they matter.
 *
 * **When the buffer goes to the target**
 *
 * - a record at `flushLevel` (default ERROR) or above arrives: the buffer, that record last, is
 *   handed on, so the error is written with the records that led to it;
 * - the buffer holds `capacity` records (CPython's `shouldFlush`);
 * - `flush()` (`Handler.flush`);
 * - `close()` (the end of its Effect scope, a configuration replacing it) and the end of the
 *   process (normal end, `process.exit()`, an uncaught exception, SIGTERM/SIGINT/SIGHUP), when
 *   `flushOnClose` (default `true`). With `flushOnClose: false` what is buffered then is
 *   discarded on purpose (counted by `getDiscarded()`, not as drops): only errors and what led
 *   to them are ever written.
 *
 * Records are handed to the target as a logger hands them on, synchronously, the target's own
 * level, filters and overflow policy applying there (a `drop` target refuses and counts what does
 * not fit; a `block` target holds the hand-off until it has room). The target formats them. The
 * memory handler never closes its target, which may be shared (as in CPython); close the target
 * after it (an Effect scope does: the target, made first, is closed last).
 *
 * **At exit** the exit drain walks handlers in the order they were registered; a memory handler
 * moves its target (and its target's target...) after itself, so that the target is drained
 * after it handed the buffer on, whatever order they were made in. `drainAll()` (on demand, or
 * a signal beside the application's own listeners, where the process goes on) delivers the
 * memory handler's queue into its buffer but does not hand the buffer on.
 *
 * Without a target (`null`, or until `setTarget`) records are buffered and a full buffer drops
 * its oldest record (counted in `getDropped()` and reported): CPython would let it grow.
 *
 * Like every handler it takes records through its own bounded queue (`queueCapacity`, default
 * 1024, with its `policy`, default `block`); `capacity` is the buffer's, as in CPython.
 *
 * @since 0.2.0
 */
import type * as Cause from "effect/Cause"
import { Clock, Effect, Queue } from "./internal/lazyEffect.ts"
import type * as Scope from "effect/Scope"
import { checkOptions, classRule, commonRules, FemtoHandler } from "./FemtoHandler.ts"
import * as Handler from "./Handler.ts"
import { booleanOption, HandlerConfigError, positiveInt } from "./HandlerConfigError.ts"
import * as Output from "./internal/output.ts"
import { facadeSpawner, register, registry, type Spawner, unregister } from "./internal/runtime.ts"
import { labelledReporter, Warner } from "./internal/warner.ts"
import * as Level from "./Level.ts"
import type { LogRecord } from "./LogRecord.ts"
import * as OverflowPolicy from "./OverflowPolicy.ts"

/**
 * Options of a memory handler.
 *
 * @category models
 * @since 0.2.0
 */
export interface MemoryHandlerOptions {
  /** `femtologging.MemoryHandler` (what `asDict()`-style data carries); any other value is refused. */
  readonly class?: string | undefined
  /** Records the buffer holds before it is handed on (CPython's `capacity`); default 1024. */
  readonly capacity?: number | undefined
  /** A record at this level or above hands the buffer on; default `ERROR`. */
  readonly flushLevel?: Level.LevelInput | undefined
  /** Hand the buffer on at close and at the end of the process; default `true`. */
  readonly flushOnClose?: boolean | undefined
  /** Capacity of the handler's own queue (records on their way to the buffer); default 1024. */
  readonly queueCapacity?: number | undefined
  /** Overflow policy of the handler's own queue; default `block`. */
  readonly policy?: Handler.MakeOptions["policy"]
  /** How long `flush()` and `close()` wait for the queue; default 1000 ms. */
  readonly flushTimeoutMs?: number | undefined
  /** Records below this level are not buffered; default `NOTSET` (everything). */
  readonly level?: Handler.MakeOptions["level"]
  /** Every record reaching the handler passes these first (see `Filter`). */
  readonly filters?: Handler.MakeOptions["filters"]
}

const rules = {
  class: classRule("MemoryHandler"),
  capacity: (value: unknown) => positiveInt("capacity", value),
  flushLevel: (value: unknown) => {
    try {
      return Level.parseUnsafe(value as Level.LevelInput)
    } catch (error) {
      if (error instanceof Level.InvalidLevelError) {
        throw new HandlerConfigError({ field: "flushLevel", detail: `flushLevel: ${error.message}` })
      }
      throw error
    }
  },
  flushOnClose: (value: unknown) => booleanOption("flushOnClose", value),
  queueCapacity: (value: unknown) => commonRules.capacity(value),
  policy: commonRules.policy,
  flushTimeoutMs: commonRules.flushTimeoutMs,
  level: commonRules.level,
  filters: commonRules.filters
}

/**
 * Checks a memory handler's options, as its constructor and `MemoryHandler.make` do: throws
 * `HandlerConfigError` naming the option (an unknown key included), or returns them with the
 * defaults filled in.
 *
 * @category validation
 * @since 0.2.0
 */
export const checkMemoryOptions = (options: MemoryHandlerOptions = {}): MemoryHandlerOptions & {
  readonly capacity: number
  readonly flushLevel: Level.Level
  readonly flushOnClose: boolean
} => {
  const checked = checkOptions("MemoryHandler", options, rules)
  return {
    ...checked,
    capacity: checked.capacity ?? 1024,
    flushLevel: (checked.flushLevel ?? "ERROR") as Level.Level,
    flushOnClose: checked.flushOnClose ?? true
  }
}

/**
 * The pipeline handler of a memory handler: a handler whose output is the buffer, and whose
 * flush, close and exit hand the buffer to the target.
 */
class MemoryPipeline extends Handler.Handler {
  /** The records buffered, oldest first. */
  private buffer: Array<LogRecord> = []
  /** Set once closed or past the exit: records still arriving go straight on (or are discarded). */
  private ended = false
  private discarded = 0
  private overflowed = 0
  private readonly overflowWarner: Warner
  private currentTarget: Handler.Handler | undefined = undefined
  /** The target's formatter decides whether records need their caller: its changes are relayed. */
  private readonly relay = (): void => this.callerNeedChanged()
  readonly bufferCapacity: number
  readonly flushLevel: Level.Level
  readonly flushOnClose: boolean
  private readonly flushOrdinal: number

  constructor(
    options: Handler.MakeOptions,
    queue: Queue.Queue<LogRecord, Cause.Done>,
    output: Output.Output,
    clock: Clock.Clock,
    memory: { readonly capacity: number; readonly flushLevel: Level.Level; readonly flushOnClose: boolean }
  ) {
    // A records output never buffers, so the `flushAfterMs` timer is never armed.
    super(options, queue, output, "records", clock, () => {}, 1000)
    this.bufferCapacity = memory.capacity
    this.flushLevel = memory.flushLevel
    this.flushOnClose = memory.flushOnClose
    this.flushOrdinal = Level.ordinal(memory.flushLevel)
    this.overflowWarner = new Warner(options.label, 5_000, Date.now, undefined, (n) =>
      `femtologging: ${options.label} dropped ${n} record${n === 1 ? "" : "s"}; its buffer was full and it has no target`)
  }

  /** The output: a record delivered from the queue. */
  receive(record: LogRecord): void {
    if (this.ended) {
      // Logged after the close or the exit drain (a later exit listener): nothing will hand it on later.
      if (this.flushOnClose && this.target !== undefined) this.target.offerUnsafe(record)
      else this.discarded++
      return
    }
    this.buffer.push(record)
    if (this.buffer.length >= this.bufferCapacity || Level.ordinal(record.level) >= this.flushOrdinal) this.handOn()
  }

  /** Records buffered now. */
  get buffered(): number {
    return this.buffer.length
  }

  getDiscarded(): number {
    return this.discarded
  }

  override getDropped(): number {
    return super.getDropped() + this.overflowed
  }

  /** Hands the buffer to the target (without a target: trims it to its capacity, oldest first). */
  handOn(): void {
    const target = this.target
    if (target === undefined) {
      const over = this.buffer.length - this.bufferCapacity
      if (over > 0) {
        this.buffer.splice(0, over)
        this.overflowed += over
        this.overflowWarner.add(over)
      }
      return
    }
    const batch = this.buffer
    this.buffer = []
    for (let i = 0; i < batch.length; i++) target.offerUnsafe(batch[i]!)
  }

  /** Closed or exiting: hands the buffer on (`flushOnClose`) or discards it, once. */
  private end(): void {
    if (this.ended) return
    this.ended = true
    if (this.flushOnClose && this.target !== undefined) this.handOn()
    else {
      this.discarded += this.buffer.length
      this.buffer = []
    }
    this.overflowWarner.flush()
  }

  /** Delivers the queue into the buffer, hands the buffer on, and flushes the target. */
  override flushEffect(): Effect.Effect<boolean> {
    return Effect.flatMap(super.flushEffect(), (ok) =>
      Effect.suspend(() => {
        if (this.ended) return Effect.succeed(ok)
        this.handOn()
        const target = this.target
        return target === undefined ? Effect.succeed(ok) : Effect.map(target.flushEffect(), (flushed) => ok && flushed)
      }))
  }

  /**
   * Closes the queue (delivering what it holds into the buffer), then hands the buffer on
   * (`flushOnClose`) and waits until the target wrote it.
   */
  override closeEffect(): Effect.Effect<void> {
    return Effect.andThen(
      super.closeEffect(),
      Effect.suspend(() => {
        if (this.ended) return Effect.void
        this.end()
        const target = this.target
        return this.flushOnClose && target !== undefined ? Effect.asVoid(target.flushEffect()) : Effect.void
      })
    )
  }

  override feeds(): Handler.Handler | undefined {
    return this.target
  }

  /** The handler the buffer goes to, if any. */
  get target(): Handler.Handler | undefined {
    return this.currentTarget
  }

  /** Sets the target; loggers re-resolve whether their records need the caller (the target's formatter may print it). */
  set target(target: Handler.Handler | undefined) {
    this.currentTarget = target
    target?.watchFormatter(this.relay)
    this.callerNeedChanged()
  }

  /** At the end of the process: the queue into the buffer, then the buffer to the target (drained after this). */
  override exitSync(deadline: number, stopAt?: number): void {
    super.exitSync(deadline, stopAt)
    this.end()
  }
}

/** Moves `handler` (and, for a memory handler, its target chain) to the end of the exit drain's order. */
const drainAfter = (handler: Handler.Handler, seen: Set<Handler.Handler> = new Set()): void => {
  if (seen.has(handler)) return
  seen.add(handler)
  if (registry.participants.has(handler)) {
    unregister(handler)
    register(handler)
  }
  if (handler instanceof MemoryPipeline && handler.target !== undefined) drainAfter(handler.target, seen)
}

const resolveTarget = (self: MemoryPipeline | undefined, target: unknown): Handler.Handler | undefined => {
  if (target === undefined || target === null) return undefined
  const handler = Handler.of(target)
  if (handler === undefined) {
    throw new HandlerConfigError({
      field: "target",
      detail: "target must be a femtologging handler (a FemtoFileHandler, FemtoStreamHandler, ... or a Handler)"
    })
  }
  for (let h: Handler.Handler | undefined = handler; h instanceof MemoryPipeline; h = h.target) {
    if (h === self) throw new HandlerConfigError({ field: "target", detail: "a memory handler cannot be its own target" })
  }
  return handler
}

const makePipeline = (
  label: string,
  checked: ReturnType<typeof checkMemoryOptions>
): Effect.Effect<MemoryPipeline, never, Scope.Scope> =>
  Handler.inOwnScope((scope) => Effect.gen(function*() {
    const queueCapacity = checked.queueCapacity ?? 1024
    const policy = OverflowPolicy.parse(checked.policy ?? "block")
    const clock = yield* Clock.Clock
    const queue = yield* Queue.make<LogRecord, Cause.Done>({
      capacity: queueCapacity,
      strategy: policy._tag === "Drop" ? "dropping" : "suspend"
    })
    let self!: MemoryPipeline
    const report = labelledReporter(label)
    const handle = (record: LogRecord) => self.receive(record)
    const output = Output.records(handle, (error) => report(`failed to buffer a record: ${Handler.describeError(error)}`))
    self = new MemoryPipeline(
      {
        label,
        target: { _tag: "Records", handle },
        capacity: queueCapacity,
        policy,
        flushTimeoutMs: checked.flushTimeoutMs,
        level: checked.level,
        filters: checked.filters
      },
      queue,
      output,
      clock,
      checked
    )
    register(self)
    yield* self.closeWith(scope)
    return self
  }))

/**
 * A memory handler (facade): buffers records and hands them to `target` when one at
 * `flushLevel` arrives, when the buffer is full, on `flush()`, and at `close()` and the end of
 * the process unless `flushOnClose` is `false`.
 *
 * **Example** (Debug records only around an error)
 *
 * ```ts
 * import { FemtoFileHandler, FemtoMemoryHandler, getLogger } from "femtologging"
 *
 * const file = new FemtoFileHandler("logs/errors.log")
 * const logger = getLogger("app")
 * logger.setLevel("DEBUG")
 * logger.addHandler(new FemtoMemoryHandler(file, { capacity: 200, flushOnClose: false }))
 * logger.debug("step 1")
 * logger.error("step 2 failed") // the file gets "step 1", then "step 2 failed"
 * ```
 *
 * @category constructors
 * @since 0.2.0
 */
export class FemtoMemoryHandler extends FemtoHandler {
  private readonly memory: MemoryPipeline

  /** Throws `HandlerConfigError` for a bad option or a target that is not a femtologging handler. */
  constructor(
    target: Handler.HandlerLike | null | undefined,
    options: MemoryHandlerOptions = {},
    spawn: Spawner = facadeSpawner()
  ) {
    const checked = checkMemoryOptions(options)
    const resolved = resolveTarget(undefined, target)
    const label = `FemtoMemoryHandler(${resolved?.label ?? "no target"})`
    const memory = spawn(makePipeline(label, checked))
    super(memory)
    this.memory = memory
    if (resolved !== undefined) this.setTarget(resolved)
  }

  /** The handler the buffer goes to, if any. */
  get target(): Handler.Handler | undefined {
    return this.memory.target
  }

  /**
   * Sets (or, with `null`, removes) the handler the buffer goes to (CPython's `setTarget`).
   * Throws `HandlerConfigError` for something that is not a femtologging handler, or a chain of
   * memory handlers leading back to this one.
   */
  setTarget(target: Handler.HandlerLike | null | undefined): void {
    const resolved = resolveTarget(this.memory, target)
    this.memory.target = resolved
    if (resolved !== undefined) drainAfter(resolved)
  }

  /** The buffer's capacity. */
  get capacity(): number {
    return this.memory.bufferCapacity
  }

  /** The level that hands the buffer on. */
  get flushLevel(): Level.Level {
    return this.memory.flushLevel
  }

  /** Whether close and the end of the process hand the buffer on. */
  get flushOnClose(): boolean {
    return this.memory.flushOnClose
  }

  /** Records in the buffer now (records still in the handler's queue are not counted). */
  get buffered(): number {
    return this.memory.buffered
  }

  /** Records discarded on purpose: buffered at close or exit with `flushOnClose: false`. */
  getDiscarded(): number {
    return this.memory.getDiscarded()
  }
}

/**
 * Creates a memory handler in the current scope (Effect face); closing the scope hands the
 * buffer to the target (`flushOnClose`) and waits until the target wrote it. Make the target
 * first, so that it is closed after.
 *
 * **Example** (Fingers crossed in Effect)
 *
 * ```ts
 * import { Effect } from "effect"
 * import { FileHandler, Logger, Manager, MemoryHandler } from "femtologging"
 *
 * const program = Effect.gen(function*() {
 *   const file = yield* FileHandler.make("logs/errors.log")
 *   const memory = yield* MemoryHandler.make(file, { capacity: 500, flushOnClose: false })
 *   const logger = yield* Manager.getLogger("job")
 *   logger.setLevel("DEBUG")
 *   logger.addHandler(memory)
 *   yield* Logger.debug(logger, "fetched 10 rows")
 *   yield* Logger.error(logger, "row 7 is invalid") // both lines reach the file
 * })
 * ```
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = (
  target: Handler.HandlerLike | null | undefined,
  options: MemoryHandlerOptions = {}
): Effect.Effect<FemtoMemoryHandler, HandlerConfigError, Scope.Scope> =>
  Handler.makeIn<FemtoMemoryHandler, HandlerConfigError>((spawn) => new FemtoMemoryHandler(target, options, spawn))
