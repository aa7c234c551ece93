import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { getLogger, resetManager } from "../src/Facade.ts"
import * as Handler from "../src/Handler.ts"
import { HandlerConfigError } from "../src/HandlerConfigError.ts"
import * as Logger from "../src/Logger.ts"
import * as Manager from "../src/Manager.ts"
import * as Testing from "../src/Testing.ts"
import { CaptureHandler } from "../src/Testing.ts"
import { thrown } from "./utils/errors.ts"

describe("Testing.layerCapture with it.effect", () => {
  it.effect("captures what a program logs through Manager.getLogger and Logger.info", () =>
    Effect.gen(function*() {
      const logger = yield* Manager.getLogger("svc.http")
      const line = yield* Logger.info(logger, "listening", { port: 8080 })
      assert.strictEqual(line, "svc.http [INFO] listening")
      const captured = yield* Testing.Captured
      assert.isTrue(yield* Handler.flush(captured))
      const record = captured.expectLogged({ level: "INFO", message: "listening", fields: { port: 8080 } })
      assert.strictEqual(record.logger, "svc.http")
      assert.deepStrictEqual(record.fields, { port: 8080 })
      captured.assertNoDrops()
      assert.deepStrictEqual(captured.lines, ["svc.http [INFO] listening port=8080"])
    }).pipe(Effect.provide(Testing.layerCapture())))

  it.effect("root is at TRACE, so every level is captured", () =>
    Effect.gen(function*() {
      const logger = yield* Manager.getLogger("svc.trace")
      yield* Logger.trace(logger, "t")
      yield* Logger.debug(logger, "d")
      yield* Logger.warn(logger, "w")
      yield* Logger.critical(logger, "c")
      const captured = yield* Testing.Captured
      assert.isTrue(yield* Handler.flush(captured))
      assert.deepStrictEqual(captured.records.map((r) => [r.level, r.message]), [
        ["TRACE", "t"],
        ["DEBUG", "d"],
        ["WARN", "w"],
        ["CRITICAL", "c"]
      ])
      assert.strictEqual((yield* Manager.getLogger()).level, "TRACE")
    }).pipe(Effect.provide(Testing.layerCapture())))

  it.effect("expectLogged and expectNotLogged match by logger, level, message (string or RegExp) and fields", () =>
    Effect.gen(function*() {
      const logger = yield* Manager.getLogger("svc.match")
      yield* Logger.error(logger, "payment failed", { orderId: "o-1", amount: 12.5 })
      const captured = yield* Testing.Captured
      assert.isTrue(yield* Handler.flush(captured))
      captured.expectLogged({ logger: "svc.match", level: "ERROR", message: /payment/, fields: { orderId: "o-1" } })
      captured.expectNotLogged({ level: "INFO" })
      captured.expectNotLogged({ message: "payment" })
      // The logger is matched by its whole name: not its parent's, not a prefix (found by mutation testing).
      captured.expectNotLogged({ logger: "svc" })
      captured.expectNotLogged({ logger: "svc.mat" })
      const missing = thrown(() => captured.expectLogged({ level: "ERROR", fields: { orderId: "o-2" } }))
      assert.instanceOf(missing, Error)
      assert.strictEqual(
        (missing as Error).message,
        "expected a record matching {\"level\":\"ERROR\",\"fields\":{\"orderId\":\"o-2\"}}; got:\n" +
          "svc.match [ERROR] payment failed orderId=o-1 amount=12.5"
      )
      const present = thrown(() => captured.expectNotLogged({ level: "ERROR" }))
      assert.strictEqual((present as Error).message, "expected no record matching {\"level\":\"ERROR\"}; got: payment failed")
      assert.strictEqual(captured.find({ level: "ERROR" }).length, 1)
    }).pipe(Effect.provide(Testing.layerCapture())))

  it.effect("expectLogged on an empty capture says nothing was logged", () =>
    Effect.gen(function*() {
      const captured = yield* Testing.Captured
      const error = thrown(() => captured.expectLogged({ message: "x" }))
      assert.strictEqual((error as Error).message, "expected a record matching {\"message\":\"x\"}; got:\n(nothing)")
    }).pipe(Effect.provide(Testing.layerCapture())))

  it.effect("capture() creates a capture handler in the test's scope", () =>
    Effect.gen(function*() {
      const handler = yield* Testing.capture()
      const logger = yield* Manager.getLogger("svc.own")
      logger.setPropagate(false)
      logger.addHandler(handler)
      yield* Logger.info(logger, "mine")
      assert.isTrue(yield* Handler.flush(handler))
      assert.deepStrictEqual(handler.messages, ["mine"])
      const root = yield* Testing.Captured
      assert.isTrue(yield* Handler.flush(root))
      assert.deepStrictEqual(root.records, [])
    }).pipe(Effect.provide(Testing.layerCapture())))

  it.effect("a bad option fails capture() and the capture layers with HandlerConfigError, not a defect (found by review)", () =>
    Effect.gen(function*() {
      const fromCapture = yield* Effect.flip(Effect.scoped(Testing.capture({ policy: "sometimes" })))
      assert.instanceOf(fromCapture, HandlerConfigError)
      assert.strictEqual(fromCapture.field, "policy")
      const fromLayer = yield* Effect.flip(Effect.scoped(Layer.build(Testing.layerCapture({ capacity: 0 }))))
      assert.instanceOf(fromLayer, HandlerConfigError)
      assert.strictEqual(fromLayer.message, "capacity must be greater than zero")
      const fromEffectLayer = yield* Effect.flip(Effect.scoped(Layer.build(Testing.layerEffectCapture({ level: "LOUD" }))))
      assert.instanceOf(fromEffectLayer, HandlerConfigError)
      assert.strictEqual(fromEffectLayer.field, "level")
    }))
})

