import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as LogLevel from "effect/LogLevel"
import * as Level from "../src/Level.ts"
import { throwsExactly } from "./utils/errors.ts"

describe("Level", () => {
  it("orders TRACE < DEBUG < INFO < WARN < ERROR < CRITICAL", () => {
    assert.deepStrictEqual([...Level.levels], ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL"])
    assert.deepStrictEqual(Level.levels.map(Level.ordinal), [0, 1, 2, 3, 4, 5])
  })

  it("parses case-insensitively and maps WARNING to the canonical WARN", () => {
    assert.strictEqual(Level.parseUnsafe("trace"), "TRACE")
    assert.strictEqual(Level.parseUnsafe("Debug"), "DEBUG")
    assert.strictEqual(Level.parseUnsafe("INFO"), "INFO")
    assert.strictEqual(Level.parseUnsafe("warn"), "WARN")
    assert.strictEqual(Level.parseUnsafe("WARNING"), "WARN")
    assert.strictEqual(Level.parseUnsafe("warning"), "WARN")
    assert.strictEqual(Level.parseUnsafe("WaRnInG"), "WARN")
    assert.strictEqual(Level.parseUnsafe("error"), "ERROR")
    assert.strictEqual(Level.parseUnsafe("critical"), "CRITICAL")
  })

  it("keeps WARNING out of the canonical names", () => {
    assert.strictEqual(Level.isLevel("WARN"), true)
    assert.strictEqual(Level.isLevel("WARNING"), false)
    assert.strictEqual(Level.isLevel("info"), false)
    assert.strictEqual(Level.isLevel(3), false)
  })

  it("rejects unknown names with InvalidLevelError and the exact message", () => {
    const error = throwsExactly(() => Level.parseUnsafe("verbose"), Level.InvalidLevelError, "invalid log level: verbose")
    assert.strictEqual(error._tag, "InvalidLevelError")
    assert.strictEqual(error.level, "verbose")
    throwsExactly(() => Level.parseUnsafe(""), Level.InvalidLevelError, "invalid log level: ")
    throwsExactly(() => Level.parseUnsafe(" info"), Level.InvalidLevelError, "invalid log level:  info")
    throwsExactly(() => Level.parseUnsafe("FATALITY"), Level.InvalidLevelError, "invalid log level: FATALITY")
  })

  it("names an odd level briefly, with InvalidLevelError, whatever it is", () => {
    // A Proxy whose traps throw was an Error of the trap's, not InvalidLevelError; a sparse array
    // took seconds (String() writes its commas) and a long string went whole into the message.
    const boom = () => {
      throw new Error("trap")
    }
    const proxy = new Proxy({}, { get: boom, getPrototypeOf: boom, ownKeys: boom, has: boom })
    throwsExactly(() => Level.parseUnsafe(proxy as never), Level.InvalidLevelError, "invalid log level: [object]")
    const revoked = Proxy.revocable({}, {})
    revoked.revoke()
    throwsExactly(() => Level.parseUnsafe(revoked.proxy as never), Level.InvalidLevelError, "invalid log level: [object]")
    const sparse: Array<number> = []
    sparse[1e9] = 1
    const started = Date.now()
    throwsExactly(() => Level.parseRecordUnsafe(sparse as never), Level.InvalidLevelError, "invalid log level: [object Array]")
    assert.isBelow(Date.now() - started, 1000)
    throwsExactly(() => Level.parseUnsafe(function secret() { return "source" } as never), Level.InvalidLevelError, "invalid log level: [object Function]")
    throwsExactly(
      () => Level.parseUnsafe("x".repeat(1e6)),
      Level.InvalidLevelError,
      `invalid log level: ${"x".repeat(100)}... (1000000 characters)`
    )
    throwsExactly(() => Level.parseUnsafe(Symbol("loud") as never), Level.InvalidLevelError, "invalid log level: Symbol(loud)")
  })

  it.effect("parse succeeds as an Effect", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* Level.parse("warning"), "WARN")
      assert.strictEqual(yield* Level.parse("critical"), "CRITICAL")
    }))

  it.effect("parse fails as an Effect with InvalidLevelError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Level.parse("loud"))
      assert.instanceOf(error, Level.InvalidLevelError)
      assert.strictEqual(error._tag, "InvalidLevelError")
      assert.strictEqual(error.message, "invalid log level: loud")
    }))

  it("converts to Effect's LogLevel", () => {
    assert.deepStrictEqual(
      Level.levels.map(Level.toEffectLogLevel),
      ["Trace", "Debug", "Info", "Warn", "Error", "Fatal"]
    )
  })

  it("converts from Effect's LogLevel", () => {
    const all: Array<LogLevel.LogLevel> = ["All", "Trace", "Debug", "Info", "Warn", "Error", "Fatal", "None"]
    assert.deepStrictEqual(
      all.map(Level.fromEffectLogLevel),
      ["TRACE", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL", "CRITICAL"]
    )
    for (const level of Level.levels) {
      assert.strictEqual(Level.fromEffectLogLevel(Level.toEffectLogLevel(level)), level)
    }
  })
})
