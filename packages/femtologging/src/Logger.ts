/**
 * A named logger: it checks the level, builds a record and hands it to the queue of each handler
 * it reaches. Each handler applies its own overflow policy there; the logger adds none.
 *
 * **Details**
 *
 * Routing is resolved when configuration changes, not per record: a logger caches a plan (its
 * effective level and the handlers its records reach through propagation) and checks one version
 * number per call. A record is handed on at once with the plan's handler list, so removing a
 * handler affects only records logged after the removal.
 *
 * A logger's own bounded queue holds records only while they cannot be handed on at once: those
 * logged from inside a hand-off under way on the stack, by any logger of the same manager (a user
 * handler or a formatter that logs, a sink whose caller runs the drain). They are handed on, in
 * order, as soon as that hand-off returns, so no record overtakes one logged before it. An idle
 * logger holds nothing: no queue, no fiber.
 *
 * Propagation follows the standard library: a record reaches the logger's own handlers and then
 * its ancestors' handlers, without checking the ancestors' levels, up to and including the first
 * logger whose `propagate` is false.
 *
 * @since 0.1.0
 */
import { Clock, Effect } from "./internal/lazyEffect.ts"
import { fileURLToPath } from "node:url"
import * as util from "node:util"
import { fiberFields } from "./internal/fiberFields.ts"
import { isLiveClock } from "./internal/liveClock.ts"
import * as Context from "./Context.ts"
import * as Filter from "./Filter.ts"
import { copyFields, copyFieldsMarked, isError, mergeFields, safeString } from "./internal/safe.ts"
import * as Handler from "./Handler.ts"
import { capacityOf, HandlerConfigError } from "./HandlerConfigError.ts"
import { deeper, facadeSpawner, maxGenerations, registry, type Spawner } from "./internal/runtime.ts"
import { formatMessage, formatMessageTaking } from "./internal/pyformat.ts"
import { labelledReporter, Warner } from "./internal/warner.ts"
import * as Level from "./Level.ts"
import * as LogRecord from "./LogRecord.ts"

/**
 * What a logger needs from its manager. @internal
 */
export interface LoggerHost {
  /** Bumped on every change that affects routing or levels. */
  readonly version: number
  readonly bump: () => void
  /** Loggers holding a plan resolved since the last `bump` (which forgets them). */
  readonly planned: Set<Logger>
  /** Creates handlers for user handler objects in the manager's scope. */
  readonly spawn: Spawner
  readonly defaultCapacity: number
  /** Where a record that reaches no handler goes, if anywhere (CPython's `lastResort`). */
  readonly lastResort: (level: Level.Level) => Handler.Handler | undefined
  /** Redaction before any handler sees a record (the identity when none is configured). */
  readonly redact: (record: LogRecord.LogRecord) => LogRecord.LogRecord
  /** Whether redaction is configured (`redact` is not the identity). */
  readonly redacting: boolean
  /** The hand-off under way on the stack, one for all the host's loggers. */
  readonly handOff: HandOff
  /** Whether the level methods return the seed's line (else `undefined`). */
  readonly returnLines: boolean
  /** The logger for a dotted name (root for `undefined`). */
  readonly getLogger: (name?: string) => Logger
  /** The ordinal of the highest level `disable()` turned off for every logger (-1: none). */
  readonly disabledThrough: number
}

/**
 * Records logged while a hand-off is under way on the stack (re-entrant logging) wait here, in
 * the order they were logged, until it returns; one per manager. While some wait, the exit hook
 * knows it (`registry.handOffs`): a process that exits inside the hand-off still writes them.
 *
 * @internal
 */
export class HandOff {
  active = false
  private readonly waiting: Array<{
    readonly logger: Logger
    readonly record: LogRecord.LogRecord
    readonly handlers: ReadonlyArray<Handler.Handler>
    /** `registry.generation` when it was logged (a user handler that logs, see Handler.ts). */
    readonly generation: number
  }> = []

  /** Queues a record of `logger` until the hand-off returns. */
  push(logger: Logger, record: LogRecord.LogRecord, handlers: ReadonlyArray<Handler.Handler>): void {
    if (this.waiting.length === 0) registry.handOffs.add(this)
    this.waiting.push({ logger, record, handlers, generation: registry.generation })
  }

  /** Hands on what waits, oldest first (and what is logged meanwhile). */
  release(): void {
    const waiting = this.waiting
    if (waiting.length === 0) return
    const outer = registry.generation
    try {
      for (let next = waiting.shift(); next !== undefined; next = waiting.shift()) {
        next.logger.waiting--
        // Handed on at the generation it was logged at: a loop through a hand-off is one too.
        registry.generation = next.generation
        for (const h of next.handlers) h.offerUnsafe(next.record)
      }
    } finally {
      registry.generation = outer
    }
    registry.handOffs.delete(this)
  }
}

interface Plan {
  readonly version: number
  readonly level: Level.Level
  readonly threshold: number
  /** Whether a handler's formatter prints the caller's location (captured only then). */
  readonly caller: boolean
  readonly handlers: ReadonlyArray<Handler.Handler>
}

interface Attached {
  /** What the user attached (for `removeHandler`). */
  readonly original: unknown
  readonly handler: Handler.Handler
  /** Whether the logger created the handler (for a user object) and closes it when detached. */
  readonly owned: boolean
}

/**
 * A message: text, an `Error` (its message is the text and it becomes the record's error), or a
 * function evaluated only when the level is enabled. Any other value is rendered as text.
 *
 * @category models
 * @since 0.1.0
 */
export type Message = string | Error | (() => string)

/**
 * winston's log entry, `log({ level: "info", message: "handled", reqId })`: the level, and the
 * rest as a plain object logged alone (the message its `message` or `msg`, the others fields).
 *
 * @category models
 * @since 0.2.0
 */
export type LogEntry = LogRecord.Fields & { readonly level: Level.LevelInput }

/**
 * Structured fields, or an `Error` to attach. In fields, an `Error` under `error` or `err`
 * becomes the record's error.
 *
 * @category models
 * @since 0.1.0
 */
export type Extra = LogRecord.Fields | Error

const stale: Plan = { version: -1, level: "INFO", threshold: 2, caller: false, handlers: [] }

/** The arguments of a call that has none (winston's entry, logged as an object alone). */
const noArgs: ReadonlyArray<unknown> = []

/** What one build of `Manager.layerLogger` set on a logger. @internal */
export interface LayerFrame {
  level: Level.LevelInput | undefined
  propagate: boolean | undefined
}

