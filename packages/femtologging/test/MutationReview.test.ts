/**
 * Found by mutation testing of setFormatter and its watchers, basicConfig's and dictConfig's rule
 * for the handlers they are given, dictConfig's `None`s, fileConfig's options, the log calls'
 * argument rules and logfmt's keys: each test here failed with a small change to the source that
 * no other test noticed. Through the public API, real files, python3 as the oracle where CPython
 * says what is right.
 */
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { basicConfig } from "../src/BasicConfig.ts"
import { dictConfig } from "../src/Config.ts"
import { ConfigError } from "../src/ConfigError.ts"
import { getLogger } from "../src/Facade.ts"
import { FemtoFileHandler } from "../src/FileHandler.ts"
import { fileConfig, type FileConfigOptions } from "../src/FileConfig.ts"
import * as Formatter from "../src/Formatter.ts"
import { FemtoMemoryHandler } from "../src/MemoryHandler.ts"
import { FemtoSocketHandler } from "../src/SocketHandler.ts"
import { CaptureHandler } from "../src/Testing.ts"
import { closeConfigured, detachRoot, isolateConfiguration, oracle, suffix } from "./utils/configured.ts"
import { thrown } from "./utils/errors.ts"
import { tempDir } from "./utils/files.ts"

const tempFile = (name: string): string => path.join(tempDir(), name)

/** Runs a python3 script with `args` and returns its stdout. */
const python = (script: string, ...args: ReadonlyArray<string>): string => {
  const result = spawnSync("python3", ["-c", script, ...args], { encoding: "utf8" })
  assert.strictEqual(result.status, 0, result.stderr)
  return result.stdout
}

isolateConfiguration()

describe("setFormatter", () => {
  it("guards the formatter it is given: one that throws or returns no string loses no record", async () => {
    const file = tempFile("guarded.log")
    const handler = new FemtoFileHandler(file)
    const log = getLogger("app.guard")
    log.addHandler(handler)
    handler.setFormatter(() => {
      throw new Error("boom")
    })
    log.info("thrown")
    await handler.flush()
    handler.formatter = (() => undefined) as unknown as Formatter.Formatter
    log.info("returned nothing")
    await handler.close()
    assert.strictEqual(handler.getDropped(), 0)
    assert.deepStrictEqual(fs.readFileSync(file, "utf8").split("\n"), [
      "app.guard [INFO] thrown [formatter failed: Error: boom]",
      "app.guard [INFO] returned nothing [formatter failed: returned undefined, not a string]",
      ""
    ])
  })

  oracle(`a formatter set on a handler is its own: basicConfig({ handlers }) leaves it${suffix}`, async () => {
    const theirs = tempFile("theirs.log")
    python(String.raw`
import logging, sys
a = logging.FileHandler(sys.argv[1])
a.setFormatter(logging.Formatter("set %(message)s"))
b = logging.FileHandler(sys.argv[1])
b.formatter = logging.Formatter("assigned %(message)s")
logging.basicConfig(handlers=[a, b], format="basic %(message)s")
logging.getLogger("app").warning("hello")
logging.shutdown()
`, theirs)
    const ours = tempFile("ours.log")
    const a = new FemtoFileHandler(ours)
    a.setFormatter(Formatter.python("set %(message)s"))
    const b = new FemtoFileHandler(ours)
    b.formatter = Formatter.python("assigned %(message)s")
    basicConfig({ handlers: [a, b], format: "basic %(message)s" })
    getLogger("app").warning("hello")
    await detachRoot()
    assert.strictEqual(fs.readFileSync(ours, "utf8"), fs.readFileSync(theirs, "utf8"))
  })

  it("a formatter object marked as printing the caller (the marker set on the object) gets it captured", async () => {
    const file = tempFile("marked.log")
    const formatter = { format: (r: Parameters<Formatter.Formatter>[0]) => `${r.functionName}:${r.message}` }
    Object.defineProperty(formatter, Symbol.for("femtologging/Formatter/needsCaller"), { value: true })
    const handler = new FemtoFileHandler(file, { formatter })
    const log = getLogger("app.marked")
    log.addHandler(handler)
    function markedCaller() {
      log.info("hi")
    }
    markedCaller()
    await handler.close()
    assert.strictEqual(fs.readFileSync(file, "utf8"), "markedCaller:hi\n")
  })
})

