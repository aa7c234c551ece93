import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { isMainThread, threadId } from "node:worker_threads"
import * as Handler from "../src/Handler.ts"
import * as Logger from "../src/Logger.ts"
import * as LogRecord from "../src/LogRecord.ts"
import * as Manager from "../src/Manager.ts"
import * as Testing from "../src/Testing.ts"
import { runModule } from "./utils/child.ts"

describe("LogRecord.make", () => {
  it("holds the logger, level, message and optional data", () => {
    const record = LogRecord.make({
      logger: "demo.app",
      level: "INFO",
      message: "hello",
      fields: { user: "bob" },
      filename: "app.ts",
      lineNumber: 12,
      modulePath: "demo/app"
    })
    assert.strictEqual(record.logger, "demo.app")
    assert.strictEqual(record.level, "INFO")
    assert.strictEqual(record.message, "hello")
    assert.deepStrictEqual(record.fields, { user: "bob" })
    assert.strictEqual(record.error, undefined)
    assert.strictEqual(record.fiberId, undefined)
    assert.strictEqual(record.filename, "app.ts")
    assert.strictEqual(record.lineNumber, 12)
    assert.strictEqual(record.modulePath, "demo/app")
  })

  it("stamps the time in nanoseconds since the epoch", () => {
    const before = Date.now()
    const record = LogRecord.make({ logger: "a", level: "INFO", message: "m" })
    const after = Date.now()
    assert.isTrue(Number.isFinite(record.timestampNs))
    // within 5 ms of the wall clock read around it, in nanoseconds
    assert.isAtLeast(record.timestampNs, (before - 5) * 1e6)
    assert.isAtMost(record.timestampNs, (after + 5) * 1e6)
    assert.closeTo(LogRecord.timestampMs(record), Date.now(), 50)
  })

  it("keeps a given timestamp", () => {
    const record = LogRecord.make({ logger: "a", level: "INFO", message: "m", timestampNs: 1_700_000_000_000_000_000 })
    assert.strictEqual(record.timestampNs, 1_700_000_000_000_000_000)
    assert.strictEqual(LogRecord.timestampMs(record), 1_700_000_000_000)
  })

  it("stamps the thread identity of the current thread", () => {
    const record = LogRecord.make({ logger: "a", level: "INFO", message: "m" })
    assert.strictEqual(record.threadId, threadId)
    assert.strictEqual(record.threadName, isMainThread ? "main" : `worker-${threadId}`)
  })

  it("stamps the worker's id and name on a worker thread", async () => {
    const result = await runModule(`
      import { Worker } from "node:worker_threads"
      const source = "Promise.all([import('femtologging'), import('node:worker_threads')]).then(([{ LogRecord }, wt]) => { " +
        "const r = LogRecord.make({ logger: 'w', level: 'INFO', message: 'm' }); " +
        "wt.parentPort.postMessage({ threadId: r.threadId, threadName: r.threadName, actual: wt.threadId }) })"
      const worker = new Worker(source, { eval: true })
      worker.once("message", (m) => { process.stdout.write(JSON.stringify(m)); worker.terminate() })
    `)
    assert.strictEqual(result.stderr, "")
    const seen = JSON.parse(result.stdout) as { threadId: number; threadName: string; actual: number }
    assert.isAbove(seen.threadId, 0)
    assert.strictEqual(seen.threadId, seen.actual)
    assert.strictEqual(seen.threadName, `worker-${seen.actual}`)
  })

  it("stamps threadId 0 and threadName \"main\" on a process's main thread", async () => {
    const result = await runModule(`
      import { LogRecord } from "femtologging"
      const r = LogRecord.make({ logger: "a", level: "INFO", message: "m" })
      process.stdout.write(JSON.stringify({ threadId: r.threadId, threadName: r.threadName }))
    `)
    assert.strictEqual(result.stderr, "")
    assert.strictEqual(result.code, 0)
    assert.deepStrictEqual(JSON.parse(result.stdout), { threadId: 0, threadName: "main" })
  })
})

describe("LogRecord.timestampNsBigInt", () => {
  it("is the timestamp as an exact bigint", () => {
    const exact = LogRecord.make({ logger: "a", level: "INFO", message: "m", timestampNs: 1_700_000_000_000_000_000 })
    assert.strictEqual(LogRecord.timestampNsBigInt(exact), 1_700_000_000_000_000_000n)
    const fractional = LogRecord.make({ logger: "a", level: "INFO", message: "m", timestampNs: 1234.6 })
    assert.strictEqual(LogRecord.timestampNsBigInt(fractional), 1235n)
    const now = LogRecord.make({ logger: "a", level: "INFO", message: "m" })
    const ns = LogRecord.timestampNsBigInt(now)
    assert.strictEqual(typeof ns, "bigint")
    assert.strictEqual(ns, BigInt(Math.round(now.timestampNs)))
  })
})

