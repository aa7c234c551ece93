// The floor under the bench's handlers-4/femto-worker row, piece by piece (the figures the
// README's Performance section quotes): pino's synchronous multistream logs the row's workload
// (500,000 records to 4 files) with no femtologging, beside what the row's four dedicated worker
// threads and their modules cost, and the process's peak RSS is printed.
//   npx node scratchpad/threads-floor.mjs none      pino alone
//   npx node scratchpad/threads-floor.mjs threads   + four idle Node worker threads
//   npx node scratchpad/threads-floor.mjs femto     + import "femtologging" and one inline handler (Effect's core)
//   npx node scratchpad/threads-floor.mjs workers   + Effect's worker modules (what `executor: "worker"` loads)
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Worker } from "node:worker_threads"

const steps = ["none", "threads", "femto", "workers"]
const upTo = steps.indexOf(process.argv[2] ?? "workers")
if (upTo < 0) throw new Error(`usage: threads-floor.mjs ${steps.join("|")}`)

if (upTo >= 1) {
  for (let t = 0; t < 4; t++) {
    const thread = new Worker("require('node:worker_threads').parentPort.on('message', () => {})", { eval: true })
    await new Promise((resolve) => thread.once("online", resolve))
    thread.unref()
  }
}
if (upTo >= 2) {
  const F = await import("femtologging")
  await new F.FemtoFileHandler("/dev/null").close()
}
if (upTo >= 3) {
  await import("effect/workers/Worker")
  await import("@effect/platform-node/NodeWorker")
}

const { default: pino } = await import("pino")
const dirs = Array.from({ length: 4 }, () => mkdtempSync(join(tmpdir(), "threads-floor-")))
const log = pino({ level: "info" }, pino.multistream(dirs.map((d) => ({ stream: pino.destination({ dest: join(d, "f.log"), sync: true }) }))))
for (let i = 0; i < 500_000; i++) log.info(`record ${i} the quick brown fox jumps over the lazy dog and keeps on running`)
console.log(`${steps.slice(0, upTo + 1).join(" + ")}: peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MiB`)
for (const d of dirs) rmSync(d, { recursive: true, force: true })
