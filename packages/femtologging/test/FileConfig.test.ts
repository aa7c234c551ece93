/**
 * fileConfig (CPython INI files) and dictConfigFromFile (JSON, YAML): the same file loaded by
 * CPython and by us writes the same bytes (python3 as the oracle); errors name the file and line.
 */
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import * as Config from "../src/Config.ts"
import { ConfigError } from "../src/ConfigError.ts"
import * as Effect from "effect/Effect"
import { getHandlerByName, getHandlerNames, getLogger, resetManager } from "../src/Facade.ts"
import * as Formatter from "../src/Formatter.ts"
import * as Handler from "../src/Handler.ts"
import { dictConfigFromFile, fileConfig } from "../src/FileConfig.ts"
import { closeConfigured, oracle, resetConfiguration, suffix } from "./utils/configured.ts"
import { throwsExactly } from "./utils/errors.ts"
import { tempDir } from "./utils/files.ts"

beforeEach(() => resetManager())
afterEach(resetConfiguration)

const records = [
  ["root", "DEBUG", "root debug"],
  ["simpleExample", "DEBUG", "debug message"],
  ["simpleExample", "INFO", "info message"],
  ["simpleExample.child", "WARNING", "warn message: 50% done"],
  ["other", "ERROR", "error message"],
  ["other", "CRITICAL", "critical message"]
] as const

const ini = String.raw`[DEFAULT]
name_width=12

[loggers]
keys=root,simpleExample

[handlers]
keys=fileHandler, errorsHandler,
  rotating

[formatters]
keys=simpleFormatter,braces

[logger_root]
level=DEBUG
handlers=fileHandler,errorsHandler

[logger_simpleExample]
level=INFO
handlers=rotating
qualname=simpleExample
propagate=0

[handler_fileHandler]
class=FileHandler
level=DEBUG
formatter=simpleFormatter
args=('%(logdir)s/all.log', 'w')

[handler_errorsHandler]
class=logging.FileHandler
level=ERROR
formatter=braces
args=(os_path,) if False else ('%(logdir)s/errors.log',)

[handler_rotating]
class=handlers.RotatingFileHandler
level=NOTSET
formatter=simpleFormatter
args=('%(logdir)s/rotating.log', 'a', 10*1024*1024, 5)
kwargs={'encoding': 'utf-8'}

[formatter_simpleFormatter]
format=%(name)-%(name_width)ss - %(levelname)s - %(message)s

[formatter_braces]
format={levelname:>8}|{name}|{message!r}
style={
`

/** Runs CPython's fileConfig on `file` with the default `logdir`, then logs `records` ([logger, LEVEL, message]). */
const cpythonFileConfig = (file: string, logdir: string, logged: ReadonlyArray<readonly [string, string, string]>): void => {
  const script = String.raw`
import json, logging, logging.config, sys
logging.config.fileConfig(sys.argv[1], defaults={"logdir": sys.argv[2]})
for name, level, message in json.loads(sys.argv[3]):
    logging.getLogger(None if name == "root" else name).log(getattr(logging, level), message)
logging.shutdown()
`
  const result = spawnSync("python3", ["-c", script, file, logdir, JSON.stringify(logged)], { encoding: "utf8" })
  assert.strictEqual(result.status, 0, result.stderr)
}

/**
 * Writes `text` as logging.ini in a folder for CPython and one for us, configures both from it
 * (CPython in a child, which logs `logged` there), and logs `logged` here.
 */
const configureBoth = (text: string, logged: ReadonlyArray<readonly [string, string, string]>) => {
  const theirs = tempDir()
  const mine = tempDir()
  for (const dir of [theirs, mine]) fs.writeFileSync(path.join(dir, "logging.ini"), text)
  cpythonFileConfig(path.join(theirs, "logging.ini"), theirs, logged)
  fileConfig(path.join(mine, "logging.ini"), { defaults: { logdir: mine } })
  for (const [name, level, message] of logged) getLogger(name).log(level, message)
  return { theirs, mine }
}

