import { assert, describe, it } from "@effect/vitest"
import { spawn, spawnSync } from "node:child_process"
import * as Path from "node:path"
import * as LogRecord from "../src/LogRecord.ts"
import * as PrettyFormatter from "../src/PrettyFormatter.ts"
import { fixturesDir, lines, repoRoot, runFixture } from "./utils/child.ts"

// 2023-11-14 22:13:20.123 UTC
const at = Date.UTC(2023, 10, 14, 22, 13, 20, 123) * 1e6

const record = (input: Partial<LogRecord.LogRecordInput> = {}) =>
  LogRecord.make({ logger: "app.db", level: "INFO", message: "connected", timestampNs: at, ...input })

const plain = PrettyFormatter.make({ color: false, utc: true })
const colored = PrettyFormatter.make({ color: true, utc: true })

const errorWithStack = (message: string, stack: string, options?: ErrorOptions): Error => {
  const error = new Error(message, options)
  error.stack = stack
  return error
}

describe("PrettyFormatter", () => {
  it("writes time, padded level, logger, message and fields as key=value", () => {
    assert.strictEqual(plain(record({ fields: { host: "localhost", pool: 4 } })), "22:13:20.123 INFO  app.db connected host=localhost pool=4")
    assert.strictEqual(plain(record({ level: "CRITICAL", message: "down" })), "22:13:20.123 CRITICAL app.db down")
    const local = new Date(at / 1e6)
    const hh = String(local.getHours()).padStart(2, "0")
    assert.strictEqual(PrettyFormatter.make({ color: false })(record()).slice(0, 12), `${hh}:13:20.123`)
  })

  it("colours the level, dims the time and the fields, and resets after each", () => {
    assert.strictEqual(
      colored(record({ level: "WARN", message: "disk low", fields: { free: "1%" } })),
      "\x1b[2m22:13:20.123\x1b[0m \x1b[33mWARN \x1b[0m \x1b[36mapp.db\x1b[0m disk low \x1b[2mfree=1%\x1b[0m"
    )
    assert.include(colored(record({ level: "CRITICAL" })), "\x1b[1;37;41mCRITICAL\x1b[0m")
    assert.include(colored(record({ level: "ERROR" })), "\x1b[31mERROR\x1b[0m")
  })

  it("writes an error's stack, own properties and causes indented under the line", () => {
    const cause = errorWithStack("socket closed", "Error: socket closed\n    at Socket.onclose (db.js:40:5)")
    const error = errorWithStack("timeout", "Error: timeout\n    at query (db.js:10:11)", { cause })
    ;(error as Error & { code?: string }).code = "ETIMEDOUT"
    assert.strictEqual(
      plain(record({ level: "ERROR", message: "query failed", error })),
      [
        "22:13:20.123 ERROR app.db query failed",
        "    Error: timeout",
        "        at query (db.js:10:11)",
        "      code=ETIMEDOUT",
        "    Caused by: Error: socket closed",
        "        at Socket.onclose (db.js:40:5)"
      ].join("\n")
    )
    assert.include(
      colored(record({ level: "ERROR", error })),
      "\n    \x1b[31mError: timeout\x1b[0m\n        at query (db.js:10:11)"
    )
  })

  it("escapes control characters, and indents the further lines of a message", () => {
    assert.strictEqual(
      plain(record({ message: "evil\x1b[2J\rbell\x07", fields: { k: "\x1b]0;title\x07" } })),
      // A field value with a control character is quoted, and JSON escapes it (the message is escaped here).
      "22:13:20.123 INFO  app.db evil\\u001b[2J\\u000dbell\\u0007 k=\"\\u001b]0;title\\u0007\""
    )
    assert.strictEqual(plain(record({ message: "one\ntwo" })), "22:13:20.123 INFO  app.db one\n    two")
  })

  it("colorEnabled: FORCE_COLOR wins, then NO_COLOR, then a terminal that is not dumb", () => {
    const tty = { isTTY: true }
    const pipe = { isTTY: false }
    assert.isTrue(PrettyFormatter.colorEnabled(tty, {}))
    assert.isFalse(PrettyFormatter.colorEnabled(pipe, {}))
    assert.isFalse(PrettyFormatter.colorEnabled(tty, { NO_COLOR: "1" }))
    assert.isTrue(PrettyFormatter.colorEnabled(tty, { NO_COLOR: "" }))
    assert.isFalse(PrettyFormatter.colorEnabled(tty, { TERM: "dumb" }))
    assert.isTrue(PrettyFormatter.colorEnabled(pipe, { FORCE_COLOR: "1" }))
    assert.isTrue(PrettyFormatter.colorEnabled(pipe, { FORCE_COLOR: "" }))
    assert.isTrue(PrettyFormatter.colorEnabled(pipe, { FORCE_COLOR: "3", NO_COLOR: "1" }))
    assert.isFalse(PrettyFormatter.colorEnabled(tty, { FORCE_COLOR: "0" }))
    assert.isFalse(PrettyFormatter.colorEnabled(tty, { FORCE_COLOR: "false" }))
    assert.include(PrettyFormatter.make({ stream: pipe, env: { FORCE_COLOR: "1" } })(record()), "\x1b[32m")
    assert.notInclude(PrettyFormatter.make({ stream: tty, env: { NO_COLOR: "1" } })(record()), "\x1b[")
  })
})

