// Caller cost into a sink that does nothing.
//
//   node bench/cases/null-sink.mjs --impl femto|pino-devnull|pino-object --mode chunked|burst|disabled
//                                  [--records N] [--chunk 512] [--fields]
//
// --fields: each call also passes three fields, { reqId, status, path } (femtologging: after the
//   message; pino: its merging object, first), as a server logs a request.
//
// chunked: `chunk` calls, then `await setImmediate` so femtologging's worker fibers (and pino's
//   async machinery, if any) get to run. Caller time is summed over the chunks only (the
//   messages of a chunk are built before its clock starts); records/s is over the whole run,
//   drains included.
// disabled: as chunked, but every call is `debug` while the level is INFO (the cost of a
//   disabled level; nothing is built or queued), called as application code calls it
//   (`logger.debug(m)` in the loop): the closure the other modes call through costs ~5 ns by
//   itself, as much as the whole target. `emptyCallNsPerRecord` is that loop calling an empty
//   method, measured in the same process, for scale.
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
const withFields = args.fields === true
const fieldsOf = (i) => ({ reqId: i, status: 200, path: "/items" })

let log
let logger // the library's logger object (the disabled mode calls its `debug` directly)
let dropped = () => 0
let finish = async () => {}

if (impl.startsWith("femto")) {
  const { Filter, getLogger, Handler, setReturnLines, withContext } = await import("femtologging")
  // femto-context: scoped context in use elsewhere in the process, none around these calls
  if (impl === "femto-context") withContext({ warm: true }, () => {})
  // femto-nolines: setReturnLines(false), what building the returned line costs by difference
  if (impl === "femto-nolines") setReturnLines(false)
  const { Effect } = await import("effect")
  logger = getLogger("bench")
  const handler = Handler.makeUnsafe({
    label: "null",
    target: { _tag: "Sink", sink: { write() {}, flush() {}, close() {} } },
    policy: "drop",
    // femto-level: a handler level every record passes; femto-filter: a name filter every record passes
    ...(impl === "femto-level" ? { level: "INFO" } : {}),
    ...(impl === "femto-filter" ? { filters: [Filter.name("bench")] } : {})
  })
  logger.addHandler(handler)
  log = withFields ? (m, i) => logger[method](m, fieldsOf(i)) : (m) => logger[method](m)
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
  logger = pino({ level: "info" }, dest)
  log = withFields ? (m, i) => logger[method](fieldsOf(i), m) : (m) => logger[method](m)
}

// Warm-up, not timed, the same for every library: the JIT optimises the call path first, so the
// caller cost is the steady state's, not the interpreter's.
const warmup = Math.min(Math.floor(records / 10), 50_000)
for (let i = 0; i < warmup; i++) {
  log(message(i), i)
  if (i % chunk === chunk - 1) await tick() // as the timed loop yields: no drops while warming up
}
await finish()
const droppedInWarmup = dropped()

// The disabled mode's loop: `target.debug(m)` for each message of the batch, timed.
const timeDebug = async (target, batch, n) => {
  const t0 = now()
  for (let j = 0; j < n; j++) target.debug(batch[j])
  return now() - t0
}
// The same loop over an object whose `debug` does nothing (a separate function, so that each
// loop sees one kind of object).
const timeEmpty = async (target, batch, n) => {
  const t0 = now()
  for (let j = 0; j < n; j++) target.debug(batch[j])
  return now() - t0
}

let callerNs = 0n
const start = now()
let emptyCallNs
if (mode === "disabled") {
  const batch = new Array(chunk)
  for (let k = 0; k < 200; k++) await timeDebug(logger, batch.fill(message(k)), chunk) // warm-up
  for (let base = 0; base < records; base += chunk) {
    const n = Math.min(chunk, records - base)
    for (let j = 0; j < n; j++) batch[j] = message(base + j)
    callerNs += await timeDebug(logger, batch, n)
    await tick()
  }
  const empty = { debug(_m) {} }
  let ns = 0n
  for (let k = 0; k < 200; k++) await timeEmpty(empty, batch, chunk) // warm-up
  for (let base = 0; base < records; base += chunk) {
    ns += await timeEmpty(empty, batch, Math.min(chunk, records - base))
    await tick()
  }
  emptyCallNs = Number(ns) / records
} else if (mode === "chunked") {
  const batch = new Array(chunk)
  for (let base = 0; base < records; base += chunk) {
    const n = Math.min(chunk, records - base)
    for (let j = 0; j < n; j++) batch[j] = message(base + j)
    const t0 = now()
    for (let j = 0; j < n; j++) log(batch[j], base + j)
    callerNs += now() - t0
    await tick()
  }
} else if (mode === "burst") {
  const t0 = now()
  for (let i = 0; i < records; i++) log(message(i), i)
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
  ...(emptyCallNs === undefined ? {} : { emptyCallNsPerRecord: emptyCallNs }),
  wallMs: Number(end - start) / 1e6,
  loopMs: Number(loopEnd - start) / 1e6,
  recordsPerSec: records / (Number(end - start) / 1e9),
  dropped: dropped() - droppedInWarmup,
  peakRssMiB: rss
})
process.exit(0)
