// Caller cost into a sink that does nothing.
//
//   node bench/cases/null-sink.mjs --impl femto|pino-devnull|pino-object --mode chunked|burst|disabled
//                                  [--records N] [--chunk 512]
//
// chunked: `chunk` calls, then `await setImmediate` so femtologging's worker fibers (and pino's
//   async machinery, if any) get to run. Caller time is summed over the chunks only (the
//   messages of a chunk are built before its clock starts); records/s is over the whole run,
//   drains included.
// disabled: as chunked, but every call is `debug` while the level is INFO (the cost of a
//   disabled level; nothing is built or queued).
// burst: one plain loop, nothing yields. femtologging's worker never runs during the loop, so
//   once the logger's queue (1024) is full every further call is dropped (and counted). The
//   message is built inside the timed loop here.
import { message, now, numberArg, parseArgs, peakRssMiB, report, tick } from "../lib/common.mjs"

const args = parseArgs(process.argv.slice(2))
const impl = args.impl ?? "femto"
const mode = args.mode ?? "chunked"
const records = numberArg(args, "records", 1_000_000)
const chunk = numberArg(args, "chunk", 512)
const method = mode === "disabled" ? "debug" : "info"

let log
let dropped = () => 0
let finish = async () => {}

if (impl.startsWith("femto")) {
  const { Filter, getLogger, Handler, withContext } = await import("femtologging")
  // femto-context: scoped context in use elsewhere in the process, none around these calls
  if (impl === "femto-context") withContext({ warm: true }, () => {})
  const { Effect } = await import("effect")
  const logger = getLogger("bench")
  const handler = Handler.makeUnsafe({
    label: "null",
    target: { _tag: "Sink", sink: { write() {}, flush() {}, close() {} } },
    policy: "drop",
    // femto-level: a handler level every record passes; femto-filter: a name filter every record passes
    ...(impl === "femto-level" ? { level: "INFO" } : {}),
    ...(impl === "femto-filter" ? { filters: [Filter.name("bench")] } : {})
  })
  logger.addHandler(handler)
  log = (m) => logger[method](m)
  dropped = () => logger.getDropped() + handler.getDropped()
  finish = async () => {
    await Effect.runPromise(Handler.flush(handler))
  }
} else {
  const { default: pino } = await import("pino")
  let dest
  if (impl === "pino-devnull") dest = pino.destination({ dest: "/dev/null", sync: true })
  else if (impl === "pino-object") dest = { write() {} }
  else throw new Error(`unknown impl ${impl}`)
  const logger = pino({ level: "info" }, dest)
  log = (m) => logger[method](m)
}

// Warm-up, not timed, the same for every library: the JIT optimises the call path first, so the
// caller cost is the steady state's, not the interpreter's.
const warmup = Math.min(Math.floor(records / 10), 50_000)
for (let i = 0; i < warmup; i++) {
  log(message(i))
  if (i % chunk === chunk - 1) await tick() // as the timed loop yields: no drops while warming up
}
await finish()
const droppedInWarmup = dropped()

let callerNs = 0n
const start = now()
if (mode === "chunked" || mode === "disabled") {
  const batch = new Array(chunk)
  for (let base = 0; base < records; base += chunk) {
    const n = Math.min(chunk, records - base)
    for (let j = 0; j < n; j++) batch[j] = message(base + j)
    const t0 = now()
    for (let j = 0; j < n; j++) log(batch[j])
    callerNs += now() - t0
    await tick()
  }
} else if (mode === "burst") {
  const t0 = now()
  for (let i = 0; i < records; i++) log(message(i))
  callerNs = now() - t0
} else throw new Error(`unknown mode ${mode}`)
const loopEnd = now()
await finish()
const end = now()

const rss = peakRssMiB()
report({
  impl,
  mode,
  records,
  chunk: mode === "chunked" ? chunk : null,
  callerNsPerRecord: Number(callerNs) / records,
  wallMs: Number(end - start) / 1e6,
  loopMs: Number(loopEnd - start) / 1e6,
  recordsPerSec: records / (Number(end - start) / 1e9),
  dropped: dropped() - droppedInWarmup,
  peakRssMiB: rss
})
process.exit(0)