const hasScript = spawnSync("script", ["--version"], { stdio: "ignore" }).status === 0

/** The environment without the colour variables (the test runner may set them). */
const withoutColorEnv = (env: Record<string, string | undefined>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined && k !== "FORCE_COLOR" && k !== "NO_COLOR") out[k] = v
  return out
}

/** Runs the fixture with stdout on a real pseudo-terminal (`script` from util-linux). */
const runOnTerminal = (env: Record<string, string>, script = "pretty.mjs"): Promise<string> =>
  new Promise((resolve, reject) => {
    const fixture = Path.join(fixturesDir, "issue11", script)
    const child = spawn("script", ["-qc", `'${process.execPath}' '${fixture}'`, "/dev/null"], {
      cwd: repoRoot,
      env: { ...withoutColorEnv(process.env), ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    const out: Array<Buffer> = []
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk))
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000)
    child.on("error", reject)
    child.on("close", () => {
      clearTimeout(timer)
      resolve(Buffer.concat(out).toString("utf8").replaceAll("\r\n", "\n"))
    })
  })

describe.concurrent("PrettyFormatter in a child process", () => {
  it.skipIf(!hasScript)("on a real terminal (script -qc): coloured by level", async () => {
    const output = await runOnTerminal({ TERM: "xterm" })
    assert.include(output, "color=true isTTY=true")
    assert.match(output, /\x1b\[2m\d\d:\d\d:\d\d\.\d{3}\x1b\[0m \x1b\[32mINFO \x1b\[0m \x1b\[36mapp\.db\x1b\[0m connected \x1b\[2mhost=localhost pool=4\x1b\[0m/)
    assert.include(output, "\x1b[31mERROR\x1b[0m")
    assert.include(output, "\n    \x1b[31mCaused by: Error: socket closed\x1b[0m\n")
  })

  it.skipIf(!hasScript)("basicConfig() with no format: pretty on a terminal, CPython's format on a pipe", async () => {
    const output = await runOnTerminal({ TERM: "xterm", NO_COLOR: "1" }, "basic-tty.mjs")
    assert.match(output, /^\d\d:\d\d:\d\d\.\d{3} INFO  app\.db connected host=localhost\n$/)
    const piped = spawnSync(process.execPath, [Path.join(fixturesDir, "issue11", "basic-tty.mjs")], {
      cwd: repoRoot,
      env: withoutColorEnv(process.env),
      encoding: "utf8"
    })
    assert.strictEqual(piped.stderr, "INFO:app.db:connected\n")
  })

  it.skipIf(!hasScript)("on a real terminal with NO_COLOR: no colour", async () => {
    const output = await runOnTerminal({ TERM: "xterm", NO_COLOR: "1" })
    assert.include(output, "color=false isTTY=true")
    assert.notInclude(output, "\x1b[")
    assert.match(output, /\d\d:\d\d:\d\d\.\d{3} INFO  app\.db connected host=localhost pool=4\n/)
  })

  it("on a pipe: no colour, unless FORCE_COLOR", async () => {
    const plainRun = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [Path.join(fixturesDir, "issue11", "pretty.mjs")], {
        cwd: repoRoot,
        env: withoutColorEnv(process.env),
        stdio: ["ignore", "pipe", "pipe"]
      })
      const out: Array<Buffer> = []
      const err: Array<Buffer> = []
      child.stdout.on("data", (c: Buffer) => out.push(c))
      child.stderr.on("data", (c: Buffer) => err.push(c))
      child.on("error", reject)
      child.on("close", () => resolve({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }))
    })
    assert.strictEqual(plainRun.stderr, "color=false isTTY=false\n")
    assert.notInclude(plainRun.stdout, "\x1b[")
    assert.match(lines(plainRun.stdout)[0]!, /^\d\d:\d\d:\d\d\.\d{3} INFO  app\.db connected host=localhost pool=4$/)
    const forced = await runFixture("issue11/pretty.mjs", { env: { FORCE_COLOR: "1" } })
    assert.strictEqual(forced.stderr, "color=true isTTY=false\n")
    assert.include(forced.stdout, "\x1b[32mINFO \x1b[0m")
  })
})
