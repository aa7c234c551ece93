import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as querystring from "node:querystring"
import * as vm from "node:vm"
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
    // Numbers as JavaScript writes them, NaN and Infinity too (JSON would write null).
    assert.strictEqual(
      Formatter.defaultFormatter(record({ level: "WARN", message: "x", logger: "root", fields: { a: NaN, b: -Infinity, c: -0, d: 1e21 } })),
      "root [WARN] x a=NaN b=-Infinity c=0 d=1e+21"
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

  it("quotes a value holding a control character, which JSON escapes: an ESC in a field cannot drive a terminal", () => {
    assert.strictEqual(
      Formatter.renderFields({ color: "\u001b[31mred", nul: "a\u0000b", del: "x\u007f" }),
      ` color="\\u001b[31mred" nul="a\\u0000b" del="x\u007f"`
    )
    // A key by the same rule as a value.
    assert.strictEqual(Formatter.renderFields({ "a\u007fb": 1, "c\u001bd": 2 }), ` "a\u007fb"=1 "c\\u001bd"=2`)
    // logfmt quotes them the same way.
    assert.match(
      Formatter.logfmt({ logger: "l", level: "INFO", message: "m", timestampNs: 0, fields: { c: "\u001b[2J" } } as never),
      / c="\\u001b\[2J"$/
    )
  })

  it("renders an error field by its message", () => {
    assert.strictEqual(Formatter.renderFields({ reason: new Error("nope") }), " reason=\"nope\"")
  })

  it("renders values JSON cannot, without throwing", () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    assert.strictEqual(Formatter.renderFields({ cyclic, n: 1 }), " cyclic={\"self\":\"[Circular]\"} n=1")
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
      "unknown formatter id: fancy (known: default, json, logfmt)"
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

  it("has nothing to catch from the built-in formatters: a field JSON rejects is written, not lost", () => {
    const unrenderable = Object.assign(Object.create(null), { n: 1n })
    const record = LogRecord.make({ logger: "a", level: "INFO", message: "bad", fields: { data: unrenderable } })
    assert.strictEqual(Formatter.defaultFormatter(record), "a [INFO] bad data={\"n\":\"1\"}")
    assert.strictEqual(Formatter.guard(Formatter.defaultFormatter, "x")(record), "a [INFO] bad data={\"n\":\"1\"}")
  })

  it("writes the seed's line of a record it cannot read, without throwing", () => {
    const guarded = Formatter.guard(() => {
      throw new Error("no")
    }, "test handler")
    const record = { ...LogRecord.make({ logger: "a", level: "INFO", message: "m" }), message: Symbol("s") }
    assert.strictEqual(guarded(record as unknown as LogRecord.LogRecord), "a [INFO] Symbol(s) [formatter failed: Error: no]")
  })

  it("a formatter that returns no string (a forgotten return) is a failed one: the record is written as the seed's line, the process goes on", async () => {
    // Found by the CPython API review: a formatter returning undefined, a number or an object
    // (from a function or a Python-style formatter object's format()) ended the process with an
    // uncaught TypeError from the handler's delivery ("Cannot read properties of undefined
    // (reading 'length')", "argument must be a string"). CPython reports a non-str from a
    // formatter as a logging error and goes on.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "femto-guard-"))
    const file = path.join(dir, "app.log")
    const handler = new FemtoFileHandler(file, {
      formatter: (record) =>
        (record.message === "none" ? undefined : record.message === "number" ? 42 : record.message) as string
    })
    for (const message of ["before", "none", "number", "after"]) handler.handle("g", "INFO", message)
    await handler.close()
    assert.deepStrictEqual(fs.readFileSync(file, "utf8").trimEnd().split("\n"), [
      "before",
      "g [INFO] none [formatter failed: returned undefined, not a string]",
      "g [INFO] number [formatter failed: returned number, not a string]",
      "after"
    ])
    assert.strictEqual(handler.getDropped(), 0)
    fs.rmSync(dir, { recursive: true, force: true })
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

// ---------------------------------------------------------------------------------------------
// Errors' own properties, hostile values, reserved keys
// ---------------------------------------------------------------------------------------------

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

/** The json line of a record, checked to be one valid JSON object on one line. */
const jsonOf = (r: LogRecord.LogRecord): string => {
  const text = Formatter.json(r)
  assert.notInclude(text, "\n")
  const parsed: unknown = JSON.parse(text)
  assert.isTrue(typeof parsed === "object" && parsed !== null && !Array.isArray(parsed))
  return text
}

/** The start of the json line of `record({ timestampNs: 0 })`. */
const head = "{\"time\":\"1970-01-01T00:00:00.000Z\",\"level\":\"INFO\",\"logger\":\"demo.app\",\"message\":\"hello\""

const at0 = (input: Partial<LogRecord.LogRecordInput>) => record({ timestampNs: 0, ...input })

describe("Formatter.defaultFormatter: an error's own properties", () => {
  it("writes them on the line after the error's stack, in the error's key order", () => {
    const { error, file } = enoent()
    assert.strictEqual(
      Formatter.defaultFormatter(record({ level: "ERROR", message: "read failed", fields: { id: 7 }, error })),
      `demo.app [ERROR] read failed id=7\n${error.stack}\n  errno=-2 code=ENOENT syscall=open path=${file}`
    )
  })

  it("writes a cause's own properties after the cause's stack", () => {
    const cause = Object.assign(new Error("bad gateway"), { statusCode: 502, retry: true, body: "a b" })
    const error = new Error("request failed", { cause })
    assert.strictEqual(
      Formatter.defaultFormatter(record({ level: "ERROR", message: "m", error })),
      `demo.app [ERROR] m\n${error.stack}\nCaused by: ${cause.stack}\n  statusCode=502 retry=true body="a b"`
    )
  })

  it("writes them after `name: message` when there is no stack, and nothing for empty props", () => {
    assert.strictEqual(
      Formatter.renderError({ name: "Error", message: "top", stack: undefined, props: { code: "E1", n: 2n }, causes: [] }),
      "Error: top\n  code=E1 n=2"
    )
    assert.strictEqual(
      Formatter.renderError({ name: "Error", message: "top", stack: undefined, props: {}, causes: [] }),
      "Error: top"
    )
  })

  it("writes an error field as its message, then its own properties as key.prop pairs", () => {
    const reason = Object.assign(new Error("nope"), { code: "E_NOPE", status: 404, detail: { a: 1 } })
    assert.strictEqual(
      Formatter.renderFields({ reason, n: 1 }),
      " reason=\"nope\" reason.code=E_NOPE reason.status=404 reason.detail={\"a\":1} n=1"
    )
    const elsewhere = vm.runInNewContext("Object.assign(new TypeError('other realm'), { code: 7 })") as Error
    assert.strictEqual(Formatter.renderFields({ elsewhere }), " elsewhere=\"other realm\" elsewhere.code=7")
  })
})

describe("Formatter.defaultFormatter: values JSON cannot write", () => {
  it("writes a function as [Function name], never its source", () => {
    function onRequest() {
      return "SECRET_SOURCE"
    }
    class Widget {
      secret = "SECRET_SOURCE"
    }
    const anonymous = (() => () => "SECRET_SOURCE")()
    const text = Formatter.defaultFormatter(record({
      fields: { handler: onRequest, anonymous, Widget, bound: onRequest.bind(null), cfg: { a: 1, f: onRequest } }
    }))
    assert.strictEqual(
      text,
      "demo.app [INFO] hello handler=\"[Function onRequest]\" anonymous=\"[Function (anonymous)]\" " +
        "Widget=\"[Function Widget]\" bound=\"[Function bound onRequest]\" cfg={\"a\":1}"
    )
    assert.notInclude(text, "SECRET_SOURCE")
  })

  it("writes the fields of a null-prototype object (a querystring.parse result)", () => {
    const fields = querystring.parse("a=1&b=x y&c=1&c=2")
    assert.strictEqual(Object.getPrototypeOf(fields), null)
    assert.strictEqual(
      Formatter.defaultFormatter(record({ fields })),
      "demo.app [INFO] hello a=1 b=\"x y\" c=[\"1\",\"2\"]"
    )
    assert.strictEqual(
      Formatter.defaultFormatter(record({ fields: { q: fields } })),
      "demo.app [INFO] hello q={\"a\":\"1\",\"b\":\"x y\",\"c\":[\"1\",\"2\"]}"
    )
  })

  it("writes markers for cycles, bigints, throwing getters and toJSON, and keeps the rest", () => {
    const shared = { a: 1 }
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    const fields = {
      cyclic,
      pair: { l: shared, r: shared, n: 1n },
      obj: {
        a: 1,
        get bad(): number {
          throw new Error("no")
        }
      },
      t: {
        toJSON() {
          throw new Error("tj")
        }
      },
      weird: {
        toJSON: () => undefined,
        toString() {
          throw new Error("ts")
        }
      },
      s: Symbol("tag"),
      ok: "yes"
    }
    assert.strictEqual(
      Formatter.defaultFormatter(record({ fields })),
      "demo.app [INFO] hello cyclic={\"a\":1,\"self\":\"[Circular]\"} pair={\"l\":{\"a\":1},\"r\":{\"a\":1},\"n\":\"1\"} " +
        "obj={\"a\":1,\"bad\":\"[Getter threw: Error: no]\"} t=\"[toJSON threw: Error: tj]\" weird=[object Object] " +
        "s=Symbol(tag) ok=yes"
    )
  })

  it("writes a field whose getter throws as a marker (an `error` field too)", () => {
    const fields = {
      a: 1,
      get error(): unknown {
        throw new Error("nope")
      },
      b: 2
    }
    assert.strictEqual(
      Formatter.defaultFormatter(record({ fields })),
      "demo.app [INFO] hello a=1 error=\"[Getter threw: Error: nope]\" b=2"
    )
  })

  it("writes a Proxy as fields, whatever its traps throw", () => {
    const getThrows = new Proxy({ a: 1, b: 2 }, {
      get(target, key, receiver) {
        if (key === "b") throw new Error("trap")
        return Reflect.get(target, key, receiver)
      }
    })
    assert.strictEqual(
      Formatter.defaultFormatter(record({ fields: getThrows })),
      "demo.app [INFO] hello a=1 b=\"[Getter threw: Error: trap]\""
    )
    const keysThrow = new Proxy({ a: 1 }, {
      ownKeys() {
        throw new Error("keys")
      }
    })
    assert.strictEqual(
      Formatter.defaultFormatter(record({ fields: keysThrow })),
      "demo.app [INFO] hello fieldsError=\"[Unreadable: Error: keys]\""
    )
  })
})

describe("Formatter.json: reserved keys", () => {
  it("keeps a field named like a record key under field.<key>, prefixed again when that is taken", () => {
    const text = jsonOf(at0({
      level: "ERROR",
      fields: { time: "t", level: "l", logger: "g", message: "fake", error: "str", "field.message": "genuine", n: 1 }
    }))
    assert.strictEqual(
      text,
      "{\"time\":\"1970-01-01T00:00:00.000Z\",\"level\":\"ERROR\",\"logger\":\"demo.app\",\"message\":\"hello\"," +
        "\"field.time\":\"t\",\"field.level\":\"l\",\"field.logger\":\"g\",\"field.field.message\":\"fake\"," +
        "\"field.error\":\"str\",\"field.message\":\"genuine\",\"n\":1}"
    )
  })

  it("keeps a field named error apart from the record's error", () => {
    const error = new Error("boom")
    const parsed = JSON.parse(jsonOf(at0({ fields: { error: "timeout" }, error }))) as Record<string, unknown>
    assert.deepStrictEqual(Object.keys(parsed), ["time", "level", "logger", "message", "field.error", "error"])
    assert.strictEqual(parsed["field.error"], "timeout")
    assert.deepStrictEqual(parsed.error, { name: "Error", message: "boom", stack: error.stack, causes: [] })
  })

  it("keeps an index-like key after the record's keys, and an own __proto__ key", () => {
    assert.strictEqual(
      jsonOf(at0({ fields: JSON.parse("{\"b\":1,\"404\":2,\"__proto__\":{\"x\":1}}") })),
      `${head},"404":2,"b":1,"__proto__":{"x":1}}`
    )
    assert.strictEqual(
      jsonOf(at0({ fields: JSON.parse("{\"__proto__\":{\"x\":1},\"b\":1}") })),
      `${head},"__proto__":{"x":1},"b":1}`
    )
  })
})

describe("Formatter.json: values JSON.stringify cannot write", () => {
  it("writes a bigint, anywhere, as its decimal string", () => {
    assert.strictEqual(
      jsonOf(at0({ fields: { big: 12n, neg: -(2n ** 70n), nested: { n: 1n, list: [2n] } } })),
      `${head},"big":"12","neg":"-1180591620717411303424","nested":{"n":"1","list":["2"]}}`
    )
  })

  it("writes a reference back to an enclosing object as [Circular], shared ones in full", () => {
    const shared = { a: 1 }
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    cyclic.list = [cyclic, shared]
    assert.strictEqual(
      jsonOf(at0({ fields: { cyclic, pair: [shared, shared], n: 1 } })),
      `${head},"cyclic":{"a":1,"self":"[Circular]","list":["[Circular]",{"a":1}]},"pair":[{"a":1},{"a":1}],"n":1}`
    )
  })

  it("writes a function field as [Function name], never its source; nested ones as JSON does", () => {
    function onRequest() {
      return "SECRET_SOURCE"
    }
    const anonymous = (() => () => "SECRET_SOURCE")()
    const fields = {
      handler: onRequest,
      anonymous,
      cfg: { a: 1, f: onRequest },
      list: [1, anonymous],
      // the same, in a value JSON.stringify rejects (the bigint), so written by the fallback
      cfg2: { a: 1, f: onRequest, n: 1n },
      list2: [1, anonymous, 3n]
    }
    const text = jsonOf(at0({ fields }))
    assert.strictEqual(
      text,
      `${head},"handler":"[Function onRequest]","anonymous":"[Function (anonymous)]","cfg":{"a":1},"list":[1,null],` +
        `"cfg2":{"a":1,"n":"1"},"list2":[1,null,"3"]}`
    )
    assert.notInclude(text, "SECRET_SOURCE")
    // a record that JSON.stringify takes whole (no fallback anywhere)
    const { handler, cfg, list } = fields
    assert.strictEqual(
      jsonOf(at0({ fields: { handler, anonymous, cfg, list } })),
      `${head},"handler":"[Function onRequest]","anonymous":"[Function (anonymous)]","cfg":{"a":1},"list":[1,null]}`
    )
  })

  it("writes a throwing getter, trap or toJSON as a marker and keeps the rest", () => {
    const fields = {
      a: 1,
      get boom(): number {
        throw new Error("x")
      },
      get error(): unknown {
        throw new Error("nope")
      },
      nested: {
        ok: true,
        get bad(): number {
          throw new Error("no")
        }
      },
      t: {
        toJSON() {
          throw new Error("tj")
        }
      },
      p: new Proxy({ k: 1 }, {
        get() {
          throw new Error("trap")
        }
      })
    }
    assert.strictEqual(
      jsonOf(at0({ fields })),
      `${head},"a":1,"boom":"[Getter threw: Error: x]","field.error":"[Getter threw: Error: nope]",` +
        `"nested":{"ok":true,"bad":"[Getter threw: Error: no]"},"t":"[toJSON threw: Error: tj]",` +
        `"p":"[Getter threw: Error: trap]"}`
    )
  })

  it("writes a Proxy as fields, and fieldsError when its keys cannot be listed", () => {
    assert.strictEqual(jsonOf(at0({ fields: new Proxy({ a: 1 }, {}) })), `${head},"a":1}`)
    const keysThrow = new Proxy({ a: 1 }, {
      ownKeys() {
        throw new Error("keys")
      }
    })
    assert.strictEqual(jsonOf(at0({ fields: keysThrow })), `${head},"fieldsError":"[Unreadable: Error: keys]"}`)
  })

  it("escapes lone surrogates, so the line is valid UTF-8", () => {
    const start = "{\"time\":\"1970-01-01T00:00:00.000Z\",\"level\":\"INFO\",\"logger\":\"demo.app\",\"message\":\"a\\ud800b\""
    // the whole record through JSON.stringify, then a record written piece by piece (the bigint)
    for (const [n, written] of [[1, "1"], [1n, "\"1\""]] as const) {
      const fields = { "k\uDC00": "\uDFFF\uD800", nested: { s: "\uD800", n }, fine: "😀" }
      const text = jsonOf(at0({ message: "a\uD800b", fields }))
      assert.strictEqual(
        text,
        `${start},"k\\udc00":"\\udfff\\ud800","nested":{"s":"\\ud800","n":${written}},"fine":"😀"}`
      )
      assert.strictEqual(Buffer.from(text, "utf8").toString("utf8"), text)
      const parsed = JSON.parse(text) as Record<string, unknown>
      assert.strictEqual(parsed.message, "a\uD800b")
      assert.strictEqual(parsed["k\uDC00"], "\uDFFF\uD800")
    }
  })

  it("writes a symbol field as its description and leaves out undefined, as JSON does nested", () => {
    const fields = { sym: Symbol("s"), gone: undefined, nested: { a: Symbol("x"), u: undefined, b: 1 }, list: [undefined] }
    assert.strictEqual(
      jsonOf(at0({ fields })),
      `${head},"sym":"Symbol(s)","nested":{"b":1},"list":[null]}`
    )
  })

  it("writes what JSON.stringify writes for ordinary values, on the fallback path too", () => {
    const values: Record<string, unknown> = {
      date: new Date(1_700_000_000_123),
      numbers: [1.5, -0, Number.NaN, Number.POSITIVE_INFINITY],
      wrappers: [Object(1), Object("s"), Object(true)],
      collections: [new Map([[1, 2]]), new Set([1])],
      typed: new Uint8Array([1, 2]),
      buffer: Buffer.from("hi"),
      keyed: { inner: { toJSON: (key: string) => `key=${key}` } },
      sparse: [1, , 3], // eslint-disable-line no-sparse-arrays
      hidden: Object.defineProperty({ shown: 1 }, "hidden", { value: 2, enumerable: false }),
      symbolKey: { [Symbol("k")]: 1, s: 2 },
      inherited: Object.create({ up: 1 }, { own: { value: 2, enumerable: true } }),
      dropped: { toJSON: () => undefined },
      raw: (JSON as unknown as { rawJSON: (text: string) => unknown }).rawJSON("12345678901234567890")
    }
    for (const [name, value] of Object.entries(values)) {
      const expected = JSON.stringify({ value, n: "1" })
      // fast path
      assert.strictEqual(jsonOf(at0({ fields: { v: { value, n: "1" } } })), `${head},"v":${expected}}`, name)
      // fallback path: the bigint makes JSON.stringify throw for the whole field
      assert.strictEqual(jsonOf(at0({ fields: { v: { value, n: 1n } } })), `${head},"v":${expected}}`, name)
    }
  })

  it("writes an Error field like the record's error, with its own properties", () => {
    const reason = Object.assign(new Error("nope"), { code: "E_NOPE" })
    const parsed = JSON.parse(jsonOf(at0({ fields: { reason } }))) as Record<string, unknown>
    assert.deepStrictEqual(parsed.reason, {
      name: "Error",
      message: "nope",
      stack: reason.stack,
      props: { code: "E_NOPE" },
      causes: []
    })
  })
})

describe("Formatter.json: the record's error", () => {
  it("writes the error's own properties under props, for the error and each cause", () => {
    const { error: cause, file } = enoent()
    const error = Object.assign(new Error("read failed", { cause }), { id: 2n ** 64n, retry: false })
    const parsed = JSON.parse(jsonOf(at0({ level: "ERROR", error }))) as Record<string, unknown>
    assert.deepStrictEqual(Object.keys(parsed), ["time", "level", "logger", "message", "error"])
    assert.deepStrictEqual(parsed.error, {
      name: "Error",
      message: "read failed",
      stack: error.stack,
      props: { id: "18446744073709551616", retry: false },
      causes: [{
        name: "Error",
        message: cause.message,
        stack: cause.stack,
        props: { errno: -2, code: "ENOENT", syscall: "open", path: file }
      }]
    })
  })
})

describe("Formatter.json: time", () => {
  it("is what Date.prototype.toISOString writes, for any time a Date can hold", () => {
    const times = [0, 1, 999, 1000, 1001, -1, -999, -1000, -1001, -0.5, 0.9, 1_700_000_000_123.9, 8.64e15, -8.64e15,
      253_402_300_800_000, -62_198_755_200_000]
    let seed = 42
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648
    for (let i = 0; i < 2000; i++) times.push((random() - 0.5) * 2e13 + random())
    // several records within one second, then back
    for (let ms = 1_700_000_000_000; ms < 1_700_000_000_000 + 2500; ms += 97) times.push(ms, 1_600_000_000_000)
    for (const ms of times) {
      const r = at0({ timestampNs: ms * 1e6 })
      const parsed = JSON.parse(jsonOf(r)) as Record<string, unknown>
      assert.strictEqual(parsed.time, new Date(LogRecord.timestampMs(r)).toISOString(), String(ms))
    }
  })

  it("is null for a time a Date cannot hold", () => {
    for (const ns of [Number.NaN, Number.POSITIVE_INFINITY, 8.64e21 + 1e9, -8.64e21 - 1e9]) {
      assert.strictEqual(jsonOf(at0({ timestampNs: ns })), `{"time":null,"level":"INFO","logger":"demo.app","message":"hello"}`)
    }
  })
})

describe("Formatter: records that are not what their type says", () => {
  const { proxy: revoked, revoke } = Proxy.revocable({}, {})
  revoke()
  const revokedMessage = (() => {
    try {
      return (revoked as { readonly x?: unknown }).x
    } catch (error) {
      return String(error)
    }
  })()

  it("writes what can be read of a revoked Proxy", () => {
    const record = revoked as LogRecord.LogRecord
    const marker = `[Getter threw: ${revokedMessage}]`
    assert.strictEqual(
      Formatter.defaultFormatter(record),
      `${marker} [${marker}] ${marker} fieldsError=${JSON.stringify(`[Unreadable: ${revokedMessage}]`)}\n` +
        `[error could not be rendered: ${revokedMessage}]`
    )
    assert.strictEqual(
      jsonOf(record),
      `{"time":null,"level":${JSON.stringify(marker)},"logger":${JSON.stringify(marker)},"message":${
        JSON.stringify(marker)
      },"fieldsError":${JSON.stringify(`[Unreadable: ${revokedMessage}]`)},"error":${JSON.stringify(marker)}}`
    )
  })

  it("never throws, and json always writes one object with time, level, logger and message first", () => {
    const base = at0({})
    const junk: Array<unknown> = [
      revoked,
      { ...base, message: Symbol("m") },
      { ...base, logger: { toString: () => { throw new Error("ts") } } },
      { ...base, level: 1n },
      { ...base, message: undefined },
      { ...base, error: { causes: 5 } },
      { ...base, error: { name: "E", message: "m", stack: undefined, props: { n: 1n }, causes: [] } },
      { ...base, timestampNs: 10n },
      { ...base, fields: revoked },
      { ...base, fields: "abc" },
      { ...base, fields: null }
    ]
    for (const r of junk) {
      const record = r as LogRecord.LogRecord
      assert.isString(Formatter.defaultFormatter(record))
      const parsed = JSON.parse(jsonOf(record)) as Record<string, unknown>
      assert.deepStrictEqual(Object.keys(parsed).slice(0, 4), ["time", "level", "logger", "message"])
    }
    assert.strictEqual(
      Formatter.defaultFormatter(junk[1] as LogRecord.LogRecord),
      "demo.app [INFO] Symbol(m)"
    )
    assert.strictEqual(
      Formatter.defaultFormatter({ ...base, message: () => "SECRET_SOURCE" } as unknown as LogRecord.LogRecord),
      "demo.app [INFO] [Function message]"
    )
    assert.strictEqual(
      Formatter.defaultFormatter(junk[2] as LogRecord.LogRecord),
      "[object Object] [INFO] hello"
    )
    assert.strictEqual(
      Formatter.json(junk[4] as LogRecord.LogRecord),
      `{"time":"1970-01-01T00:00:00.000Z","level":"INFO","logger":"demo.app","message":null}`
    )
    assert.strictEqual(
      Formatter.json({ ...base, message: () => "SECRET_SOURCE" } as unknown as LogRecord.LogRecord),
      `{"time":"1970-01-01T00:00:00.000Z","level":"INFO","logger":"demo.app","message":"[Function message]"}`
    )
    assert.strictEqual(
      Formatter.json(junk[3] as LogRecord.LogRecord),
      `{"time":"1970-01-01T00:00:00.000Z","level":"1","logger":"demo.app","message":"hello"}`
    )
    assert.strictEqual(
      Formatter.json(junk[6] as LogRecord.LogRecord),
      `${head},"error":{"name":"E","message":"m","props":{"n":"1"},"causes":[]}}`
    )
  })
})

describe("Formatter.logfmt", () => {
  it("a field named like one of its own keys is written as field.<key>, so a reader does not take it for the record's", async () => {
    // Found by the pino/winston migration review: `{ level: "x" }` wrote `level=INFO … level=x`,
    // and logfmt readers take the last of two equal keys (the record read as level x).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "femto-logfmt-"))
    const file = path.join(dir, "app.log")
    const handler = new FemtoFileHandler(file, { formatter: "logfmt" })
    const fields = { time: 1, level: "x", logger: "y", msg: "m", error: "e", stack: "s", "field.level": 2, ok: true }
    handler.handleRecord(record({ level: "WARN", fields }))
    await handler.close()
    const line = fs.readFileSync(file, "utf8").trimEnd()
    fs.rmSync(dir, { recursive: true, force: true })
    const pairs = line.split(" ").slice(4).join(" ")
    assert.strictEqual(
      pairs,
      "field.time=1 field.field.level=x field.logger=y field.msg=m field.error=e field.stack=s field.level=2 ok=true"
    )
    const keys = line.split(" ").map((pair) => pair.split("=")[0])
    assert.strictEqual(keys.filter((key) => key === "level").length, 1)
    assert.match(line, /^time=\S+ level=WARN logger=demo\.app msg=hello /)
  })
})
