/**
 * Resource leaks of a long-running process: what a handler, a configuration or a connection leaves
 * behind once it is closed, measured over repeated rounds in a child process (real threads, real
 * files; `--expose-gc` through `NODE_OPTIONS`), after a warm-up round and a garbage collection.
 * Found by the review of resource leaks. The children import the built package: run `npx tsc -b`
 * first.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Path from "node:path"
import { fixturesDir, runModule } from "./utils/child.ts"

const stuckSink = Path.join(fixturesDir, "sinks", "stuck.mjs")

/** Runs `source` in a child with `gc()`; its stdout is one JSON line. */
const measure = async (source: string, timeoutMs: number): Promise<Record<string, number>> => {
  const result = await runModule(
    `const settle = async () => { for (let i = 0; i < 5; i++) { gc(); await new Promise((r) => setTimeout(r, 20)) } }\n${source}`,
    { env: { NODE_OPTIONS: "--expose-gc" }, timeoutMs }
  )
  assert.strictEqual(result.code, 0, result.stderr)
  return JSON.parse(result.stdout)
}

describe("Leaks: a worker handler closed by giving up on its sink", () => {
  it("leaves nothing behind: its hand-off and the batches waiting for it are freed", async () => {
    // A sink whose write never settles, a burst larger than the 1 MiB hand-off: the batches that
    // do not fit wait on the main thread for room, and close() gives up on them. The wait for room
    // (an Atomics.waitAsync without timeout) was never woken once the thread was ended, so it held
    // the executor, its batches and its hand-off for the life of the process (~0.6 MiB a round).
    const out = await measure(
      `import { FemtoWorkerHandler, getLogger } from "femtologging"
const logger = getLogger("stuck")
logger.setPropagate(false)
const round = async () => {
  const h = new FemtoWorkerHandler({ module: ${JSON.stringify(stuckSink)}, policy: "drop", capacity: 10000,
    bufferBytes: 1 << 20, flushTimeoutMs: 100, formatter: (r) => r.message })
  logger.addHandler(h)
  for (let i = 0; i < 3000; i++) logger.info("x".repeat(1000))
  await new Promise((r) => setTimeout(r, 50))
  logger.removeHandler(h)
  await h.close()
}
await round()
await settle()
const before = process.memoryUsage().arrayBuffers
for (let i = 0; i < 3; i++) await round()
await settle()
console.log(JSON.stringify({ grew: process.memoryUsage().arrayBuffers - before }))`,
      60_000
    )
    assert.isBelow(out.grew!, 256 * 1024, `array buffers grew by ${out.grew} bytes over 3 rounds`)
  }, 70_000)
})
