/**
 * A named logger: it checks the level, builds a record and offers it to its own bounded queue.
 * Its worker fiber delivers each record to the handlers it was bound for.
 *
 * **Details**
 *
 * Routing is resolved when configuration changes, not per record: a logger caches a plan (its
 * effective level, the handlers its records reach through propagation, and the overflow policy
 * its queue must honour) and checks one version number per call. Each queued record carries the
 * plan's handler list, so removing a handler affects only records logged after the removal.
 *
 * Propagation follows the standard library: a record reaches the logger's own handlers and then
 * its ancestors' handlers, without checking the ancestors' levels, up to and including the first
 * logger whose `propagate` is false.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Formatter from "./Formatter.ts"
import { type Feeder, type Target, targetErrors, toTarget } from "./Handler.ts"
import { HandlerConfigError, positiveInt } from "./HandlerConfigError.ts"
import * as internalLane from "./internal/lane.ts"
import type { Lane } from "./internal/lane.ts"
import type { Spawner } from "./internal/runtime.ts"
import * as Level from "./Level.ts"
import * as LogRecord from "./LogRecord.ts"
import * as OverflowPolicy from "./OverflowPolicy.ts"
import { Warner } from "./internal/warner.ts"

/**
 * What a logger needs from its manager. @internal
 */
export interface LoggerHost extends Feeder {
  /** Bumped on every change that affects routing or levels. */
  readonly version: number
  readonly bump: () => void
  readonly spawn: Spawner
  readonly defaultCapacity: number
}

interface Plan {
  readonly version: number
  readonly level: Level.Level
  readonly threshold: number
  readonly targets: ReadonlyArray<Target>
  readonly policy: OverflowPolicy.OverflowPolicy
}

/** A record and the handlers it is bound for. @internal */
export interface Entry {
  readonly record: LogRecord.LogRecord
  readonly targets: ReadonlyArray<Target>
}

/**
 * A message: text, an `Error` (its message is the text and it becomes the record's error), or a
 * function evaluated only when the level is enabled.
 *
 * @category models
 * @since 0.1.0
 */
export type Message = string | Error | (() => string)

/**
 * Structured fields, or an `Error` to attach. In fields, an `Error` under `error` or `err`
 * becomes the record's error.
 *
 * @category models
 * @since 0.1.0
 */
export type Extra = LogRecord.Fields | Error

const stale: Plan = {
  version: -1,
  level: "INFO",
  threshold: 2,
  targets: [],
  policy: OverflowPolicy.drop()
}

/**
 * A logger. Get one from `getLogger(name)` (facade) or `Manager.getLogger` (Effect); do not
 * construct it directly.
 *
 * @category models
 * @since 0.1.0
 */
export class Logger {
  private ownLevel: Level.Level | undefined
  private propagateFlag = true
  private targets: Array<Target> = []
  private plan: Plan = stale
  private readonly cursor: Cursor = { batch: undefined, record: 0, target: 0, waiting: false, epoch: 0 }
  private retiredDrops = 0
  private retiredWarner: Warner | undefined
  private retired = false
  private laneValue: Lane<Entry> | undefined
  private capacity: number

  /** @internal */
  constructor(
    readonly name: string,
    readonly parent: Logger | undefined,
    private readonly host: LoggerHost
  ) {
    this.ownLevel = parent === undefined ? "INFO" : undefined
    this.capacity = host.defaultCapacity
  }

  /** The effective level: this logger's own, else its nearest ancestor's. */
  get level(): Level.Level {
    return this.current().level
  }

  /** The level set on this logger itself, if any. */
  get ownLevelValue(): Level.Level | undefined {
    return this.ownLevel
  }

  /** Whether records go on to the parent's handlers. */
  get propagate(): boolean {
    return this.propagateFlag
  }

  /** Sets this logger's level (case-insensitive; `WARNING` means `WARN`). Throws `InvalidLevelError`. */
  setLevel(level: Level.LevelInput): void {
    this.ownLevel = Level.parseUnsafe(level)
    this.host.bump()
  }

