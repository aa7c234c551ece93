// Event-loop lag with a slow sink: the main thread logs N records in chunks (`setImmediate`
// between chunks, so timers can run; the same schedule for every impl) to a sink that takes
// `delayMs` (1 ms) per batch and then appends the batch to a file, while a setInterval(10)
// measures how late its ticks run. The window runs from the first record until close()
// resolved (everything in the file); then every line is checked.
//
//   node bench/cases/slow-sink-lag.mjs --impl femto-inline|femto-worker|pino-transport
//                                      [--records 20000] [--chunk 100] [--delay-ms 1]
//                                      [--wait atomics|timer]
//
// femto-inline: a pipeline handler (Handler.makeUnsafe, target { _tag: "Sink" }) with the slow
//   sink on the main thread; its 1 ms is Atomics.wait, blocking the main thread (--wait is
//   ignored: an inline sink that must hold the thread has to be synchronous).
// femto-worker: FemtoWorkerHandler with bench/lib/slow-sink.mjs on its worker thread.
// pino-transport: pino.transport() with bench/lib/slow-transport.mjs (a Writable) on its worker.
// All three use their defaults otherwise (femtologging: capacity 1024, block), but femtologging's
// flushTimeoutMs is raised to 60 s so that close() waits for the slow sink however long it takes.
import { once } from "node:events"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { endTransport } from "../lib/loggers.mjs"
import { closeKeptAlive, lagMonitor, message, now, numberArg, parseArgs, peakRssMiB, report, tick, verifyFile, withTempDirs } from "../lib/common.mjs"

const args = parseArgs(process.argv.slice(2))
const impl = args.impl ?? "femto-worker"
const records = numberArg(args, "records", 20_000)
const chunk = numberArg(args, "chunk", 100)
const delayMs = numberArg(args, "delay-ms", 1, { zero: true })
const wait = args.wait === "timer" ? "timer" : "atomics"
const intervalMs = 10
const flushTimeoutMs = 60_000

const sinkModule = fileURLToPath(new URL("../lib/slow-sink.mjs", import.meta.url))
const transportModule = fileURLToPath(new URL("../lib/slow-transport.mjs", import.meta.url))

const counter = new SharedArrayBuffer(4)
const batches = () => Atomics.load(new Int32Array(counter), 0)

const setups = {
  async "femto-inline"(path) {
    const { getLogger, Handler } = await import("femtologging")
    const { Effect } = await import("effect")
    const { default: slowSink } = await import(sinkModule)
    const logger = getLogger("bench")
    const handler = Handler.makeUnsafe({
      label: "slow-inline",
      target: { _tag: "Sink", sink: () => slowSink({ path, delayMs, wait: "atomics", counter }) },
      flushTimeoutMs
    })
    logger.addHandler(handler)
    return {
      log: (m) => logger.info(m),
      close: () => Effect.runPromise(Handler.close(handler)),
      dropped: () => logger.getDropped() + handler.getDropped()
    }
  },
  async "femto-worker"(path) {
    const { FemtoWorkerHandler, getLogger } = await import("femtologging")
    const logger = getLogger("bench")
    const handler = new FemtoWorkerHandler({
      module: sinkModule,
      options: { path, delayMs, wait, counter },
      flushTimeoutMs
    })
    logger.addHandler(handler)
    // Not timed: the thread starts and opens the sink (pino's setup awaits 'ready' likewise).
    const up = await Promise.race([handler.flush(), new Promise((resolve) => setTimeout(resolve, 10_000, false))])
    if (up !== true) throw new Error("the worker sink did not come up within 10 s (see stderr)")
    return {
      log: (m) => logger.info(m),
      close: () => handler.close(),
      dropped: () => logger.getDropped() + handler.getDropped()
    }
  },
  async "pino-transport"(path) {
    const { default: pino } = await import("pino")
    const transport = pino.transport({ target: transportModule, options: { path, delayMs, wait, counter } })
    await once(transport, "ready")
    const logger = pino({ level: "info" }, transport)
    return { log: (m) => logger.info(m), close: () => endTransport(transport) }
  }
}

const setup = setups[impl]
if (setup === undefined) throw new Error(`unknown impl ${impl}`)
await withTempDirs(1, async (_dir, [folder]) => {
  const path = join(folder, "bench.log")
  const { log, close, dropped = () => 0 } = await setup(path)
  // Let the first ticks settle (module loading, the worker's start) before measuring.
  await new Promise((resolve) => setTimeout(resolve, 50))
  const lag = lagMonitor(intervalMs)
  // As in null-sink: a chunk's messages are built before its clock starts, so caller ns is the
  // time inside info() only.
  let callerNs = 0n
  const batch = new Array(chunk)
  const start = now()
  for (let base = 0; base < records; base += chunk) {
    const n = Math.min(chunk, records - base)
    for (let j = 0; j < n; j++) batch[j] = message(base + j)
    const t0 = now()
    for (let j = 0; j < n; j++) log(batch[j])
    callerNs += now() - t0
    await tick()
  }
  const loopEnd = now()
  // The worker threads are unref'd: keep the process alive until close() completes.
  await closeKeptAlive(close)
  const end = now()
  const l = lag.stop()
  const rss = peakRssMiB()
  const v = verifyFile(path, records, dropped())
  const e2eMs = Number(end - start) / 1e6
  report({
    impl,
    records,
    chunk,
    delayMs,
    wait: impl === "femto-inline" ? "atomics" : wait,
    callerNsPerRecord: Number(callerNs) / records,
    loopMs: Number(loopEnd - start) / 1e6,
    e2eMs,
    recordsPerSec: records / (e2eMs / 1e3),
    ...l,
    batches: batches(),
    dropped: dropped(),
    peakRssMiB: rss,
    ...v
  })
})
process.exit(0)