describe("LogRecord.errorInfo", () => {
  it("turns an error into its name, message and stack with no causes", () => {
    const error = new TypeError("bad input")
    const info = LogRecord.errorInfo(error)
    assert.strictEqual(info.name, "TypeError")
    assert.strictEqual(info.message, "bad input")
    assert.strictEqual(info.stack, error.stack)
    assert.deepStrictEqual(info.causes, [])
  })

  it("follows the cause chain in order", () => {
    const root = new RangeError("disk full")
    const middle = new Error("write failed", { cause: root })
    const top = new Error("request failed", { cause: middle })
    const info = LogRecord.errorInfo(top)
    assert.strictEqual(info.message, "request failed")
    assert.deepStrictEqual(info.causes, [
      { name: "Error", message: "write failed", stack: middle.stack },
      { name: "RangeError", message: "disk full", stack: root.stack }
    ])
  })

  it("turns a non-error cause into a frame without a stack", () => {
    const info = LogRecord.errorInfo(new Error("outer", { cause: "a string cause" }))
    assert.deepStrictEqual(info.causes, [{ name: "string", message: "a string cause", stack: undefined }])
  })

  it("turns a thrown non-error into a frame", () => {
    const info = LogRecord.errorInfo(42)
    assert.deepStrictEqual(info, { name: "number", message: "42", stack: undefined, causes: [] })
  })

  it("lists an AggregateError's members after it", () => {
    const first = new Error("first")
    const second = new TypeError("second")
    const aggregate = new AggregateError([first, second], "both failed")
    const info = LogRecord.errorInfo(aggregate)
    assert.strictEqual(info.name, "AggregateError")
    assert.strictEqual(info.message, "both failed")
    assert.deepStrictEqual(info.causes, [
      { name: "Error", message: "first", stack: first.stack },
      { name: "TypeError", message: "second", stack: second.stack }
    ])
  })

  it("includes the members' causes and the aggregate's own cause", () => {
    const inner = new Error("inner")
    const member = new Error("member", { cause: inner })
    const own = new Error("own cause")
    const aggregate = new AggregateError([member], "agg", { cause: own })
    const info = LogRecord.errorInfo(aggregate)
    assert.sameMembers(info.causes.map((c) => c.message), ["member", "inner", "own cause"])
    assert.strictEqual(info.causes.length, 3)
    // a member's cause comes after the member
    const messages = info.causes.map((c) => c.message)
    assert.isBelow(messages.indexOf("member"), messages.indexOf("inner"))
  })

  it("ends on cycles, visiting each error once", () => {
    const a = new Error("a")
    const b = new Error("b", { cause: a })
    Object.assign(a, { cause: b })
    const info = LogRecord.errorInfo(a)
    assert.strictEqual(info.message, "a")
    assert.deepStrictEqual(info.causes.map((c) => c.message), ["b"])

    const self = new Error("self")
    Object.assign(self, { cause: self })
    assert.deepStrictEqual(LogRecord.errorInfo(self).causes, [])

    const member = new Error("member")
    const aggregate = new AggregateError([member], "agg")
    aggregate.errors.push(aggregate)
    Object.assign(member, { cause: aggregate })
    assert.deepStrictEqual(LogRecord.errorInfo(aggregate).causes.map((c) => c.message), ["member"])
  })

  it("is what make stores for an error", () => {
    const cause = new Error("cause")
    const error = new Error("top", { cause })
    const record = LogRecord.make({ logger: "a", level: "ERROR", message: "m", error })
    assert.deepStrictEqual(record.error, {
      name: "Error",
      message: "top",
      stack: error.stack,
      causes: [{ name: "Error", message: "cause", stack: cause.stack }]
    })
  })
})

describe("LogRecord.fiberId", () => {
  it.effect("is the logging fiber's id on the Effect face", () =>
    Effect.gen(function*() {
      const logger = yield* Manager.getLogger("fiber.test")
      const handler = yield* Testing.Captured
      const id = yield* Effect.withFiber((fiber) => Effect.succeed(fiber.id))
      const line = yield* Logger.info(logger, "from a fiber")
      assert.strictEqual(line, "fiber.test [INFO] from a fiber")
      assert.strictEqual(yield* Handler.flush(handler), true)
      assert.strictEqual(handler.records.length, 1)
      assert.strictEqual(handler.records[0]!.fiberId, id)
      assert.isNumber(handler.records[0]!.fiberId)
    }).pipe(Effect.provide(Testing.layerCapture())))

  it.effect("is undefined for records logged from synchronous code", () =>
    Effect.gen(function*() {
      const logger = yield* Manager.getLogger("fiber.sync")
      const handler = yield* Testing.Captured
      logger.info("plain call")
      assert.strictEqual(yield* Handler.flush(handler), true)
      assert.strictEqual(handler.records.length, 1)
      assert.strictEqual(handler.records[0]!.fiberId, undefined)
    }).pipe(Effect.provide(Testing.layerCapture())))
})
