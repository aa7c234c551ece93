/**
 * basicConfig and the last-resort handler. Output is compared with CPython's own basicConfig
 * (python3 as the oracle) on real files and real stderr of child processes.
 */
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { basicConfig } from "../src/BasicConfig.ts"
import { ConfigError } from "../src/ConfigError.ts"
import { dictConfig } from "../src/Config.ts"
import { getHandlerByName, getHandlerNames, getLogger, resetManager } from "../src/Facade.ts"
import { FemtoFileHandler } from "../src/FileHandler.ts"
import { CaptureHandler } from "../src/Testing.ts"
import { runModule } from "./utils/child.ts"
import { detachRoot as detach } from "./utils/configured.ts"
import { throwsExactly } from "./utils/errors.ts"

const python = spawnSync("python3", ["--version"]).status === 0
const oracle = python ? it : it.skip
const suffix = python ? "" : " (SKIPPED: python3 is not installed)"

const dirs: Array<string> = []
const tempDir = (): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "femto-basic-"))
  dirs.push(dir)
  return dir
}


beforeEach(async () => {
  await detach()
  resetManager()
})
afterEach(async () => {
  await detach()
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

describe("basicConfig", () => {
  oracle(`writes what CPython's basicConfig writes, in each style${suffix}`, async () => {
    const cases = [
      { format: undefined, style: undefined },
      { format: "%(name)s|%(levelname)-8s|%(levelno)d|%(message)s", style: "%" },
      { format: "{name}|{levelname:>8}|{message!r}", style: "{" },
      { format: undefined, style: "{" },
      { format: "$name $levelname $message", style: "$" }
    ] as const
    const messages = [["app", "INFO", "started"], ["app.db", "WARNING", "slow query 120% of budget"], ["root", "ERROR", "it's bad"]]
    for (const c of cases) {
      const dir = tempDir()
      const ours = path.join(dir, "ours.log")
      const theirs = path.join(dir, "theirs.log")
      const script = String.raw`
import json, logging, sys
c = json.loads(sys.argv[1])
kw = {k: v for k, v in c.items() if v is not None}
logging.basicConfig(filename=sys.argv[2], level=logging.INFO, **kw)
for name, level, message in json.loads(sys.argv[3]):
    logging.getLogger(None if name == "root" else name).log(getattr(logging, level), message)
`
      const result = spawnSync("python3", ["-c", script, JSON.stringify(c), theirs, JSON.stringify(messages)], {
        encoding: "utf8"
      })
      assert.strictEqual(result.status, 0, result.stderr)
      await detach()
      basicConfig({ filename: ours, level: "INFO", format: c.format, style: c.style })
      for (const [name, level, message] of messages) getLogger(name === "root" ? undefined : name).log(level!, message!)
      await detach()
      assert.strictEqual(fs.readFileSync(ours, "utf8"), fs.readFileSync(theirs, "utf8"), JSON.stringify(c))
    }
  }, 60_000) // five CPython runs: seconds each on a loaded machine

  it("does nothing when root already has handlers, unless force (which closes them after their records)", async () => {
    const dir = tempDir()
    const first = path.join(dir, "first.log")
    const second = path.join(dir, "second.log")
    basicConfig({ filename: first })
    getLogger("a").warning("one")
    basicConfig({ filename: second })
    assert.isFalse(fs.existsSync(second))
    getLogger("a").warning("two")
    basicConfig({ filename: second, force: true, filemode: "w" })
    getLogger("a").warning("three")
    await detach()
    assert.strictEqual(fs.readFileSync(first, "utf8"), "WARNING:a:one\nWARNING:a:two\n")
    assert.strictEqual(fs.readFileSync(second, "utf8"), "WARNING:a:three\n")
  })

  it("force: the handlers it closes lose their configured names, as in CPython (closed handlers leave logging._handlers)", async () => {
    const dir = tempDir()
    dictConfig({
      version: 1,
      handlers: { file: { class: "logging.FileHandler", filename: path.join(dir, "named.log") }, spare: { class: "logging.NullHandler" } },
      root: { handlers: ["file"] }
    })
    assert.deepStrictEqual([...getHandlerNames()].sort(), ["file", "spare"])
    basicConfig({ filename: path.join(dir, "plain.log"), force: true })
    assert.deepStrictEqual(getHandlerNames(), ["spare"])
    await detach()
  })

  it("a named handler closed by its own close() loses its name, as in CPython (Handler.close leaves logging._handlers)", async () => {
    const dir = tempDir()
    dictConfig({
      version: 1,
      handlers: { file: { class: "logging.FileHandler", filename: path.join(dir, "named.log") }, spare: { class: "logging.NullHandler" } },
      root: { handlers: ["file"] }
    })
    const file = getHandlerByName("file") as FemtoFileHandler
    await file.close()
    assert.deepStrictEqual(getHandlerNames(), ["spare"])
    assert.isUndefined(getHandlerByName("file"))
    await detach()
  })

  it("handlers are attached as given, with the level", async () => {
    const capture = new CaptureHandler()
    basicConfig({ handlers: [capture], level: "DEBUG" })
    getLogger("x").debug("d")
    await capture.flush()
    assert.deepStrictEqual(capture.messages, ["d"])
    assert.strictEqual(getLogger().level, "DEBUG")
  })

  it("refuses what CPython refuses (and more), naming it, before anything changes", () => {
    const capture = new CaptureHandler()
    const bad: Array<[Parameters<typeof basicConfig>[0], string]> = [
      [{ filename: "/tmp/x.log", stream: "stdout" }, "basicConfig: 'stream' and 'filename' should not be specified together"],
      [{ handlers: [capture], stream: "stderr" }, "basicConfig: 'stream' or 'filename' should not be specified together with 'handlers'"],
      [{ style: "#" as "%" }, "basicConfig: Style must be one of: %,{,$"],
      [{ level: "LOUD" }, "basicConfig: invalid log level: LOUD"],
      [{ format: "%(message)", style: "%" }, "basicConfig: Invalid format '%(message)' for '%' style"],
      [{ lvl: "INFO" } as never, "basicConfig: unrecognised argument(s): lvl"],
      [{ stream: 1 as never }, "basicConfig: stream must be \"stdout\", \"stderr\", process.stdout or process.stderr"],
      [{ filename: "/proc/nope/x.log" }, "basicConfig: "]
    ]
    for (const [options, message] of bad) {
      const error = (() => {
        try {
          basicConfig(options)
        } catch (e) {
          return e
        }
        assert.fail(`accepted ${JSON.stringify(options)}`)
      })()
      assert.instanceOf(error, ConfigError)
      assert.isTrue((error as Error).message.startsWith(message), `${(error as Error).message} / ${message}`)
      assert.deepStrictEqual(getLogger().handlers, [])
    }
    throwsExactly(() => basicConfig({ level: 60 }), ConfigError, "basicConfig: invalid log level: 60")
  })

  it("a handler that is not one is refused before force removes root's handlers, which keep writing", async () => {
    const kept = new CaptureHandler()
    basicConfig({ handlers: [kept] })
    throwsExactly(
      () => basicConfig({ handlers: [new CaptureHandler(), 5], force: true }),
      ConfigError,
      "basicConfig: handlers[1]: handler must implement a callable 'handle' method"
    )
    assert.deepStrictEqual(getLogger().handlers, [kept])
    getLogger().warning("still written")
    await kept.flush()
    assert.deepStrictEqual(kept.messages, ["still written"])
  })

  it("takes a CPython custom level number as root's threshold: the standard level at or above it", () => {
    const capture = new CaptureHandler()
    basicConfig({ level: 25, handlers: [capture] })
    assert.strictEqual(getLogger().level, "WARN")
  })

  it("appends to an existing file by default (CPython's filemode 'a') and sets root to WARNING", async () => {
    const file = path.join(tempDir(), "app.log")
    fs.writeFileSync(file, "kept\n")
    basicConfig({ filename: file })
    assert.strictEqual(getLogger().level, "WARN")
    getLogger("a").info("below WARNING")
    getLogger("a").warning("added")
    await detach()
    assert.strictEqual(fs.readFileSync(file, "utf8"), "kept\nWARNING:a:added\n")
  })

  it("keeps a root level the application set before (CPython leaves it alone without level)", () => {
    getLogger().setLevel("DEBUG")
    basicConfig({ handlers: [new CaptureHandler()] })
    assert.strictEqual(getLogger().level, "DEBUG")
  })
})

describe("the last resort", () => {
  it("a WARN record that reaches no handler goes to stderr; lower ones and, once turned off, all are ignored", async () => {
    const result = await runModule(`
      import { getLogger, setLastResort } from "femtologging"
      const log = getLogger("app.part")
      log.info("not shown")
      log.warning("shown on stderr")
      log.error("this too", { code: 7 })
      setLastResort(null)
      log.critical("off now")
    `)
    assert.strictEqual(result.code, 0, result.stderr)
    assert.strictEqual(result.stdout, "")
    assert.strictEqual(result.stderr, "app.part [WARN] shown on stderr\napp.part [ERROR] this too code=7\n")
  })
})
