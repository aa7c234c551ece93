/**
 * The line `femtologging receive` prints when it stops, read by someone who sent it one record.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { encode } from "@msgpack/msgpack"
import { spawn } from "node:child_process"
import * as net from "node:net"
import * as path from "node:path"
import { packageDir, repoRoot } from "./utils/child.ts"
import { removeTempDirs, tempDir, waitUntil } from "./utils/files.ts"

afterAll(removeTempDirs)

/** Writes `bytes` on a new connection to `socketPath`, then waits until the peer closed it or 2 s passed. */
const send = (socketPath: string, bytes: Uint8Array) =>
  new Promise<void>((resolve, reject) => {
    const conn = net.createConnection(socketPath, () => conn.end(bytes))
    const timer = setTimeout(() => conn.destroy(), 2000)
    conn.on("error", reject)
    conn.on("close", () => {
      clearTimeout(timer)
      resolve()
    })
    conn.resume()
  })

const frame = (record: Record<string, unknown>): Uint8Array => {
  const payload = encode(record, { useBigInt64: true })
  const out = new Uint8Array(4 + payload.length)
  new DataView(out.buffer).setUint32(0, payload.length)
  out.set(payload, 4)
  return out
}

describe("femtologging receive: the summary when it stops", () => {
  it("says '1 record received, 1 connection rejected', not '1 records', '1 connections'", async () => {
    const socketPath = path.join(tempDir(), "cli.sock")
    const cli = path.join(packageDir, "dist", "bin", "femtologging.js")
    const child = spawn(process.execPath, [cli, "receive", "--unix", socketPath], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    let stdout = ""
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
    try {
      assert.isTrue(await waitUntil(() => stderr.includes("receiving on"), 15_000), `the CLI did not start: ${stderr}`)
      await send(socketPath, frame({
        logger: "cli",
        level: "INFO",
        message: "one",
        timestamp_ns: 1_700_000_000_000_000_000n,
        filename: null,
        line_number: null,
        module_path: null,
        thread_id: 0,
        thread_name: "main",
        key_values: {}
      }))
      await send(socketPath, new Uint8Array(4)) // a zero length: the connection is rejected
      assert.isTrue(await waitUntil(() => stdout.includes("cli [INFO] one"), 10_000), stdout + stderr)
      assert.isTrue(await waitUntil(() => stderr.includes("a frame of length 0"), 10_000), stderr)
    } finally {
      child.kill("SIGTERM")
    }
    assert.strictEqual(await exited, 0, stderr)
    assert.include(stderr, "femtologging: stopped; 1 record received, 1 connection rejected\n", stderr)
  }, 60_000)
})
