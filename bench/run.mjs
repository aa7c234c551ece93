// femtologging benchmark harness: `npm run bench [-- options]`.
//
// Every case runs in a fresh child process (process.execPath + bench/cases/<script>), `runs`
// times, round-robin over the cases so slow drift hits them alike. The table shows the median
// of the runs (dropped: the maximum); bench/results/latest.json holds every run.
//
// Options:
//   --only <ids>     comma-separated workloads (null-sink, null-sink-burst, disabled-level,
//                    file-e2e, slow-sink-lag, one-per-turn) or case ids (e.g. null-sink/femto)
//   --runs N         runs per case (default 3)
//   --records N      records per run of null-sink*, disabled-level, file-e2e (default 1,000,000)
//   --chunk N        records per chunk in the chunked null-sink cases (default 512)
//   --turn-records N records per run of one-per-turn (default 200,000)
//   --lag-records N  records per run of slow-sink-lag (default 20,000)
//   --lag-chunk N    records per chunk in slow-sink-lag (default 100)
//   --quick          100,000 records (one-per-turn: 50,000), 1 run
//   --no-build       skip `tsc -b` before running
import { spawn, spawnSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { cpus, totalmem } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs, RESULT_PREFIX } from "./lib/common.mjs"

const benchDir = dirname(fileURLToPath(import.meta.url))
const root = dirname(benchDir)
const args = parseArgs(process.argv.slice(2))
const quick = args.quick === true
const runs = Number(args.runs ?? (quick ? 1 : 3))
const records = Number(args.records ?? (quick ? 100_000 : 1_000_000))
const chunk = Number(args.chunk ?? 512)
const turnRecords = Number(args["turn-records"] ?? (quick ? 50_000 : 200_000))
const lagRecords = Number(args["lag-records"] ?? 20_000)
const lagChunk = Number(args["lag-chunk"] ?? 100)
const only = typeof args.only === "string" ? args.only.split(",").map((s) => s.trim()) : undefined
if (!(runs >= 1) || !(records >= 1) || !(chunk >= 1) || !(turnRecords >= 1) || !(lagRecords >= 1) || !(lagChunk >= 1)) {
  console.error("--runs, --records, --chunk, --turn-records, --lag-records and --lag-chunk must be positive numbers")
  process.exit(2)
}

// key: "ns" (caller ns/record, lower is better), "rate" (records/s end to end, higher is better)
// or "lag" (max event-loop lag in ms, lower is better)
const workloads = {
  "null-sink": { key: "ns", about: "chunks of " + chunk + " calls, setImmediate between chunks; caller ns = time inside info() only" },
  "null-sink-burst": { key: "ns", about: "one plain loop, nothing yields; message built inside the timed loop" },
  "disabled-level": { key: "ns", about: "as null-sink, but logger.debug() while the level is INFO" },
  "file-e2e": { key: "rate", about: "plain loop, then close; records/s until the file is closed; every line checked" },
  "slow-sink-lag": {
    key: "lag",
    about: `${lagRecords.toLocaleString("en-US")} records in chunks of ${lagChunk}, setImmediate between chunks, to a sink ` +
      "that takes 1 ms per batch (Atomics.wait: on the main thread inline, on the worker otherwise) then appends the " +
      "batch to a file; max lag = the latest a setInterval(10) tick ran beyond its 10 ms, from the first record until " +
      "close() resolved; records/s over the same window; caller ns = time inside info() only; every line checked"
  },
  "one-per-turn": {
    key: "ns",
    about: `${turnRecords.toLocaleString("en-US")} turns of a setImmediate chain, one info() each (message built in ` +
      "the turn); caller ns = wall time from the first call to the last turn / N, i.e. the whole turn's cost, not the " +
      "time inside info(); records/s until close() resolved (file complete); every line checked"
  }
}

const nullCase = (workload, mode, impl, label, lib) => ({
  id: `${workload}/${impl}`,
  workload,
  label,
  lib,
  script: "null-sink.mjs",
  args: ["--impl", impl, "--mode", mode, "--records", String(records), "--chunk", String(chunk)]
})
const fileCase = (impl, label, lib) => ({
  id: `file-e2e/${impl}`,
  workload: "file-e2e",
  label,
  lib,
  records,
  script: "file-e2e.mjs",
  args: ["--impl", impl, "--records", String(records)]
})
const lagCase = (impl, label, lib) => ({
  id: `slow-sink-lag/${impl}`,
  workload: "slow-sink-lag",
  label,
  lib,
  records: lagRecords,
  script: "slow-sink-lag.mjs",
  args: ["--impl", impl, "--records", String(lagRecords), "--chunk", String(lagChunk)]
})
const turnCase = (impl, label, lib) => ({
  id: `one-per-turn/${impl}`,
  workload: "one-per-turn",
  label,
  lib,
  records: turnRecords,
  script: "one-per-turn.mjs",
  args: ["--impl", impl, "--records", String(turnRecords)]
})

