/**
 * Test support: a handler that keeps records in memory, for assertions on any face.
 *
 * `CaptureHandler` is a handler like any other (same queue, policy and flush code), whose output
 * appends each record to an array. `capture()` creates one in an Effect scope and `layerCapture` provides
 * a manager whose root logger writes into one, for `@effect/vitest`'s `it.effect` and `layer()`;
 * `layerEffectCapture` also captures `Effect.log` (through `EffectLogger`), and `expectLogged`,
 * `expectNotLogged`, `assertNoDrops`, `records`, `clearCaptured` assert on it from Effect code.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Service } from "./internal/lazyEffect.ts"
import type * as Scope from "effect/Scope"
import { inspect, isDeepStrictEqual } from "node:util"
import * as EffectLogger from "./EffectLogger.ts"
import { FemtoHandler } from "./FemtoHandler.ts"
import * as Formatter from "./Formatter.ts"
import * as Handler from "./Handler.ts"
import type { HandlerConfigError } from "./HandlerConfigError.ts"
import { facadeSpawner, type Spawner } from "./internal/runtime.ts"
import type * as Level from "./Level.ts"
import type { InvalidLevelError } from "./Level.ts"
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
 * compared key by key, each present in the record and deeply, strictly equal, as
 * `assert.deepStrictEqual`; a RegExp message must match).
 *
 * @category models
 * @since 0.1.0
 */
export interface RecordMatch {
  readonly logger?: string | undefined
  readonly level?: Level.Level | undefined
  readonly message?: string | RegExp | undefined
  readonly fields?: Readonly<Record<string, unknown>> | undefined
  /** The record's error: its message (a string must be equal, a RegExp must match). */
  readonly error?: string | RegExp | undefined
}

/**
 * Whether `text` is `expected`, or matches it. `search`, not `test`: a global or sticky RegExp's
 * `lastIndex` neither decides nor changes between records and calls.
 */
const textMatches = (text: string, expected: string | RegExp): boolean =>
  typeof expected === "string" ? text === expected : text.search(expected) >= 0

/**
 * A field the record holds, deeply and strictly equal to the expected value: not through JSON,
 * which took a missing field for `undefined` (or a function), `NaN` for `null`, a `Date` for its
 * string, failed on a key order, and threw on a `bigint`.
 */
const fieldMatches = (fields: LogRecord["fields"], key: string, expected: unknown): boolean =>
  fields !== undefined && Object.hasOwn(fields, key) && isDeepStrictEqual(fields[key], expected)

const matches = (record: LogRecord, match: RecordMatch): boolean =>
  (match.logger === undefined || record.logger === match.logger) &&
  (match.level === undefined || record.level === match.level) &&
  (match.message === undefined || textMatches(record.message, match.message)) &&
  (match.fields === undefined ||
    Object.keys(match.fields).every((k) => fieldMatches(record.fields, k, match.fields![k]))) &&
  (match.error === undefined || (record.error !== undefined && textMatches(record.error.message, match.error)))

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

/** The match as JSON, with what JSON cannot write (a bigint, `NaN`, `undefined`, a cycle) as text. */
const describe = (match: RecordMatch): string => {
  try {
    return JSON.stringify(match, (_k, v: unknown) =>
      v instanceof RegExp
        ? v.toString()
        : typeof v === "bigint"
        ? `${v}n`
        : v === undefined || typeof v === "function" || typeof v === "symbol" || (typeof v === "number" && !Number.isFinite(v))
        ? String(v)
        : v)
  } catch {
    return inspect(match, { depth: 4, breakLength: Number.POSITIVE_INFINITY })
  }
}

/**
 * Creates a capture handler in the current scope (Effect face). Fails with
 * `HandlerConfigError` for a bad option.
 *
 * @category constructors
 * @since 0.1.0
 */
export function capture(): Effect.Effect<CaptureHandler, never, Scope.Scope>
export function capture(options?: CaptureOptions): Effect.Effect<CaptureHandler, HandlerConfigError, Scope.Scope>
export function capture(options: CaptureOptions = {}): Effect.Effect<CaptureHandler, HandlerConfigError, Scope.Scope> {
  return Handler.makeIn<CaptureHandler, HandlerConfigError>((spawn) => new CaptureHandler(options, spawn))
}

/**
 * The capture handler attached to root by {@link layerCapture}.
 *
 * @category services
 * @since 0.1.0
 */
export class Captured extends Service<Captured, CaptureHandler>()("femtologging/Testing/Captured") {}

/**
 * A fresh {@link Manager.Manager} whose root logger (level TRACE) writes into a {@link Captured}
 * handler. Read what was logged with `(yield* Captured).records` after `Handler.flush`. Fails
 * with `HandlerConfigError` for a bad option.
 *
 * @category layers
 * @since 0.1.0
 */
export function layerCapture(): Layer.Layer<Captured | Manager.Manager>
export function layerCapture(options?: CaptureOptions): Layer.Layer<Captured | Manager.Manager, HandlerConfigError>
export function layerCapture(options: CaptureOptions = {}): Layer.Layer<Captured | Manager.Manager, HandlerConfigError> {
  return Layer.effectContext(Effect.gen(function*() {
    const manager = yield* Manager.make()
    const handler = yield* capture(options)
    manager.root.setLevel("TRACE")
    manager.root.addHandler(handler)
    return Context.make(Manager.Manager, manager).pipe(Context.add(Captured, handler))
  }))
}