/** A logger's settings before the `Manager.layerLogger` builds open on it, and theirs. @internal */
export interface LayeredSettings {
  readonly own: Level.Level | undefined
  readonly isDefault: boolean
  readonly propagate: boolean
  readonly frames: Array<LayerFrame>
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
  private attached: Array<Attached> = []
  private plan: Plan = stale
  private retired = false
  private dropped = 0
  private dropWarner: Warner | undefined
  private capacity: number
  private started = false
  /** How many of this logger's records wait in the host's hand-off (bounded by `capacity`). @internal */
  waiting = 0
  private filters: Array<Filter.Filter> = []
  private filterReport: ((message: string) => void) | undefined
  /** `<name> [<LEVEL>] ` per level, made once: the line a log call returns is that plus the message. */
  private linePrefixes: Partial<Record<string, string>> | undefined

  readonly name: string

  /** @internal */
  constructor(
    name: string,
    readonly parent: Logger | undefined,
    private readonly host: LoggerHost
  ) {
    this.name = interned(name)
    this.ownLevel = parent === undefined ? "INFO" : undefined
    this.capacity = host.defaultCapacity
  }

  /** The effective level: this logger's own, else its nearest ancestor's. */
  get level(): Level.Level {
    return this.current().level
  }

  /** `logger.level = "debug"`, pino's and winston's way to set it: {@link setLevel}. */
  set level(level: Level.LevelInput) {
    this.setLevel(level)
  }

  private levelSet = false

  /**
   * Whether this logger's level was never set (root still at its default, INFO). CPython's
   * configuration entry points then give root CPython's default, WARNING.
   *
   * @internal
   */
  get levelIsDefault(): boolean {
    return !this.levelSet
  }

  /** The level set on this logger itself, if any. */
  get ownLevelValue(): Level.Level | undefined {
    return this.ownLevel
  }

  /** Whether records go on to the parent's handlers. */
  get propagate(): boolean {
    return this.propagateFlag
  }

  /** `logger.propagate = false`, CPython's way to set it: {@link setPropagate}. */
  set propagate(propagate: boolean) {
    this.setPropagate(propagate)
  }

  /**
   * Sets this logger's level (case-insensitive; `WARNING` means `WARN`, `FATAL` `CRITICAL`;
   * CPython's numbers too). `NOTSET` (or 0) makes a logger inherit its parent's level, and root
   * let everything through. Throws `InvalidLevelError`.
   */
  setLevel(level: Level.LevelInput): void {
    this.levelSet = true
    const parsed = Level.parseThresholdUnsafe(level)
    this.ownLevel = parsed ?? (this.parent === undefined ? "TRACE" : undefined)
    this.host.bump()
  }

  /** Removes this logger's own level so that it inherits its parent's (not allowed on root). */
  clearLevel(): void {
    if (this.parent === undefined) return
    this.ownLevel = undefined
    this.host.bump()
  }

  /** Whether a record at `level` would be accepted (a number as `log()` takes it). Throws `InvalidLevelError`. */
  isEnabledFor(level: Level.LevelInput): boolean {
    return Level.ordinal(Level.parseRecordUnsafe(level)) >= this.current().threshold
  }

  /** {@link isEnabledFor} under pino's name. */
  isLevelEnabled(level: Level.LevelInput): boolean {
    return this.isEnabledFor(level)
  }

  /**
   * Adds a filter for records logged on this logger itself (not those propagated from its
   * children), run before any handler sees them. See `Filter`.
   */
  addFilter(filter: Filter.Filter): void {
    if (!Filter.isFilter(filter)) {
      throw new HandlerConfigError({ field: "filters", detail: "a filter must be a function or have a filter method" })
    }
    this.filters = [...this.filters, filter]
  }

  /** Removes a filter added before (the first one equal to it). */
  removeFilter(filter: Filter.Filter): void {
    const i = this.filters.indexOf(filter)
    if (i >= 0) this.filters = this.filters.filter((_, j) => j !== i)
  }

  /** This logger's own filters, in order. */
  getFilters(): ReadonlyArray<Filter.Filter> {
    return this.filters
  }

  /**
   * Whether a record logged now is a logging loop's, by its generation (see `maxGenerations`):
   * then it is dropped and counted. Checked before this logger's filters run.
   */
  private looping(): boolean {
    if (registry.generation <= maxGenerations) return false
    this.drop(`a logging loop: logged by a filter, formatter or handler at work on a record logged the same way, more than ${maxGenerations} deep`)
    return true
  }

  /** The record after this logger's filters; `undefined` when one stopped it or threw (counted). */
  private admit(record: LogRecord.LogRecord): LogRecord.LogRecord | undefined {
    // What a filter logs is one generation deeper than the record it filters (see `deeper`).
    return deeper(registry.generation, this.filtered, record)
  }

  private readonly filtered = (record: LogRecord.LogRecord): LogRecord.LogRecord | undefined =>
    Filter.apply(this.filters, record, this.filterThrew)

  private readonly filterThrew = (error: unknown): void => {
    this.drop("a filter threw")
    ;(this.filterReport ??= labelledReporter(`logger '${this.name}'`))(`a filter threw: ${safeString(error)}`)
  }

  private disabledFlag = false

  /**
   * Whether this logger is disabled (CPython's `logger.disabled`): it takes no records at all.
   * `dictConfig` and `fileConfig` disable the loggers that existed before and are not in the new
   * configuration (`disable_existing_loggers`, true by default as in CPython).
   */
  get disabled(): boolean {
    return this.disabledFlag
  }

  /**
   * Puts back a level read before with {@link ownLevelValue} and {@link levelIsDefault} (a layer
   * undoing what it set, on release).
   *
   * @internal
   */
  restoreLevel(own: Level.Level | undefined, isDefault: boolean): void {
    this.ownLevel = own
    this.levelSet = !isDefault
    this.host.bump()
  }

  /**
   * What the `Manager.layerLogger` builds configuring this logger now set, oldest first, and what
   * it had before the first of them (see `Manager.ts`).
   *
   * @internal
   */
  layered: LayeredSettings | undefined = undefined

  set disabled(disabled: boolean) {
    this.disabledFlag = disabled === true
    this.host.bump()
  }

  /** Turns propagation to the parent's handlers on or off. */
  setPropagate(propagate: boolean): void {
    this.propagateFlag = propagate
    this.host.bump()
  }

  /**
   * Sets the capacity of this logger's own queue (default 1024): how many records logged from
   * inside its own hand-off may wait. Only before its first record (afterwards, setting the
   * capacity it has already does nothing: a layer built again sets it again).
   */
  setCapacity(capacity: number): void {
    capacityOf("capacity", capacity)
    if (this.started && capacity !== this.capacity) {
      throw new HandlerConfigError({
        field: "capacity",
        detail: "capacity can only be set before the logger's first record"
      })
    }
    this.capacity = capacity
  }