  /** Removes this logger's own level so that it inherits its parent's (not allowed on root). */
  clearLevel(): void {
    if (this.parent === undefined) return
    this.ownLevel = undefined
    this.host.bump()
  }

  /** Whether a record at `level` would be accepted. Throws `InvalidLevelError`. */
  isEnabledFor(level: Level.LevelInput): boolean {
    return Level.ordinal(Level.parseUnsafe(level)) >= this.current().threshold
  }

  /** Turns propagation to the parent's handlers on or off. */
  setPropagate(propagate: boolean): void {
    this.propagateFlag = propagate
    this.host.bump()
  }

  /**
   * Sets the capacity of this logger's queue (default 1024). Only before its first record: the
   * queue is created then.
   */
  setCapacity(capacity: number): void {
    positiveInt("capacity", capacity)
    if (this.laneValue !== undefined) {
      throw new HandlerConfigError({
        field: "capacity",
        detail: "capacity can only be set before the logger's first record"
      })
    }
    this.capacity = capacity
  }

  /**
   * Attaches a handler: a queued handler, or any object with a callable `handle(logger, level,
   * message)` or `handleRecord(record)`. Throws `InvalidHandlerError` otherwise.
   */
  addHandler(handler: unknown): void {
    const target = toTarget(handler)
    target.attach(this.host)
    this.targets = [...this.targets, target]
    this.host.bump()
  }

  /** Detaches a handler; returns whether it was attached. Records already queued still reach it. */
  removeHandler(handler: unknown): boolean {
    const index = this.targets.findIndex((t) => t.original === handler)
    if (index < 0) return false
    this.targets = this.targets.filter((_, i) => i !== index)
    this.host.bump()
    return true
  }

  /** Detaches every handler of this logger. */
  clearHandlers(): void {
    this.targets = []
    this.host.bump()
  }

  /** The handlers attached to this logger itself. */
  get handlers(): ReadonlyArray<unknown> {
    return this.targets.map((t) => t.original)
  }

  /** Records this logger dropped: its queue was full (or it was closed). Exact. */
  getDropped(): number {
    return (this.laneValue?.dropped ?? 0) + this.retiredDrops
  }

  /**
   * Detaches this logger from its manager (on `reset()` or when the manager's scope closes):
   * what is queued is delivered, later records are dropped and counted.
   *
   * @internal
   */
  retire(): void {
    this.retired = true
    this.laneValue?.closeUnsafe()
  }

  /** Counts a record refused by a retired logger. */
  private dropRetired(): void {
    if (this.laneValue !== undefined) return this.laneValue.countDrop()
    this.retiredDrops++
    this.retiredWarner ??= new Warner(`logger '${this.name}'`, 5_000, Date.now, undefined, (n) =>
      `femtologging: logger '${this.name}' dropped ${n} record${n === 1 ? "" : "s"}: its manager was reset or closed`)
    this.retiredWarner.drop()
  }

  /** Exceptions thrown by user handlers attached to this logger. */
  getHandlerErrors(): number {
    let n = 0
    for (const t of this.targets) n += targetErrors(t)
    return n
  }

  /**
   * Logs at a level given by name. Returns the seed's line (`"{logger} [{LEVEL}] {message}"`)
   * when the level is enabled, `undefined` otherwise. Throws `InvalidLevelError` for a bad level.
   */
  log(level: Level.LevelInput, message: Message, extra?: Extra): string | undefined {
    return this.emit(Level.parseUnsafe(level), message, extra)
  }

  /** Logs at TRACE. */
  trace(message: Message, extra?: Extra): string | undefined {
    return this.emit("TRACE", message, extra)
  }

  /** Logs at DEBUG. */
  debug(message: Message, extra?: Extra): string | undefined {
    return this.emit("DEBUG", message, extra)
  }

  /** Logs at INFO. */
  info(message: Message, extra?: Extra): string | undefined {
    return this.emit("INFO", message, extra)
  }

  /** Logs at WARN. */
  warn(message: Message, extra?: Extra): string | undefined {
    return this.emit("WARN", message, extra)
  }

  /** Logs at WARN (the standard library's name). */
  warning(message: Message, extra?: Extra): string | undefined {
    return this.emit("WARN", message, extra)
  }