/**
 * {@link layerCapture} with femtologging installed as Effect's logger (`EffectLogger.layer`):
 * `Effect.log`, `Effect.logInfo`, `Effect.logError(cause)`... are captured too, as records of
 * the captured manager (the `logger` annotation names the logger, default root). Every level
 * reaches the capture handler (root is at TRACE and Effect's minimum is `All`). The layer fails
 * with `HandlerConfigError` for bad capture options and, as `EffectLogger.layer`, with
 * `InvalidLoggerNameError` for a bad `defaultLogger` and `InvalidLevelError` for a bad `minimumLevel`.
 *
 * **Example** (Asserting on Effect's log calls)
 *
 * ```ts
 * import { it } from "@effect/vitest"
 * import { Effect } from "effect"
 * import { Testing } from "femtologging"
 *
 * it.effect("logs the order", () =>
 *   Effect.gen(function*() {
 *     yield* Effect.logInfo("order placed").pipe(Effect.annotateLogs({ id: 7 }))
 *     yield* Testing.expectLogged({ level: "INFO", message: "order placed", fields: { id: 7 } })
 *     yield* Testing.assertNoDrops()
 *   }).pipe(Effect.provide(Testing.layerEffectCapture())))
 * ```
 *
 * @category layers
 * @since 0.2.0
 */
export function layerEffectCapture(): Layer.Layer<Captured | Manager.Manager>
export function layerEffectCapture(
  options?: CaptureOptions & Omit<EffectLogger.LayerOptions, "manager">
): Layer.Layer<Captured | Manager.Manager, HandlerConfigError | InvalidLevelError | Manager.InvalidLoggerNameError>
export function layerEffectCapture(
  options: CaptureOptions & Omit<EffectLogger.LayerOptions, "manager"> = {}
): Layer.Layer<Captured | Manager.Manager, HandlerConfigError | InvalidLevelError | Manager.InvalidLoggerNameError> {
  const { defaultLogger, loggerAnnotation, tracer, mergeWithExisting, minimumLevel, ...capture } = options
  return Layer.merge(
    EffectLogger.layer({ defaultLogger, loggerAnnotation, tracer, mergeWithExisting, minimumLevel }),
    layerCapture(capture)
  )
}

/**
 * The records the {@link Captured} handler holds, once everything logged before was delivered
 * to it (`Handler.flush`): a copy, which later records and {@link clearCaptured} leave as it is.
 *
 * @category assertions
 * @since 0.2.0
 */
export const records = (): Effect.Effect<ReadonlyArray<LogRecord>, never, Captured> =>
  Effect.flatMap(Effect.service(Captured), (captured) => Effect.map(Handler.flush(captured), () => captured.records.slice()))

const assertion = <A>(f: (captured: CaptureHandler) => A): Effect.Effect<A, never, Captured> =>
  Effect.flatMap(Effect.service(Captured), (captured) =>
    Effect.andThen(Handler.flush(captured), Effect.try({ try: () => f(captured), catch: (e) => e }))).pipe(Effect.orDie)

/**
 * Succeeds with the first record the {@link Captured} handler holds matching `match` (after
 * delivering everything logged before); dies with an `Error` listing what was captured when
 * none does, which fails an `it.effect` test.
 *
 * @category assertions
 * @since 0.2.0
 */
export const expectLogged = (match: RecordMatch): Effect.Effect<LogRecord, never, Captured> =>
  assertion((captured) => captured.expectLogged(match))

/**
 * Dies with an `Error` when a record the {@link Captured} handler holds matches `match`.
 *
 * @category assertions
 * @since 0.2.0
 */
export const expectNotLogged = (match: RecordMatch): Effect.Effect<void, never, Captured> =>
  assertion((captured) => captured.expectNotLogged(match))

/**
 * Dies with an `Error` when the {@link Captured} handler dropped any record.
 *
 * @category assertions
 * @since 0.2.0
 */
export const assertNoDrops = (): Effect.Effect<void, never, Captured> =>
  Effect.flatMap(Effect.serviceOption(Manager.Manager), (manager) =>
    assertion((captured) => {
      captured.assertNoDrops()
      // Records a logger of the captured manager dropped (its own queue, or after a reset) too.
      if (manager._tag === "Some") {
        const m = manager.value
        // Found, not asked for: `getLogger` would turn a placeholder parent into a logger.
        const loggers = [m.root, ...m.loggerNames().map((name) => m.findLogger(name)!)]
        const n = loggers.reduce((sum, logger) => sum + logger.getDropped(), 0)
        if (n > 0) throw new Error(`loggers dropped ${n} record${n === 1 ? "" : "s"}`)
      }
    }))

/**
 * Forgets the records the {@link Captured} handler holds (after delivering what was logged
 * before): for tests sharing one layer (`layer(...)` of `@effect/vitest`).
 *
 * @category assertions
 * @since 0.2.0
 */
export const clearCaptured = (): Effect.Effect<void, never, Captured> =>
  assertion((captured) => captured.clear())
