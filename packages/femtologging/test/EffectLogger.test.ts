import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as EffectLoggerApi from "effect/Logger"
import * as References from "effect/References"
import { TestClock } from "effect/testing"
import type * as Tracer from "effect/Tracer"
import * as path from "node:path"
import * as EffectLogger from "../src/EffectLogger.ts"
import { getLogger } from "../src/Facade.ts"
import * as FileHandler from "../src/FileHandler.ts"
import * as Handler from "../src/Handler.ts"
import type * as LogRecord from "../src/LogRecord.ts"
import * as Manager from "../src/Manager.ts"
import * as Testing from "../src/Testing.ts"
import { CaptureHandler } from "../src/Testing.ts"
import { readLines, removeTempDirs, tempDir } from "./utils/files.ts"

afterAll(() => removeTempDirs())

class OrderError extends Data.TaggedError("OrderError")<{ readonly orderId: number }> {
  override get message(): string {
    return `order ${this.orderId} failed`
  }
}

/** A program run with an isolated manager whose root writes JSON lines to a file, and EffectLogger installed. */
const withFile = <A>(body: (file: string) => Effect.Effect<A, never, Manager.Manager>) =>
  Effect.gen(function*() {
    const file = path.join(tempDir(), "effect.log")
    const handler = yield* FileHandler.make(file, { formatter: "json" })
    const manager = yield* Manager.Manager
    manager.root.setLevel("TRACE")
    manager.root.addHandler(handler)
    yield* body(file)
    assert.isTrue(yield* Handler.flush(handler))
    assert.strictEqual(handler.getDropped(), 0)
    return readLines(file).map((line) => JSON.parse(line) as Record<string, any>)
  }).pipe(Effect.scoped, Effect.provide(Layer.merge(EffectLogger.layer(), Manager.layerIsolated())))

