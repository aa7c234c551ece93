/**
 * An Effect user's first day with femtologging (outside review): what the Effect-facing layers
 * give in the error channel, and Effect's own level names where a layer takes a level.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as References from "effect/References"
import * as EffectLogger from "../src/EffectLogger.ts"
import * as Testing from "../src/Testing.ts"

/** The typed failure of an exit (not a defect): asserts there is one. */
const failure = <A, E>(exit: Exit.Exit<A, E>): E => {
  assert.isTrue(Exit.isFailure(exit), "expected a failure")
  if (!Exit.isFailure(exit)) throw new Error("unreachable")
  const reason = exit.cause.reasons[0]
  assert.strictEqual(reason?._tag, "Fail", `expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  return (reason as Cause.Fail<E>).error
}

describe("EffectLogger.layer: bad options fail the layer, in the error channel", () => {
  it.effect("a bad minimumLevel is an InvalidLevelError when the layer is built, not a throw when it is made", () =>
    Effect.gen(function*() {
      // Before: EffectLogger.layer(...) threw InvalidLevelError at once, out of the Effect program
      // (a crash outside NodeRuntime.runMain's reporting, which catchTag could not handle).
      const exit = yield* Effect.exit(Effect.provide(Effect.logInfo("x"), EffectLogger.layer({ minimumLevel: "verbose" })))
      const error = failure(exit)
      assert.strictEqual(error._tag, "InvalidLevelError")
      assert.strictEqual(error.message, "invalid log level: verbose")
      const handled = yield* Effect.provide(Effect.succeed("built"), EffectLogger.layer({ minimumLevel: "verbose" })).pipe(
        Effect.catchTag("InvalidLevelError", (e) => Effect.succeed(`handled ${e.level}`))
      )
      assert.strictEqual(handled, "handled verbose")
    }))

  it.effect("a bad defaultLogger is an InvalidLoggerNameError in the error channel", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.provide(Effect.void, EffectLogger.layer({ defaultLogger: "app..db" })))
      const error = failure(exit)
      assert.strictEqual(error._tag, "InvalidLoggerNameError")
      assert.strictEqual(error._tag === "InvalidLoggerNameError" && error.loggerName, "app..db")
    }))

  it.effect("Testing.layerEffectCapture with bad options fails in the error channel too", () =>
    Effect.gen(function*() {
      const level = failure(yield* Effect.exit(Effect.provide(Effect.void, Testing.layerEffectCapture({ minimumLevel: "loud" }))))
      assert.strictEqual(level._tag, "InvalidLevelError")
      const name = failure(yield* Effect.exit(Effect.provide(Effect.void, Testing.layerEffectCapture({ defaultLogger: ".x" }))))
      assert.strictEqual(name._tag, "InvalidLoggerNameError")
      const capacity = failure(yield* Effect.exit(Effect.provide(Effect.void, Testing.layerEffectCapture({ capacity: 0 }))))
      assert.strictEqual(capacity._tag, "HandlerConfigError")
    }))
})

describe("EffectLogger.layer: minimumLevel takes Effect's LogLevel names", () => {
  it.effect("\"All\" and \"None\" (Effect's own) are accepted, beside the levels both share", () =>
    Effect.gen(function*() {
      const minimum = Effect.service(References.MinimumLogLevel)
      // Before: "All" and "None" were refused (InvalidLevelError), though this option sets
      // Effect's References.MinimumLogLevel and the other LogLevel names were taken.
      assert.strictEqual(yield* minimum.pipe(Effect.provide(EffectLogger.layer({ minimumLevel: "All" }))), "All")
      assert.strictEqual(yield* minimum.pipe(Effect.provide(EffectLogger.layer({ minimumLevel: "None" }))), "None")
      assert.strictEqual(yield* minimum.pipe(Effect.provide(EffectLogger.layer({ minimumLevel: "Warn" }))), "Warn")
      assert.strictEqual(yield* minimum.pipe(Effect.provide(EffectLogger.layer({ minimumLevel: "Fatal" }))), "Fatal")
      const logged = (minimumLevel: string) =>
        Effect.gen(function*() {
          yield* Effect.logTrace("trace")
          yield* Effect.logFatal("fatal")
          return (yield* Testing.records()).map((r) => r.message)
        }).pipe(Effect.provide(Testing.layerEffectCapture({ minimumLevel })))
      assert.deepStrictEqual(yield* logged("All"), ["trace", "fatal"])
      assert.deepStrictEqual(yield* logged("None"), [])
    }))
})
