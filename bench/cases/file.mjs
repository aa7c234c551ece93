// Every file workload: log N records to files through one of bench/lib/loggers.mjs, close, and
// time it until the last line is in its file and the files are closed; then check every line of
// every file (bench/lib/common.mjs verifyOutput: written + counted drops = emitted, no torn,
// foreign or duplicated line, each producer's records in order).
//
//   node bench/cases/file.mjs --impl <name> [--records N] [--size BYTES] [--mode loop|turn|producers]
//        [--handlers H] [--loggers 1|100] [--rotate BYTES --backups K] [--producers P] [--chunk C]
//
// --size       message bytes (0: the ~90-byte message of bench/lib/common.mjs)
// --handlers   H files, each a full copy (H handlers on one logger)
// --loggers    0: one logger "bench" with the handler(s) on it; L > 0: L loggers five deep
//              (app.s<a>.m<b>.c<c>.u<d>), the handler(s) on the root logger, record i on logger i % L
// --rotate     size-based rotation at BYTES, keeping --backups files (enough to keep every line)
// --mode loop       one plain loop, nothing yields (caller ns = loop time / N, message built inside)
//        turn       one record per event-loop turn: a setImmediate chain (caller ns = wall time of
//                   the chain / N: the whole turn's cost, not just the call)
//        producers  P async loops at once, each logging C records then awaiting setImmediate
//                   (caller ns = time inside the chunks, summed / N); producer p logs ids p, p+P, ...
import { closeSync, fsyncSync, openSync } from "node:fs"
import { closeKeptAlive, filesIn, messageOfSize, now, numberArg, parseArgs, peakRssMiB, report, verifyOutput, withTempDirs } from "../lib/common.mjs"
import { impls } from "../lib/loggers.mjs"

const args = parseArgs(process.argv.slice(2))
const implName = args.impl ?? "femto"
const records = numberArg(args, "records", 1_000_000)
const size = numberArg(args, "size", 0, { zero: true })
const mode = args.mode ?? "loop"
const handlers = numberArg(args, "handlers", 1)
const loggerCount = numberArg(args, "loggers", 0, { zero: true })
const rotateBytes = numberArg(args, "rotate", 0, { zero: true })
const backups = numberArg(args, "backups", 100)
const producers = numberArg(args, "producers", 4)
const chunk = numberArg(args, "chunk", 64)

const impl = impls[implName]
if (impl === undefined) throw new Error(`unknown impl ${implName}`)
if (!["loop", "turn", "producers"].includes(mode)) throw new Error(`unknown mode ${mode}`)
const msg = messageOfSize(size)

// 100 loggers five deep: app.s{0,1}.m{0,1}.c{0..4}.u{0..4} (127 loggers with the ones between).
const hierarchy = (count) => {
  const names = []
  for (let k = 0; names.length < count; k++) {
    names.push(`app.s${k % 2}.m${(k >> 1) % 2}.c${(k >> 2) % 5}.u${Math.floor(k / 20) % 5}${k >= 100 ? `x${k}` : ""}`)
  }
  return names
}

const result = await withTempDirs(handlers, async (_dir, dirs) => {
  const { log, close, dropped = () => 0 } = await impl.setup({
    dirs,
    names: loggerCount > 0 ? hierarchy(loggerCount) : undefined,
    rotate: rotateBytes > 0 ? { maxBytes: rotateBytes, backups } : undefined
  })
  let callerNs = 0n
  const start = now()
  if (mode === "loop") {
    for (let i = 0; i < records; i++) log(msg(i), i)
    callerNs = now() - start
  } else if (mode === "turn") {
    await new Promise((resolve) => {
      let i = 0
      const turn = () => {
        log(msg(i), i)
        if (++i < records) setImmediate(turn)
        else resolve()
      }
      turn()
    })
    callerNs = now() - start
  } else {
    const producer = async (p) => {
      for (let base = p; base < records;) {
        const t0 = now()
        for (let j = 0; j < chunk && base < records; j++, base += producers) log(msg(base), base)
        callerNs += now() - t0
        await new Promise(setImmediate)
      }
    }
    await Promise.all(Array.from({ length: producers }, (_, p) => producer(p)))
  }
  const loopEnd = now()
  const closed = await closeKeptAlive(close)
  const end = typeof closed?.endNs === "bigint" ? closed.endNs : now()
  const rss = peakRssMiB()
  const groups = dirs.map(filesIn)
  // Not part of the e2e figure: how long an fsync of the files takes after close (about 0 when
  // the logger already fsynced on close, as SonicBoom does).
  const f0 = now()
  for (const f of groups.flat()) {
    const fd = openSync(f, "r")
    fsyncSync(fd)
    closeSync(fd)
  }
  const fsyncMs = Number(now() - f0) / 1e6
  const drops = dropped()
  const v = verifyOutput({ groups, records, message: msg, dropped: drops, streams: mode === "producers" ? producers : 1 })
  const e2eMs = Number(end - start) / 1e6
  const messageBytes = size > 0 ? size : undefined
  return {
    impl: implName,
    mode,
    records,
    size,
    handlers,
    loggers: loggerCount,
    callerNsPerRecord: Number(callerNs) / records,
    loopMs: Number(loopEnd - start) / 1e6,
    e2eMs,
    recordsPerSec: records / (e2eMs / 1e3),
    // Message bytes per second (the same work for every library); file bytes per second below.
    payloadMBps: messageBytes === undefined ? undefined : (records * messageBytes) / (e2eMs / 1e3) / 1e6,
    fileMBps: v.bytes / (e2eMs / 1e3) / 1e6,
    fsyncAfterCloseMs: fsyncMs,
    dropped: Array.isArray(drops) ? Math.max(0, ...drops) : drops,
    peakRssMiB: rss,
    ...v
  }
})
report(result)
process.exit(0)