describe("handlers that write no text lines, given a formatter", () => {
  it("basicConfig({ handlers }) takes a memory handler and a socket handler, as CPython does", async () => {
    const file = tempFile("target.log")
    const target = new FemtoFileHandler(file, { formatter: Formatter.python("%(message)s") })
    const memory = new FemtoMemoryHandler(target, { capacity: 10 })
    // Nothing reaches the socket handler: this is about basicConfig taking it.
    const socket = new FemtoSocketHandler({ host: "127.0.0.1", port: 9, level: "CRITICAL" })
    try {
      basicConfig({ handlers: [memory, socket], format: "basic %(message)s" })
      getLogger("app").warning("kept")
      await memory.close()
      await target.close()
      assert.strictEqual(fs.readFileSync(file, "utf8"), "kept\n")
    } finally {
      await detachRoot()
      await socket.close()
    }
  })

  it("a '()' factory in dictConfig may make a memory handler or a socket handler under a configured formatter", async () => {
    const file = tempFile("target.log")
    const target = new FemtoFileHandler(file, { formatter: Formatter.python("%(message)s") })
    let socket: FemtoSocketHandler | undefined
    dictConfig({
      version: 1,
      formatters: { f: { format: "configured %(message)s" } },
      handlers: {
        memory: { "()": "memory", formatter: "f" },
        socket: { "()": "socket", formatter: "f" }
      },
      root: { level: "INFO", handlers: ["memory", "socket"] }
    }, {
      registry: {
        factories: {
          memory: () => new FemtoMemoryHandler(target, { capacity: 10 }),
          socket: () => (socket = new FemtoSocketHandler({ host: "127.0.0.1", port: 9, level: "CRITICAL" }))
        }
      }
    })
    getLogger("app").warning("kept")
    await closeConfigured()
    await target.close()
    assert.isDefined(socket)
    assert.strictEqual(fs.readFileSync(file, "utf8"), "kept\n")
  })

  it("a '()' factory that made its handler with a formatter of its own (wrapping the configured one) keeps it", async () => {
    const file = tempFile("wrapped.log")
    dictConfig({
      version: 1,
      formatters: { f: { format: "%(levelname)s %(message)s" } },
      handlers: { h: { "()": "wrapping", formatter: "f" } },
      root: { level: "INFO", handlers: ["h"] }
    }, {
      registry: {
        factories: {
          wrapping: (o: Record<string, unknown>) => {
            const inner = o.formatter as Formatter.Formatter
            return new FemtoFileHandler(file, { formatter: (r) => `<${inner(r)}>` })
          }
        }
      }
    })
    getLogger("app").warning("hello")
    await closeConfigured()
    assert.strictEqual(fs.readFileSync(file, "utf8"), "<WARNING hello>\n")
  })
})

describe("dictConfig's None", () => {
  oracle(`a '()' formatter factory is given its null keywords as they are, as CPython's${suffix}`, async () => {
    const section = { "()": "fmt", format: "x", defaults: null, class: null, validate: null }
    const theirs = python(String.raw`
import json, logging, logging.config
seen = []
def fmt(**kw):
    seen.append(kw)
    return logging.Formatter("%(message)s")
section = json.loads(__import__("sys").argv[1])
section["()"] = fmt
logging.config.dictConfig({"version": 1, "formatters": {"f": section}})
print(json.dumps(seen[0], sort_keys=True))
`, JSON.stringify(section))
    const seen: Array<Record<string, unknown>> = []
    dictConfig({ version: 1, formatters: { f: section } }, {
      registry: {
        factories: {
          fmt: (o: Record<string, unknown>) => {
            seen.push(o)
            return Formatter.python("%(message)s")
          }
        }
      }
    })
    assert.deepStrictEqual(seen, [JSON.parse(theirs)])
  })

  oracle(`stream: null is refused for a handler that takes no stream, as CPython refuses it${suffix}`, async () => {
    const file = tempFile("x.log")
    const config = { version: 1, handlers: { f: { class: "logging.FileHandler", filename: file, stream: null } }, root: { handlers: ["f"] } }
    const theirs = python(String.raw`
import json, logging.config, sys
try:
    logging.config.dictConfig(json.loads(sys.argv[1]))
    print("accepted")
except ValueError as e:
    print("refused")
`, JSON.stringify(config))
    assert.strictEqual(theirs.trim(), "refused")
    const error = thrown(() => dictConfig(config))
    assert.instanceOf(error, ConfigError)
    assert.match((error as Error).message, /handlers\.f\.stream/)
  })
})

describe("fileConfig's options", () => {
  it("null, a number, a boolean or a string for the options is a ConfigError naming it", () => {
    const file = path.join(tempDir(), "logging.ini")
    fs.writeFileSync(file, "[loggers]\nkeys=root\n[handlers]\nkeys=\n[formatters]\nkeys=\n[logger_root]\nlevel=DEBUG\nhandlers=\n")
    for (const [options, got] of [[null, "null"], [42, "42"], [true, "true"], ["ab", "ab"]] as const) {
      assert.throws(() => fileConfig(file, options as unknown as FileConfigOptions), ConfigError, `${file}: expected an object of options, got ${got}`)
    }
    assert.strictEqual(getLogger().level, "INFO")
  })
})

describe("log calls", () => {
  let capture: CaptureHandler
  beforeEach(() => {
    capture = new CaptureHandler()
    getLogger("svc").addHandler(capture)
  })
  afterEach(() => capture.close())

  it("a class instance right after the message, with more arguments after it, is fields (as alone)", async () => {
    class User {
      id = 7
      name = "ada"
    }
    getLogger("svc").info("login", new User(), "late")
    await capture.flush()
    assert.deepStrictEqual(capture.records.map((r) => [r.message, r.fields === undefined ? undefined : { ...r.fields }]), [
      ["login late", { id: 7, name: "ada" }]
    ])
  })

  it("an array logged alone stays its text: it is no merging object", async () => {
    getLogger("svc").info([{ id: 1 }])
    getLogger("svc").info(["a", "b"])
    await capture.flush()
    assert.deepStrictEqual(capture.records.map((r) => [r.message, r.fields]), [
      ["[object Object]", undefined],
      ["a,b", undefined]
    ])
  })

  it("a field's key holding a tab, a carriage return or another control character is quoted", async () => {
    getLogger("svc").info("keys", { "a\tb": 1, "c\rd": 2, "e\u0001": 3 })
    await capture.flush()
    const record = capture.records[0]!
    assert.strictEqual(Formatter.defaultFormatter(record), `svc [INFO] keys "a\\tb"=1 "c\\rd"=2 "e\\u0001"=3`)
    assert.match(Formatter.logfmt(record), / msg=keys "a\\tb"=1 "c\\rd"=2 "e\\u0001"=3$/)
  })
})
