import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { FemtoFileHandler } from "../src/FileHandler.ts"
import * as Formatter from "../src/Formatter.ts"
import { HandlerConfigError } from "../src/HandlerConfigError.ts"
import * as LogRecord from "../src/LogRecord.ts"
import { throwsExactly } from "./utils/errors.ts"

const record = (input: Partial<LogRecord.LogRecordInput> = {}) =>
  LogRecord.make({ logger: "demo.app", level: "INFO", message: "hello", ...input })

describe("Formatter.defaultFormatter", () => {
  it("renders the seed's line", () => {
    assert.strictEqual(Formatter.defaultFormatter(record()), "demo.app [INFO] hello")
    assert.strictEqual(
      Formatter.defaultFormatter(record({ logger: "root", level: "WARN", message: "x" })),
      "root [WARN] x"
    )
    assert.strictEqual(Formatter.line("demo.app", "INFO", "hello"), "demo.app [INFO] hello")
  })

  it("renders fields as key=value pairs after the message, in insertion order", () => {
    assert.strictEqual(
      Formatter.defaultFormatter(record({ level: "WARN", message: "x", logger: "root", fields: { n: 1 } })),
      "root [WARN] x n=1"
    )
    assert.strictEqual(
      Formatter.defaultFormatter(record({
        fields: { user: "bob", text: "two words", empty: "", ok: true, obj: { a: 1 }, list: [1, 2], none: null }
      })),
      "demo.app [INFO] hello user=bob text=\"two words\" empty=\"\" ok=true obj={\"a\":1} list=[1,2] none=null"
    )
    assert.strictEqual(
      Formatter.renderFields({ big: 12n, missing: undefined, quote: "a\"b", eq: "a=b" }),
      " big=12 missing=undefined quote=\"a\\\"b\" eq=\"a=b\""
    )
    assert.strictEqual(Formatter.renderFields(undefined), "")
  })

  it("renders an error field by its message", () => {
    assert.strictEqual(Formatter.renderFields({ reason: new Error("nope") }), " reason=\"nope\"")
  })

  it("renders values JSON cannot, without throwing", () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    assert.match(Formatter.renderFields({ cyclic, n: 1 }), /^ cyclic=.+ n=1$/)
  })

  it("renders an error's stack and each cause after `Caused by:`", () => {
    const cause = new RangeError("disk full")
    const error = new Error("write failed", { cause })
    const text = Formatter.defaultFormatter(record({ level: "ERROR", message: "save", error }))
    assert.strictEqual(text, `demo.app [ERROR] save\n${error.stack}\nCaused by: ${cause.stack}`)
    assert.isTrue(text.includes("\nCaused by: RangeError: disk full"))
  })

  it("renders fields before the error", () => {
    const error = new Error("boom")
    assert.strictEqual(
      Formatter.defaultFormatter(record({ level: "ERROR", message: "m", fields: { id: 7 }, error })),
      `demo.app [ERROR] m id=7\n${error.stack}`
    )
  })

  it("renders an error without a stack as `name: message`", () => {
    assert.strictEqual(
      Formatter.renderError({
        name: "Error",
        message: "top",
        stack: undefined,
        causes: [{ name: "string", message: "why", stack: undefined }]
      }),
      "Error: top\nCaused by: string: why"
    )
  })
})

describe("Formatter.json", () => {
  it("writes time, level, logger, message, then fields, then error, in that order", () => {
    const error = new Error("boom")
    const r = record({
      level: "ERROR",
      message: "failed",
      timestampNs: 1_700_000_000_123_000_000,
      fields: { user: "bob", n: 2 },
      error
    })
    const text = Formatter.json(r)
    const parsed = JSON.parse(text) as Record<string, unknown>
    assert.deepStrictEqual(Object.keys(parsed), ["time", "level", "logger", "message", "user", "n", "error"])
    assert.strictEqual(parsed.time, "2023-11-14T22:13:20.123Z")
    assert.strictEqual(parsed.level, "ERROR")
    assert.strictEqual(parsed.logger, "demo.app")
    assert.strictEqual(parsed.message, "failed")
    assert.strictEqual(parsed.user, "bob")
    assert.strictEqual(parsed.n, 2)
    assert.deepStrictEqual(parsed.error, { name: "Error", message: "boom", stack: error.stack, causes: [] })
    assert.isFalse(text.includes("\n"))
  })

  it("omits error when there is none", () => {
    const parsed = JSON.parse(Formatter.json(record({ timestampNs: 0 }))) as Record<string, unknown>
    assert.deepStrictEqual(parsed, {
      time: "1970-01-01T00:00:00.000Z",
      level: "INFO",
      logger: "demo.app",
      message: "hello"
    })
  })
})

