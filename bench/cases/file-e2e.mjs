// End to end into a file: log N records in a plain loop, then close and wait until the last byte
// is written and the file is closed. The line count and every line's content are checked after
// the clock stops (line k must contain message(k): no loss, duplication, reordering or tearing).
//
//   node bench/cases/file-e2e.mjs --impl femto|pino-async|pino-sync|pino-transport [--records N]
import { once } from "node:events"
import { closeSync, fsyncSync, mkdtempSync, openSync, readSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { message, now, parseArgs, peakRssMiB, report } from "../lib/common.mjs"

const args = parseArgs(process.argv.slice(2))
const impl = args.impl ?? "femto"
const records = Number(args.records ?? 1_000_000)

const dir = mkdtempSync(join(tmpdir(), "femto-bench-"))
const path = join(dir, "bench.log")

// Each setup returns { log, close, dropped }; everything before the first record (opening the
// file, starting a worker) happens before the clock starts.
const setups = {
  async femto() {
    const { FemtoFileHandler, getLogger } = await import("femtologging")
    if (typeof FemtoFileHandler !== "function") throw new Error("FemtoFileHandler is not exported by femtologging")
    const logger = getLogger("bench")
    const handler = new FemtoFileHandler(path, { capacity: 1024, flushInterval: 1, policy: "block" })
    logger.addHandler(handler)
    return {
      log: (m) => logger.info(m),
      close: () => handler.close(),
      dropped: () => logger.getDropped() + handler.getDropped()
    }
  },
  // The same work as pino's lines: one JSON object per record with pino's keys (level, time, pid,
  // hostname, msg), so bytes per line and serialising are comparable.
  async "femto-json"() {
    const { FemtoFileHandler, getLogger } = await import("femtologging")
    const { hostname } = await import("node:os")
    const tail = `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())},"msg":`
    const logger = getLogger("bench")
    const handler = new FemtoFileHandler(path, {
      capacity: 1024,
      flushInterval: 1,
      policy: "block",
      formatter: (r) => `{"level":30,"time":${Math.round(r.timestampNs / 1e6)}${tail}${JSON.stringify(r.message)}}`
    })
    logger.addHandler(handler)
    return {
      log: (m) => logger.info(m),
      close: () => handler.close(),
      dropped: () => logger.getDropped() + handler.getDropped()
    }
  },
  async "pino-async"() {
    const { default: pino } = await import("pino")
    const dest = pino.destination({ dest: path, sync: false })
    await once(dest, "ready")
    const logger = pino({ level: "info" }, dest)
    return { log: (m) => logger.info(m), close: () => endSonic(dest) }
  },
  async "pino-sync"() {
    const { default: pino } = await import("pino")
    const dest = pino.destination({ dest: path, sync: true })
    const logger = pino({ level: "info" }, dest)
    return { log: (m) => logger.info(m), close: () => endSonic(dest) }
  },
  async "pino-transport"() {
    const { default: pino } = await import("pino")
    const transport = pino.transport({ target: "pino/file", options: { destination: path } })
    await once(transport, "ready")
    const logger = pino({ level: "info" }, transport)
    return {
      log: (m) => logger.info(m),
      // end() blocks until the worker has read everything; the worker then ends its SonicBoom
      // (fsync + close) and exits, and the stream emits 'close'.
      close: async () => {
        const closed = once(transport, "close")
        transport.end()
        await closed
      }
    }
  }
}

// SonicBoom: end() writes what is buffered, then fsyncs and closes the fd, emitting 'close'.
const endSonic = async (dest) => {
  const closed = once(dest, "close")
  dest.end()
  await closed
}

// Streams the file: counts lines and checks that line k contains message(k).
const verify = () => {
  const fd = openSync(path, "r")
  const buf = Buffer.allocUnsafe(4 << 20)
  let lines = 0
  let bad = 0
  let firstBad
  let rest = ""
  const check = (line) => {
    if (!line.includes(message(lines))) {
      bad++
      firstBad ??= { line: lines, text: line.slice(0, 200) }
    }
    lines++
  }
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, null)
    if (n === 0) break
    const text = rest + buf.latin1Slice(0, n)
    let from = 0
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", from)) {
      check(text.slice(from, nl))
      from = nl + 1
    }
    rest = text.slice(from)
  }
  closeSync(fd)
  return { lines, bad, firstBad, partialTail: rest.length, bytes: statSync(path).size }
}

const setup = setups[impl]
if (setup === undefined) throw new Error(`unknown impl ${impl}`)
try {
  const { log, close, dropped = () => 0 } = await setup()
  const start = now()
  for (let i = 0; i < records; i++) log(message(i))
  const loopEnd = now()
  // pino's transport worker is unref'd: without a ref'd handle the event loop could empty (and
  // the process exit) before its 'close' arrives.
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
  const v = verify()
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
    lines: v.lines,
    badLines: v.bad,
    firstBad: v.firstBad,
    partialTail: v.partialTail,
    bytesPerLine: v.lines > 0 ? v.bytes / v.lines : 0,
    ok: v.lines === records && v.bad === 0 && v.partialTail === 0
  })
} finally {
  rmSync(dir, { recursive: true, force: true })
}
process.exit(0)