const allCases = [
  nullCase("null-sink", "chunked", "femto", "femto Handler(null sink), drop", "femto"),
  nullCase("null-sink", "chunked", "pino-devnull", "pino destination(/dev/null, sync)", "pino"),
  nullCase("null-sink", "chunked", "pino-object", "pino { write() {} }", "pino"),
  nullCase("null-sink-burst", "burst", "femto", "femto Handler(null sink), drop", "femto"),
  nullCase("null-sink-burst", "burst", "pino-devnull", "pino destination(/dev/null, sync)", "pino"),
  nullCase("null-sink-burst", "burst", "pino-object", "pino { write() {} }", "pino"),
  nullCase("disabled-level", "disabled", "femto", "femto debug() at INFO", "femto"),
  nullCase("disabled-level", "disabled", "pino-object", "pino debug() at info", "pino"),
  fileCase("femto", "femto FemtoFileHandler, block, cap 1024", "femto"),
  fileCase("femto-worker", "femto FemtoFileHandler, executor: worker, block, cap 1024", "femto"),
  fileCase("femto-json", "femto FemtoFileHandler, block, pino-shaped JSON lines", "femto"),
  fileCase("pino-async", "pino destination(sync: false)", "pino"),
  fileCase("pino-sync", "pino destination(sync: true)", "pino"),
  fileCase("pino-transport", "pino transport(pino/file)", "pino"),
  lagCase("femto-inline", "femto Handler.makeUnsafe, inline slow sink (1 ms Atomics.wait per batch on the main thread)", "femto"),
  lagCase("femto-worker", "femto FemtoWorkerHandler(bench/lib/slow-sink.mjs), 1 ms per batch on its thread", "femto"),
  lagCase("pino-transport", "pino transport(bench/lib/slow-transport.mjs), 1 ms per write on its thread", "pino"),
  turnCase("femto", "femto FemtoFileHandler (defaults: inline, block, cap 1024)", "femto"),
  turnCase("femto-worker", "femto FemtoFileHandler, executor: worker", "femto"),
  turnCase("pino-sync", "pino destination(sync: true)", "pino"),
  turnCase("pino-async", "pino destination(sync: false)", "pino"),
  turnCase("pino-transport", "pino transport(pino/file)", "pino")
]

let cases = only === undefined
  ? allCases
  : allCases.filter((c) => only.includes(c.workload) || only.includes(c.id))
if (cases.length === 0) {
  console.error(`--only ${args.only}: no such case; cases: ${allCases.map((c) => c.id).join(", ")}`)
  process.exit(2)
}

// Build first so the numbers are those of the current sources; a failed build is reported and
// the existing dist is used.
if (args["no-build"] !== true) {
  const tsc = spawnSync(join(root, "node_modules", ".bin", "tsc"), ["-b"], { cwd: root, encoding: "utf8" })
  if (tsc.status !== 0) {
    const why = tsc.error !== undefined ? tsc.error.message : `status ${tsc.status}`
    console.log(`note: tsc -b failed (${why}); benchmarking the existing dist`)
    const out = `${tsc.stdout ?? ""}${tsc.stderr ?? ""}`.trim().split("\n").slice(0, 5).join("\n  ")
    if (out) console.log("  " + out)
  }
}

// Some femtologging cases need a part of the API: skip them with a note until it is exported.
const notes = []
const skipped = []
const needs = (c) =>
  c.lib !== "femto"
    ? undefined
    : c.workload === "file-e2e" || c.workload === "one-per-turn"
    ? "FemtoFileHandler"
    : c.id === "slow-sink-lag/femto-worker"
    ? "FemtoWorkerHandler"
    : c.id === "slow-sink-lag/femto-inline"
    ? "Handler.makeUnsafe"
    : undefined
if (cases.some((c) => needs(c) !== undefined)) {
  let mod
  try {
    mod = await import("femtologging")
  } catch (error) {
    notes.push(`cannot import femtologging (${error.message}); did \`npx tsc -b\` run?`)
  }
  const has = {
    FemtoFileHandler: typeof mod?.FemtoFileHandler === "function",
    FemtoWorkerHandler: typeof mod?.FemtoWorkerHandler === "function",
    "Handler.makeUnsafe": typeof mod?.Handler?.makeUnsafe === "function"
  }
  cases = cases.filter((c) => {
    const need = needs(c)
    if (need === undefined || has[need]) return true
    skipped.push(c.id)
    notes.push(`${c.id} skipped: femtologging does not export ${need} yet`)
    return false
  })
}