  /**
   * Attaches a handler: a handler object of this library (`FemtoFileHandler`, a `Handler`), or
   * any object with a callable `handle(logger, level, message)` or `handleRecord(record)`, which
   * gets a queue of its own (policy block) and is called from it. Adding one already attached
   * does nothing, as in CPython (a configuration listing a handler twice writes once). Throws
   * `InvalidHandlerError`.
   */
  addHandler(handler: Handler.HandlerLike | Handler.HandlerObject): void {
    if (this.attached.some((entry) => entry.original === handler)) return
    const own = Handler.of(handler)
    let entry: Attached
    if (own !== undefined) entry = { original: handler, handler: own, owned: false }
    else {
      const { name, target } = Handler.objectTarget(handler)
      // A retired logger's manager scope may be closed: its records are dropped before any
      // handler anyway, so the handler lives in the process-wide scope.
      const made = Handler.makeUnsafe({ label: `handler ${name}`, target }, this.retired ? facadeSpawner() : this.host.spawn)
      entry = { original: handler, handler: made, owned: true }
    }
    this.attached = [...this.attached, entry]
    // Whether records need their caller's location depends on the handlers' formatters.
    entry.handler.watchFormatter(this.host.bump)
    this.host.bump()
  }

  /** Detaches a handler; returns whether it was attached. Records already accepted still reach it. */
  removeHandler(handler: unknown): boolean {
    const index = this.attached.findIndex((a) => a.original === handler)
    if (index < 0) return false
    const [entry] = this.attached.splice(index, 1)
    this.attached = [...this.attached]
    this.host.bump()
    if (entry!.owned) Effect.runFork(Handler.close(entry!.handler))
    return true
  }

  /** CPython's `getEffectiveLevel()`: {@link level}, this logger's own or its nearest ancestor's. */
  getEffectiveLevel(): Level.Level {
    return this.level
  }

  /**
   * CPython's `getChild(suffix)`: the logger `<name>.<suffix>` of the same manager (`suffix`
   * itself from root). Throws `InvalidLoggerNameError` for a bad name.
   */
  getChild(suffix: string): Logger {
    return this.host.getLogger(this.parent === undefined ? suffix : `${this.name}.${suffix}`)
  }

  /**
   * CPython's `hasHandlers()`: whether this logger, or an ancestor its records propagate up to,
   * has a handler (a record that reaches none goes to the last resort).
   */
  hasHandlers(): boolean {
    for (let l: Logger | undefined = this; l !== undefined; l = l.propagateFlag ? l.parent : undefined) {
      if (l.attached.length > 0) return true
    }
    return false
  }

  /** Detaches every handler of this logger. */
  clearHandlers(): void {
    for (const entry of [...this.attached]) this.removeHandler(entry.original)
  }

  /** The handlers attached to this logger itself, as they were attached. */
  get handlers(): ReadonlyArray<unknown> {
    return this.attached.map((a) => a.original)
  }

  /**
   * Records this logger dropped itself: its own queue was full, or its manager was reset or
   * closed. Drops at a handler's queue are that handler's (`handler.getDropped()`).
   */
  getDropped(): number {
    return this.dropped
  }

  /**
   * Flushes the handlers this logger's records reach (its own and, through propagation, its
   * ancestors'; the last-resort handler when there are none) and resolves to `true` once each has
   * written what it accepted before the call and flushed its sink; `false` when one did not within
   * its flush timeout. A closed handler is passed over, as `flushAll()` passes it over (it has
   * nothing left to write). pino's `logger.flush(callback)` works too: the callback gets
   * `undefined`, or an `Error` when a handler did not flush in time. Never rejects. `flushAll()`
   * flushes every handler of the process.
   */
  flush(callback?: (error?: Error) => void): Promise<boolean> {
    if (!this.host.handOff.active) this.host.handOff.release()
    const open = this.handlersFor("CRITICAL").filter((h) => !h.closed)
    const flushed = Handler.inWaves(open, Handler.flush)
      .then((each) => each.every((ok) => ok), () => false)
    if (typeof callback === "function") {
      void flushed.then((ok) => callback(ok ? undefined : new Error(`logger '${this.name}': a handler did not flush in time`)))
    }
    return flushed
  }

  /** Exceptions thrown by user handler objects attached to this logger. */
  getHandlerErrors(): number {
    let n = 0
    for (const a of this.attached) if (a.owned) n += a.handler.getDropped()
    return n
  }

  /**
   * Detaches this logger from its manager (on `reset()` or when the manager's scope closes):
   * later records are dropped and counted.
   *
   * @internal
   */
  retire(): void {
    this.retired = true
  }

  private dropWhy = ""

  private drop(why: string): void {
    this.dropped++
    this.dropWhy = why
    this.dropWarner ??= new Warner(`logger '${this.name}'`, 5_000, Date.now, undefined, (n) =>
      `femtologging: logger '${this.name}' dropped ${n} record${n === 1 ? "" : "s"}; ${this.dropWhy}`)
    this.dropWarner.drop()
  }