describe("EffectLogger: Effect's log calls through femtologging", () => {
  it.effect("Effect.logInfo with annotations and log spans reaches a file handler with the fields", () =>
    Effect.gen(function*() {
      const lines = yield* withFile(() =>
        Effect.gen(function*() {
          yield* TestClock.adjust("25 millis")
          yield* Effect.logInfo("order placed", 3)
        }).pipe(
          Effect.withLogSpan("checkout"),
          Effect.annotateLogs({ logger: "shop.orders", orderId: 7, user: "ada" })
        )
      )
      assert.strictEqual(lines.length, 1)
      const line = lines[0]!
      assert.strictEqual(line.logger, "shop.orders")
      assert.strictEqual(line.level, "INFO")
      assert.strictEqual(line.message, "order placed 3")
      assert.strictEqual(line.orderId, 7)
      assert.strictEqual(line.user, "ada")
      assert.strictEqual(line["span.checkout"], 25)
      assert.notProperty(line, "logger.annotation")
      // Effect's clock (TestClock starts at the epoch) gives the time.
      assert.strictEqual(line.time, "1970-01-01T00:00:00.025Z")
    }))

  it.effect("levels map onto femtologging's, the logger's level applies, and the default logger is root", () =>
    Effect.gen(function*() {
      const lines = yield* withFile(() =>
        Effect.gen(function*() {
          const manager = yield* Manager.Manager
          manager.getLogger("quiet").setLevel("ERROR")
          yield* Effect.logTrace("t")
          yield* Effect.logDebug("d")
          yield* Effect.log("i")
          yield* Effect.logWarning("w")
          yield* Effect.logFatal("f")
          yield* Effect.logWarning("dropped by the logger's level").pipe(Effect.annotateLogs("logger", "quiet"))
          yield* Effect.logError("kept").pipe(Effect.annotateLogs("logger", "quiet"))
          yield* Effect.logInfo("bad name").pipe(Effect.annotateLogs("logger", "a..b"))
        })
      )
      assert.deepStrictEqual(lines.map((l) => [l.logger, l.level, l.message]), [
        ["root", "TRACE", "t"],
        ["root", "DEBUG", "d"],
        ["root", "INFO", "i"],
        ["root", "WARN", "w"],
        ["root", "CRITICAL", "f"],
        ["quiet", "ERROR", "kept"],
        ["root", "INFO", "bad name"]
      ])
      // An annotation that names no valid logger stays a field.
      assert.strictEqual(lines[6]!["field.logger"], "a..b")
    }))

  it.effect("Effect.logError of a failed fiber and of a defected fiber records both errors", () =>
    Effect.gen(function*() {
      const records = yield* Effect.gen(function*() {
        const failed = yield* Effect.exit(Effect.fail(new OrderError({ orderId: 9 })))
        const defected = yield* Effect.exit(Effect.die(new TypeError("bad state", { cause: new Error("root cause") })))
        assert.isTrue(Exit.isFailure(failed) && Exit.isFailure(defected))
        if (Exit.isFailure(failed)) yield* Effect.logError("checkout failed", failed.cause)
        if (Exit.isFailure(defected)) yield* Effect.logError(defected.cause)
        return yield* Testing.records()
      }).pipe(Effect.provide(Testing.layerEffectCapture()))
      assert.strictEqual(records.length, 2)
      const [fail, die] = records as [LogRecord.LogRecord, LogRecord.LogRecord]
      assert.strictEqual(fail.level, "ERROR")
      assert.strictEqual(fail.message, "checkout failed")
      assert.strictEqual(fail.error?.name, "OrderError")
      assert.strictEqual(fail.error?.message, "order 9 failed")
      assert.match(fail.error?.stack ?? "", /^OrderError: order 9 failed\n\s+at /)
      assert.deepStrictEqual(fail.error?.props, { orderId: 9, _tag: "OrderError" })
      // Only a cause was logged: its message is the record's.
      assert.strictEqual(die.message, "bad state")
      assert.strictEqual(die.error?.name, "TypeError")
      assert.deepStrictEqual(die.error?.causes.map((c) => [c.name, c.message]), [["Error", "root cause"]])
      // Effect's cleaned stacks: no frames of Effect's own runtime.
      assert.notMatch(die.error?.stack ?? "", /effect\/dist|Generator\.next/)
    }))

  it.effect("a cause with several reasons keeps every failure, defect and interruption", () =>
    Effect.gen(function*() {
      const cause = Cause.fromReasons([
        Cause.makeFailReason(new Error("first", { cause: new Error("first's cause") })),
        Cause.makeDieReason("a string defect"),
        Cause.makeInterruptReason(42)
      ])
      const record = yield* Effect.gen(function*() {
        yield* Effect.logWarning("batch ended", cause)
        return yield* Testing.expectLogged({ level: "WARN", message: "batch ended", error: "first" })
      }).pipe(Effect.provide(Testing.layerEffectCapture()))
      assert.deepStrictEqual(record.error?.causes.map((c) => [c.name, c.message]), [
        ["Error", "first's cause"],
        ["Error", "a string defect"],
        ["InterruptError", "interrupted by fiber #42"]
      ])
      const interruptOnly = EffectLogger.causeInfo(Cause.interrupt(3))
      assert.deepStrictEqual(interruptOnly, {
        name: "InterruptError",
        message: "interrupted by fiber #3",
        stack: undefined,
        causes: []
      })
      assert.isUndefined(EffectLogger.causeInfo(Cause.empty))
    }))

  it("a cause's chain keeps 100 causes whole; past 100 the rest are left out, said by a Truncated frame (found by mutation testing)", () => {
    const failures = (n: number) => Cause.fromReasons(Array.from({ length: n }, (_, i) => Cause.makeDieReason(`defect ${i}`)))
    const whole = EffectLogger.causeInfo(failures(101))!
    assert.strictEqual(whole.causes.length, 100)
    assert.strictEqual(whole.causes[99]!.message, "defect 100")
    const cut = EffectLogger.causeInfo(failures(102))!
    assert.strictEqual(cut.causes.length, 101)
    assert.strictEqual(cut.causes[99]!.message, "defect 100")
    assert.deepStrictEqual([cut.causes[100]!.name, cut.causes[100]!.message], ["Truncated", "more than 100 causes; the rest are left out"])
  })

  it.effect("trace and span ids of Effect.withSpan become fields, and the fiber id fills fiberId", () =>
    Effect.gen(function*() {
      const [record, span, fiberId] = yield* Effect.gen(function*() {
        const span = yield* Effect.currentSpan
        yield* Effect.logInfo("inside a span")
        const fiberId = yield* Effect.withFiber((fiber) => Effect.succeed(fiber.id))
        return [yield* Testing.expectLogged({ message: "inside a span" }), span, fiberId] as const
      }).pipe(Effect.withSpan("handle-request"), Effect.provide(Testing.layerEffectCapture()))
      assert.strictEqual(record.fields?.traceId, span.traceId)
      assert.strictEqual(record.fields?.spanId, span.spanId)
      assert.match(String(record.fields?.traceId), /^[0-9a-f]{32}$/)
      assert.strictEqual(record.fiberId, fiberId)
      assert.strictEqual(record.threadName, "main")
    }))

  it.effect("fields given win over derived ones: an annotation span.X over a log span X; a spanId given keeps the span's ids out (found by mutation testing)", () =>
    Effect.gen(function*() {
      const [spanned, traced] = yield* Effect.gen(function*() {
        yield* Effect.logInfo("spanned").pipe(Effect.withLogSpan("checkout"), Effect.annotateLogs({ "span.checkout": "given" }))
        yield* Effect.logInfo("traced").pipe(Effect.annotateLogs({ spanId: "s-1" }), Effect.withSpan("handle-request"))
        return [yield* Testing.expectLogged({ message: "spanned" }), yield* Testing.expectLogged({ message: "traced" })] as const
      }).pipe(Effect.provide(Testing.layerEffectCapture()))
      assert.strictEqual(spanned.fields?.["span.checkout"], "given")
      assert.deepStrictEqual(traced.fields, { spanId: "s-1" })
    }))

  it.effect("the logger annotation names the logger and is not kept as a field; an invalid name is kept, and the default logger used (found by mutation testing)", () =>
    Effect.gen(function*() {
      const [named, invalid] = yield* Effect.gen(function*() {
        yield* Effect.logInfo("named").pipe(Effect.annotateLogs({ logger: "shop.orders", orderId: 7 }))
        yield* Effect.logInfo("invalid").pipe(Effect.annotateLogs({ logger: "shop..orders" }))
        return [yield* Testing.expectLogged({ message: "named" }), yield* Testing.expectLogged({ message: "invalid" })] as const
      }).pipe(Effect.provide(Testing.layerEffectCapture()))
      assert.strictEqual(named.logger, "shop.orders")
      assert.deepStrictEqual(named.fields, { orderId: 7 })
      assert.strictEqual(invalid.logger, "root")
      assert.deepStrictEqual(invalid.fields, { logger: "shop..orders" })
    }))

  it.effect("the first Error logged becomes the record's error, out of the message; other values are written as JSON", () =>
    Effect.gen(function*() {
      const records = yield* Effect.gen(function*() {
        const cyclic: Record<string, unknown> = { n: 1 }
        cyclic.self = cyclic
        yield* Effect.logInfo("lookup failed", new RangeError("no such key"), new Error("second"))
        yield* Effect.logInfo({ a: [1, 2] }, null, undefined, 10n, cyclic)
        yield* Effect.logError(new TypeError("alone"))
        return yield* Testing.records()
      }).pipe(Effect.provide(Testing.layerEffectCapture()))
      assert.strictEqual(records[0]!.message, "lookup failed second")
      assert.strictEqual(records[0]!.error?.name, "RangeError")
      assert.strictEqual(records[0]!.error?.message, "no such key")
      assert.strictEqual(records[1]!.message, "{\"a\":[1,2]} null undefined 10 <ref *1> { n: 1, self: [Circular *1] }")
      assert.isUndefined(records[1]!.error)
      assert.strictEqual(records[2]!.message, "alone")
      assert.strictEqual(records[2]!.error?.name, "TypeError")
    }))

  it.effect("keeps Effect's tracer logger: log calls are still span events, at the levels they were before", () =>
    Effect.gen(function*() {
      const span = yield* Effect.gen(function*() {
        const span = yield* Effect.currentSpan
        yield* Effect.logInfo("an event")
        yield* Effect.logDebug("below Effect's minimum: written by femtologging, no span event")
        return span as Tracer.NativeSpan
      }).pipe(Effect.withSpan("work"), Effect.provide(Testing.layerEffectCapture()))
      assert.deepStrictEqual(span.events.map(([name]) => name), ["an event"])
      const untraced = yield* Effect.gen(function*() {
        const span = yield* Effect.currentSpan
        yield* Effect.logInfo("no event")
        return span as Tracer.NativeSpan
      }).pipe(Effect.withSpan("work"), Effect.provide(Testing.layerEffectCapture({ tracer: false })))
      assert.deepStrictEqual(untraced.events, [])
    }))

  it.effect("tracer: false with mergeWithExisting removes the tracer logger an outer layer installed (found by review)", () =>
    Effect.gen(function*() {
      const [span, messages] = yield* Effect.gen(function*() {
        const span = yield* Effect.currentSpan
        yield* Effect.logInfo("no event")
        return [span as Tracer.NativeSpan, (yield* Testing.records()).map((r) => r.message)] as const
      }).pipe(
        Effect.withSpan("work"),
        Effect.provide(EffectLogger.layer({ mergeWithExisting: true, tracer: false })),
        Effect.provide(Testing.layerEffectCapture())
      )
      assert.deepStrictEqual(span.events, [])
      assert.deepStrictEqual(messages, ["no event"])
    }))

  it.effect("replaces Effect's console logger unless mergeWithExisting, and never installs itself twice", () =>
    Effect.gen(function*() {
      const current = Effect.service(EffectLoggerApi.CurrentLoggers)
      const replaced = yield* current.pipe(Effect.provide(EffectLogger.layer({ minimumLevel: "inherit" })))
      assert.strictEqual(replaced.size, 2)
      assert.isFalse(replaced.has(EffectLoggerApi.defaultLogger))
      assert.isTrue(replaced.has(EffectLoggerApi.tracerLogger))
      const merged = yield* current.pipe(
        Effect.provide(EffectLogger.layer({ mergeWithExisting: true, minimumLevel: "inherit" })),
        Effect.provide(EffectLogger.layer({ mergeWithExisting: true, minimumLevel: "inherit" }))
      )
      assert.strictEqual(merged.size, 3)
      assert.isTrue(merged.has(EffectLoggerApi.defaultLogger))
      assert.isTrue(merged.has(EffectLoggerApi.tracerLogger))
    }))

  it.effect("References.MinimumLogLevel: All by default, a level when given, left alone with \"inherit\"", () =>
    Effect.gen(function*() {
      const minimum = Effect.service(References.MinimumLogLevel)
      assert.strictEqual(yield* minimum.pipe(Effect.provide(EffectLogger.layer())), "All")
      assert.strictEqual(yield* minimum.pipe(Effect.provide(EffectLogger.layer({ minimumLevel: "WARNING" }))), "Warn")
      assert.strictEqual(yield* minimum.pipe(Effect.provide(EffectLogger.layer({ minimumLevel: "inherit" }))), "Info")
      const messages = (layer: Layer.Layer<Testing.Captured | Manager.Manager, unknown>) =>
        Effect.gen(function*() {
          yield* Effect.logDebug("debug")
          yield* Effect.logInfo("info")
          yield* Effect.logError("error")
          return (yield* Testing.records()).map((r) => r.message)
        }).pipe(Effect.provide(layer))
      assert.deepStrictEqual(yield* messages(Testing.layerEffectCapture()), ["debug", "info", "error"])
      assert.deepStrictEqual(yield* messages(Testing.layerEffectCapture({ minimumLevel: "inherit" })), ["info", "error"])
      assert.deepStrictEqual(yield* messages(Testing.layerEffectCapture({ minimumLevel: "ERROR" })), ["error"])
    }))

  it.effect("without a Manager in context, records go to the process-wide manager (the facade's loggers)", () =>
    Effect.gen(function*() {
      const capture = new CaptureHandler()
      const logger = getLogger("effectlogger.processwide")
      logger.addHandler(capture)
      try {
        yield* Effect.logInfo("shared").pipe(
          Effect.annotateLogs("logger", "effectlogger.processwide"),
          Effect.provide(EffectLogger.layer())
        )
        yield* Effect.logInfo("through Manager.layer()").pipe(
          Effect.annotateLogs("logger", "effectlogger.processwide"),
          Effect.provide(Layer.merge(EffectLogger.layer(), Manager.layer()))
        )
        assert.isTrue(yield* Handler.flush(capture))
        assert.deepStrictEqual(capture.messages, ["shared", "through Manager.layer()"])
      } finally {
        logger.removeHandler(capture)
      }
    }))

  it.effect("the defaultLogger option names the logger of unannotated calls", () =>
    Effect.gen(function*() {
      const record = yield* Effect.gen(function*() {
        yield* Effect.logInfo("hello")
        return yield* Testing.expectLogged({ message: "hello" })
      }).pipe(Effect.provide(Testing.layerEffectCapture({ defaultLogger: "app" })))
      assert.strictEqual(record.logger, "app")
      assert.throws(() => EffectLogger.make({ defaultLogger: ".bad" }))
      const bad = yield* Effect.flip(Effect.provide(Effect.void, EffectLogger.layer({ defaultLogger: ".bad" })))
      assert.strictEqual(bad._tag, "InvalidLoggerNameError")
    }))

  it.effect("policies: block holds the fiber and writes everything; drop never holds it and counts", () =>
    Effect.gen(function*() {
      const block = yield* Testing.capture({ capacity: 2, policy: "block" })
      const drop = yield* Testing.capture({ capacity: 2, policy: "drop" })
      const manager = yield* Manager.make()
      manager.root.addHandler(block)
      manager.root.addHandler(drop)
      yield* Effect.forEach(
        Array.from({ length: 50 }, (_, i) => i),
        (i) => Effect.logInfo(`record ${i}`),
        { discard: true }
      ).pipe(Effect.provide(EffectLogger.layer({ manager })))
      assert.isTrue(yield* Handler.flush(block))
      assert.isTrue(yield* Handler.flush(drop))
      assert.strictEqual(block.records.length, 50)
      assert.deepStrictEqual(block.messages.slice(0, 3), ["record 0", "record 1", "record 2"])
      assert.strictEqual(block.getDropped(), 0)
      assert.strictEqual(drop.records.length + drop.getDropped(), 50)
      assert.isAbove(drop.getDropped(), 0)
    }))
})
