// One record per event-loop turn: a setImmediate chain, each turn builds message(i) and logs it
// once, as a server logging one line per request does. Then close and wait until the file is
// complete; every line is checked after the clock stops.
//
//   node bench/cases/one-per-turn.mjs --impl femto|femto-worker|pino-sync|pino-async|pino-transport
//                                     [--records 200000]
//
// callerNsPerRecord = wall time from the first call to the end of the last turn / N: the whole
// cost of a turn (building the message, the call, what the logger schedules for later in the
// turn or in the next ones, the event loop's own turn), not the time inside info() alone.
// recordsPerSec = N / (first call until close() resolved, the file complete and closed).
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileImpls } from "../lib/file-impls.mjs"
import { message, now, parseArgs, peakRssMiB, report, verifyFile } from "../lib/common.mjs"

const args = parseArgs(process.argv.slice(2))
const impl = args.impl ?? "femto"
const records = Number(args.records ?? 200_000)

const dir = mkdtempSync(join(tmpdir(), "femto-bench-"))
const path = join(dir, "bench.log")

const setup = fileImpls[impl]
if (setup === undefined) throw new Error(`unknown impl ${impl}`)
try {
  const { log, close, dropped = () => 0 } = await setup(path)
  let start = 0n
  const loopEnd = await new Promise((resolve) => {
    let i = 0
    const turn = () => {
      log(message(i))
      if (++i < records) setImmediate(turn)
      else resolve(now())
    }
    start = now()
    turn()
  })
  // The worker threads are unref'd: keep the process alive until close() completes.
  const keepAlive = setInterval(() => {}, 1000)
  await close()
  const end = now()
  clearInterval(keepAlive)
  const rss = peakRssMiB()
  const v = verifyFile(path, records)
  const e2eMs = Number(end - start) / 1e6
  report({
    impl,
    records,
    callerNsPerRecord: Number(loopEnd - start) / records,
    loopMs: Number(loopEnd - start) / 1e6,
    e2eMs,
    recordsPerSec: records / (e2eMs / 1e3),
    dropped: dropped(),
    peakRssMiB: rss,
    ...v
  })
} finally {
  rmSync(dir, { recursive: true, force: true })
}
process.exit(0)