describe("Testing: optional options passed on", () => {
  // A helper taking optional options hands them on as they are: `undefined` must type-check
  // (the overloads added for the HandlerConfigError failure refused it).
  const options: Testing.CaptureOptions | undefined = undefined as Testing.CaptureOptions | undefined
  it.effect("capture(undefined) and the capture layers with undefined options build", () =>
    Effect.gen(function*() {
      const handler = yield* Effect.scoped(Testing.capture(options))
      assert.deepStrictEqual(handler.records, [])
      yield* Effect.scoped(Layer.build(Testing.layerCapture(options)))
      yield* Effect.scoped(Layer.build(Testing.layerEffectCapture(options)))
    }))
})

layer(Testing.layerCapture())("Testing.layerCapture with layer()", (it) => {
  it.effect("the first test logs into the shared capture", () =>
    Effect.gen(function*() {
      const logger = yield* Manager.getLogger("shared")
      yield* Logger.info(logger, "first", { n: 1 })
      const captured = yield* Testing.Captured
      assert.isTrue(yield* Handler.flush(captured))
      captured.expectLogged({ level: "INFO", message: "first", fields: { n: 1 } })
      captured.assertNoDrops()
    }))

  it.effect("the second test sees the same manager and capture", () =>
    Effect.gen(function*() {
      const logger = yield* Manager.getLogger("shared")
      yield* Logger.warn(logger, "second")
      const captured = yield* Testing.Captured
      assert.isTrue(yield* Handler.flush(captured))
      assert.deepStrictEqual(captured.messages, ["first", "second"])
      captured.clear()
      assert.deepStrictEqual(captured.records, [])
    }))
})

describe("CaptureHandler (facade)", () => {
  it("captures records from facade loggers", async () => {
    resetManager()
    const handler = new CaptureHandler()
    const logger = getLogger("facade.capture")
    logger.addHandler(handler)
    logger.info("hello", { user: "ann" })
    logger.error(new Error("bad"))
    assert.isTrue(await handler.flush())
    assert.deepStrictEqual(handler.messages, ["hello", "bad"])
    handler.expectLogged({ logger: "facade.capture", level: "INFO", message: "hello", fields: { user: "ann" } })
    assert.strictEqual(handler.expectLogged({ level: "ERROR" }).error?.message, "bad")
    assert.strictEqual(handler.lines[0], "facade.capture [INFO] hello user=ann")
    handler.assertNoDrops()
    handler.clear()
    assert.deepStrictEqual(handler.messages, [])
    await handler.close()
  })

  it("renders lines with its formatter", async () => {
    const handler = new CaptureHandler({ formatter: (r) => `${r.level}:${r.message}` })
    handler.handle("x", "WARN", "careful")
    assert.isTrue(await handler.flush())
    assert.deepStrictEqual(handler.lines, ["WARN:careful"])
    await handler.close()
  })

  it("assertNoDrops throws after a drop", async () => {
    const handler = new CaptureHandler({ capacity: 1, policy: "drop" })
    handler.handle("x", "INFO", "kept")
    thrown(() => handler.handle("x", "INFO", "dropped"))
    const error = thrown(() => handler.assertNoDrops())
    assert.strictEqual((error as Error).message, "CaptureHandler dropped 1 record")
    thrown(() => handler.handle("x", "INFO", "dropped again"))
    assert.strictEqual((thrown(() => handler.assertNoDrops()) as Error).message, "CaptureHandler dropped 2 records")
    assert.isTrue(await handler.flush())
    assert.deepStrictEqual(handler.messages, ["kept"])
    await handler.close()
  })
})