  /** Logs at ERROR. */
  error(message: Message, extra?: Extra): string | undefined {
    return this.emit("ERROR", message, extra)
  }

  /** Logs at CRITICAL. */
  critical(message: Message, extra?: Extra): string | undefined {
    return this.emit("CRITICAL", message, extra)
  }

  /** Logs at ERROR with an error (given directly, or as `error` in the fields). */
  exception(message: Message, extra?: Extra): string | undefined {
    return this.emit("ERROR", message, extra)
  }

  /** @internal */
  emit(level: Level.Level, message: Message, extra: Extra | undefined, fiberId?: number): string | undefined {
    const plan = this.current()
    if (Level.ordinal(level) < plan.threshold) return undefined
    const record = this.build(level, message, extra, fiberId)
    if (this.retired) this.dropRetired()
    else if (plan.targets.length > 0) {
      const lane = this.lane()
      if (lane.offerSync({ record, targets: plan.targets }, plan.policy) !== "ok") lane.countDrop()
    }
    return Formatter.line(this.name, level, record.message)
  }

  /** @internal */
  emitEffect(level: Level.Level, message: Message, extra: Extra | undefined): Effect.Effect<string | undefined> {
    return Effect.withFiber((fiber) => {
      const plan = this.current()
      if (Level.ordinal(level) < plan.threshold) return Effect.succeed(undefined)
      if (plan.policy._tag === "Drop" || this.retired) return Effect.succeed(this.emit(level, message, extra, fiber.id))
      const record = this.build(level, message, extra, fiber.id)
      const lane = this.lane()
      return Effect.map(lane.offer({ record, targets: plan.targets }, plan.policy), (result) => {
        if (result !== "ok") lane.countDrop()
        return Formatter.line(this.name, level, record.message)
      })
    })
  }

  private build(level: Level.Level, message: Message, extra: Extra | undefined, fiberId?: number): LogRecord.LogRecord {
    let text: string
    let error: unknown
    let fields: LogRecord.Fields | undefined
    if (typeof message === "function") {
      try {
        message = message()
      } catch (thrown) {
        message = `[message function threw: ${String(thrown)}]`
        error = thrown
      }
    }
    if (typeof message === "string") text = message
    else if (message instanceof Error) {
      text = message.message
      error = message
    } else text = String(message)
    if (extra instanceof Error) error = extra
    else if (extra !== undefined) {
      const e = extra.error ?? extra.err
      if (e instanceof Error) {
        error = e
        const { error: _e, err: _r, ...rest } = extra
        fields = Object.keys(rest).length > 0 ? rest : undefined
      } else fields = extra
    }
    return LogRecord.make({ logger: this.name, level, message: text, fields, error, fiberId })
  }

  /** @internal */
  lane(): Lane<Entry> {
    return this.laneValue ??= this.host.spawn(internalLane.make<Entry>({
      label: `logger '${this.name}'`,
      capacity: this.capacity,
      strategy: "suspend",
      syncCapable: true,
      kind: "logger",
      process: (batch, canSuspend) => dispatch(batch, 0, 0, canSuspend, this.cursor),
      finishInterrupted: () => {
        const { batch, record, target, waiting } = this.cursor
        if (batch === undefined) return false
        this.cursor.batch = undefined
        this.cursor.epoch++
        // Waiting: that handler never took the record (its offer is abandoned); else the handler
        // that called process.exit() has it. Either way, carry on with the next handler.
        if (waiting) batch[record]!.targets[target]!.abandoned?.()
        dispatch(batch, record, target + 1, false, this.cursor)
        return true
      }
    }))
  }

  /** The lane, if the logger has logged yet. @internal */
  get laneIfStarted(): Lane<Entry> | undefined {
    return this.laneValue
  }

  private current(): Plan {
    const plan = this.plan
    return plan.version === this.host.version ? plan : (this.plan = this.resolve())
  }