const runCase = (c) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [join(benchDir, "cases", c.script), ...c.args], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d))
    const timer = setTimeout(() => child.kill("SIGKILL"), 150_000)
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      const line = stdout.split("\n").find((l) => l.startsWith(RESULT_PREFIX))
      if (code !== 0 || line === undefined) {
        resolve({ error: `exit ${code ?? signal}: ${stderr.trim().split("\n").slice(-3).join(" | ")}` })
        return
      }
      resolve({ ...JSON.parse(line.slice(RESULT_PREFIX.length)), stderr: stderr.trim() })
    })
  })

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

const cpu = cpus()
console.log(`femtologging bench: Node ${process.version} (${process.execPath})`)
console.log(`${cpu.length} x ${cpu[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; ` +
  `${records.toLocaleString("en-US")} records (one-per-turn ${turnRecords.toLocaleString("en-US")}, slow-sink-lag ` +
  `${lagRecords.toLocaleString("en-US")}), ${runs} run${runs === 1 ? "" : "s"} per case, fresh process each`)

const started = Date.now()
// Once, for reading the table: what building the messages alone costs.
const baseline = await runCase({ script: "baseline.mjs", args: ["--records", String(records)] })
if (baseline.error === undefined) {
  console.log(`  message build alone: ${baseline.callerNsPerRecord.toFixed(0)} ns/record, ` +
    `${baseline.meanMessageBytes.toFixed(1)} B mean, peak RSS ${baseline.peakRssMiB.toFixed(0)} MiB ` +
    "(inside the timed loop of null-sink-burst, file-e2e and one-per-turn; outside it for null-sink and slow-sink-lag)")
} else notes.push(`baseline failed: ${baseline.error}`)

const results = new Map(cases.map((c) => [c.id, []]))
for (let r = 1; r <= runs; r++) {
  for (const c of cases) {
    const res = await runCase(c)
    results.get(c.id).push(res)
    const key = workloads[c.workload].key
    const shown = res.error !== undefined
      ? "FAILED " + res.error
      : (key === "ns"
        ? `${res.callerNsPerRecord.toFixed(0)} ns/rec`
        : key === "lag"
        ? `${res.maxLagMs.toFixed(1)} ms max lag, ${Math.round(res.recordsPerSec).toLocaleString("en-US")} rec/s`
        : `${Math.round(res.recordsPerSec).toLocaleString("en-US")} rec/s`) + (res.ok === false ? " LINES WRONG" : "")
    console.log(`  run ${r}/${runs}  ${c.id.padEnd(28)} ${shown}`)
  }
}

// Median per case, then the ratio against the best pino case of the same workload.
const rows = cases.map((c) => {
  const ok = results.get(c.id).filter((x) => x.error === undefined)
  const errors = results.get(c.id).filter((x) => x.error !== undefined).map((x) => x.error)
  const row = { ...c, runs: results.get(c.id), errors, n: ok.length }
  if (ok.length > 0) {
    const pick = (k) => median(ok.map((x) => x[k]))
    row.callerNsPerRecord = pick("callerNsPerRecord")
    row.recordsPerSec = pick("recordsPerSec")
    row.peakRssMiB = pick("peakRssMiB")
    row.dropped = Math.max(...ok.map((x) => x.dropped))
    for (const k of ["e2eMs", "loopMs", "fsyncAfterCloseMs", "maxLagMs", "meanLagMs", "elu", "gcMaxMs", "gcTotalMs", "batches"]) {
      if (ok.every((x) => typeof x[k] === "number")) row[k] = pick(k)
    }
    // The cases that write a file check every line of it.
    if (ok.every((x) => typeof x.lines === "number")) {
      row.bytesPerLine = pick("bytesPerLine")
      row.linesOk = ok.every((x) => x.ok)
      row.lines = ok.map((x) => x.lines)
      row.badLines = Math.max(...ok.map((x) => x.badLines))
    }
    const stderrLines = [...new Set(ok.flatMap((x) => x.stderr ? x.stderr.split("\n") : []))]
    if (stderrLines.length > 0) row.stderr = stderrLines
  }
  return row
})