describe("fileConfig", () => {
  oracle(`the CPython documentation's shape, with [DEFAULT], defaults and arithmetic in args, writes what CPython writes${suffix}`, async () => {
    // `args` with a conditional expression is not in our safe subset: use the plain form here.
    const text = ini.replace("args=(os_path,) if False else ('%(logdir)s/errors.log',)", "args=('%(logdir)s/errors.log',)")
      // CPython reads format raw: %(name_width)s is not interpolated there either.
      .replace("%(name)-%(name_width)ss", "%(name)-12s")
    const theirs = tempDir()
    const mine = tempDir()
    for (const dir of [theirs, mine]) fs.writeFileSync(path.join(dir, "logging.ini"), text)
    cpythonFileConfig(path.join(theirs, "logging.ini"), theirs, records)
    fileConfig(path.join(mine, "logging.ini"), { defaults: { logdir: mine } })
    for (const [name, level, message] of records) getLogger(name === "root" ? undefined : name).log(level, message)
    assert.deepStrictEqual([...getHandlerNames()].sort(), ["errorsHandler", "fileHandler", "rotating"])
    await closeConfigured()
    for (const file of ["all.log", "errors.log", "rotating.log"]) {
      assert.strictEqual(fs.readFileSync(path.join(mine, file), "utf8"), fs.readFileSync(path.join(theirs, file), "utf8"), file)
    }
  })

  oracle(`a MemoryHandler's target names another handler of the file, as CPython's fixups${suffix}`, async () => {
    const text = [
      "[loggers]", "keys=root", "[handlers]", "keys=mem,file", "[formatters]", "keys=f",
      "[logger_root]", "level=DEBUG", "handlers=mem",
      "[handler_mem]", "class=handlers.MemoryHandler", "args=(10, ERROR)", "target=file", "formatter=f",
      "[handler_file]", "class=FileHandler", "args=('%(logdir)s/mem.log', 'a')", "formatter=f",
      "[formatter_f]", "format=%(levelname)s %(name)s %(message)s", ""
    ].join("\n")
    const logged = [["app", "DEBUG", "one"], ["app", "INFO", "two"], ["app", "ERROR", "three flushes"]] as const
    const { theirs, mine } = configureBoth(text, logged)
    // The memory handler first: it hands on to its target, which must still be open.
    await Effect.runPromise(Handler.of(getHandlerByName("mem"))!.closeEffect())
    await closeConfigured()
    const expected = fs.readFileSync(path.join(theirs, "mem.log"), "utf8")
    assert.strictEqual(expected, "DEBUG app one\nINFO app two\nERROR app three flushes\n")
    assert.strictEqual(fs.readFileSync(path.join(mine, "mem.log"), "utf8"), expected)
  })

  oracle(`propagate is read as CPython's getint reads it (int(): a sign, _ between digits)${suffix}`, async () => {
    const logged = [["app", "INFO", "app info"], ["web", "INFO", "web info"], ["db", "INFO", "db info"]] as const
    const text = [
      "[loggers]", "keys=root,app,web,db", "[handlers]", "keys=all,own", "[formatters]", "keys=f",
      "[logger_root]", "level=DEBUG", "handlers=all",
      "[logger_app]", "qualname=app", "handlers=own", "propagate=+0",
      "[logger_web]", "qualname=web", "handlers=own", "propagate=+1",
      "[logger_db]", "qualname=db", "handlers=own", "propagate=0_0",
      "[handler_all]", "class=FileHandler", "args=('%(logdir)s/all.log', 'w')", "formatter=f",
      "[handler_own]", "class=FileHandler", "args=('%(logdir)s/own.log', 'w')", "formatter=f",
      "[formatter_f]", "format=%(name)s %(message)s", ""
    ].join("\n")
    const { theirs, mine } = configureBoth(text, logged)
    await closeConfigured()
    assert.strictEqual(fs.readFileSync(path.join(theirs, "all.log"), "utf8"), "web web info\n")
    for (const file of ["all.log", "own.log"]) {
      assert.strictEqual(fs.readFileSync(path.join(mine, file), "utf8"), fs.readFileSync(path.join(theirs, file), "utf8"), file)
    }
  })

  it("a logger without propagate propagates, and existing loggers are disabled by default, as CPython's fileConfig", () => {
    const dir = tempDir()
    getLogger("old").info("made before")
    fs.writeFileSync(path.join(dir, "logging.ini"), [
      "[loggers]", "keys=root,app", "[handlers]", "keys=", "[formatters]", "keys=",
      "[logger_root]", "level=INFO", "handlers=", "[logger_app]", "qualname=app", "handlers=", ""
    ].join("\n"))
    fileConfig(path.join(dir, "logging.ini"))
    assert.isTrue(getLogger("app").propagate)
    assert.isTrue(getLogger("old").disabled)
  })

  it("errors name the file, the line, the section and the key; nothing changes", () => {
    const dir = tempDir()
    const file = path.join(dir, "bad.ini")
    const cases: ReadonlyArray<[string, string]> = [
      [ini, `${file}:34: [handler_errorsHandler] args: name 'os_path' is not supported`],
      ["[loggers]\nkeys=root\n[logger_root]\nhandlers=h\n[handlers]\nkeys=h\n[handler_h]\nclass=FileHandler\nargs=('/tmp/x.log', 'a', 'ten')\n", `${file}:9: [handler_h] args (encoding)`],
      ["[loggers]\nkeys=root\n[logger_root]\nhandlers=nope\n[handlers]\nkeys=\n", `${file}:4: [logger_root] handlers`],
      ["[loggers]\nkeys=root\n[logger_root]\nlevel=LOUD\n", `${file}:4: [logger_root] level: expected a level`],
      ["[loggers]\nkeys=app\n", `${file}:2: [loggers] keys: the root logger is missing`],
      ["[loggers]\nkeys=root\n[logger_root]\n[handlers]\nkeys=h\n", `${file}: section [handler_h] is missing`],
      ["keys=root\n", `${file}:1: File contains no section headers.`],
      ["[loggers]\nkeys=root\n[loggers]\n", `${file}:3: While reading from`],
      ["[loggers]\nkeys=%(nope)s\n", `${file}:2: Bad value substitution`],
      ["[loggers]\nkeys=root\n[logger_root]\nhandlers=m\n[handlers]\nkeys=m\n[handler_m]\nclass=handlers.MemoryHandler\nargs=(10,)\ntarget=nope\n", `${file}:10: [handler_m] target: no handler with id 'nope'`]
    ]
    for (const [text, message] of cases) {
      fs.writeFileSync(file, text)
      const error = (() => {
        try {
          fileConfig(file, { defaults: { logdir: dir } })
        } catch (e) {
          return e
        }
        return assert.fail(`accepted:\n${text}`)
      })()
      assert.instanceOf(error, ConfigError, String(error))
      assert.isTrue((error as Error).message.startsWith(message), `${(error as Error).message}\n  does not start with\n${message}`)
      assert.deepStrictEqual(getHandlerNames(), [])
    }
    assert.throws(() => fileConfig(path.join(dir, "missing.ini")), /missing\.ini: the file does not exist/)
    fs.writeFileSync(path.join(dir, "empty.ini"), "\n  \n")
    assert.throws(() => fileConfig(path.join(dir, "empty.ini")), /empty\.ini: the file is empty/)
  })

  it("a path that is not a non-empty string, or a file over 16 MiB (/dev/zero), is a ConfigError before anything is read", () => {
    const dir = tempDir()
    const file = path.join(dir, "ok.ini")
    fs.writeFileSync(file, "[loggers]\nkeys=root\n[logger_root]\nhandlers=\n")
    // A number was read as a file descriptor: an open one was configured from, 0 waited for stdin.
    const fd = fs.openSync(file, "r")
    try {
      throwsExactly(() => fileConfig(fd as never), ConfigError, `expected a file path (a non-empty string), got ${fd}`)
      throwsExactly(() => dictConfigFromFile(fd as never), ConfigError, `expected a file path (a non-empty string), got ${fd}`)
    } finally {
      fs.closeSync(fd)
    }
    throwsExactly(() => fileConfig(""), ConfigError, "expected a file path (a non-empty string), got \"\"")
    throwsExactly(() => dictConfigFromFile(undefined as never), ConfigError, "expected a file path (a non-empty string), got undefined")
    const big = path.join(dir, "big.ini")
    fs.writeFileSync(big, `[loggers]\nkeys=root\n[logger_root]\nhandlers=\n${"; padding\n".repeat(1_700_000)}`)
    throwsExactly(() => fileConfig(big), ConfigError, `${big}: the file is larger than 16777216 bytes`)
    assert.deepStrictEqual(getHandlerNames(), [])
  })

  it("a file: URL names its file (new URL(\"./logging.ini\", import.meta.url), which fs read before the path check)", () => {
    const dir = tempDir()
    const file = path.join(dir, "url.ini")
    fs.writeFileSync(file, "[loggers]\nkeys=root\n[handlers]\nkeys=h\n[formatters]\nkeys=\n[logger_root]\nhandlers=h\n[handler_h]\nclass=NullHandler\n")
    fileConfig(pathToFileURL(file))
    assert.deepStrictEqual(getHandlerNames(), ["h"])
    const json = path.join(dir, "url.json")
    fs.writeFileSync(json, JSON.stringify({ version: 1, handlers: { j: { class: "logging.NullHandler" } }, root: { handlers: ["j"] } }))
    dictConfigFromFile(pathToFileURL(json))
    assert.deepStrictEqual(getHandlerNames(), ["j"])
    throwsExactly(() => fileConfig(new URL("file://host/x.ini")), ConfigError, "file://host/x.ini: not a file path: File URL host must be \"localhost\" or empty on linux")
    throwsExactly(() => fileConfig(new URL("https://example.com/x.ini") as never), ConfigError, "expected a file path (a non-empty string), got https://example.com/x.ini")
  })

  it("random INI text never fails with anything but ConfigError, and never half-configures", () => {
    const dir = tempDir()
    const file = path.join(dir, "random.ini")
    let seed = 7
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff
    const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(next() * xs.length)]!
    const lines = [
      "[loggers]", "keys=root", "keys=root,app", "[logger_root]", "[logger_app]", "qualname=app", "propagate=0",
      "propagate=yes", "level=INFO", "level=LOUD", "handlers=h", "handlers=", "[handlers]", "keys=h", "[handler_h]",
      "class=StreamHandler", "class=logging.Nope", "args=(sys.stderr,)", "args=(", "args=__import__('os')",
      "kwargs={'capacity': 0}", "formatter=f", "[formatters]", "keys=f", "[formatter_f]", "format=%(message)s",
      "format=%(message)", "style={", "  continuation", "junk line", "=", "%(x)s", "[DEFAULT]", "x=%(y)s", "y=1"
    ]
    for (let round = 0; round < 300; round++) {
      const text = Array.from({ length: 1 + Math.floor(next() * 14) }, () => pick(lines)).join("\n")
      fs.writeFileSync(file, text)
      try {
        fileConfig(file)
        // Accepted: closing what it made keeps the next round clean.
        Config.dictConfig({ version: 1, root: { handlers: [] }, disable_existing_loggers: false })
      } catch (error) {
        assert.instanceOf(error, ConfigError, `${String(error)}\n--- for ---\n${text}`)
        assert.deepStrictEqual(getLogger().handlers, [], text)
      }
    }
  })
})

