/**
 * `Formatter.python` against CPython itself: the same record formatted by `logging.Formatter` in
 * python3 and by ours must be byte for byte equal, in the three styles, with `datefmt`,
 * `defaults`, padding and numeric conversions. Skipped (saying so) where python3 is missing.
 */
import { assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as Formatter from "../src/Formatter.ts"
import { HandlerConfigError } from "../src/HandlerConfigError.ts"
import * as LogRecord from "../src/LogRecord.ts"
import { runModule } from "./utils/child.ts"

const python = spawnSync("python3", ["--version"]).status === 0
const oracle = python ? it : it.skip
const suffix = python ? "" : " (SKIPPED: python3 is not installed)"

interface Case {
  readonly format: string
  readonly style: "%" | "{" | "$"
  readonly datefmt?: string
  readonly defaults?: Record<string, unknown>
}

const timestampMs = 1_733_101_234_567
const records = [
  { logger: "app.db", level: "WARN", message: "disk 90% full", fields: { user: "bob", n: 42, ratio: 0.5 } },
  { logger: "root", level: "CRITICAL", message: "it's \"quoted\" ünïcode", fields: { user: "", n: -7, ratio: 1e21 } },
  { logger: "a", level: "DEBUG", message: "", fields: { user: "x y", n: 0, ratio: -0.000123 } }
] as const
const pyLevels: Record<string, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40, CRITICAL: 50 }

const cases: ReadonlyArray<Case> = [
  { format: "%(levelname)s:%(name)s:%(message)s", style: "%" },
  { format: "%(asctime)s %(name)s %(levelname)-8s %(message)s", style: "%" },
  { format: "%(asctime)s.%(msecs)03d %(levelno)d %(message)r", style: "%", datefmt: "%Y-%m-%dT%H:%M:%S" },
  { format: "%(created).3f|%(msecs)s|%(levelno)+05d|%(levelno)x|%(levelno)#o|%(name)10s|%(name)-10s|", style: "%" },
  { format: "%(user)s n=%(n)d n=%(n)05.1f r=%(ratio)s r=%(ratio)e r=%(ratio)g r=%(ratio).2f%%", style: "%" },
  { format: "%(threadName)s %(processName)s %% %(message)s", style: "%" },
  { format: "{asctime} {levelname:<8} {name}: {message}", style: "{" },
  { format: "{levelname:^10}|{levelno:03}|{n:+}|{n:,}|{ratio:.3e}|{ratio!r}|{message!r}|{name!s:>6}", style: "{" },
  { format: "{user} {missing}", style: "{", defaults: { missing: "dflt" } },
  { format: "$levelname $name ${message}!", style: "$" },
  { format: "$asctime $$ $user", style: "$", datefmt: "%d/%m/%y %H-%M-%S %j %a %b %p" }
]

const oracleScript = String.raw`
import json, logging, sys, time
spec = json.load(sys.stdin)
out = []
for c in spec["cases"]:
    for r in spec["records"]:
        f = logging.Formatter(c["format"], datefmt=c.get("datefmt"), style=c["style"], defaults=c.get("defaults"))
        f.converter = time.gmtime
        rec = logging.LogRecord(r["logger"], r["levelno"], "x.py", 1, r["message"], None, None)
        rec.created = spec["ms"] / 1000
        rec.msecs = float(spec["ms"] % 1000)
        for k, v in r["fields"].items():
            setattr(rec, k, v)
        out.append(f.format(rec))
print(json.dumps(out))
`

