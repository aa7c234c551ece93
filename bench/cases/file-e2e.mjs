// End to end into a file: log N records in a plain loop, then close and wait until the last byte
// is written and the file is closed. The line count and every line's content are checked after
// the clock stops (line k must contain message(k): no loss, duplication, reordering or tearing).
//
//   node bench/cases/file-e2e.mjs --impl femto|femto-worker|femto-json|pino-async|pino-sync|pino-transport
//                                 [--records N]
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileImpls } from "../lib/file-impls.mjs"
import { message, now, parseArgs, peakRssMiB, report, verifyFile } from "../lib/common.mjs"

const args = parseArgs(process.argv.slice(2))
const impl = args.impl ?? "femto"
const records = Number(args.records ?? 1_000_000)

const dir = mkdtempSync(join(tmpdir(), "femto-bench-"))
const path = join(dir, "bench.log")

const setup = fileImpls[impl]
if (setup === undefined) throw new Error(`unknown impl ${impl}`)
try {
  const { log, close, dropped = () => 0 } = await setup(path)
  const start = now()
  for (let i = 0; i < records; i++) log(message(i))
  const loopEnd = now()
  // pino's transport worker (and femtologging's) is unref'd: without a ref'd handle the event
  // loop could empty (and the process exit) before the close completes.
  const keepAlive = setInterval(() => {}, 1000)
  await close()
  const end = now()
  clearInterval(keepAlive)
  const rss = peakRssMiB()
  // Not part of the e2e figure: how long an fsync takes after close (about 0 when the logger
  // already fsynced on close, as SonicBoom does).
  const fd = openSync(path, "r")
  const f0 = now()
  fsyncSync(fd)
  const fsyncMs = Number(now() - f0) / 1e6
  closeSync(fd)
  const v = verifyFile(path, records)
  const e2eMs = Number(end - start) / 1e6
  report({
    impl,
    records,
    callerNsPerRecord: Number(loopEnd - start) / records,
    e2eMs,
    recordsPerSec: records / (e2eMs / 1e3),
    fsyncAfterCloseMs: fsyncMs,
    dropped: dropped(),
    peakRssMiB: rss,
    ...v
  })
} finally {
  rmSync(dir, { recursive: true, force: true })
}
process.exit(0)
