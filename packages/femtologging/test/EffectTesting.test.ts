import { assert, describe, it, layer } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Config from "../src/Config.ts"
import * as Logger from "../src/Logger.ts"
import * as Manager from "../src/Manager.ts"
import * as Testing from "../src/Testing.ts"
import { withContext } from "../src/Context.ts"

const failureMessage = <A>(exit: Exit.Exit<A, unknown>): string => {
  assert.isTrue(Exit.isFailure(exit))
  if (!Exit.isFailure(exit)) return ""
  const defect = Cause.squash(exit.cause)
  return defect instanceof Error ? defect.message : String(defect)
}

describe("Testing's Effect assertions with it.effect", () => {
  it.effect("expectLogged and assertNoDrops see what Effect.log and the Effect face logged", () =>
    Effect.gen(function*() {
      yield* Effect.logInfo("order placed").pipe(Effect.annotateLogs({ logger: "shop", id: 7 }))
      const logger = yield* Manager.getLogger("shop.db")
      yield* Logger.debug(logger, "row written", { table: "orders" })
      const record = yield* Testing.expectLogged({ logger: "shop", level: "INFO", message: "order placed", fields: { id: 7 } })
      assert.strictEqual(record.fields?.id, 7)
      yield* Testing.expectLogged({ level: "DEBUG", message: /row/, fields: { table: "orders" } })
      yield* Testing.expectNotLogged({ level: "ERROR" })
      yield* Testing.assertNoDrops()
    }).pipe(Effect.provide(Testing.layerEffectCapture())))

  it("a withContext scope around Effect code reaches its Effect.log records; annotations override its keys", async () => {
    await withContext({ requestId: "r1", user: "ctx" }, () =>
      Effect.runPromise(Effect.gen(function*() {
        yield* Effect.logInfo("plain")
        yield* Effect.logInfo("annotated").pipe(Effect.annotateLogs({ user: "annotation" }))
        yield* Testing.expectLogged({ message: "plain", fields: { requestId: "r1", user: "ctx" } })
        yield* Testing.expectLogged({ message: "annotated", fields: { requestId: "r1", user: "annotation" } })
      }).pipe(Effect.provide(Testing.layerEffectCapture()))))
  })

  it.effect("a failed expectation fails the test with what was captured", () =>
    Effect.gen(function*() {
      yield* Effect.logWarning("disk low")
      const missing = yield* Effect.exit(Testing.expectLogged({ level: "ERROR" }))
      assert.strictEqual(
        failureMessage(missing),
        "expected a record matching {\"level\":\"ERROR\"}; got:\nroot [WARN] disk low"
      )
      const present = yield* Effect.exit(Testing.expectNotLogged({ message: "disk low" }))
      assert.strictEqual(failureMessage(present), "expected no record matching {\"message\":\"disk low\"}; got: disk low")
    }).pipe(Effect.provide(Testing.layerEffectCapture())))

  it.effect("fields are matched by deep, strict equality of a present key, not through JSON (found by review)", () =>
    Effect.gen(function*() {
      yield* Effect.logInfo("m").pipe(Effect.annotateLogs({ n: null, big: 10n, when: new Date(0), nested: { x: 1, y: 2 } }))
      // Before: JSON took these for matches (a missing key for undefined or a function, NaN for
      // null, a Date for its string)...
      for (const fields of [{ absent: undefined }, { absent: () => 1 }, { n: Number.NaN }, { when: "1970-01-01T00:00:00.000Z" }]) {
        const exit = yield* Effect.exit(Testing.expectLogged({ fields }))
        assert.isTrue(Exit.isFailure(exit), `matched ${Object.keys(fields)[0]}`)
      }
      // ...failed these (a key order), or threw on them (a bigint).
      yield* Testing.expectLogged({ fields: { nested: { y: 2, x: 1 }, big: 10n, when: new Date(0), n: null } })
      const exit = yield* Effect.exit(Testing.expectLogged({ fields: { big: 11n } }))
      assert.match(failureMessage(exit), /^expected a record matching \{"fields":\{"big":"11n"\}\}; got:/)
      // A global RegExp matches every time (`test` moved its lastIndex past the first match).
      const re = /m/g
      yield* Testing.expectLogged({ message: re })
      yield* Testing.expectLogged({ message: re })
    }).pipe(Effect.provide(Testing.layerEffectCapture())))

  it.effect("assertNoDrops fails once the capture handler dropped a record", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 5; i++) yield* Effect.logInfo(`burst ${i}`)
      const exit = yield* Effect.exit(Testing.assertNoDrops())
      assert.match(failureMessage(exit), /^CaptureHandler dropped \d+ records?$/)
    }).pipe(Effect.provide(Testing.layerEffectCapture({ capacity: 1, policy: "drop" }))))

  it.effect("assertNoDrops leaves a placeholder parent a placeholder: a configuration applied after it does not disable it (found by review)", () =>
    Effect.gen(function*() {
      const manager = yield* Manager.Manager
      yield* Effect.logInfo("x").pipe(Effect.annotateLogs({ logger: "shop.orders" }))
      yield* Testing.assertNoDrops()
      yield* Layer.build(Config.layer({ version: 1, root: { level: "INFO" } }, { env: false }))
      assert.isTrue(manager.getLogger("shop.orders").disabled)
      assert.isFalse(manager.getLogger("shop").disabled)
    }).pipe(Effect.provide(Testing.layerEffectCapture())))

  it.effect("the error of a logged cause can be matched", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.fail(new Error("card declined")))
      if (Exit.isFailure(exit)) yield* Effect.logError("payment failed", exit.cause)
      yield* Testing.expectLogged({ message: "payment failed", error: "card declined" })
      yield* Testing.expectLogged({ error: /declined/ })
      yield* Testing.expectNotLogged({ error: "card accepted" })
    }).pipe(Effect.provide(Testing.layerEffectCapture())))
})

layer(Testing.layerEffectCapture())("Testing's Effect assertions with a shared layer", (it) => {
  it.effect("records from the first test", () =>
    Effect.gen(function*() {
      yield* Effect.logInfo("first")
      yield* Testing.expectLogged({ message: "first" })
    }))

  it.effect("clearCaptured forgets what earlier tests logged", () =>
    Effect.gen(function*() {
      yield* Testing.clearCaptured()
      yield* Effect.logInfo("second")
      assert.deepStrictEqual((yield* Testing.records()).map((r) => r.message), ["second"])
      yield* Testing.assertNoDrops()
    }))

  it.effect("records() is what was captured when it ran: later records and clearCaptured leave it as it is", () =>
    Effect.gen(function*() {
      yield* Testing.clearCaptured()
      yield* Effect.logInfo("before")
      const before = yield* Testing.records()
      yield* Effect.logInfo("after")
      assert.deepStrictEqual(before.map((r) => r.message), ["before"])
      yield* Testing.clearCaptured()
      assert.deepStrictEqual(before.map((r) => r.message), ["before"])
      assert.deepStrictEqual(yield* Testing.records(), [])
    }))
})
