import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { lines, runFixture, runModule } from "./utils/child.ts"

const N = 20_000
const recordLine = /^flood \[INFO\] record (\d+)$/
const dropLine = /^femtologging: (.+) dropped (\d+) records?; queue full or closed$/

const expectAllInOrder = (stderr: string): void => {
  const out = lines(stderr)
  assert.strictEqual(out.length, N)
  for (let i = 0; i < N; i++) {
    if (out[i] !== `flood [INFO] record ${i}`) {
      assert.fail(`line ${i}: expected "flood [INFO] record ${i}", got ${JSON.stringify(out[i])}`)
    }
  }
}

describe("Nothing lost at exit", () => {
  it("block policy: a script that ends without close writes all 20,000 records in order", async () => {
    const result = await runFixture("flood.mjs", { args: [String(N), "block", "normal"] })
    assert.strictEqual(result.code, 0)
    assert.strictEqual(result.stdout, "")
    expectAllInOrder(result.stderr)
  })

  it("block policy: process.exit(3) right after the loop keeps every record and the exit code", async () => {
    const result = await runFixture("flood.mjs", { args: [String(N), "block", "exit3"] })
    assert.strictEqual(result.code, 3)
    expectAllInOrder(result.stderr)
  })

  it("block policy: SIGTERM writes every record and the process still ends by the signal", async () => {
    const result = await runFixture("flood.mjs", { args: [String(N), "block", "sigterm"] })
    assert.strictEqual(result.signal, "SIGTERM")
    expectAllInOrder(result.stderr)
  })

  it.each(["layer", "isolated"])("an Effect program (%s manager): SIGTERM writes the records its file handler held, and ends the process", async (mode) => {
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "femto-signals-"))
    const file = Path.join(dir, "held.log")
    const result = await runFixture("signals-effect.mjs", { args: [mode, file] })
    assert.strictEqual(result.signal, "SIGTERM", result.stderr)
    assert.deepStrictEqual(lines(Fs.readFileSync(file, "utf8")), Array.from({ length: 10 }, (_, i) => `signals [INFO] record ${i}`))
    Fs.rmSync(dir, { recursive: true, force: true })
  })

  it("uninstallSignalHandlers() before the first handler keeps the signal listeners from being installed", async () => {
    const result = await runFixture("signals-effect.mjs", { args: ["opt-out"] })
    assert.strictEqual(result.code, 0, result.stderr)
    assert.strictEqual(result.stdout, "SIGTERM listeners: 0\n")
  })

  it("drop policy: written lines plus reported drops add up exactly to the records emitted", async () => {
    const result = await runFixture("flood.mjs", { args: [String(N), "drop", "normal"] })
    assert.strictEqual(result.code, 0)
    let written = 0
    let dropped = 0
    let last = -1
    for (const line of lines(result.stderr)) {
      const record = recordLine.exec(line)
      if (record !== null) {
        const index = Number(record[1])
        assert.isAbove(index, last, "records stay in order")
        last = index
        written++
        continue
      }
      const drop = dropLine.exec(line)
      if (drop === null) assert.fail(`unexpected stderr line: ${JSON.stringify(line)}`)
      dropped += Number(drop[2])
    }
    assert.isAbove(dropped, 0, "a synchronous burst of 20,000 overflows the handler's 1,024-record queue")
    assert.isAbove(written, 0)
    assert.strictEqual(written + dropped, N)
  })

  it("drop policy with process.exit(3): the count still adds up", async () => {
    const result = await runFixture("flood.mjs", { args: [String(N), "drop", "exit3"] })
    assert.strictEqual(result.code, 3)
    const out = lines(result.stderr)
    const written = out.filter((l) => recordLine.test(l)).length
    const dropped = out.map((l) => dropLine.exec(l)).filter((m) => m !== null).reduce((n, m) => n + Number(m[2]), 0)
    assert.strictEqual(written + out.filter((l) => dropLine.test(l)).length, out.length)
    assert.strictEqual(written + dropped, N)
  })
})

describe("Exit: records a worker handler buffers (flushInterval) when its sink cannot be opened", () => {
  it("process.exit(): counted as dropped and reported, not left pending", async () => {
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "femto-exit-buffered-"))
    try {
      const opened = Path.join(dir, "opened")
      const module = Path.join(dir, "never-opens.mjs")
      Fs.writeFileSync(
        module,
        `import * as fs from "node:fs"\nexport default (o) => { fs.writeFileSync(o.opened, ""); throw new Error("cannot open") }\n`
      )
      const result = await runModule(
        `import * as fs from "node:fs"
import { FemtoWorkerHandler, getLogger } from "femtologging"
const handler = new FemtoWorkerHandler({ module: ${JSON.stringify(module)}, options: { opened: ${JSON.stringify(opened)} }, flushInterval: 50, formatter: (r) => r.message })
getLogger("buffered").addHandler(handler)
process.on("exit", () => console.log(handler.getWritten(), handler.getDropped(), handler.handler.getPending()))
for (let i = 0; i < 10; i++) getLogger("buffered").info("r" + i)
while (!fs.existsSync(${JSON.stringify(opened)})) await new Promise((r) => setTimeout(r, 20))
await new Promise((r) => setTimeout(r, 200))
process.exit(3)`,
        { timeoutMs: 30_000 }
      )
      assert.strictEqual(result.code, 3, result.stderr)
      assert.strictEqual(result.stdout.trim(), "0 10 0")
      assert.match(result.stderr, /FemtoWorkerHandler\(never-opens\.mjs\) dropped 10 records; queue full or closed, or not written by the sink$/m)
    } finally {
      Fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 40_000)
})
