// femtologging benchmark harness: `npm run bench [-- options]`.
//
// Every case runs in a fresh child process (process.execPath + bench/cases/<script>), `runs`
// times, round-robin over the cases so slow drift hits them alike. The table shows the median
// of the runs (dropped: the maximum); bench/results/latest.json holds every run.
//
// Options:
//   --only <ids>     comma-separated workloads (null-sink, null-sink-burst, file-e2e) or case
//                    ids (e.g. null-sink/femto)
//   --runs N         runs per case (default 3)
//   --records N      records per run (default 1,000,000)
//   --chunk N        records per chunk in the chunked null-sink cases (default 512)
//   --quick          100,000 records, 1 run
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
const only = typeof args.only === "string" ? args.only.split(",").map((s) => s.trim()) : undefined
if (!(runs >= 1) || !(records >= 1) || !(chunk >= 1)) {
  console.error("--runs, --records and --chunk must be positive numbers")
  process.exit(2)
}

// key: "ns" (caller ns/record, lower is better) or "rate" (records/s end to end, higher is better)
const workloads = {
  "null-sink": { key: "ns", about: "chunks of " + chunk + " calls, setImmediate between chunks; caller ns = time inside info() only" },
  "null-sink-burst": { key: "ns", about: "one plain loop, nothing yields; message built inside the timed loop" },
  "disabled-level": { key: "ns", about: "as null-sink, but logger.debug() while the level is INFO" },
  "file-e2e": { key: "rate", about: "plain loop, then close; records/s until the file is closed; every line checked" }
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
  script: "file-e2e.mjs",
  args: ["--impl", impl, "--records", String(records)]
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
  fileCase("femto-json", "femto FemtoFileHandler, block, pino-shaped JSON lines", "femto"),
  fileCase("pino-async", "pino destination(sync: false)", "pino"),
  fileCase("pino-sync", "pino destination(sync: true)", "pino"),
  fileCase("pino-transport", "pino transport(pino/file)", "pino")
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

// The femtologging file case needs FemtoFileHandler; skip it with a note until it is exported.
const notes = []
const skipped = []
if (cases.some((c) => c.id === "file-e2e/femto")) {
  let exported = false
  try {
    const mod = await import("femtologging")
    exported = typeof mod.FemtoFileHandler === "function"
  } catch (error) {
    notes.push(`cannot import femtologging (${error.message}); did \`npx tsc -b\` run?`)
  }
  if (!exported) {
    skipped.push("file-e2e/femto")
    notes.push("file-e2e/femto skipped: femtologging does not export FemtoFileHandler yet")
    cases = cases.filter((c) => c.id !== "file-e2e/femto")
  }
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
  `${records.toLocaleString("en-US")} records, ${runs} run${runs === 1 ? "" : "s"} per case, fresh process each`)

const started = Date.now()
// Once, for reading the table: what building the messages alone costs.
const baseline = await runCase({ script: "baseline.mjs", args: ["--records", String(records)] })
if (baseline.error === undefined) {
  console.log(`  message build alone: ${baseline.callerNsPerRecord.toFixed(0)} ns/record, ` +
    `${baseline.meanMessageBytes.toFixed(1)} B mean, peak RSS ${baseline.peakRssMiB.toFixed(0)} MiB ` +
    "(inside the timed loop of null-sink-burst and file-e2e, outside it for null-sink)")
} else notes.push(`baseline failed: ${baseline.error}`)

const results = new Map(cases.map((c) => [c.id, []]))
for (let r = 1; r <= runs; r++) {
  for (const c of cases) {
    const res = await runCase(c)
    results.get(c.id).push(res)
    const shown = res.error !== undefined
      ? "FAILED " + res.error
      : workloads[c.workload].key === "ns"
      ? `${res.callerNsPerRecord.toFixed(0)} ns/rec`
      : `${Math.round(res.recordsPerSec).toLocaleString("en-US")} rec/s${res.ok ? "" : " LINES WRONG"}`
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
    if (c.workload === "file-e2e") {
      row.e2eMs = pick("e2eMs")
      row.fsyncAfterCloseMs = pick("fsyncAfterCloseMs")
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

const refs = {}
for (const w of Object.keys(workloads)) {
  const key = workloads[w].key
  const pinos = rows.filter((r) => r.workload === w && r.lib === "pino" && r.n > 0 && (key === "ns" || r.linesOk))
  if (pinos.length === 0) continue
  refs[w] = pinos.reduce((best, r) =>
    key === "ns" ? (r.callerNsPerRecord < best.callerNsPerRecord ? r : best) : (r.recordsPerSec > best.recordsPerSec ? r : best))
}
for (const row of rows) {
  const ref = refs[row.workload]
  if (ref === undefined || row.n === 0) continue
  row.vsPino = workloads[row.workload].key === "ns"
    ? ref.callerNsPerRecord / row.callerNsPerRecord
    : row.recordsPerSec / ref.recordsPerSec
  row.vsPinoRef = ref.id
}

// Table.
const fmtInt = (x) => Math.round(x).toLocaleString("en-US")
const header = ["case", "records", "caller ns/rec", "records/s", "dropped", "peak RSS MiB", "vs best pino"]
const table = rows.map((r) =>
  r.n === 0
    ? [r.id, fmtInt(records), "FAILED", "", "", "", ""]
    : [
      r.id,
      fmtInt(records),
      r.callerNsPerRecord.toFixed(0),
      fmtInt(r.recordsPerSec) + (r.linesOk === false ? " (LINES WRONG)" : ""),
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
console.log("vs best pino: null-sink rows = best pino caller ns / row caller ns; file-e2e rows = row records/s / best pino records/s; >1 = faster.")
for (const [w, ref] of Object.entries(refs)) console.log(`  ${w}: ${workloads[w].about}; reference ${ref.id}`)

// file-e2e details.
const fileRows = rows.filter((r) => r.workload === "file-e2e" && r.n > 0)
if (fileRows.length > 0) {
  console.log("")
  console.log("file-e2e details (median): e2e ms = first record to file closed; fsync ms = an fsync run after that (not in e2e)")
  for (const r of fileRows) {
    console.log(`  ${r.id.padEnd(24)} e2e ${r.e2eMs.toFixed(0).padStart(6)} ms  fsync after close ${r.fsyncAfterCloseMs.toFixed(1).padStart(6)} ms  ` +
      `${r.bytesPerLine.toFixed(1)} B/line  lines ${r.linesOk ? "ok" : `WRONG (${r.lines.join(", ")}; bad ${r.badLines})`}`)
  }
  const ref = refs["file-e2e"]
  for (const femto of fileRows.filter((r) => r.lib === "femto")) {
    if (ref === undefined) break
    console.log(`  ${femto.id} end to end = ${femto.vsPino.toFixed(2)}x pino's best (${ref.id}, ${fmtInt(ref.recordsPerSec)} records/s)`)
  }
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
