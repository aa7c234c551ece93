// Records/s from a handler to a local receiver on loopback: the sender logs N records in one
// plain loop, then closes; the clock runs from the first call until the receiver (another
// process, bench/lib/socket-receiver.mjs) has every record, decoded. Every record is checked
// there: each id once, none foreign; received + counted drops = emitted.
//
//   node bench/cases/socket.mjs --impl femto|femto-inline|pino-socket [--records 100000]
//
// femto: FemtoSocketHandler with its defaults (worker thread, frames of MessagePack) but policy
//   block (so nothing is dropped in a tight loop: capacity 10,000 would drop the rest under
//   drop), and flushTimeoutMs 60 s so that close() waits for the whole backlog; the receiver is
//   femtologging's receive().
// femto-inline: the same, the sink on the main thread.
// pino-socket: pino.transport({ target: "pino-socket", options: { mode: "tcp" } }), pino's
//   newline-delimited JSON over TCP on pino's worker thread; the receiver splits lines and
//   JSON.parse's each (pino-socket has no framing; it is the nearest maintained equivalent).
// Before the clock, each sender sends one record ("warmup") and waits until the receiver has it:
// threads started, connections open.
import { spawn } from "node:child_process"
import { once } from "node:events"
import { fileURLToPath } from "node:url"
import { endTransport } from "../lib/loggers.mjs"
import { closeKeptAlive, message, now, numberArg, parseArgs, peakRssMiB, report } from "../lib/common.mjs"

const args = parseArgs(process.argv.slice(2))
const impl = args.impl ?? "femto"
const records = numberArg(args, "records", 100_000)
const receiverScript = fileURLToPath(new URL("../lib/socket-receiver.mjs", import.meta.url))

const receiver = spawn(process.execPath, [receiverScript, "--kind", impl === "pino-socket" ? "ndjson" : "femto", "--records", String(records)], {
  stdio: ["ignore", "pipe", "inherit"]
})
const lines = []
const waiters = []
let buffered = ""
receiver.stdout.setEncoding("utf8").on("data", (text) => {
  const parts = (buffered + text).split("\n")
  buffered = parts.pop()
  for (const line of parts) {
    lines.push({ line, at: now() })
    for (const w of waiters.splice(0)) w()
  }
})
const nextLine = async (prefix) => {
  for (;;) {
    const found = lines.find((l) => l.line.startsWith(prefix))
    if (found !== undefined) return found
    await new Promise((resolve) => waiters.push(resolve))
  }
}

const port = Number((await nextLine("port ")).line.slice(5))

const setups = {
  async femto(executor) {
    const { FemtoSocketHandler, getLogger } = await import("femtologging")
    const handler = new FemtoSocketHandler({ host: "127.0.0.1", port, executor, policy: "block", flushTimeoutMs: 60_000 })
    const logger = getLogger("bench")
    logger.addHandler(handler)
    return { log: (m) => logger.info(m), close: () => handler.close(), dropped: () => handler.getDropped() }
  },
  async "pino-socket"() {
    const { default: pino } = await import("pino")
    const transport = pino.transport({ target: "pino-socket", options: { address: "127.0.0.1", port, mode: "tcp" } })
    await once(transport, "ready")
    const logger = pino({ level: "info" }, transport)
    return { log: (m) => logger.info(m), close: () => endTransport(transport), dropped: () => 0 }
  }
}

const setup = impl === "femto" ? () => setups.femto("worker") : impl === "femto-inline" ? () => setups.femto("inline") : setups[impl]
if (setup === undefined) throw new Error(`unknown impl ${impl}`)
const { log, close, dropped } = await setup()
log("warmup")
const keepAlive = setInterval(() => {}, 1000)
await nextLine("warm")
clearInterval(keepAlive)

const start = now()
for (let i = 0; i < records; i++) log(message(i))
const loopEnd = now()
await closeKeptAlive(close)
const keep = setInterval(() => {}, 1000)
const done = await nextLine("done ")
clearInterval(keep)
receiver.kill()
const counts = JSON.parse(done.line.slice(5))
const e2eMs = Number(done.at - start) / 1e6
const drops = dropped()
report({
  impl,
  records,
  callerNsPerRecord: Number(loopEnd - start) / records,
  loopMs: Number(loopEnd - start) / 1e6,
  e2eMs,
  recordsPerSec: records / (e2eMs / 1e3),
  dropped: drops,
  peakRssMiB: peakRssMiB(),
  lines: counts.received,
  dupLines: counts.duplicates,
  badLines: counts.bad,
  missing: Math.max(0, counts.missing - drops),
  ok: counts.duplicates === 0 && counts.bad === 0 && counts.received + drops === records
})
process.exit(0)
