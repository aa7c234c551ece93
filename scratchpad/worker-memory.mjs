// What a worker handler costs in memory before it writes anything (the figures the README's
// Performance section quotes for the four-worker-handler row):
//   npx node --expose-gc scratchpad/worker-memory.mjs
// 1. the main thread's resident memory after `import "femtologging"` and a first logger, then
//    after Effect's core (what the first handler of any kind loads), then Effect's worker modules
//    (what the first `executor: "worker"` handler loads: `effect/Schema` and the rest);
// 2. four idle Node worker threads (an empty script each), and one thread's V8 heap after
//    Node's bootstrap.
import { readFileSync } from "node:fs"
import { Worker } from "node:worker_threads"

const MiB = 2 ** 20
const status = () => {
  globalThis.gc?.()
  const s = readFileSync("/proc/self/status", "utf8")
  const kib = (key) => Number(s.match(new RegExp(`${key}:\\s+(\\d+)`))[1])
  return { rss: kib("VmRSS") / 1024, anon: kib("RssAnon") / 1024, heap: process.memoryUsage().heapUsed / MiB }
}
const delta = (label, before, after) =>
  console.log(
    `${label.padEnd(44)} RSS +${(after.rss - before.rss).toFixed(1)} MiB (anonymous +${(after.anon - before.anon).toFixed(1)}, V8 heap used +${(after.heap - before.heap).toFixed(1)})`
  )

if (globalThis.gc === undefined) console.log("(run with --expose-gc for steadier figures)")
const s0 = status()
const F = await import("femtologging")
F.getLogger("probe")
const s1 = status()
delta("import femtologging + getLogger", s0, s1)
// What the first handler of any kind loads: its queue is an Effect Queue.
await import("effect/Effect")
await import("effect/Queue")
const s1e = status()
delta("  effect/Effect + effect/Queue (any handler)", s1, s1e)
await import("effect/Schema")
const s2 = status()
delta("  effect/Schema", s1e, s2)
await import("effect/workers/Worker")
await import("@effect/platform-node/NodeWorker")
const s3 = status()
delta("  effect/workers + NodeWorker (rest)", s2, s3)

const idle = `
const v8 = require("node:v8")
require("node:worker_threads").parentPort.postMessage(v8.getHeapStatistics().total_physical_size)
setInterval(() => {}, 1000)
`
const workers = []
let heap = 0
for (let i = 0; i < 4; i++) {
  const w = new Worker(idle, { eval: true })
  workers.push(w)
  heap = await new Promise((resolve) => w.once("message", resolve))
}
await new Promise((resolve) => setTimeout(resolve, 300))
const s4 = status()
delta("four idle worker threads", s3, s4)
console.log(`one thread's V8 heap after bootstrap: ${(heap / MiB).toFixed(1)} MiB`)
process.exit(0)