describe("dictConfigFromFile", () => {
  it("JSON and YAML (a uvicorn-style file) load and write", async () => {
    const dir = tempDir()
    const yaml = `version: 1
disable_existing_loggers: false
formatters:
  default:
    format: "%(levelname)s %(name)s: %(message)s"
  access:
    format: '%(levelname)s %(name)s - "%(message)s"'
handlers:
  default:
    class: logging.FileHandler
    formatter: default
    filename: ${dir}/server.log
  access:
    class: logging.FileHandler
    formatter: access
    filename: ${dir}/access.log
loggers:
  uvicorn:
    handlers: [default]
    level: INFO
  uvicorn.error:
    level: INFO
  uvicorn.access:
    handlers: [access]
    level: INFO
    propagate: false
`
    fs.writeFileSync(path.join(dir, "log.yaml"), yaml)
    dictConfigFromFile(path.join(dir, "log.yaml"))
    getLogger("uvicorn.error").info("Started server process")
    getLogger("uvicorn.access").info("GET / 200")
    await closeConfigured()
    assert.strictEqual(fs.readFileSync(path.join(dir, "server.log"), "utf8"), "INFO uvicorn.error: Started server process\n")
    assert.strictEqual(fs.readFileSync(path.join(dir, "access.log"), "utf8"), "INFO uvicorn.access - \"GET / 200\"\n")
    fs.writeFileSync(path.join(dir, "log.json"), JSON.stringify({ version: 1, handlers: { h: { class: "logging.FileHandler", filename: `${dir}/j.log` } }, root: { handlers: ["h"] } }))
    dictConfigFromFile(path.join(dir, "log.json"))
    getLogger("j").warning("json")
    await closeConfigured()
    assert.strictEqual(fs.readFileSync(path.join(dir, "j.log"), "utf8"), "json\n")
    fs.writeFileSync(path.join(dir, "bad.yaml"), "version: 1\nhandlers:\n  h: [unclosed\n")
    assert.throws(() => dictConfigFromFile(path.join(dir, "bad.yaml")), /bad\.yaml:\d+: /)
    fs.writeFileSync(path.join(dir, "bad2.json"), JSON.stringify({ version: 1, handlers: { h: { class: "logging.FileHandler", filename: "" } } }))
    assert.throws(() => dictConfigFromFile(path.join(dir, "bad2.json")), /bad2\.json: handlers\.h\.filename: expected a path, got ""/)
  })

  it("YAML is read as PyYAML reads it (YAML 1.1): no is false, 10_485_760 a number", async () => {
    const dir = tempDir()
    getLogger("early")
    fs.writeFileSync(path.join(dir, "py.yaml"), `version: 1
disable_existing_loggers: no
handlers:
  h:
    class: logging.handlers.RotatingFileHandler
    filename: ${dir}/r.log
    maxBytes: 10_485_760
    backupCount: 1
root:
  level: INFO
  handlers: [h]
`)
    dictConfigFromFile(path.join(dir, "py.yaml"))
    getLogger("early").info("still enabled")
    await closeConfigured()
    assert.strictEqual(fs.readFileSync(path.join(dir, "r.log"), "utf8"), "still enabled\n")
  })
})