describe("Formatter.resolve", () => {
  it("resolves \"default\" to the default formatter", () => {
    assert.strictEqual(Formatter.resolve("default"), Formatter.defaultFormatter)
  })

  it("returns a function as is", () => {
    const f: Formatter.Formatter = (r) => r.message.toUpperCase()
    assert.strictEqual(Formatter.resolve(f), f)
  })

  it("accepts an object with a format method", () => {
    const f = Formatter.resolve({ format: (r) => `<${r.message}>` })
    assert.strictEqual(f(record()), "<hello>")
  })

  it("rejects unknown identifiers with a HandlerConfigError naming the formatter field", () => {
    const error = throwsExactly(
      () => Formatter.resolve("fancy" as "default"),
      HandlerConfigError,
      "unknown formatter id: fancy (known: default, json)"
    )
    assert.strictEqual(error.field, "formatter")
  })

  it("resolves the named formatters", () => {
    assert.strictEqual(Formatter.resolve("default"), Formatter.defaultFormatter)
    assert.strictEqual(Formatter.resolve("json"), Formatter.json)
  })

  it("json: fields never overwrite the record's own keys", () => {
    const line = JSON.parse(Formatter.json(record({ level: "ERROR", fields: { level: "DEBUG", message: "fake", n: 1 } })))
    assert.strictEqual(line.level, "ERROR")
    assert.strictEqual(line.message, "hello")
    assert.strictEqual(line.n, 1)
  })

  it("rejects values that are neither identifiers nor callables", () => {
    for (const value of [42, null, {}, { format: "x" }]) {
      throwsExactly(
        () => Formatter.resolve(value as unknown as "default"),
        HandlerConfigError,
        "invalid formatter: expected a string identifier or callable"
      )
    }
  })
})

describe("Formatter.guard", () => {
  it("keeps a record whose formatter throws, as the seed's line with the error", () => {
    const guarded = Formatter.guard((record) => {
      if (record.message === "bad") throw new Error("no JSON for you")
      return `ok:${record.message}`
    }, "test handler")
    assert.strictEqual(guarded(LogRecord.make({ logger: "a", level: "INFO", message: "fine" })), "ok:fine")
    assert.strictEqual(
      guarded(LogRecord.make({ logger: "a", level: "WARN", message: "bad" })),
      "a [WARN] bad [formatter failed: Error: no JSON for you]"
    )
  })

  it("guards the default formatter too: a field that cannot be rendered does not lose the record", () => {
    const unrenderable = Object.assign(Object.create(null), { n: 1n })
    const record = LogRecord.make({ logger: "a", level: "INFO", message: "bad", fields: { data: unrenderable } })
    assert.throws(() => Formatter.defaultFormatter(record))
    assert.match(Formatter.guard(Formatter.defaultFormatter, "x")(record), /^a \[INFO\] bad \[formatter failed: /)
  })

  it("through a file handler: every record is written, none counted as dropped", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "femto-guard-"))
    const file = path.join(dir, "app.log")
    const handler = new FemtoFileHandler(file, {
      formatter: (record) => {
        if (record.message.endsWith("3")) throw new Error("boom")
        return record.message
      }
    })
    for (let i = 0; i < 10; i++) handler.handle("g", "INFO", `m${i}`)
    await handler.close()
    const lines = fs.readFileSync(file, "utf8").trimEnd().split("\n")
    assert.strictEqual(lines.length, 10)
    assert.strictEqual(lines[2], "m2")
    assert.strictEqual(lines[3], "g [INFO] m3 [formatter failed: Error: boom]")
    assert.strictEqual(handler.getDropped(), 0)
    fs.rmSync(dir, { recursive: true, force: true })
  })
})
