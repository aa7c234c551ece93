/**
 * `setFormatter` / `handler.formatter =` (CPython's `Handler.setFormatter`), and basicConfig's
 * rule for the handlers it is given (`if h.formatter is None: h.setFormatter(fmt)`): real files,
 * inline and on a worker thread, with python3 as the oracle.
 */
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { basicConfig } from "../src/BasicConfig.ts"
import { getLogger, resetManager } from "../src/Facade.ts"
import { FemtoFileHandler } from "../src/FileHandler.ts"
import * as Formatter from "../src/Formatter.ts"
import { HandlerConfigError } from "../src/HandlerConfigError.ts"
import { FemtoMemoryHandler } from "../src/MemoryHandler.ts"
import { FemtoSocketHandler } from "../src/SocketHandler.ts"
import { CaptureHandler } from "../src/Testing.ts"
import { detachRoot as detach, oracle, suffix } from "./utils/configured.ts"
import { thrown } from "./utils/errors.ts"
import { removeTempDirs, tempDir } from "./utils/files.ts"

const tempFile = (name: string): string => path.join(tempDir(), name)

beforeEach(async () => {
  await detach()
  resetManager()
})
afterEach(async () => {
  await detach()
  removeTempDirs()
})

/** Runs a python3 script with `file` as its first argument and returns what it wrote there. */
const cpython = (script: string): string => {
  const file = tempFile("theirs.log")
  const result = spawnSync("python3", ["-c", script, file], { encoding: "utf8" })
  assert.strictEqual(result.status, 0, result.stderr)
  return fs.readFileSync(file, "utf8")
}

describe("setFormatter", () => {
  for (const executor of ["inline", "worker"] as const) {
    oracle(`records logged before the call keep their format, later ones get the new one (${executor})${suffix}`, async () => {
      const theirs = cpython(String.raw`
import logging, sys
h = logging.FileHandler(sys.argv[1])
h.setFormatter(logging.Formatter("%(name)s [%(levelname)s] %(message)s"))
log = logging.getLogger("app.sf")
log.setLevel(logging.INFO)
log.addHandler(h)
log.info("before")
log.info("also before")
h.setFormatter(logging.Formatter("%(levelname)s|%(name)s|%(message)s"))
log.info("after")
h.formatter = logging.Formatter("%(message)s!")
log.error("last")
h.close()
`)
      const ours = tempFile("ours.log")
      const handler = new FemtoFileHandler(ours, { executor })
      const log = getLogger("app.sf")
      log.addHandler(handler)
      // All in one turn: the first two are still queued when the formatter changes.
      log.info("before")
      log.info("also before")
      handler.setFormatter(Formatter.python("%(levelname)s|%(name)s|%(message)s"))
      log.info("after")
      handler.formatter = Formatter.python("%(message)s!")
      log.error("last")
      await handler.close()
      // The default line is `<logger> [<LEVEL>] <message>`, as the first CPython formatter.
      assert.strictEqual(fs.readFileSync(ours, "utf8"), theirs)
    })
  }

  it("a formatter that needs the caller, set after the handler was attached, gets it", async () => {
    const ours = tempFile("caller.log")
    const handler = new FemtoFileHandler(ours)
    const log = getLogger("app.caller")
    log.addHandler(handler)
    function beforeTheChange() {
      log.info("one")
    }
    function afterTheChange() {
      log.info("two")
    }
    beforeTheChange()
    handler.setFormatter(Formatter.python("%(funcName)s:%(message)s"))
    afterTheChange()
    await handler.close()
    assert.strictEqual(fs.readFileSync(ours, "utf8"), "app.caller [INFO] one\nafterTheChange:two\n")
  })

  it("takes an id and an object with format(), and says what is wrong with anything else", async () => {
    const ours = tempFile("ids.log")
    const handler = new FemtoFileHandler(ours)
    const log = getLogger("app.ids")
    log.addHandler(handler)
    handler.setFormatter("logfmt")
    log.info("a b")
    handler.formatter = { format: (r) => `obj ${r.message}` }
    log.info("c")
    for (const bad of ["nope", 42, null, {}]) {
      const error = thrown(() => handler.setFormatter(bad as never))
      assert.instanceOf(error, HandlerConfigError)
      assert.match((error as Error).message, typeof bad === "string" ? /unknown formatter id: nope/ : /invalid formatter/)
    }
    log.info("d")
    await handler.close()
    const lines = fs.readFileSync(ours, "utf8").split("\n")
    assert.match(lines[0]!, /^time=\S+ level=INFO logger=app\.ids msg="a b"$/)
    assert.deepStrictEqual(lines.slice(1), ["obj c", "obj d", ""])
  })

  it("a capture handler's lines follow it; a memory handler takes it, as CPython's, and its target still formats", async () => {
    const capture = new CaptureHandler()
    const log = getLogger("app.capture")
    log.addHandler(capture)
    log.info("one")
    capture.setFormatter(Formatter.python("%(levelname)s|%(message)s"))
    await capture.flush()
    assert.deepStrictEqual(capture.lines, ["INFO|one"])
    const ours = tempFile("memory.log")
    const target = new FemtoFileHandler(ours)
    const memory = new FemtoMemoryHandler(target, { capacity: 10 })
    memory.setFormatter("json")
    log.addHandler(memory)
    log.error("two")
    await memory.close()
    await target.close()
    assert.strictEqual(fs.readFileSync(ours, "utf8"), "app.capture [ERROR] two\n")
  })

  it("refuses a handler that writes no text lines, naming it", async () => {
    const socket = new FemtoSocketHandler({ host: "127.0.0.1", port: 9 })
    try {
      const error = thrown(() => socket.setFormatter("json"))
      assert.instanceOf(error, HandlerConfigError)
      assert.match((error as Error).message, /^FemtoSocketHandler\(.*\) writes no text lines: it has no formatter to set/)
    } finally {
      await socket.close()
    }
  })
})