// A pino row whose file came out wrong is no reference.
const score = { ns: (r) => -r.callerNsPerRecord, rate: (r) => r.recordsPerSec, lag: (r) => -r.maxLagMs }
const refs = {}
for (const w of Object.keys(workloads)) {
  const better = score[workloads[w].key]
  const pinos = rows.filter((r) => r.workload === w && r.lib === "pino" && r.n > 0 && r.linesOk !== false)
  if (pinos.length === 0) continue
  refs[w] = pinos.reduce((best, r) => (better(r) > better(best) ? r : best))
}
for (const row of rows) {
  const ref = refs[row.workload]
  if (ref === undefined || row.n === 0) continue
  const key = workloads[row.workload].key
  row.vsPino = key === "ns"
    ? ref.callerNsPerRecord / row.callerNsPerRecord
    : key === "lag"
    ? ref.maxLagMs / row.maxLagMs
    : row.recordsPerSec / ref.recordsPerSec
  row.vsPinoRef = ref.id
}

// Table.
const fmtInt = (x) => Math.round(x).toLocaleString("en-US")
const header = ["case", "records", "caller ns/rec", "records/s", "max lag ms", "dropped", "peak RSS MiB", "vs best pino"]
const table = rows.map((r) =>
  r.n === 0
    ? [r.id, fmtInt(r.records ?? records), "FAILED", "", "", "", "", ""]
    : [
      r.id,
      fmtInt(r.records ?? records),
      r.callerNsPerRecord.toFixed(0),
      fmtInt(r.recordsPerSec) + (r.linesOk === false ? " (LINES WRONG)" : ""),
      r.maxLagMs === undefined ? "" : r.maxLagMs.toFixed(1),
      fmtInt(r.dropped),
      r.peakRssMiB.toFixed(0),
      r.vsPino === undefined ? "" : r.vsPino.toFixed(2) + "x"
    ]
)
const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)))
const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")
console.log("")
console.log(line(header))
console.log(widths.map((w) => "-".repeat(w)).join("  "))
let last
for (let i = 0; i < rows.length; i++) {
  if (last !== undefined && rows[i].workload !== last) console.log("")
  last = rows[i].workload
  console.log(line(table[i]))
}
console.log("")
console.log(`median of ${runs} run${runs === 1 ? "" : "s"}; dropped = max over runs.`)
console.log("vs best pino: caller-ns workloads (null-sink*, disabled-level, one-per-turn) = best pino caller ns / row caller ns; " +
  "file-e2e = row records/s / best pino records/s; slow-sink-lag = best pino max lag / row max lag; >1 = better.")
for (const [w, ref] of Object.entries(refs)) console.log(`  ${w}: ${workloads[w].about}; reference ${ref.id}`)

// file-e2e details.
const linesOf = (r) => `${r.bytesPerLine.toFixed(1)} B/line  lines ${r.linesOk ? "ok" : `WRONG (${r.lines.join(", ")}; bad ${r.badLines})`}`
const fileRows = rows.filter((r) => r.workload === "file-e2e" && r.n > 0)
if (fileRows.length > 0) {
  console.log("")
  console.log("file-e2e details (median): e2e ms = first record to file closed; fsync ms = an fsync run after that (not in e2e)")
  for (const r of fileRows) {
    console.log(`  ${r.id.padEnd(28)} e2e ${r.e2eMs.toFixed(0).padStart(6)} ms  fsync after close ${r.fsyncAfterCloseMs.toFixed(1).padStart(6)} ms  ` +
      linesOf(r))
  }
  const ref = refs["file-e2e"]
  for (const femto of fileRows.filter((r) => r.lib === "femto")) {
    if (ref === undefined) break
    console.log(`  ${femto.id} end to end = ${femto.vsPino.toFixed(2)}x pino's best (${ref.id}, ${fmtInt(ref.recordsPerSec)} records/s)`)
  }
}

// slow-sink-lag details.
const lagRows = rows.filter((r) => r.workload === "slow-sink-lag" && r.n > 0)
if (lagRows.length > 0) {
  console.log("")
  console.log("slow-sink-lag details (median): mean lag over the ticks; ELU = main-thread event-loop utilisation (busy " +
    "fraction; Atomics.wait counts as busy); GC = the main thread's longest pause / total in the window; batches = sink " +
    "writes, i.e. 1 ms sleeps; loop ms = first to last call")
  for (const r of lagRows) {
    console.log(`  ${r.id.padEnd(28)} max ${r.maxLagMs.toFixed(1).padStart(5)} ms  mean ${r.meanLagMs.toFixed(2).padStart(5)} ms  ` +
      `ELU ${r.elu.toFixed(2)}  GC ${r.gcMaxMs.toFixed(1)}/${r.gcTotalMs.toFixed(0)} ms  batches ${fmtInt(r.batches).padStart(5)}  ` +
      `loop ${r.loopMs.toFixed(0).padStart(5)} ms  e2e ${r.e2eMs.toFixed(0).padStart(5)} ms  ${linesOf(r)}`)
  }
}