describe("Formatter.python", () => {
  oracle(`matches CPython's logging.Formatter byte for byte${suffix}`, () => {
    const spec = {
      ms: timestampMs,
      cases,
      records: records.map((r) => ({ ...r, levelno: pyLevels[r.level] }))
    }
    const result = spawnSync("python3", ["-c", oracleScript], { input: JSON.stringify(spec), encoding: "utf8" })
    assert.strictEqual(result.status, 0, result.stderr)
    const expected = JSON.parse(result.stdout) as Array<string>
    const actual: Array<string> = []
    for (const c of cases) {
      const format = Formatter.python(c.format, { style: c.style, datefmt: c.datefmt, defaults: c.defaults, utc: true })
      for (const r of records) {
        actual.push(format(LogRecord.make({ ...r, timestampNs: timestampMs * 1e6 })))
      }
    }
    assert.deepStrictEqual(actual, expected)
  })

  oracle(`module is CPython's splitext of the file name, and msecs counts from the second's start before 1970 too${suffix}`, () => {
    // Found by differential fuzzing: `.bashrc` had the module "" and `..x` ".", and a time
    // before the epoch had a negative msecs (-790.0 where asctime printed ,210).
    const paths = ["/x/.bashrc", "/x/..x", "/x/a.tar.gz", "/x/file.", "/x/noext", "/app/server.js"]
    const times = [-883_886_533_790, 1_733_101_234_567]
    const format = "%(filename)s|%(module)s|%(msecs)s|%(msecs)03d|%(asctime)s"
    const script = String.raw`
import json, logging, sys, time
spec = json.load(sys.stdin)
out = []
f = logging.Formatter(spec["format"])
f.converter = time.gmtime
for ms in spec["times"]:
    for path in spec["paths"]:
        rec = logging.LogRecord("a", 20, path, 1, "m", None, None)
        rec.created = ms / 1000
        rec.msecs = float(ms % 1000)  # CPython 3.13's exact msecs (3.11 truncates toward zero)
        out.append(f.format(rec))
print(json.dumps(out))
`
    const result = spawnSync("python3", ["-c", script], { input: JSON.stringify({ paths, times, format }), encoding: "utf8" })
    assert.strictEqual(result.status, 0, result.stderr)
    const ours = Formatter.python(format, { utc: true })
    const actual = times.flatMap((ms) =>
      paths.map((filename) => ours(LogRecord.make({ logger: "a", level: "INFO", message: "m", filename, timestampNs: ms * 1e6 })))
    )
    assert.deepStrictEqual(actual, JSON.parse(result.stdout))
  })

  oracle(`refuses the formats CPython refuses, with CPython's message${suffix}`, () => {
    const bad = [["%(message)", "%"], ["{message", "{"], ["no fields", "%"], ["$", "$"], ["{message!x}", "{"]] as const
    const script = String.raw`
import json, logging, sys
out = []
for fmt, style in json.load(sys.stdin):
    try:
        logging.Formatter(fmt, style=style)
        out.append(None)
    except ValueError as e:
        out.append(str(e))
print(json.dumps(out))
`
    const result = spawnSync("python3", ["-c", script], { input: JSON.stringify(bad), encoding: "utf8" })
    assert.strictEqual(result.status, 0, result.stderr)
    const expected = JSON.parse(result.stdout) as Array<string | null>
    const actual = bad.map(([format, style]) => {
      try {
        Formatter.python(format, { style })
        return null
      } catch (error) {
        assert.instanceOf(error, HandlerConfigError)
        assert.strictEqual((error as HandlerConfigError).field, "format")
        return (error as Error).message
      }
    })
    assert.deepStrictEqual(actual, expected)
  })

  oracle(`prints CPython's placeholders when the caller's location was not captured${suffix}`, () => {
    const format = "%(pathname)s|%(filename)s|%(module)s|%(lineno)d|%(funcName)s"
    // What CPython's Logger._log records without a source file (logging._srcfile = None).
    const script = "import logging,sys\nlogging._srcfile=None\nclass H(logging.Handler):\n  def emit(s,r): sys.stdout.write(self_f.format(r))\nself_f=logging.Formatter(sys.argv[1])\nl=logging.getLogger('a'); l.propagate=False; l.addHandler(H()); l.warning('m')"
    const result = spawnSync("python3", ["-c", script, format], { encoding: "utf8" })
    assert.strictEqual(result.status, 0, result.stderr)
    assert.strictEqual(Formatter.python(format)(LogRecord.make({ logger: "a", level: "WARN", message: "m" })), result.stdout)
    const located = LogRecord.make({ logger: "a", level: "WARN", message: "m", filename: "/app/server.js", lineNumber: 3 })
    assert.strictEqual(Formatter.python(format)(located), "/app/server.js|server.js|server|3|<module>")
    // a function name given without a file is printed, as with CPython's makeLogRecord({"funcName": ...})
    const named = LogRecord.make({ logger: "a", level: "WARN", message: "m", functionName: "handler" })
    assert.strictEqual(Formatter.python("%(filename)s|%(funcName)s")(named), "(unknown file)|handler")
  })

  oracle(`a timestamp on a whole millisecond prints that millisecond (float nanoseconds fall just below it)${suffix}`, () => {
    // As Effect's TestClock makes them: ms * 1e6. 1775127875346 * 1e6 is stored 128 ns short.
    const times = [1_775_127_875_346, 1_733_101_234_567, 1_000_000_000_001]
    for (let i = 0; times.length < 400; i++) times.push(1_700_000_000_000 + Math.floor(((i * 2_654_435_761) % 2 ** 32) * 50))
    const format = "%(asctime)s|%(msecs)03d"
    const script = String.raw`
import json, logging, sys
f = logging.Formatter(sys.argv[1]); f.converter = __import__("time").gmtime
out = []
for ms in json.loads(sys.stdin.read()):
    r = logging.makeLogRecord({"msg": "m"})
    r.created = ms / 1000; r.msecs = ms % 1000
    out.append(f.format(r))
print(json.dumps(out))`
    const result = spawnSync("python3", ["-c", script, format], { input: JSON.stringify(times), encoding: "utf8" })
    assert.strictEqual(result.status, 0, result.stderr)
    const ours = Formatter.python(format, { utc: true })
    const actual = times.map((ms) => ours(LogRecord.make({ logger: "a", level: "INFO", message: "m", timestampNs: ms * 1e6 })))
    assert.deepStrictEqual(actual, JSON.parse(result.stdout))
    const iso = JSON.parse(Formatter.json(LogRecord.make({ logger: "a", level: "INFO", message: "m", timestampNs: 1_775_127_875_346 * 1e6 })))
    assert.strictEqual(iso.time, "2026-04-02T11:04:35.346Z")
  })

  oracle(`datefmt: a conversion glibc refuses is printed as written, in the case its flags ask (%#Eb is %#EB)${suffix}`, () => {
    const datefmt = "%#Eb|%#Eh|%#EB|%#Ob|%^Ea|%#Ea|%^Eh|%-Eb|%#b"
    const ms = 1_733_101_234_567
    const script = String.raw`
import logging, sys, time
f = logging.Formatter("%(asctime)s", datefmt=sys.argv[1]); f.converter = time.gmtime
r = logging.makeLogRecord({"msg": "m"}); r.created = int(sys.argv[2]) / 1000
sys.stdout.write(f.format(r))`
    const result = spawnSync("python3", ["-c", script, datefmt, String(ms)], { encoding: "utf8" })
    assert.strictEqual(result.status, 0, result.stderr)
    assert.strictEqual(result.stdout, "%#EB|%#EH|%#EB|DEC|%^EA|%#Ea|%^EH|%-Eb|DEC")
    const ours = Formatter.python("%(asctime)s", { datefmt, utc: true })
    assert.strictEqual(ours(LogRecord.make({ logger: "a", level: "INFO", message: "m", timestampNs: ms * 1e6 })), result.stdout)
  })

  it("appends the error's text after the message, as CPython appends exc_text", () => {
    const format = Formatter.python("%(levelname)s %(message)s")
    const line = format(LogRecord.make({ logger: "a", level: "ERROR", message: "failed", error: new Error("boom") }))
    const [head, next] = line.split("\n")
    assert.strictEqual(head, "ERROR failed")
    assert.strictEqual(next, "Error: boom")
  })

  it("a format ending in a newline gets no second one before the error (CPython: only if s[-1:] != \"\\n\")", () => {
    const format = Formatter.python("%(levelname)s %(message)s\n")
    const line = format(LogRecord.make({ logger: "a", level: "ERROR", message: "failed", error: new Error("boom") }))
    assert.strictEqual(line.split("\n").slice(0, 2).join("|"), "ERROR failed|Error: boom")
  })

  it("utc: true renders asctime in UTC whatever the local zone; without it, in the local zone", () => {
    const saved = process.env["TZ"]
    process.env["TZ"] = "Asia/Kolkata"
    try {
      const record = LogRecord.make({ logger: "a", level: "INFO", message: "m", timestampNs: Date.UTC(2026, 0, 7, 10, 0) * 1e6 })
      assert.strictEqual(Formatter.python("%(asctime)s", { datefmt: "%H:%M %z", utc: true })(record), "10:00 +0000")
      assert.strictEqual(Formatter.python("%(asctime)s", { datefmt: "%H:%M %z" })(record), "15:30 +0530")
    } finally {
      if (saved === undefined) delete process.env["TZ"]
      else process.env["TZ"] = saved
    }
  })

  it("a record without a field the format names is written by the handler, never thrown at the caller", () => {
    const format = Formatter.guard(Formatter.python("%(user)s did it"), "test")
    assert.strictEqual(
      format(LogRecord.make({ logger: "a", level: "INFO", message: "m" })),
      "a [INFO] m [formatter failed: FormatKeyError: Formatting field not found in record: 'user']"
    )
  })

  it("caller location is captured when the format prints it, and only then", async () => {
    const result = await runModule(`
      import { FemtoStreamHandler, Formatter, getLogger } from "femtologging"
      const where = getLogger("where")
      where.addHandler(new FemtoStreamHandler({ target: "stdout", formatter: Formatter.python("%(filename)s:%(lineno)d %(funcName)s %(module)s %(message)s") }))
      function handleRequest() {
        where.info("located")
      }
      handleRequest()
      const plain = getLogger("plain")
      plain.addHandler(new FemtoStreamHandler({ target: "stdout", formatter: (r) => String(r.filename) + " " + r.message }))
      plain.info("not located")
    `)
    assert.strictEqual(result.code, 0, result.stderr)
    const [located, plain] = result.stdout.trim().split("\n")
    assert.match(located!, /^\S+:6 handleRequest \S+ located$/)
    assert.strictEqual(plain, "undefined not located")
    assert.isTrue(Formatter.needsCaller(Formatter.python("%(lineno)d")))
    assert.isFalse(Formatter.needsCaller(Formatter.python("%(message)s")))
  })

  it("logfmt: one line, quoted where needed, newlines escaped", () => {
    const line = Formatter.logfmt(LogRecord.make({
      logger: "app",
      level: "INFO",
      message: "two words",
      fields: { user: "bob", note: "a\nb" },
      timestampNs: timestampMs * 1e6
    }))
    assert.strictEqual(line, `time=2024-12-02T01:00:34.567Z level=INFO logger=app msg="two words" user=bob note="a\\nb"`)
  })
})
