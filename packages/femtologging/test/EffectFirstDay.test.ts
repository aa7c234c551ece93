/**
 * An Effect user's first day with femtologging (outside review): what the Effect-facing layers
 * give in the error channel, and Effect's own level names where a layer takes a level.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as References from "effect/References"
import * as Config from "../src/Config.ts"
import * as EffectLogger from "../src/EffectLogger.ts"
import * as Manager from "../src/Manager.ts"
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

describe("Config.layer: a bad override from the environment", () => {
  const rootLevel = (env: Record<string, string>) =>
    Effect.provide(
      Effect.map(Effect.service(Manager.Manager), (m) => m.root.level),
      Config.layer({ version: 1, root: { level: "ERROR" } }).pipe(Layer.provideMerge(Manager.layerIsolated()))
    ).pipe(Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnvRecord(env)))

  it.effect("names the variable and the value in plain words, not as a SchemaError's dump", () =>
    Effect.gen(function*() {
      // Before: `environment: SchemaError(expected a level (TRACE, …, NOTSET)\n  at ["LOG_LEVEL"])`,
      // on two lines, without the value that was refused.
      const level = yield* Effect.flip(rootLevel({ LOG_LEVEL: "loud" }))
      assert.strictEqual(level._tag, "ConfigError")
      assert.strictEqual(
        level.message,
        "environment: LOG_LEVEL is \"loud\", expected a level (TRACE, DEBUG, INFO, WARNING, ERROR, CRITICAL, NOTSET)"
      )
      const femto = yield* Effect.flip(rootLevel({ LOG_LEVEL: "debug", FEMTOLOG_LEVEL: "verbose" }))
      assert.strictEqual(
        femto.message,
        "environment: FEMTOLOG_LEVEL is \"verbose\", expected a level (TRACE, DEBUG, INFO, WARNING, ERROR, CRITICAL, NOTSET)"
      )
      const flag = yield* Effect.flip(rootLevel({ FEMTOLOG_DISABLE_EXISTING_LOGGERS: "maybe" }))
      assert.strictEqual(
        flag.message,
        "environment: FEMTOLOG_DISABLE_EXISTING_LOGGERS is \"maybe\", expected true or false (yes/no, on/off, 1/0, y/n)"
      )
      // What was accepted before still is.
      assert.strictEqual(yield* rootLevel({ LOG_LEVEL: "warning" }), "WARN")
      assert.strictEqual(yield* rootLevel({ LOG_LEVEL: "debug", FEMTOLOG_LEVEL: "Info" }), "INFO")
      assert.strictEqual(yield* rootLevel({ FEMTOLOG_DISABLE_EXISTING_LOGGERS: "off" }), "ERROR")
      assert.strictEqual(yield* rootLevel({ LOG_LEVEL: "", FEMTOLOG_DISABLE_EXISTING_LOGGERS: "" }), "ERROR") // empty: unset
    }))
})