  /**
   * Logs at a level given by name or number (a CPython custom number as the standard level at or
   * above it, see `Level.parseRecordUnsafe`). Returns the seed's line (`"{logger} [{LEVEL}]
   * {message}"`) when the level is enabled, `undefined` otherwise. Never throws: a level that names
   * none drops the record, counted in `getDropped()` and said on stderr.
   */
  log(entry: LogEntry): string | undefined
  log(level: Level.LevelInput, message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined
  log(level: Level.LevelInput | LogEntry, message?: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    const entry = entryOf(level, message, args)
    // Not through `log` again: the caller's location is read a fixed number of frames up.
    const parsed = this.levelOfCall(entry === undefined ? level as Level.LevelInput : entry.level)
    if (parsed === undefined) return undefined
    return entry === undefined ? this.emit(parsed, message, args) : this.emit(parsed, entry.fields, noArgs)
  }

  /** @internal The level of a `log()` call, or `undefined` (the record dropped and said) when it names none. */
  levelOfCall(level: Level.LevelInput): Level.Level | undefined {
    try {
      return Level.parseRecordUnsafe(level)
    } catch (error) {
      this.drop(`log() was given ${error instanceof Error ? error.message : "an invalid log level"}`)
      return undefined
    }
  }

  /** Logs at TRACE. */
  trace(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    return this.below(0) ? undefined : this.emit("TRACE", message, args)
  }

  /** Logs at DEBUG. */
  debug(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    return this.below(1) ? undefined : this.emit("DEBUG", message, args)
  }

  /** Logs at INFO. */
  info(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    return this.below(2) ? undefined : this.emit("INFO", message, args)
  }

  /** Logs at WARN. */
  warn(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    return this.below(3) ? undefined : this.emit("WARN", message, args)
  }

  /** Logs at WARN (the standard library's name). */
  warning(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    return this.below(3) ? undefined : this.emit("WARN", message, args)
  }

  /** Logs at ERROR. */
  error(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    return this.below(4) ? undefined : this.emit("ERROR", message, args)
  }

  /** Logs at CRITICAL. */
  critical(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    return this.below(5) ? undefined : this.emit("CRITICAL", message, args)
  }

  /**
   * A logger that adds `fields` to every record it logs (under the call's own fields), as pino's
   * `child` and CPython's `LoggerAdapter`. Levels, handlers and propagation are this logger's.
   */
  with(fields: LogRecord.Fields): BoundLogger {
    return new BoundLogger(this, mergeFields(undefined, fields))
  }

  /** {@link with} under pino's name. */
  child(fields: LogRecord.Fields): BoundLogger {
    return this.with(fields)
  }

  /** Logs at CRITICAL (pino's and CPython's `fatal`). */
  fatal(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    return this.below(5) ? undefined : this.emit("CRITICAL", message, args)
  }

  /** Logs at ERROR with an error (given directly, or as `error` in the fields). */
  exception(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    return this.emit("ERROR", message, args)
  }

  /**
   * Hands on a record made elsewhere (one a socket receiver decoded), as CPython's
   * `Logger.handle` does: this logger's `disabled` flag and filters apply, its level does not
   * (the sender applied its own); the record goes to this logger's handlers and, through
   * propagation, its ancestors' (or the last-resort handler when there are none).
   */
  handle(record: LogRecord.LogRecord): void {
    if (this.disabledFlag) return
    const handlers = this.handlersFor(record.level)
    if (handlers.length === 0 && !this.retired) return
    this.dispatch(record, handlers)
  }

  /** Where a record at `level` goes: this logger's handlers (propagation included), else the last-resort handler, if any. */
  private handlersFor(level: Level.Level): ReadonlyArray<Handler.Handler> {
    const handlers = this.current().handlers
    if (handlers.length > 0 || this.retired) return handlers
    const lastResort = this.host.lastResort(level)
    return lastResort === undefined ? handlers : [lastResort]
  }

  /**
   * A record made (or received): this logger's filters, then, redacted, its handlers. The record
   * as handed on (redacted); `undefined` when a filter stopped it.
   */
  private dispatch(record: LogRecord.LogRecord, handlers: ReadonlyArray<Handler.Handler>): LogRecord.LogRecord | undefined {
    if (this.filters.length > 0) {
      // A logging loop through this logger's own filters never reaches a handler's check.
      if (this.looping()) return undefined
      const admitted = this.admit(record)
      if (admitted === undefined) return undefined
      record = admitted
      // A filter that added or removed a handler: the record goes where the handlers are now,
      // as CPython's `callHandlers` reads them after filtering.
      if (this.plan.version !== this.host.version) handlers = this.handlersFor(record.level)
    }
    if (this.retired) {
      this.drop("its manager was reset or closed")
      // Still redacted: the line the call returns is made from it.
      return this.host.redact(record)
    }
    const redacted = this.host.redact(record)
    if (handlers.length > 0) this.handOn(redacted, handlers)
    return redacted
  }

  /** `Formatter.line(this.name, level, message)`, the line a log call returns. */
  private line(level: Level.Level, message: string): string {
    const prefixes = this.linePrefixes ??= {}
    // A message a filter replaced is read with toString, as `Formatter.line`; one that cannot be
    // (a Symbol, an object without or with a throwing toString) as safeString reads it.
    const text: unknown = message
    return `${prefixes[level] ??= `${this.name} [${level}] `}${typeof text === "string" ? text : safeString(text)}`
  }

  /**
   * Whether records at the level of ordinal `n` are below this logger's threshold, by the plan
   * in hand (a stale plan says no: `emit` then resolves a fresh one). The level methods' fast path.
   */
  private below(n: number): boolean {
    const plan = this.plan
    return n < plan.threshold && plan.version === this.host.version
  }

  /** @internal */
  emit(
    level: Level.Level,
    message: unknown,
    args: ReadonlyArray<unknown>,
    fiberId?: number,
    bound?: LogRecord.Fields
  ): string | undefined {
    const plan = this.current()
    const n = Level.ordinal(level)
    if (n < plan.threshold) return undefined
    let handlers = plan.handlers
    if (handlers.length === 0 && !this.retired) {
      const lastResort = this.host.lastResort(level)
      if (lastResort === undefined && this.filters.length === 0) return this.unseen(level, message, args)
      if (lastResort !== undefined) handlers = [lastResort]
    } else if (this.filters.length === 0 && !this.retired && !takenByAny(handlers, n)) return this.unseen(level, message, args)
    // A call with a message alone (the common one) needs no parsing: no object for it.
    const call = args.length === 0 && typeof message !== "object" ? undefined : callOf(message, args)
    const extra = withFields(Context.current(), bound, call?.extra)
    const record = build(this.name, level, call === undefined ? message : call.message, extra, fiberId, plan.caller ? callSite() : undefined)
    const sent = this.dispatch(record, handlers)
    return sent === undefined || !this.host.returnLines ? undefined : this.line(level, sent.message)
  }

  /**
   * A call that no handler will see (none, or none at its level): no record, nor clock read, only
   * the line it returns (made from a record when redaction must reach the line).
   */
  private unseen(level: Level.Level, message: unknown, args: ReadonlyArray<unknown>): string | undefined {
    if (!this.host.returnLines) return undefined
    const text = textOf(callOf(message, args).message).text
    if (!this.host.redacting) return this.line(level, text)
    return this.line(level, this.host.redact(LogRecord.make({ logger: this.name, level, message: text })).message)
  }

  /** Hands a record to each handler's queue; records logged meanwhile wait their turn. */
  private handOn(record: LogRecord.LogRecord, handlers: ReadonlyArray<Handler.Handler>): void {
    this.started = true
    const handOff = this.host.handOff
    if (handOff.active) return this.wait(record, handlers)
    handOff.active = true
    try {
      for (let i = 0; i < handlers.length; i++) handlers[i]!.offerUnsafe(record)
      handOff.release()
    } finally {
      handOff.active = false
    }
  }

  /** Queues a record logged during a hand-off on the stack (see {@link HandOff}). */
  private wait(record: LogRecord.LogRecord, handlers: ReadonlyArray<Handler.Handler>): void {
    if (this.waiting >= this.capacity) return this.drop("its queue was full")
    this.waiting++
    this.host.handOff.push(this, record, handlers)
  }

  /** @internal */
  emitEffect(
    level: Level.Level,
    message: Message,
    extra: Extra | undefined,
    bound?: LogRecord.Fields
  ): Effect.Effect<string | undefined> {
    return Effect.withFiber((fiber) => {
      let plan = this.current()
      if (Level.ordinal(level) < plan.threshold) return Effect.succeed(undefined)
      // Effect's clock stamps the record, as it stamps `Effect.log`'s (`TestClock` in tests).
      const clock = fiber.getRef(Clock.Clock)
      const timestampNs = isLiveClock(clock) ? undefined : clock.currentTimeMillisUnsafe() * 1e6
      // The fiber's context, as `Effect.log` routed in has it: a `withContext` scope's fields,
      // annotations, log spans, trace and span ids.
      const context = fiberFields(fiber, () => clock.currentTimeMillisUnsafe())
      let record = build(this.name, level, message, withFields(context, bound, extra), fiber.id, undefined, timestampNs)
      if (this.filters.length > 0) {
        // As in `dispatch`: a loop through this logger's filters from a fiber (`Effect.runSync`).
        if (this.looping()) return Effect.succeed(undefined)
        const admitted = this.admit(record)
        if (admitted === undefined) return Effect.succeed(undefined)
        record = admitted
        if (this.plan.version !== this.host.version) plan = this.current() // as in `dispatch`
      }
      if (this.retired) {
        this.drop("its manager was reset or closed")
        return Effect.succeed(this.host.returnLines ? this.line(level, this.host.redact(record).message) : undefined)
      }
      this.started = true
      const lastResort = plan.handlers.length === 0 ? this.host.lastResort(level) : undefined
      const handlers = lastResort === undefined ? plan.handlers : [lastResort]
      const redacted = this.host.redact(record)
      const line = this.host.returnLines ? this.line(level, redacted.message) : undefined
      // Logged from inside a hand-off on the stack (a handler running `Effect.runSync`): after
      // what that hand-off holds, as any record logged there.
      if (this.host.handOff.active) {
        this.wait(redacted, handlers)
        return Effect.succeed(line)
      }
      return Effect.as(Effect.forEach(handlers, (h) => h.offer(redacted), { discard: true }), line)
    })
  }

  private current(): Plan {
    const plan = this.plan
    if (plan.version === this.host.version) return plan
    this.host.planned.add(this)
    return this.plan = this.resolve()
  }

  /**
   * Drops the plan (stale since the host's `bump`): it would keep the handlers it routed to, removed
   * and closed ones included, until this logger logs again.
   *
   * @internal
   */
  forgetPlan(): void {
    this.plan = stale
  }

  private resolve(): Plan {
    let level: Level.Level | undefined
    const handlers: Array<Handler.Handler> = []
    let routing = true
    for (let l: Logger | undefined = this; l !== undefined; l = l.parent) {
      level ??= l.ownLevel
      if (routing) {
        for (const a of l.attached) handlers.push(a.handler)
        routing = l.propagateFlag
      }
    }
    const effective = level ?? "INFO"
    const threshold = this.disabledFlag
      ? Number.POSITIVE_INFINITY
      : Math.max(Level.ordinal(effective), this.host.disabledThrough + 1)
    const caller = handlers.some((h) => h.needsCaller)
    return { version: this.host.version, level: effective, threshold, caller, handlers }
  }
}

/**
 * The same name, as the one copy V8 keeps for property keys. Every record carries its logger's
 * name, and a file output compares it with the last record's and looks it up (its kept bytes of
 * `<logger> [<LEVEL>] `): between two such copies both go by pointer, not character by character.
 * When records alternate between loggers that was ~15 ns a record, 7% of the 100-logger file
 * rate (A/B, fresh processes, `bench/cases/file.mjs --loggers 100`: 1.65-1.75M against 1.77-1.88M
 * records/s). The key goes into an object without a prototype, which V8 keeps as a dictionary:
 * `{ [name]: 0 }` made a hidden class per name, kept until a full collection, and with 10,000
 * loggers every record's formatting (its own objects' property adds) went ~3x slower.
 */
const interned = (name: string): string => {
  const holder: Record<string, number> = Object.create(null)
  holder[name] = 0
  return Object.keys(holder)[0] ?? name
}

/**
 * A call's fields or error with the context's and a bound logger's fields under it (the call's
 * own win). The call's extra as it is when there are none.
 */
const withFields = (context: LogRecord.Fields | undefined, bound: LogRecord.Fields | undefined, extra: unknown): unknown => {
  if (context === undefined && bound === undefined) return extra
  const base = mergeFields(context, bound)
  if (extra === undefined) return base
  if (isError(extra)) return { ...base, error: extra }
  if (!isExtra(extra)) return base
  return copyFieldsMarked(base, extra as object)
}

/** `o[key]`, or `undefined` when reading it throws (where `read`'s marker must not count as a value). */
const readSafely = (o: object, key: string): unknown => {
  try {
    return (o as Record<string, unknown>)[key]
  } catch {
    return undefined
  }
}

const isPlainObject = (u: unknown): u is Record<string, unknown> => {
  if (typeof u !== "object" || u === null || Array.isArray(u)) return false
  const proto = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

/**
 * The fields of pino's merging object (`info(obj, "message")`): a plain object as it is; a class
 * instance's own enumerable properties (as pino and `JSON.stringify` take them: not the
 * enumerable ones it inherits, a `Buffer`'s methods, a `URL`'s accessors); `undefined` for an
 * error, an array, and a built-in with a tag of its own (a `Date`, a `Map`, a `URL`, a `Buffer`,
 * a `Promise`), which stays in the message as its text ("Thu Jan 01 1970 … x"), as before.
 */
const mergingObject = (u: unknown): object | undefined => {
  if (isPlainObject(u)) return u
  if (!isExtra(u) || isError(u) || Object.prototype.toString.call(u) !== "[object Object]") return undefined
  return copyFieldsMarked({}, u as object)
}

/** winston's `log({ level, ...rest })` alone: its level and the rest, else `undefined`. */
const entryOf = (
  u: unknown,
  message: unknown,
  args: ReadonlyArray<unknown>
): { readonly level: Level.LevelInput; readonly fields: LogRecord.Fields } | undefined => {
  if (message !== undefined || args.length > 0) return undefined
  try {
    // A revoked proxy makes Array.isArray throw: not an entry, its level refused and counted.
    if (!isPlainObject(u)) return undefined
  } catch {
    return undefined
  }
  const level = readSafely(u, "level")
  if (typeof level !== "string" && typeof level !== "number") return undefined
  return { level, fields: copyFieldsMarked({}, u, ["level"]) }
}

/**
 * What the second argument of a log call may be: fields or an error (never a string or an array).
 * An object that cannot be inspected (a revoked proxy, where `Array.isArray` throws) is: the record
 * marks what cannot be read.
 */
const isExtra = (u: unknown): boolean => {
  if (typeof u !== "object" || u === null) return false
  try {
    return !Array.isArray(u)
  } catch {
    return true
  }
}

/**
 * Whether an argument after the message is fields or an error: an object but an array and a
 * built-in with a tag of its own (a `Date`, a `Map`, a `URL`, a `Buffer`), which is appended to
 * the message as its text, as it is before the message (see {@link mergingObject}); taken as
 * fields it was lost (a `Date` has no keys) or written with what it inherits (a `Buffer`'s ~100
 * methods). An object that cannot be inspected (a proxy whose traps throw) is fields: the record
 * marks what cannot be read.
 */
const isFields = (u: unknown): boolean => {
  if (!isExtra(u)) return false
  try {
    return isPlainObject(u) || isError(u) || Object.prototype.toString.call(u) === "[object Object]"
  } catch {
    return true
  }
}

/** An argument appended to the message, as `String()` writes it ("[Function]" for a function). */
const argText = (u: unknown): string => (typeof u === "string" ? u : typeof u === "function" ? "[Function]" : safeString(u))

/**
 * Arguments left after a message's conversions. The first, when an object (see {@link isFields})
 * or an error, is the record's extra (its fields or error); after it, plain objects are more fields (merged, later
 * keys win) and the first error is the record's error, so that redaction reaches them (written
 * into the message, a path could not); the others are appended to the message, separated by
 * spaces, as `String()` writes them.
 */
const withArguments = (message: unknown, rest: ReadonlyArray<unknown>): { readonly message: unknown; readonly extra: unknown } => {
  // The common calls: `info("message")`, `info("message", { fields })`, `info("message", error)`.
  // An optional fields argument left undefined (`info("done", options.fields)`) is no fields, as
  // pino and winston take it, not " undefined" appended to the message.
  if (rest.length === 0 || (rest.length === 1 && rest[0] === undefined)) return { message, extra: undefined }
  if (rest.length === 1 && isFields(rest[0])) return { message, extra: rest[0] }
  let fields: Record<string, unknown> | undefined
  let error: unknown
  const text: Array<string> = []
  for (let i = 0; i < rest.length; i++) {
    const u = rest[i]
    if (isError(u) && error === undefined) error = u
    else if (i === 0 ? isFields(u) : isPlainObject(u)) {
      fields = copyFieldsMarked(fields ?? {}, u as object)
    } else text.push(argText(u))
  }
  const extra = fields === undefined ? error : error === undefined ? fields : { ...fields, error }
  return { message: text.length === 0 ? message : `${textOf(message).text} ${text.join(" ")}`, extra }
}

/**
 * A log call's arguments as a message and its fields or error, in the styles users bring:
 * - CPython/printf: `info("user %s took %.1f ms", name, ms)`, formatted as CPython's `msg % args`
 *   (`%(key)s` with a single mapping argument);
 * - pino's object first: `info({ reqId }, "handled %s", path)` (any object but an error or an
 *   array: a class instance too), or a plain one alone: `info({ reqId })` (see {@link loneObject};
 *   a class instance alone too, unless a toString of its own gives its text);
 * - pino's error first: `error(err, "failed %s", id)`;
 * - ours: `info("message", { fields })` or `info("message", error)`, or both.
 * Of the arguments the conversions do not take, objects and an error are the record's fields and
 * error, the others are appended to the message, separated by spaces (a string is never spread
 * into fields; see {@link withArguments}); a format CPython would refuse (too few arguments, a bad
 * conversion) keeps the message as written. Only called for an enabled level. Never throws.
 */
const callOf = (message: unknown, args: ReadonlyArray<unknown>): { readonly message: unknown; readonly extra: unknown } => {
  try {
    // The merging object may be a plain object or a class instance (an entity, a DTO):
    // `info(user, "login")` logs its properties, as pino does, not "[object Object] login".
    const merging = typeof args[0] === "string" ? mergingObject(message) : undefined
    if (merging !== undefined) {
      const inner = callOf(args[0], args.slice(1))
      const extra = inner.extra === undefined
        ? merging
        : inner.extra instanceof Error
        ? { ...merging, error: inner.extra }
        : { ...merging, ...(inner.extra as object) }
      return { message: inner.message, extra }
    }
    if (isError(message) && typeof args[0] === "string") {
      // pino's error first: `error(err, "failed %s", id)`; the error is the record's, the
      // message is the string after it (as with a merging object holding `err`).
      const inner = callOf(args[0], args.slice(1))
      const extra = inner.extra === undefined
        ? message
        : isError(inner.extra)
        ? { error: message, err: inner.extra }
        : mergeFields(inner.extra, { error: message })
      return { message: inner.message, extra }
    }
    if (args.length === 0) {
      if (isPlainObject(message)) return loneObject(message)
      // A class instance alone is the merging object too (pino's `info(user)`), unless its own
      // toString gives its text: else it was logged as "[object Object]" and its data lost.
      const merging = mergingObject(message)
      return merging !== undefined && String(message) === "[object Object]"
        ? loneObject(merging as Record<string, unknown>)
        : { message, extra: undefined }
    }
    if (typeof message === "string" && message.includes("%")) {
      if (args.length === 1 && isPlainObject(args[0]) && message.includes("%(")) {
        try {
          return { message: formatMessage(message, [], args[0]), extra: undefined }
        } catch {
          // not CPython's mapping form: the argument is fields
        }
      }
      try {
        const { text, used } = formatMessageTaking(message, args)
        return withArguments(text, args.slice(used))
      } catch {
        // not CPython's positional form (too few arguments, a bad conversion): as written
      }
    }
    return withArguments(message, args)
  } catch {
    return { message, extra: undefined }
  }
}

/**
 * A plain object logged alone, as pino takes it: its keys are the record's fields; the message is
 * its `msg` string (or, failing that, its `message` string, winston's key), taken out of the
 * fields; else the message of the error under `error` or `err` (which `build` makes the record's
 * error, in that order); else empty. A getter that throws marks its key, as for any fields.
 */
const loneObject = (o: Record<string, unknown>): { readonly message: string; readonly extra: unknown } => {
  const msg = readSafely(o, "msg")
  const text = typeof msg === "string" ? msg : readSafely(o, "message")
  if (typeof text === "string") {
    const rest = copyFieldsMarked({}, o, [typeof msg === "string" ? "msg" : "message"])
    return { message: text, extra: Object.keys(rest).length > 0 ? rest : undefined }
  }
  const key = errorKey(o)
  return { message: key === undefined ? "" : String(readSafely(readSafely(o, key) as object, "message") ?? ""), extra: o }
}

/** Which of `error` and `err` holds an Error (`error` first), if either: the record's error. */
const errorKey = (o: object): "error" | "err" | undefined =>
  readSafely(o, "error") instanceof Error ? "error" : readSafely(o, "err") instanceof Error ? "err" : undefined

/** Whether any of `handlers` takes records at the level of ordinal `n`. */
const takenByAny = (handlers: ReadonlyArray<Handler.Handler>, n: number): boolean => {
  for (let i = 0; i < handlers.length; i++) if (handlers[i]!.takesLevel(n)) return true
  return false
}

/**
 * The text of a message (a function is called for it), and the error it is or threw, if any;
 * never throws.
 */
const textOf = (message: unknown): { readonly text: string; readonly error: unknown } => {
  let error: unknown
  if (typeof message === "function") {
    try {
      message = (message as () => unknown)()
    } catch (thrown) {
      message = `[message function threw: ${safeString(thrown)}]`
      error = thrown
    }
  }
  if (typeof message === "string") return { text: message, error }
  if (isError(message)) {
    try {
      return { text: String(message.message), error: message }
    } catch {
      return { text: safeString(message), error: message }
    }
  }
  return { text: safeString(message), error }
}

/** Builds the record of a log call; never throws, whatever the message and fields hold. */
/**
 * A logger with fields bound to it (`logger.with({ component: "db" })`, pino's `child`, CPython's
 * `LoggerAdapter`): every record it logs carries them, under the call's own fields. It has the
 * level methods of a logger; its levels, handlers and filters are the logger's.
 *
 * @category models
 * @since 0.2.0
 */
export class BoundLogger {
  constructor(
    /** The logger records go through. */
    readonly logger: Logger,
    /** The fields added to every record. */
    readonly fields: LogRecord.Fields
  ) {}

  /** The logger's name. */
  get name(): string {
    return this.logger.name
  }

  /** These fields plus `fields` (the new ones win). */
  with(fields: LogRecord.Fields): BoundLogger {
    return new BoundLogger(this.logger, mergeFields(this.fields, fields))
  }

  /** {@link with} under pino's name. */
  child(fields: LogRecord.Fields): BoundLogger {
    return this.with(fields)
  }

  /**
   * The logger's level. Setting it sets the logger's, shared with the logger and every bound
   * logger of it, as CPython's `LoggerAdapter.setLevel` does (a pino child has a level of its own:
   * use a logger of its own, `getLogger("app.db")`, for that).
   */
  get level(): Level.Level {
    return this.logger.level
  }

  set level(level: Level.LevelInput) {
    this.logger.setLevel(level)
  }

  /** Sets the logger's level (see {@link level}). Throws `InvalidLevelError`. */
  setLevel(level: Level.LevelInput): void {
    this.logger.setLevel(level)
  }

  isEnabledFor(level: Level.LevelInput): boolean {
    return this.logger.isEnabledFor(level)
  }

  /** {@link isEnabledFor} under pino's name. */
  isLevelEnabled(level: Level.LevelInput): boolean {
    return this.logger.isEnabledFor(level)
  }

  /** The logger's effective level (CPython's adapter delegates it likewise). */
  getEffectiveLevel(): Level.Level {
    return this.logger.level
  }

  /** Whether the logger's records reach a handler (see `Logger.hasHandlers`). */
  hasHandlers(): boolean {
    return this.logger.hasHandlers()
  }

  /** Flushes the logger's handlers (see `Logger.flush`). */
  flush(callback?: (error?: Error) => void): Promise<boolean> {
    return this.logger.flush(callback)
  }

  log(entry: LogEntry): string | undefined
  log(level: Level.LevelInput, message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined
  log(level: Level.LevelInput | LogEntry, message?: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    const entry = entryOf(level, message, args)
    // Not through `log` again: the caller's location is read a fixed number of frames up.
    const parsed = this.logger.levelOfCall(entry === undefined ? level as Level.LevelInput : entry.level)
    if (parsed === undefined) return undefined
    return entry === undefined
      ? this.logger.emit(parsed, message, args, undefined, this.fields)
      : this.logger.emit(parsed, entry.fields, noArgs, undefined, this.fields)
  }
  trace(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    return this.logger.emit("TRACE", message, args, undefined, this.fields)
  }
  debug(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    return this.logger.emit("DEBUG", message, args, undefined, this.fields)
  }
  info(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    return this.logger.emit("INFO", message, args, undefined, this.fields)
  }
  warn(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    return this.logger.emit("WARN", message, args, undefined, this.fields)
  }
  warning(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    return this.logger.emit("WARN", message, args, undefined, this.fields)
  }
  error(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    return this.logger.emit("ERROR", message, args, undefined, this.fields)
  }
  critical(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    return this.logger.emit("CRITICAL", message, args, undefined, this.fields)
  }
  fatal(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    return this.logger.emit("CRITICAL", message, args, undefined, this.fields)
  }
  exception(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    return this.logger.emit("ERROR", message, args, undefined, this.fields)
  }
}

/**
 * CPython's name for a bound logger: `new LoggerAdapter(logger, { connid })`. As CPython's, it
 * may wrap another adapter (or bound logger): it then logs through that one's logger with both
 * sets of fields (its own win), as `adapter.with(extra)` does.
 *
 * @category models
 * @since 0.2.0
 */
export class LoggerAdapter extends BoundLogger {
  constructor(logger: Logger | BoundLogger, extra?: LogRecord.Fields) {
    if (logger instanceof BoundLogger) super(logger.logger, mergeFields(logger.fields, extra))
    else super(logger, extra as LogRecord.Fields)
  }

  /** CPython's `extra`: the fields added to every record (the same as `fields`). */
  get extra(): LogRecord.Fields {
    return this.fields
  }

  /**
   * CPython's `process(msg, kwargs)`: called at each log call with the message as given (before
   * `%` arguments are applied; the object, for a call logging an object) and the adapter's fields;
   * returns the message and the fields to log with. Override it to change them, as CPython's
   * adapters do (`[${this.extra.connid}] ${message}`); this one returns both as they are.
   */
  process(message: unknown, fields: LogRecord.Fields): readonly [unknown, LogRecord.Fields] {
    return [message, fields]
  }

  /**
   * {@link process}, guarded: a log call never throws. One that throws (or returns no pair) logs
   * the message and fields as they were, and is reported on stderr. Not called for a level the
   * logger does not log, as CPython's adapter checks `isEnabledFor` first.
   */
  private processed(level: Level.Level, message: unknown): readonly [unknown, LogRecord.Fields] {
    if (!this.logger.isEnabledFor(level)) return [message, this.fields]
    try {
      const result = this.process(message, this.fields)
      if (Array.isArray(result) && result.length === 2) return result as unknown as readonly [unknown, LogRecord.Fields]
      ;(this.processReport ??= labelledReporter(`LoggerAdapter('${this.name}')`))("process() returned no [message, fields] pair")
    } catch (error) {
      ;(this.processReport ??= labelledReporter(`LoggerAdapter('${this.name}')`))(`process() threw: ${safeString(error)}`)
    }
    return [message, this.fields]
  }

  private processReport: ((message: string) => void) | undefined

  // Each calls `emit` itself, as a bound logger's do: the caller's location is read a fixed
  // number of frames up.
  override log(level: Level.LevelInput, message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined
  override log(entry: LogEntry): string | undefined
  override log(level: Level.LevelInput | LogEntry, message?: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    const entry = entryOf(level, message, args)
    const parsed = this.logger.levelOfCall(entry === undefined ? level as Level.LevelInput : entry.level)
    if (parsed === undefined) return undefined
    const [m, f] = this.processed(parsed, entry === undefined ? message : entry.fields)
    return this.logger.emit(parsed, m, entry === undefined ? args : noArgs, undefined, f)
  }
  override trace(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    const [m, f] = this.processed("TRACE", message)
    return this.logger.emit("TRACE", m, args, undefined, f)
  }
  override debug(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    const [m, f] = this.processed("DEBUG", message)
    return this.logger.emit("DEBUG", m, args, undefined, f)
  }
  override info(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    const [m, f] = this.processed("INFO", message)
    return this.logger.emit("INFO", m, args, undefined, f)
  }
  override warn(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    const [m, f] = this.processed("WARN", message)
    return this.logger.emit("WARN", m, args, undefined, f)
  }
  override warning(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    const [m, f] = this.processed("WARN", message)
    return this.logger.emit("WARN", m, args, undefined, f)
  }
  override error(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    const [m, f] = this.processed("ERROR", message)
    return this.logger.emit("ERROR", m, args, undefined, f)
  }
  override critical(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    const [m, f] = this.processed("CRITICAL", message)
    return this.logger.emit("CRITICAL", m, args, undefined, f)
  }
  override fatal(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    const [m, f] = this.processed("CRITICAL", message)
    return this.logger.emit("CRITICAL", m, args, undefined, f)
  }
  override exception(message: Message | LogRecord.Fields | object, ...args: ReadonlyArray<unknown>): string | undefined {
    const [m, f] = this.processed("ERROR", message)
    return this.logger.emit("ERROR", m, args, undefined, f)
  }
}

/**
 * Where the log call is: the frame two above this function's caller (`emit` ← `info`/`log` ←
 * the application). Only called when a formatter prints it (about 10 µs).
 */
const callSite = (): CallSite | undefined => {
  try {
    const frame = util.getCallSites(4)[3]
    if (frame === undefined) return undefined
    const file = frame.scriptName.startsWith("file://") ? fileURLToPath(frame.scriptName) : frame.scriptName
    return { filename: file, lineNumber: frame.lineNumber, functionName: frame.functionName }
  } catch {
    return undefined
  }
}

interface CallSite {
  readonly filename: string
  readonly lineNumber: number
  readonly functionName: string
}

const build = (
  logger: string,
  level: Level.Level,
  message: unknown,
  extra: unknown,
  fiberId: number | undefined,
  site?: CallSite,
  timestampNs?: number
): LogRecord.LogRecord => {
  // A string message (the common one) is its text, without the object textOf returns.
  const parsed = typeof message === "string" ? undefined : textOf(message)
  const text = parsed === undefined ? (message as string) : parsed.text
  let error = parsed?.error
  let fields: LogRecord.Fields | undefined
  try {
    if (extra instanceof Error) error = extra
    else if (typeof extra === "object" && extra !== null) {
      const key = errorKey(extra)
      if (key !== undefined) {
        error = readSafely(extra, key)
        const rest = copyFields({}, extra, [key])
        fields = Object.keys(rest).length > 0 ? rest : undefined
      } else fields = extra as LogRecord.Fields
    }
  } catch (thrown) {
    fields = { fieldsError: `[fields could not be read: ${safeString(thrown)}]` }
  }
  const filename = site?.filename
  const lineNumber = site?.lineNumber
  const functionName = site?.functionName
  try {
    return LogRecord.make({ logger, level, message: text, fields, error, fiberId, filename, lineNumber, functionName, timestampNs })
  } catch (thrown) {
    return LogRecord.make({
      logger,
      level,
      message: text,
      fields,
      error: safeString(thrown),
      fiberId,
      filename,
      lineNumber,
      functionName,
      timestampNs
    })
  }
}

const effectMethod = (level: Level.Level) => (self: Logger | BoundLogger, message: Message, extra?: Extra) =>
  emitFrom(self, level, message, extra)

/** A logger's or a bound logger's record, from a fiber (a bound logger adds its fields). */
const emitFrom = (
  self: Logger | BoundLogger,
  level: Level.Level,
  message: Message,
  extra: Extra | undefined
): Effect.Effect<string | undefined> =>
  self instanceof BoundLogger
    ? self.logger.emitEffect(level, message, extra, self.fields)
    : self.emitEffect(level, message, extra)

/**
 * Logs from a fiber at a level given by name. Under a handler's block policy the fiber waits for
 * room in that handler's queue; under `timeout:N` at most N ms (then that handler drops the
 * record and counts it). Succeeds with what `logger.log()` returns; fails with
 * `InvalidLevelError` for a level that names none (a number as `logger.log()` takes it).
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
 * }).pipe(Effect.provide(Manager.layer()))
 * // Effect.runPromise(program) // => "app [INFO] hello"
 * ```
 *
 * @category logging
 * @since 0.1.0
 */
export const log = (
  self: Logger | BoundLogger,
  level: Level.LevelInput,
  message: Message,
  extra?: Extra
): Effect.Effect<string | undefined, Level.InvalidLevelError> =>
  Effect.flatMap(
    Effect.try({ try: () => Level.parseRecordUnsafe(level), catch: (e) => e as Level.InvalidLevelError }),
    (lv) => emitFrom(self, lv, message, extra)
  )

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