// one-per-turn details.
const turnRows = rows.filter((r) => r.workload === "one-per-turn" && r.n > 0)
if (turnRows.length > 0) {
  console.log("")
  console.log("one-per-turn details (median): loop ms = first call to last turn (caller ns x N); e2e ms = until the file is complete")
  for (const r of turnRows) {
    console.log(`  ${r.id.padEnd(28)} loop ${r.loopMs.toFixed(0).padStart(6)} ms  e2e ${r.e2eMs.toFixed(0).padStart(6)} ms  ${linesOf(r)}`)
  }
}

// The issue's targets, for the rows this run has.
const byId = new Map(rows.filter((r) => r.n > 0).map((r) => [r.id, r]))
const targets = []
const target = (what, value, ok) => targets.push(`  ${ok ? "met   " : "MISSED"}  ${what}: ${value}`)
{
  const w = byId.get("file-e2e/femto-worker")
  const t = byId.get("file-e2e/pino-transport")
  if (w !== undefined && t !== undefined) {
    const x = w.recordsPerSec / t.recordsPerSec
    target("worker file end to end >= 3x pino transport", `${x.toFixed(2)}x (${fmtInt(w.recordsPerSec)} vs ${fmtInt(t.recordsPerSec)} records/s)${w.linesOk ? "" : ", LINES WRONG"}`, x >= 3 && w.linesOk)
  }
  const lag = byId.get("slow-sink-lag/femto-worker")
  if (lag !== undefined) target("event-loop lag with a slow sink on a worker < 20 ms", `${lag.maxLagMs.toFixed(1)} ms max`, lag.maxLagMs < 20 && lag.linesOk)
  const turnRef = refs["one-per-turn"]
  for (const id of ["one-per-turn/femto", "one-per-turn/femto-worker"]) {
    const r = byId.get(id)
    if (r === undefined || turnRef === undefined) continue
    target(`one record per turn no slower than pino (${id})`,
      `${r.callerNsPerRecord.toFixed(0)} ns vs ${turnRef.callerNsPerRecord.toFixed(0)} ns (${turnRef.id})`,
      r.callerNsPerRecord <= turnRef.callerNsPerRecord && r.linesOk)
  }
  const femtoRows = rows.filter((r) => r.lib === "femto" && r.n > 0)
  if (femtoRows.length > 0) {
    const worst = femtoRows.reduce((a, b) => (b.peakRssMiB > a.peakRssMiB ? b : a))
    target("RSS < 150 MiB (every femto row)", `max ${worst.peakRssMiB.toFixed(0)} MiB (${worst.id})`, worst.peakRssMiB < 150)
  }
}
if (targets.length > 0) {
  console.log("")
  console.log("targets (medians):")
  for (const t of targets) console.log(t)
}

// Notes: skips, failures, warnings the children printed, drops in chunked runs.
for (const r of rows) {
  for (const e of new Set(r.errors)) notes.push(`${r.id} failed: ${e}`)
  if (r.workload === "null-sink" && r.lib === "femto" && r.dropped > 0) {
    notes.push(`${r.id} dropped ${r.dropped} records at chunk ${chunk}: try a smaller --chunk`)
  }
  for (const s of (r.stderr ?? []).slice(0, 3)) notes.push(`${r.id} stderr: ${s}`)
}
if (notes.length > 0) {
  console.log("")
  for (const n of notes) console.log("note: " + n)
}

const resultsDir = join(benchDir, "results")
mkdirSync(resultsDir, { recursive: true })
const out = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpu.length,
  cpuModel: cpu[0]?.model,
  records,
  turnRecords,
  lagRecords,
  lagChunk,
  runs,
  chunk,
  only: only ?? null,
  elapsedMs: Date.now() - started,
  skipped,
  notes,
  baseline: baseline.error === undefined ? baseline : null,
  cases: rows.map(({ script, args, ...r }) => r)
}
writeFileSync(join(resultsDir, "latest.json"), JSON.stringify(out, null, 2) + "\n")
console.log(`\nwrote bench/results/latest.json (${((Date.now() - started) / 1000).toFixed(0)} s)`)
