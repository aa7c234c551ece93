/**
 * The examples the README points to, run as a reader runs them: `npm run demo` (examples/demo.ts),
 * which the README says logs through every handler and ends by itself, and the example Effect
 * application (examples/http-app.ts): an HTTP server from layers whose request log and handlers'
 * `Effect.log` calls reach femtologging handlers configured from a YAML dictConfig file, released
 * (written, closed) when the process is stopped with SIGTERM.
 */
import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { repoRoot } from "./utils/child.ts"
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
    const child = spawn(process.execPath, [path.join(repoRoot, "examples", "demo.ts")], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)))
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
