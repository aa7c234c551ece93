/**
 * The facade and the Effect face call one core: the same scenario, run through each face, must
 * give the same observable result.
 */
import { assert, beforeEach, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { TestClock } from "effect/testing"
import { withContext } from "../src/Context.ts"
import { getLogger, resetManager } from "../src/Facade.ts"
import * as Handler from "../src/Handler.ts"
import { HandlerError, QueueFullError } from "../src/Handler.ts"
import * as Logger from "../src/Logger.ts"
import * as LogRecord from "../src/LogRecord.ts"
import * as Manager from "../src/Manager.ts"
import * as Testing from "../src/Testing.ts"
import { CaptureHandler } from "../src/Testing.ts"
import { throwsExactly } from "./utils/errors.ts"

beforeEach(() => resetManager())

interface Outcome {
  readonly loggerDropped: number
  readonly handlerDropped: number
  readonly removed: Array<string>
  readonly kept: Array<string>
  readonly dropping: Array<string>
}

// log r1 to both handlers, remove one, log r2; then a burst of 4 + 3 into a logger of capacity 4
// whose handlers are a block one (kept) and a drop one of capacity 4: the logger drops nothing,
// the drop handler exactly 3
const expected: Outcome = {
  loggerDropped: 0,
  handlerDropped: 3,
  removed: ["r1"],
  kept: ["r1", "r2", "b0", "b1", "b2", "b3", "b4", "b5", "b6"],
  dropping: ["b0", "b1", "b2", "b3"]
}

const viaFacade = async (): Promise<Outcome> => {
  const removed = new CaptureHandler()
  const kept = new CaptureHandler()
  const dropping = new CaptureHandler({ capacity: 4, policy: "drop" })
  const snap = getLogger("faces.snap")
  snap.addHandler(removed)
  snap.addHandler(kept)
  snap.info("r1")
  snap.removeHandler(removed)
  snap.info("r2")
  const burst = getLogger("faces.burst")
  burst.setCapacity(4)
  burst.addHandler(kept)
  burst.addHandler(dropping)
  for (let i = 0; i < 7; i++) burst.info(`b${i}`)
  await removed.flush()
  await kept.flush()
  await dropping.flush()
  const outcome = {
    loggerDropped: burst.getDropped(),
    handlerDropped: dropping.getDropped(),
    removed: removed.messages,
    kept: kept.messages,
    dropping: dropping.messages
  }
  await Promise.all([removed.close(), kept.close(), dropping.close()])
  return outcome
}

const viaEffect: Effect.Effect<Outcome, never, Manager.Manager | Scope.Scope> = Effect.gen(
  function*() {
    const removed = yield* Testing.capture()
    const kept = yield* Testing.capture()
    const dropping = yield* Effect.orDie(Testing.capture({ capacity: 4, policy: "drop" }))
    const snap = yield* Effect.orDie(Manager.getLogger("faces.snap"))
    snap.addHandler(removed)
    snap.addHandler(kept)
    yield* Logger.info(snap, "r1")
    snap.removeHandler(removed)
    yield* Logger.info(snap, "r2")
    const burst = yield* Effect.orDie(Manager.getLogger("faces.burst"))
    burst.setCapacity(4)
    burst.addHandler(kept)
    burst.addHandler(dropping)
    for (let i = 0; i < 7; i++) yield* Logger.info(burst, `b${i}`)
    const loggerDropped = burst.getDropped()
    yield* Handler.flush(removed)
    yield* Handler.flush(kept)
    yield* Handler.flush(dropping)
    return {
      loggerDropped,
      handlerDropped: dropping.getDropped(),
      removed: removed.messages,
      kept: kept.messages,
      dropping: dropping.messages
    }
  }
)

describe("One core behind both faces", () => {
  it("facade: handler-list snapshot and exact drop count", async () => {
    assert.deepStrictEqual(await viaFacade(), expected)
  })

  it.effect("Effect: handler-list snapshot and exact drop count", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* viaEffect, expected)
    }).pipe(Effect.provide(Manager.layerIsolated())))

  it.effect("one handler fed from both faces shares its queue and its drop count", () =>
    Effect.gen(function*() {
      const handler = new CaptureHandler({ capacity: 2, policy: "drop" })
      const rec = (message: string) => LogRecord.make({ logger: "both", level: "INFO", message })
      handler.handle("both", "INFO", "facade 1")
      yield* Handler.handle(handler, rec("effect 2"))
      const error = yield* Effect.flip(Handler.handle(handler, rec("effect 3")))
      assert.instanceOf(error.reason, QueueFullError)
      throwsExactly(() => handler.handle("both", "INFO", "facade 4"), HandlerError, "queue full")
      assert.strictEqual(handler.getDropped(), 2)
      assert.isTrue(yield* Handler.flush(handler))
      assert.deepStrictEqual(handler.messages, ["facade 1", "effect 2"])
      assert.isTrue(yield* Effect.promise(() => handler.flush()))
      yield* Handler.close(handler)
      assert.isFalse(yield* Effect.promise(() => handler.flush()))
      assert.isTrue(handler.closed)
    }))

  it.effect("the Effect face stamps records with Effect's Clock, as Effect.log does (found by review: the wall clock)", () =>
    Effect.gen(function*() {
      const at = Date.UTC(2030, 0, 1, 12, 0, 0, 250)
      yield* TestClock.setTime(at)
      const logger = yield* Manager.getLogger("faces.clock")
      yield* Logger.info(logger, "Effect face")
      yield* Effect.logInfo("Effect.log")
      const records = yield* Testing.records()
      assert.deepStrictEqual(records.map((r) => [r.message, LogRecord.timestampMs(r)]), [
        ["Effect face", at],
        ["Effect.log", at]
      ])
    }).pipe(Effect.provide(Testing.layerEffectCapture())))

  it.effect("the Effect face's records carry what Effect.log's do: annotations, log spans, trace and span ids (found by review: annotations only)", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.UTC(2030, 0, 1))
      const logger = yield* Manager.getLogger("faces.spans")
      const span = yield* Effect.gen(function*() {
        yield* TestClock.adjust(25)
        yield* Logger.info(logger, "Effect face", { status: 200 })
        yield* Effect.logInfo("Effect.log")
        return yield* Effect.currentSpan
      }).pipe(
        Effect.withLogSpan("checkout"),
        Effect.annotateLogs("orderId", 7),
        Effect.withSpan("handle-request")
      )
      const [face, log] = yield* Testing.records()
      assert.deepStrictEqual(face!.fields, {
        orderId: 7,
        "span.checkout": 25,
        traceId: span.traceId,
        spanId: span.spanId,
        status: 200
      })
      const { status: _, ...rest } = face!.fields!
      assert.deepStrictEqual(rest, log!.fields)
    }).pipe(Effect.provide(Testing.layerEffectCapture())))

  it("the Effect face's records carry a withContext scope's fields, as Effect.log's and plain calls' do", async () => {
    const handler = new CaptureHandler()
    const logger = getLogger("faces.context")
    logger.addHandler(handler)
    await withContext({ requestId: "r-42" }, () =>
      Effect.runPromise(
        Logger.info(logger, "Effect face", { status: 200 }).pipe(Effect.annotateLogs("requestId", "r-43"))
      ))
    await withContext({ requestId: "r-44" }, () => Effect.runPromise(Logger.info(logger, "no annotation")))
    assert.isTrue(await handler.flush())
    assert.deepStrictEqual(handler.records.map((r) => r.fields), [{ requestId: "r-43", status: 200 }, { requestId: "r-44" }])
    await handler.close()
  })

  it("a traceId of the context keeps the span's ids out, both: never a traceId of one trace beside a spanId of another (found by review)", async () => {
    const handler = new CaptureHandler()
    const logger = getLogger("faces.trace")
    logger.addHandler(handler)
    const inSpan = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(Effect.withSpan(effect, "request"))
    await withContext({ traceId: "from-the-header" }, () => inSpan(Logger.info(logger, "context trace")))
    const spanId = await inSpan(Effect.andThen(Logger.info(logger, "span only"), Effect.map(Effect.currentSpan, (s) => s.spanId)))
    assert.isTrue(await handler.flush())
    assert.deepStrictEqual(handler.records[0]!.fields, { traceId: "from-the-header" })
    assert.strictEqual(handler.records[1]!.fields?.spanId, spanId)
    await handler.close()
  })

  it.effect("a facade logger accepts Effect logging, and an isolated manager's logger accepts method calls", () =>
    Effect.gen(function*() {
      const handler = new CaptureHandler()
      const facadeLogger = getLogger("faces.mixed")
      facadeLogger.addHandler(handler)
      assert.strictEqual(yield* Logger.warn(facadeLogger, "from a fiber"), "faces.mixed [WARN] from a fiber")
      assert.strictEqual(facadeLogger.warn("from a method"), "faces.mixed [WARN] from a method")
      // layer() is the facade's manager: the same logger
      assert.strictEqual(yield* Effect.provide(Manager.getLogger("faces.mixed"), Manager.layer()), facadeLogger)
      const isolated = yield* Manager.make() // lives as long as the test's scope
      const isolatedLogger = isolated.getLogger("faces.mixed")
      assert.notStrictEqual(isolatedLogger, facadeLogger)
      isolatedLogger.addHandler(handler)
      assert.strictEqual(isolatedLogger.error("method on an Effect logger"), "faces.mixed [ERROR] method on an Effect logger")
      assert.isTrue(yield* Handler.flush(handler))
      assert.deepStrictEqual(handler.messages, ["from a fiber", "from a method", "method on an Effect logger"])
      assert.isNumber(handler.records[0]!.fiberId)
      assert.strictEqual(handler.records[1]!.fiberId, undefined)
      yield* Handler.close(handler)
    }))

  it.effect("Logger.log fails with InvalidLevelError where logger.log throws it", () =>
    Effect.gen(function*() {
      const logger = yield* Manager.getLogger("faces.level")
      const error = yield* Effect.flip(Logger.log(logger, "LOUD", "x"))
      assert.strictEqual(error.message, "invalid log level: LOUD")
      assert.strictEqual(yield* Logger.log(logger, "warning", "w"), "faces.level [WARN] w")
      assert.strictEqual(yield* Logger.log(logger, "debug", "d"), undefined)
      assert.strictEqual(logger.log("warning", "w"), "faces.level [WARN] w")
    }).pipe(Effect.provide(Manager.layer())))

  it.effect("the Effect functions take a bound logger: its fields, under the call's own", () =>
    Effect.gen(function*() {
      const logger = yield* Manager.getLogger("faces.bound")
      const handler = new CaptureHandler()
      logger.addHandler(handler)
      const bound = logger.with({ request: 7, user: "a" })
      assert.strictEqual(yield* Logger.info(bound, "m", { user: "b" }), "faces.bound [INFO] m")
      assert.strictEqual(yield* Logger.log(bound.with({ step: 2 }), "WARN", "n"), "faces.bound [WARN] n")
      assert.isTrue(yield* Handler.flush(handler))
      assert.deepStrictEqual(handler.records.map((r) => [r.message, r.fields]), [
        ["m", { request: 7, user: "b" }],
        ["n", { request: 7, user: "a", step: 2 }]
      ])
      yield* Handler.close(handler)
    }).pipe(Effect.provide(Manager.layerIsolated())))

  it.effect("the Effect functions return what the methods return, level by level", () =>
    Effect.gen(function*() {
      const logger = yield* Manager.getLogger("faces.fns")
      logger.setLevel("TRACE")
      const fns = [Logger.trace, Logger.debug, Logger.info, Logger.warn, Logger.error, Logger.critical, Logger.exception]
      const results: Array<string | undefined> = []
      for (const fn of fns) results.push(yield* fn(logger, "m"))
      assert.deepStrictEqual(results, [
        "faces.fns [TRACE] m",
        "faces.fns [DEBUG] m",
        "faces.fns [INFO] m",
        "faces.fns [WARN] m",
        "faces.fns [ERROR] m",
        "faces.fns [CRITICAL] m",
        "faces.fns [ERROR] m"
      ])
      logger.setLevel("ERROR")
      let calls = 0
      const lazy = () => {
        calls++
        return "lazy"
      }
      assert.strictEqual(yield* Logger.info(logger, lazy), undefined)
      assert.strictEqual(calls, 0)
      assert.strictEqual(yield* Logger.error(logger, lazy), "faces.fns [ERROR] lazy")
      assert.strictEqual(calls, 1)
    }).pipe(Effect.provide(Manager.layer())))
})
