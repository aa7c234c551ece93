/**
 * Test support: a handler that keeps records in memory, for assertions on any face.
 *
 * `CaptureHandler` is a handler like any other (same queue, policy and flush code), whose output
 * appends each record to an array. `capture()` creates one in an Effect scope and `layerCapture` provides
 * a manager whose root logger writes into one, for `@effect/vitest`'s `it.effect` and `layer()`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { FemtoHandler } from "./FemtoHandler.ts"
import * as Formatter from "./Formatter.ts"
import * as Handler from "./Handler.ts"
import { currentSpawner, facadeSpawner, type Spawner } from "./internal/runtime.ts"
import type * as Level from "./Level.ts"
import type { LogRecord } from "./LogRecord.ts"
import * as Manager from "./Manager.ts"
import type * as OverflowPolicy from "./OverflowPolicy.ts"

/**
 * Options of a capture handler.
 *
 * @category models
 * @since 0.1.0
 */
export interface CaptureOptions {
  readonly capacity?: number | undefined
  readonly policy?: OverflowPolicy.OverflowPolicy | string | undefined
  readonly formatter?: Formatter.Formatter | undefined
  /** Records below this level are not captured; default `NOTSET` (everything). */
  readonly level?: Handler.MakeOptions["level"]
  /** Every record reaching the handler passes these first (see `Filter`). */
  readonly filters?: Handler.MakeOptions["filters"]
}

/**
 * What {@link CaptureHandler.expectLogged} matches: every given property must be equal (fields are
 * compared key by key; a RegExp message must match).
 *
 * @category models
 * @since 0.1.0
 */
export interface RecordMatch {
  readonly logger?: string | undefined
  readonly level?: Level.Level | undefined
  readonly message?: string | RegExp | undefined
  readonly fields?: Readonly<Record<string, unknown>> | undefined
}

const matches = (record: LogRecord, match: RecordMatch): boolean =>
  (match.logger === undefined || record.logger === match.logger) &&
  (match.level === undefined || record.level === match.level) &&
  (match.message === undefined ||
    (typeof match.message === "string" ? record.message === match.message : match.message.test(record.message))) &&
  (match.fields === undefined ||
    Object.entries(match.fields).every(([k, v]) => JSON.stringify(record.fields?.[k]) === JSON.stringify(v)))

/**
 * A handler that keeps every record it writes in {@link records}.
 *
 * @category constructors
 * @since 0.1.0
 */
export class CaptureHandler extends FemtoHandler {
  /** The records written so far, in order. */
  readonly records: Array<LogRecord>

  constructor(options: CaptureOptions = {}, spawn: Spawner = facadeSpawner()) {
    const records: Array<LogRecord> = []
    super(Handler.makeUnsafe({
      label: "CaptureHandler",
      target: { _tag: "Records", handle: (record) => records.push(record) },
      capacity: options.capacity,
      policy: options.policy,
      formatter: options.formatter ?? Formatter.defaultFormatter,
      level: options.level,
      filters: options.filters
    }, spawn))
    this.records = records
  }

  /** The records rendered with the handler's formatter. */
  get lines(): Array<string> {
    return this.records.map(this.formatter)
  }

  /** The messages written so far. */
  get messages(): Array<string> {
    return this.records.map((r) => r.message)
  }

  /** Forgets the records written so far. */
  clear(): void {
    this.records.length = 0
  }

  /** Records matching `match`. */
  find(match: RecordMatch): Array<LogRecord> {
    return this.records.filter((r) => matches(r, match))
  }

  /** Throws unless some record matches; returns the first that does. */
  expectLogged(match: RecordMatch): LogRecord {
    const found = this.records.find((r) => matches(r, match))
    if (found === undefined) {
      throw new Error(`expected a record matching ${describe(match)}; got:\n${this.lines.join("\n") || "(nothing)"}`)
    }
    return found
  }

  /** Throws if some record matches. */
  expectNotLogged(match: RecordMatch): void {
    const found = this.records.find((r) => matches(r, match))
    if (found !== undefined) throw new Error(`expected no record matching ${describe(match)}; got: ${found.message}`)
  }

  /** Throws if this handler dropped any record. */
  assertNoDrops(): void {
    const n = this.getDropped()
    if (n > 0) throw new Error(`CaptureHandler dropped ${n} record${n === 1 ? "" : "s"}`)
  }
}

const describe = (match: RecordMatch): string =>
  JSON.stringify(match, (_k, v) => v instanceof RegExp ? v.toString() : v)

/**
 * Creates a capture handler in the current scope (Effect face).
 *
 * @category constructors
 * @since 0.1.0
 */
export const capture = (options: CaptureOptions = {}): Effect.Effect<CaptureHandler, never, Scope.Scope> =>
  Effect.map(currentSpawner, (spawn) => new CaptureHandler(options, spawn))

/**
 * The capture handler attached to root by {@link layerCapture}.
 *
 * @category services
 * @since 0.1.0
 */
export class Captured extends Context.Service<Captured, CaptureHandler>()("femtologging/Testing/Captured") {}

/**
 * A fresh {@link Manager.Manager} whose root logger (level TRACE) writes into a {@link Captured}
 * handler. Read what was logged with `(yield* Captured).records` after `Handler.flush`.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerCapture = (options: CaptureOptions = {}): Layer.Layer<Captured | Manager.Manager> =>
  Layer.effectContext(Effect.gen(function*() {
    const manager = yield* Manager.make()
    const handler = yield* capture(options)
    manager.root.setLevel("TRACE")
    manager.root.addHandler(handler)
    return Context.make(Manager.Manager, manager).pipe(Context.add(Captured, handler))
  }))
