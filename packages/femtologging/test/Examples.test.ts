/**
 * The examples the README points to, run as a reader runs them: `npm run demo` (examples/demo.ts),
 * which the README says logs through every handler and ends by itself, and the example Effect
 * application (examples/http-app.ts): an HTTP server from layers whose request log and handlers'
 * `Effect.log` calls reach femtologging handlers configured from a YAML dictConfig file, released
 * (written, closed) when the process is stopped with SIGTERM.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { repoRoot, runFile } from "./utils/child.ts"
import { removeTempDirs, tempDir, waitUntil } from "./utils/files.ts"

describe("examples/http-app.ts", () => {
  it("request logging through EffectLogger to a file configured by YAML; SIGTERM releases it", async () => {
    const dir = tempDir()
    const log = path.join(dir, "access.log")
    const child = spawn(process.execPath, [path.join(repoRoot, "examples", "http-app.ts"), "0", log], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
    try {
      const text = () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "")
      assert.isTrue(await waitUntil(() => /Listening on http:\/\/\S+:\d+/.test(text()), 20_000), `not listening: ${stderr}`)
      const port = Number(/Listening on http:\/\/\S+:(\d+)/.exec(text())![1])
      assert.strictEqual(await (await fetch(`http://127.0.0.1:${port}/hello`)).text(), "hello")
      assert.strictEqual((await fetch(`http://127.0.0.1:${port}/fail`)).status, 500)
    } finally {
      child.kill("SIGTERM")
    }
    // NodeRuntime.runMain ends an interrupted program with 130 (it was stopped, not failed).
    assert.include([0, 130], await exited, stderr)
    const lines = fs.readFileSync(log, "utf8")
    assert.match(lines, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO http saying hello - - -$/m)
    assert.match(lines, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO http Sent HTTP response GET \/hello 200$/m)
    assert.match(lines, /INFO http this route always fails GET \/fail 500\nError: this route always fails/)
    removeTempDirs()
  }, 60_000)
})

describe("examples/demo.ts (npm run demo)", () => {
  it("logs through every handler kind, each file as the comments say, nothing dropped, and ends by itself", async () => {
    const { code, stdout, stderr } = await runFile("examples/demo.ts", { timeoutMs: 60_000 })
    assert.strictEqual(code, 0, stderr)
    const dir = /^files in (.+):$/m.exec(stdout)?.[1]
    assert.isDefined(dir, stdout)
    try {
      const files = fs.readdirSync(dir!)
      const lines = (f: string) => fs.readFileSync(path.join(dir!, f), "utf8").split("\n").slice(0, -1)
      for (const f of ["app.log", "rotating.log", "timed.log", "worker.log", "custom.log"]) assert.include(files, f)
      assert.strictEqual(lines("app.log").length, 10_001)
      assert.strictEqual(lines("worker.log").length, 1_000)
      // The memory handler: the buffered DEBUG line reaches its target with the ERROR that flushed it.
      assert.deepStrictEqual(lines("errors.log"), ["demo.batch [DEBUG] fetched 10 rows", "demo.batch [ERROR] row 7 is invalid"])
      // The watched handler: the lines before the rename stay in the renamed file, then it reopens the path.
      assert.deepStrictEqual(lines("watched.log.1"), ["demo.batch [DEBUG] fetched 10 rows", "demo.batch [ERROR] row 7 is invalid"])
      assert.deepStrictEqual(lines("watched.log"), ["demo.batch [INFO] after the rename"])
      // The socket handler, through a receiver, to a file.
      assert.deepStrictEqual(lines("collected.log"), Array.from({ length: 100 }, (_, i) => `demo.remote [INFO] sent ${i} i=${i}`))
      assert.match(stdout, /dropped: app\.log 0, worker\.log 0, custom\.log 0, socket 0, logger 0/)
      assert.include(stderr, "demo.app [INFO] hello from femtologging")
    } finally {
      fs.rmSync(dir!, { recursive: true, force: true })
    }
  }, 60_000)
})

/**
 * The README's code samples, read from README.md at test time (so the text is what runs), each
 * run as its own module in a fresh directory (with the repository's `node_modules`, where
 * `femtologging` is this package's build), checked against what the text beside it says.
 * Samples that need a network peer on a fixed port, files under /var/log, or a test runner are
 * left to the tests of their parts.
 */