  private resolve(): Plan {
    let level: Level.Level | undefined
    const targets: Array<Target> = []
    let routing = true
    for (let l: Logger | undefined = this; l !== undefined; l = l.parent) {
      level ??= l.ownLevel
      if (routing) {
        for (const t of l.targets) targets.push(t)
        routing = l.propagateFlag
      }
    }
    const effective = level ?? "INFO"
    let policy = OverflowPolicy.drop()
    for (const t of targets) policy = OverflowPolicy.strongest(policy, t.policy)
    return { version: this.host.version, level: effective, threshold: Level.ordinal(effective), targets, policy }
  }
}

/**
 * Where a logger's delivery stands: the batch, the record and the handler being called or waited
 * for. If the process exits inside a handler (`process.exit()` in user code) or while the logger
 * waits for an asynchronous handler, the exit drain carries on from there.
 */
interface Cursor {
  batch: ReadonlyArray<Entry> | undefined
  record: number
  target: number
  waiting: boolean
  /** Bumped when the exit drain takes a batch over: a continuation of the old one then stops. */
  epoch: number
}

/**
 * Delivers a batch from a logger's queue to each record's handlers, in order. When a handler
 * must be waited for and the caller is a fiber, returns an Effect that waits and then carries on
 * from the same record and handler.
 */
const dispatch = (
  batch: ReadonlyArray<Entry>,
  from: number,
  fromTarget: number,
  canSuspend: boolean,
  cursor: Cursor
): Effect.Effect<void> | undefined => {
  cursor.batch = batch
  cursor.waiting = false
  for (let i = from; i < batch.length; i++) {
    const { record, targets } = batch[i]!
    cursor.record = i
    for (let j = i === from ? fromTarget : 0; j < targets.length; j++) {
      cursor.target = j
      const wait = targets[j]!.deliver(record, canSuspend)
      if (wait !== undefined) {
        cursor.waiting = true
        const epoch = cursor.epoch
        return Effect.flatMap(
          wait,
          () => cursor.epoch !== epoch ? Effect.void : dispatch(batch, i, j + 1, true, cursor) ?? Effect.void
        )
      }
    }
  }
  cursor.batch = undefined
  return undefined
}

const effectMethod = (level: Level.Level) => (self: Logger, message: Message, extra?: Extra) =>
  self.emitEffect(level, message, extra)

/**
 * Logs from a fiber at a level given by name. Under the block policy the fiber waits for room;
 * under `timeout:N` at most N ms (then the record is dropped and counted). Succeeds with what
 * `logger.log()` returns; fails with `InvalidLevelError` for a bad level.
 *
 * **Example** (Effect face)
 *
 * ```ts
 * import { Effect } from "effect"
 * import { Logger, Manager } from "femtologging"
 *
 * const program = Effect.gen(function*() {
 *   const logger = yield* Manager.getLogger("app")
 *   return yield* Logger.info(logger, "hello")
 * }).pipe(Effect.provide(Manager.layer()), Effect.scoped)
 * // Effect.runPromise(program) // => "app [INFO] hello"
 * ```
 *
 * @category logging
 * @since 0.1.0
 */
export const log = (
  self: Logger,
  level: Level.LevelInput,
  message: Message,
  extra?: Extra
): Effect.Effect<string | undefined, Level.InvalidLevelError> =>
  Effect.flatMap(Level.parse(level), (lv) => self.emitEffect(lv, message, extra))

/**
 * Logs at TRACE from a fiber. @category logging
 * @since 0.1.0
 */
export const trace = effectMethod("TRACE")
/**
 * Logs at DEBUG from a fiber. @category logging
 * @since 0.1.0
 */
export const debug = effectMethod("DEBUG")
/**
 * Logs at INFO from a fiber. @category logging
 * @since 0.1.0
 */
export const info = effectMethod("INFO")
/**
 * Logs at WARN from a fiber. @category logging
 * @since 0.1.0
 */
export const warn = effectMethod("WARN")
/**
 * Logs at ERROR from a fiber. @category logging
 * @since 0.1.0
 */
export const error = effectMethod("ERROR")
/**
 * Logs at CRITICAL from a fiber. @category logging
 * @since 0.1.0
 */
export const critical = effectMethod("CRITICAL")
/**
 * Logs at ERROR with an error from a fiber. @category logging
 * @since 0.1.0
 */
export const exception = effectMethod("ERROR")
