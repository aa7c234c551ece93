/**
 * The example Effect application (examples/http-app.ts): an HTTP server from layers whose request
 * log and handlers' `Effect.log` calls reach femtologging handlers configured from a YAML
 * dictConfig file, released (written, closed) when the process is stopped with SIGTERM.
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