describe("README.md samples", () => {
  const readme = fs.readFileSync(path.join(repoRoot, "README.md"), "utf8")
  const blocks = [...readme.matchAll(/^```(ts|js)\n([\s\S]*?)^```$/gm)].map((m) => m[2]!)
  /** The one block holding `text`. */
  const sample = (text: string): string => {
    const found = blocks.filter((b) => b.includes(text))
    assert.strictEqual(found.length, 1, `README blocks holding ${JSON.stringify(text)}`)
    return found[0]!
  }
  const run = (source: string, files: Record<string, string> = {}) => {
    const dir = tempDir()
    fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"), "dir")
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text)
    fs.writeFileSync(path.join(dir, "sample.ts"), source)
    return new Promise<{ code: number | null; stdout: string; stderr: string; file: (f: string) => string }>(
      (resolve) => {
        const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", "sample.ts"], {
          cwd: dir,
          env: { ...process.env, FORCE_COLOR: undefined, NO_COLOR: undefined }, // the pretty sample's colour: auto
          stdio: ["ignore", "pipe", "pipe"]
        })
        let stdout = ""
        let stderr = ""
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
        const timer = setTimeout(() => child.kill("SIGKILL"), 30_000)
        child.on("close", (code) => {
          clearTimeout(timer)
          resolve({ code, stdout, stderr, file: (f) => fs.readFileSync(path.join(dir, f), "utf8") })
        })
      }
    )
  }
  afterAll(removeTempDirs)

  it("Quick start: plain Node, then the logger with levels, fields, a lazy message and an error", async () => {
    const first = sample(`logger.log("INFO", "hello from femtologging")`)
    const r = await run(first + sample(`const db = getLogger("app.db")`))
    assert.strictEqual(r.code, 0, r.stderr)
    assert.include(r.stderr, "demo.app [INFO] hello from femtologging\n")
    assert.match(r.stdout, /^app\.db \[DEBUG\] connected host=localhost pool=4\napp\.db \[ERROR\] query failed\nError: timeout\n/)
    assert.match(r.stdout, /\nCaused by: Error: socket closed\n {4}at /)
    assert.notInclude(r.stdout, "TRACE")
  })

  it("Files: the file and rotating handlers write the record, flush() and close() resolve", async () => {
    const r = await run(sample(`await audit.close()`))
    assert.strictEqual(r.code, 0, r.stderr)
    assert.strictEqual(r.file("logs/audit.log"), "audit [INFO] user 7 signed in\n")
    assert.strictEqual(r.file("logs/app.log"), "audit [INFO] user 7 signed in\n")
  })

  it("asDict() gives what its comment shows", async () => {
    const source = sample(`.asDict()`)
    const at = source.indexOf("\n//")
    const shown = Function(`return (${source.slice(at).replace(/\n\/\//g, " ")})`)()
    const code = source.slice(0, at).replace(/^new /m, "console.log(JSON.stringify(new ").replace(".asDict()", ".asDict()))")
    const r = await run(`${code}\n`)
    assert.strictEqual(r.code, 0, r.stderr)
    assert.deepStrictEqual(JSON.parse(r.stdout), shown)
  })

  it("Call styles: the lines the comments show (the sample's variables given values)", async () => {
    const r = await run(
      `import { FemtoStreamHandler, getLogger as root } from "femtologging"\n` +
        `root().addHandler(FemtoStreamHandler.stdout())\n` +
        `const user = "ada", ms = 12.34, reqId = "r-1", path = "/x", err = new Error("boom")\n` +
        sample(`log.info("user %s took %.1f ms", user, ms)`)
    )
    assert.strictEqual(r.code, 0, r.stderr)
    const lines = r.stdout.split("\n").filter((l) => l.startsWith("http "))
    assert.deepStrictEqual(lines, [
      "http [INFO] user ada took 12.3 ms",
      "http [INFO] handled /x reqId=r-1",
      "http [ERROR] failed /x",
      "http [INFO] handled reqId=r-1",
      "http [ERROR] query failed",
      "http [WARN] slow requestId=r-42 component=db"
    ])
  })

  it("Sinks on worker threads: the sink module and the handler that loads it", async () => {
    const sink = sample(`// my-sink.mjs`)
    const r = await run(sample(`module: "./my-sink.mjs"`) + `getLogger("app").warning("through my sink")\n`, {
      "my-sink.mjs": sink
    })
    assert.strictEqual(r.code, 0, r.stderr)
    assert.strictEqual(r.file("out.log"), "app [WARN] through my sink\n")
  })

  it("Quick start: Effect", async () => {
    const r = await run(sample(`yield* Logger.info(logger, "hello", { user: "ada" })`))
    assert.strictEqual(r.code, 0, r.stderr)
    assert.strictEqual(r.stdout, "app [INFO] hello user=ada\n")
  })

  it("Effect's log calls through femtologging: the JSON lines the comments show", async () => {
    const r = await run(sample(`EffectLogger.layer({ defaultLogger: "app" })`))
    assert.strictEqual(r.code, 0, r.stderr)
    const [placed, failed, ...rest] = r.file("logs/app.log").split("\n").map((l) => (l === "" ? l : JSON.parse(l)))
    assert.deepStrictEqual(rest, [""])
    assert.deepInclude(placed, { level: "INFO", logger: "shop.checkout", message: "order placed", orderId: 7 })
    assert.isNumber(placed["span.checkout"])
    assert.match(placed.traceId, /^[0-9a-f]{32}$/)
    assert.match(placed.spanId, /^[0-9a-f]{16}$/)
    assert.deepInclude(failed, { level: "ERROR", logger: "shop.checkout", message: "payment failed", orderId: 7 })
    assert.deepInclude(failed.error, { name: "Error", message: "card declined" })
  })

  it("The memory handler: the ERROR hands the DEBUG line on with it", async () => {
    const r = await run(sample(`job.error("row 7 is invalid")`))
    assert.strictEqual(r.code, 0, r.stderr)
    assert.strictEqual(r.file("logs/errors.log"), "job [DEBUG] fetched 10 rows\njob [ERROR] row 7 is invalid\n")
  })

  it("captureWarnings: the warning in logs/app.log as the comment shows", async () => {
    const r = await run(sample(`process.emitWarning("cache is cold", { code: "APP001" })`))
    assert.strictEqual(r.code, 0, r.stderr)
    assert.strictEqual(r.file("logs/app.log"), "node.warnings [WARN] cache is cold category=Warning code=APP001\n")
    assert.notInclude(r.stderr, "cache is cold")
  })

  it("A formatter for terminals: the lines the comment shows (uncoloured on a pipe)", async () => {
    const r = await run(
      sample(`PrettyFormatter.make() }))`) +
        `getLogger("app.db").info("connected", { host: "localhost", pool: 4 })\n` +
        `getLogger("app.db").error("query failed", new Error("timeout", { cause: new Error("socket closed") }))\n`
    )
    assert.strictEqual(r.code, 0, r.stderr)
    assert.match(r.stderr, /^\d\d:\d\d:\d\d\.\d{3} INFO  app\.db connected host=localhost pool=4\n/)
    assert.match(r.stderr, /\n\d\d:\d\d:\d\d\.\d{3} ERROR app\.db query failed\n {4}Error: timeout\n {8}at /)
    assert.match(r.stderr, /\n {4}Caused by: Error: socket closed\n {8}at /)
  })

  it("The receiver: receive() answers its address and stats, and close() ends it (on a free port)", async () => {
    const r = await run(
      sample(`await receive({ port: 9020`).replace("port: 9020", "port: 0").replace(
        "await server.close()",
        "console.log(JSON.stringify([server.address, server.stats()]))\nawait server.close()"
      )
    )
    assert.strictEqual(r.code, 0, r.stderr)
    const [address, stats] = JSON.parse(r.stdout)
    assert.deepInclude(address, { _tag: "Tcp", host: "127.0.0.1", tls: false })
    assert.deepStrictEqual(stats, { connections: 0, accepted: 0, records: 0, rejected: 0 })
  })

  it("Configuration: the dictConfig sample (its file under the sample's directory)", async () => {
    const r = await run(sample(`dictConfig({`).replace(`"/var/log/app.log"`, `"app.log"`))
    assert.strictEqual(r.code, 0, r.stderr)
    assert.match(r.stdout, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} DEBUG {4}app\.db: connected\n$/)
    assert.strictEqual(r.file("app.log"), "") // WARNING and above, from `app` only
  })
})
