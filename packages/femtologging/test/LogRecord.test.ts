import { assert, describe, it, vi } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as querystring from "node:querystring"
import * as vm from "node:vm"
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

  it("follows the wall clock when it steps (NTP, a sleeping machine), not only the monotonic clock", () => {
    vi.useFakeTimers({ toFake: ["Date"] })
    try {
      for (const step of [-90_000, 3_600_000, 7]) {
        const wall = Date.now() + step
        vi.setSystemTime(wall)
        // the wall clock is read again once a millisecond of monotonic time has passed
        for (const start = performance.now(); performance.now() - start < 1.5;);
        const ms = LogRecord.timestampMs(LogRecord.make({ logger: "a", level: "INFO", message: "m" }))
        assert.isAtLeast(ms, wall - 1, `a step of ${step} ms`)
        assert.isBelow(ms, wall + 2, `a step of ${step} ms`)
      }
    } finally {
      vi.useRealTimers()
    }
    for (const start = performance.now(); performance.now() - start < 1.5;);
    assert.closeTo(LogRecord.timestampMs(LogRecord.make({ logger: "a", level: "INFO", message: "m" })), Date.now(), 2)
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

  it("stamps a named worker's name (CPython's threadName is the thread's name)", async () => {
    const result = await runModule(`
      import { Worker } from "node:worker_threads"
      const source = "Promise.all([import('femtologging'), import('node:worker_threads')]).then(([{ LogRecord, Formatter }, wt]) => { " +
        "const r = LogRecord.make({ logger: 'w', level: 'INFO', message: 'm' }); " +
        "wt.parentPort.postMessage([r.threadName, Formatter.python('%(threadName)s')(r)]) })"
      const worker = new Worker(source, { eval: true, name: "api-1" })
      worker.once("message", (m) => { process.stdout.write(JSON.stringify(m)); worker.terminate() })
    `)
    assert.strictEqual(result.stderr, "")
    assert.deepStrictEqual(JSON.parse(result.stdout), ["api-1", "api-1"])
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

/** A real Node.js system error (own enumerable `errno`, `code`, `syscall`, `path`). */
const enoent = (): { readonly error: Error; readonly file: string } => {
  const file = path.join(os.tmpdir(), `femto-missing-${process.pid}`, "nothing.txt")
  try {
    fs.readFileSync(file)
  } catch (error) {
    return { error: error as Error, file }
  }
  throw new Error("expected readFileSync to fail")
}

/** What `f` throws, as a string, as the markers write it. */
const thrownText = (f: () => unknown): string => {
  try {
    f()
  } catch (error) {
    return String(error)
  }
  throw new Error("expected a throw")
}

describe("LogRecord.errorInfo: own properties", () => {
  it("keeps a system error's own enumerable properties under props, in its key order", () => {
    const { error, file } = enoent()
    const info = LogRecord.errorInfo(error)
    assert.deepStrictEqual(info.props, { errno: -2, code: "ENOENT", syscall: "open", path: file })
    assert.deepStrictEqual(Object.keys(info), ["name", "message", "stack", "props", "causes"])
  })

  it("has no props key when there are none, and leaves out name, message, stack and cause", () => {
    assert.isFalse("props" in LogRecord.errorInfo(new Error("plain")))
    const error = Object.assign(new Error("m"), { name: "Custom", stack: "Custom: m", cause: "why", code: 1 })
    assert.deepStrictEqual(LogRecord.errorInfo(error), {
      name: "Custom",
      message: "m",
      stack: "Custom: m",
      props: { code: 1 },
      causes: [{ name: "string", message: "why", stack: undefined }]
    })
  })

  it("copies the properties as plain, cloneable data", () => {
    function onRetry() {
      return "SECRET_SOURCE"
    }
    const nested = Object.assign(new Error("inner"), { code: "E_INNER" })
    const error = Object.assign(new Error("outer"), {
      statusCode: 503,
      id: 2n ** 64n,
      onRetry,
      anonymous: (() => () => 1)(),
      tag: Symbol("t"),
      at: new Date(1_700_000_000_123),
      nothing: undefined,
      nan: Number.NaN,
      original: nested,
      request: { headers: { host: "x" }, list: [1, onRetry, Symbol("s")] }
    })
    Object.defineProperty(error, "broken", {
      enumerable: true,
      get() {
        throw new Error("no")
      }
    })
    Object.assign(error, {
      badJson: {
        toJSON() {
          throw new Error("tj")
        }
      },
      self: error
    })
    const info = LogRecord.errorInfo(error)
    assert.deepStrictEqual(info.props, {
      statusCode: 503,
      id: 18446744073709551616n,
      onRetry: "[Function onRetry]",
      anonymous: "[Function (anonymous)]",
      tag: "Symbol(t)",
      at: "2023-11-14T22:13:20.123Z",
      nothing: undefined,
      nan: Number.NaN,
      original: { name: "Error", message: "inner", code: "E_INNER" },
      request: { headers: { host: "x" }, list: [1, "[Function onRetry]", "Symbol(s)"] },
      broken: "[Getter threw: Error: no]",
      badJson: "[toJSON threw: Error: tj]",
      self: "[Circular]"
    })
    assert.deepStrictEqual(structuredClone(info), info)
    assert.notInclude(JSON.stringify(info, (_k, v) => typeof v === "bigint" ? String(v) : v), "SECRET_SOURCE")
  })

  it("keeps an own __proto__ key as a property", () => {
    const error = Object.defineProperty(new Error("m"), "__proto__", { value: { x: 1 }, enumerable: true })
    const props = LogRecord.errorInfo(error).props!
    assert.deepStrictEqual(Object.keys(props), ["__proto__"])
    assert.deepStrictEqual(Object.getOwnPropertyDescriptor(props, "__proto__")?.value, { x: 1 })
    assert.strictEqual(Object.getPrototypeOf(props), Object.prototype)
  })

  it("stops at 5 levels of objects and after 500 values", () => {
    const deep = { l1: { l2: { l3: { l4: { l5: { l6: 1 } } } } } }
    assert.deepStrictEqual(LogRecord.errorInfo(Object.assign(new Error("m"), { deep })).props, {
      deep: { l1: { l2: { l3: { l4: { l5: "[Too deep]" } } } } }
    })
    const many = Array.from({ length: 1000 }, (_, i) => i)
    const props = LogRecord.errorInfo(Object.assign(new Error("m"), { many, after: 1 })).props!
    assert.deepStrictEqual(props.many, [...many.slice(0, 499), "[Truncated]"])
    assert.deepStrictEqual(Object.keys(props), ["many", "…"])
    assert.strictEqual(props["…"], "[Truncated]")
  })

  it("keeps the properties of a thrown value that is not an error, and of causes and members", () => {
    assert.deepStrictEqual(LogRecord.errorInfo({ code: 42, message: "bad" }), {
      name: "object",
      message: "[object Object]",
      stack: undefined,
      props: { code: 42, message: "bad" },
      causes: []
    })
    const member = Object.assign(new Error("member"), { status: 1 })
    const cause = { reason: "busy" }
    const aggregate = Object.assign(new AggregateError([member], "agg", { cause }), { attempt: 3 })
    const info = LogRecord.errorInfo(aggregate)
    assert.deepStrictEqual(info.props, { attempt: 3 })
    assert.deepStrictEqual(info.causes, [
      { name: "Error", message: "member", stack: member.stack, props: { status: 1 } },
      { name: "object", message: "[object Object]", stack: undefined, props: { reason: "busy" } }
    ])
  })
})

describe("LogRecord.errorInfo: values that fight back", () => {
  it("survives getters that throw on name, message, stack and cause", () => {
    const error = new Error("m")
    for (const key of ["name", "message", "cause"]) {
      Object.defineProperty(error, key, {
        get() {
          throw new Error(`no ${key}`)
        }
      })
    }
    const info = LogRecord.errorInfo(error)
    // Node's stack formatting reads the message, so the stack throws too: no stack.
    assert.deepStrictEqual(info, {
      name: "[Getter threw: Error: no name]",
      message: "[Getter threw: Error: no message]",
      stack: undefined,
      causes: [{ name: "string", message: "[Getter threw: Error: no cause]", stack: undefined }]
    })
  })

  it("survives a Proxy whose traps throw, and a revoked one", () => {
    const trapped = new Proxy(new Error("x"), {
      get() {
        throw new Error("trap")
      },
      ownKeys() {
        throw new Error("keys")
      }
    })
    assert.deepStrictEqual(LogRecord.errorInfo(trapped), {
      name: "[Getter threw: Error: trap]",
      message: "[Getter threw: Error: trap]",
      stack: undefined,
      props: { "…": "[Unreadable: Error: keys]" },
      causes: [{ name: "string", message: "[Getter threw: Error: trap]", stack: undefined }]
    })
    const { proxy, revoke } = Proxy.revocable({}, {})
    revoke()
    assert.deepStrictEqual(LogRecord.errorInfo(proxy), {
      name: "object",
      message: "[unprintable]",
      stack: undefined,
      props: { "…": `[Unreadable: ${thrownText(() => Object.keys(proxy))}]` },
      causes: []
    })
  })

  it("survives an AggregateError whose errors cannot be read", () => {
    const { proxy, revoke } = Proxy.revocable([], {})
    revoke()
    const revokedMembers = Object.defineProperty(new AggregateError([new Error("a")], "agg"), "errors", { value: proxy })
    assert.deepStrictEqual(LogRecord.errorInfo(revokedMembers), {
      name: "AggregateError",
      message: "agg",
      stack: revokedMembers.stack,
      causes: []
    })
    const throwingMembers = Object.defineProperty(new AggregateError([new Error("a")], "agg"), "errors", {
      get() {
        throw new Error("no members")
      }
    })
    assert.deepStrictEqual(LogRecord.errorInfo(throwingMembers).causes, [])
  })

  it("never writes a thrown function's source, and survives a toString that throws", () => {
    function boom() {
      return "SECRET_SOURCE"
    }
    assert.deepStrictEqual(LogRecord.errorInfo(boom), {
      name: "function",
      message: "[Function boom]",
      stack: undefined,
      causes: []
    })
    const hostile = {
      toString() {
        throw new Error("ts")
      }
    }
    assert.deepStrictEqual(LogRecord.errorInfo(hostile), {
      name: "object",
      message: "[object Object]",
      stack: undefined,
      props: { toString: "[Function toString]" },
      causes: []
    })
    const parsed = querystring.parse("a=1")
    assert.deepStrictEqual(LogRecord.errorInfo(parsed), {
      name: "object",
      message: "[object Object]",
      stack: undefined,
      props: { a: "1" },
      causes: []
    })
  })

  it("reads an error of another realm as an error", () => {
    const error = vm.runInNewContext("Object.assign(new TypeError('elsewhere'), { code: 7 })") as Error
    assert.isFalse(error instanceof Error)
    assert.deepStrictEqual(LogRecord.errorInfo(error), {
      name: "TypeError",
      message: "elsewhere",
      stack: error.stack,
      props: { code: 7 },
      causes: []
    })
  })

  it("keeps 100 causes of a longer chain, without overflowing the stack", () => {
    let error = new Error("e0")
    for (let i = 1; i <= 10_000; i++) error = new Error(`e${i}`, { cause: error })
    const info = LogRecord.errorInfo(error)
    assert.strictEqual(info.message, "e10000")
    assert.strictEqual(info.causes.length, 101)
    assert.strictEqual(info.causes[0]!.message, "e9999")
    assert.strictEqual(info.causes[99]!.message, "e9900")
    assert.deepStrictEqual(info.causes[100], {
      name: "Truncated",
      message: "more than 100 causes; the rest are left out",
      stack: undefined
    })
  })

  it("ends on cycles through non-error causes and aggregate members", () => {
    const top = new Error("top", { cause: { code: 1 } })
    const aggregate = new AggregateError([top, "text", top], "agg", { cause: "plain" })
    Object.assign(top, { cause: aggregate })
    const info = LogRecord.errorInfo(aggregate)
    assert.deepStrictEqual(info.causes.map((c) => c.message), ["top", "text", "plain"])
  })
})

describe("LogRecord.make: hostile input", () => {
  it("never throws, and keeps the fields as given", () => {
    const error = new Error("m")
    Object.defineProperty(error, "message", {
      get() {
        throw new Error("no message")
      }
    })
    const fields = new Proxy({ a: 1 }, {
      get() {
        throw new Error("trap")
      }
    })
    const record = LogRecord.make({ logger: "a", level: "ERROR", message: "m", fields, error })
    assert.strictEqual(record.fields, fields)
    assert.deepStrictEqual(record.error, {
      name: "Error",
      message: "[Getter threw: Error: no message]",
      stack: undefined,
      causes: []
    })
    const { proxy, revoke } = Proxy.revocable({}, {})
    revoke()
    assert.strictEqual(LogRecord.make({ logger: "a", level: "ERROR", message: "m", error: proxy }).error?.name, "object")
    const parsed = querystring.parse("a=1")
    assert.strictEqual(LogRecord.make({ logger: "a", level: "INFO", message: "m", fields: parsed }).fields, parsed)
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