describe("fileConfig: formatter classes of the application", () => {
  // python-json-logger's `class=pythonjsonlogger.jsonlogger.JsonFormatter` is the common case: an
  // INI file cannot say '()', so the class name is the only way to name such a formatter.
  oracle(`a formatter class the registry's formatters names is called with the section's format, datefmt and style${suffix}`, async () => {
    const text = [
      "[loggers]", "keys=root", "[handlers]", "keys=file", "[formatters]", "keys=shout",
      "[logger_root]", "level=DEBUG", "handlers=file",
      "[handler_file]", "class=FileHandler", "args=('%(logdir)s/shout.log', 'w')", "formatter=shout",
      "[formatter_shout]", "class=__main__.Shout", "format={levelname}:{name}:{message}", "style={", ""
    ].join("\n")
    const logged = [["app", "INFO", "hello"], ["app.db", "WARNING", "slow query"]] as const
    const theirs = tempDir()
    const mine = tempDir()
    for (const dir of [theirs, mine]) fs.writeFileSync(path.join(dir, "logging.ini"), text)
    const script = String.raw`
import json, logging, logging.config, sys
class Shout(logging.Formatter):
    def format(self, record):
        return super().format(record).upper() + "!"
logging.config.fileConfig(sys.argv[1], defaults={"logdir": sys.argv[2]})
for name, level, message in json.loads(sys.argv[3]):
    logging.getLogger(name).log(getattr(logging, level), message)
logging.shutdown()
`
    const result = spawnSync("python3", ["-c", script, path.join(theirs, "logging.ini"), theirs, JSON.stringify(logged)], { encoding: "utf8" })
    assert.strictEqual(result.status, 0, result.stderr)
    const seen: Array<unknown> = []
    fileConfig(path.join(mine, "logging.ini"), {
      defaults: { logdir: mine },
      registry: {
        formatters: {
          "__main__.Shout": (options) => {
            seen.push(options)
            const inner = Formatter.python(options.format as string, { style: options.style as "{" })
            return (record: Parameters<typeof inner>[0]) => `${inner(record).toUpperCase()}!`
          }
        }
      }
    })
    assert.deepStrictEqual(seen, [{ format: "{levelname}:{name}:{message}", style: "{" }])
    for (const [name, level, message] of logged) getLogger(name).log(level === "WARNING" ? "WARN" : level, message)
    await closeConfigured()
    const expected = fs.readFileSync(path.join(theirs, "shout.log"), "utf8")
    assert.strictEqual(expected, "INFO:APP:HELLO!\nWARNING:APP.DB:SLOW QUERY!\n")
    assert.strictEqual(fs.readFileSync(path.join(mine, "shout.log"), "utf8"), expected)
  })
})