describe("basicConfig({ handlers })", () => {
  oracle(`formats a given handler that has no formatter of its own, and leaves one that has${suffix}`, async () => {
    const theirsPlain = tempFile("plain.log")
    const theirsOwn = tempFile("own.log")
    const script = String.raw`
import logging, sys
plain = logging.FileHandler(sys.argv[1])
own = logging.FileHandler(sys.argv[2])
own.setFormatter(logging.Formatter("own %(message)s"))
logging.basicConfig(handlers=[plain, own], level=logging.INFO, format="%(levelname)s|%(name)s|%(message)s")
logging.getLogger("app.basic").info("hello")
logging.basicConfig(handlers=[logging.FileHandler(sys.argv[1])], format="ignored %(message)s")
logging.getLogger("app.basic").warning("again")
logging.shutdown()
`
    const result = spawnSync("python3", ["-c", script, theirsPlain, theirsOwn], { encoding: "utf8" })
    assert.strictEqual(result.status, 0, result.stderr)
    const oursPlain = tempFile("plain.log")
    const oursOwn = tempFile("own.log")
    const plain = new FemtoFileHandler(oursPlain)
    const own = new FemtoFileHandler(oursOwn, { formatter: Formatter.python("own %(message)s") })
    basicConfig({ handlers: [plain, own], level: "INFO", format: "%(levelname)s|%(name)s|%(message)s" })
    getLogger("app.basic").info("hello")
    // Root has handlers now: nothing changes (neither root nor the handler given).
    const ignored = new FemtoFileHandler(oursPlain)
    basicConfig({ handlers: [ignored], format: "ignored %(message)s" })
    getLogger("app.basic").warning("again")
    await ignored.close()
    assert.strictEqual(ignored.formatter, Formatter.defaultFormatter)
    await detach()
    assert.strictEqual(fs.readFileSync(oursPlain, "utf8"), fs.readFileSync(theirsPlain, "utf8"))
    assert.strictEqual(fs.readFileSync(oursOwn, "utf8"), fs.readFileSync(theirsOwn, "utf8"))
  })

  oracle(`without a format, a given handler gets CPython's default one${suffix}`, async () => {
    const theirs = cpython(String.raw`
import logging, sys
logging.basicConfig(handlers=[logging.FileHandler(sys.argv[1])])
logging.getLogger("app.default").warning("plain")
logging.shutdown()
`)
    const ours = tempFile("ours.log")
    basicConfig({ handlers: [new FemtoFileHandler(ours)] })
    getLogger("app.default").warning("plain")
    await detach()
    assert.strictEqual(fs.readFileSync(ours, "utf8"), theirs)
  })
})

describe("a formatter object", () => {
  it("whose format() prints the caller gets it captured, as the function alone does", async () => {
    const ours = tempFile("object.log")
    const handler = new FemtoFileHandler(ours, { formatter: { format: Formatter.python("%(funcName)s:%(message)s") } })
    const log = getLogger("app.object")
    log.addHandler(handler)
    function namedCaller() {
      log.info("hi")
    }
    namedCaller()
    handler.formatter = { format: Formatter.python("%(funcName)s=%(message)s") }
    namedCaller()
    await handler.close()
    assert.strictEqual(fs.readFileSync(ours, "utf8"), "namedCaller:hi\nnamedCaller=hi\n")
  })
})

describe("a memory handler's target", () => {
  oracle(`whose formatter prints the caller gets it, set before or after the target${suffix}`, async () => {
    const theirs = cpython(String.raw`
import logging, logging.handlers, sys
target = logging.FileHandler(sys.argv[1])
target.setFormatter(logging.Formatter("%(funcName)s:%(message)s"))
memory = logging.handlers.MemoryHandler(100, flushLevel=logging.ERROR)
log = logging.getLogger("app.memory")
log.setLevel(logging.DEBUG)
log.addHandler(memory)
def early():
    log.info("early")
early()
memory.setTarget(target)
def buffered():
    log.debug("buffered")
def failing():
    log.error("failing")
buffered()
failing()
other = logging.FileHandler(sys.argv[1])
memory.setTarget(other)
def plain():
    log.error("plain")
plain()
other.setFormatter(logging.Formatter("%(funcName)s=%(message)s"))
def again():
    log.error("again")
again()
memory.close()
target.close()
other.close()
`)
    const ours = tempFile("ours.log")
    const target = new FemtoFileHandler(ours, { formatter: Formatter.python("%(funcName)s:%(message)s") })
    const other = new FemtoFileHandler(ours, { formatter: Formatter.python("%(message)s") })
    const memory = new FemtoMemoryHandler(null, { capacity: 100, flushLevel: "ERROR" })
    const log = getLogger("app.memory")
    log.setLevel("DEBUG")
    log.addHandler(memory)
    function early() {
      log.info("early")
    }
    // No target yet, so no formatter asks for the caller: not captured (CPython always captures
    // it), and written with CPython's own placeholder once a target takes it.
    early()
    memory.setTarget(target)
    function buffered() {
      log.debug("buffered")
    }
    function failing() {
      log.error("failing")
    }
    buffered()
    failing()
    await memory.flush()
    memory.setTarget(other)
    function plain() {
      log.error("plain")
    }
    plain()
    await memory.flush()
    other.setFormatter(Formatter.python("%(funcName)s=%(message)s"))
    function again() {
      log.error("again")
    }
    again()
    await memory.close()
    await target.close()
    await other.close()
    assert.strictEqual(fs.readFileSync(ours, "utf8"), theirs.replace("early:early", "(unknown function):early"))
  })
})
