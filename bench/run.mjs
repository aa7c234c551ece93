// femtologging benchmark suite: `npm run bench [-- options]`. See bench/README.md.
//
// Runs every case, femtologging beside pino, winston, LogTape and Effect on the same workload,
// each case in a fresh child process (process.execPath + bench/cases/<script>), `runs` times,
// round-robin over the cases so slow drift hits them alike. Prints a table of medians with each
// row's ratio to pino's best row of the same workload, the issue's targets (met or missed), and
// writes bench/results/latest.json (every run) and bench/results/chart.svg (records/s per case
// and library, rendered by vega-lite); a partial run (--only, --quick) writes
// bench/results/runs-partial.json only, which git ignores.
//
// How long: `--quick` (100,000 records, 1 run) takes about 4-5 minutes on the project's 2-core
// machine; the full run (1,000,000 records, 3 runs, about 250 processes writing a few GB) takes
// about an hour (each round of all cases ~20 minutes; file-e2e alone ~3.5 minutes per round),
// more on a loaded machine. Use --only to run a part.
//
// Options:
//   --only <ids>       comma-separated workloads (see `workloads` below, e.g. file-e2e,msg-16k),
//                      case ids (file-e2e/femto) or libraries (lib:winston)
//   --runs N           runs per case (default 3; --quick: 1)
//   --close-runs N     runs of the cases whose targets sit near parity on this machine (the
//                      paired 100-loggers ratio, one record per turn, the pino-shaped JSON row, and
//                      the pino rows they are measured against): at least --runs (default 5;
//                      --quick: 1); the extra rounds run after the others, only those cases
//   --records N        records per run of the file and null-sink workloads (default 1,000,000;
//                      msg-1k N/5, msg-16k N/50, handlers-4 N/2)
//   --chunk N          records per chunk in the chunked null-sink cases (default 512)
//   --turn-records N   records per run of one-per-turn (default 200,000; --quick 50,000)
//   --lag-records N    records per run of slow-sink-lag (default 20,000)
//   --lag-chunk N      records per chunk in slow-sink-lag (default 100)
//   --fsync-records N  records per run of logtape-fsync, which fsyncs nearly every record
//                      (default 2,000; --quick 500)
//   --rotate-bytes N   file size at which the rotating cases rotate (default 4 MiB; --quick 1 MiB)
//   --import-samples N process pairs per import-time and first-line run (default 7; --quick 5)
//   --socket-records N records per run of the socket workload (default 200,000; --quick 50,000)
//   --quick            100,000 records (one-per-turn 50,000), 1 run
//   --no-build         skip `tsc -b` before running
//   --no-chart         skip the chart
import { spawn, spawnSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { cpus, loadavg, totalmem } from "node:os"
import { basename, dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { writeChart } from "./lib/chart.mjs"
import { numberArg, parseArgs, RESULT_PREFIX } from "./lib/common.mjs"
import { impls as fileImpls } from "./lib/loggers.mjs"

const benchDir = dirname(fileURLToPath(import.meta.url))
const root = dirname(benchDir)
const args = parseArgs(process.argv.slice(2))
const quick = args.quick === true
const runs = numberArg(args, "runs", quick ? 1 : 3)
const closeRuns = Math.max(runs, numberArg(args, "close-runs", quick ? 1 : 5))
const records = numberArg(args, "records", quick ? 100_000 : 1_000_000)
const chunk = numberArg(args, "chunk", 512)
const turnRecords = numberArg(args, "turn-records", quick ? 50_000 : 200_000)
const lagRecords = numberArg(args, "lag-records", 20_000)
const lagChunk = numberArg(args, "lag-chunk", 100)
const fsyncRecords = numberArg(args, "fsync-records", quick ? 500 : 2_000)
const rotateBytes = numberArg(args, "rotate-bytes", quick ? 1 << 20 : 4 << 20)
const importSamples = numberArg(args, "import-samples", quick ? 5 : 7)
const socketRecords = numberArg(args, "socket-records", quick ? 50_000 : 200_000)
const only = typeof args.only === "string" ? args.only.split(",").map((s) => s.trim()) : undefined
const childTimeoutMs = quick ? 180_000 : 900_000
const fmtInt = (x) => Math.round(x).toLocaleString("en-US")
const kRecords = (n) => fmtInt(n)

// ---------------------------------------------------------------------------------------------
// Workloads and cases
// ---------------------------------------------------------------------------------------------

// key: what the workload is ranked by and the ratio to pino's best is taken on:
//   "rate" records/s end to end (higher is better), "ns" caller ns/record (lower is better),
//   "lag" max event-loop lag in ms (lower is better), "ms" import ms (lower is better).
// impls: [impl, { label, lib, records }] or an impl of bench/lib/loggers.mjs by name.
// missing: the libraries with no equivalent, for the notes.
const recordsOf = {
  "msg-1k": Math.max(1, Math.round(records / 5)),
  "msg-16k": Math.max(1, Math.round(records / 50)),
  "handlers-4": Math.max(1, Math.round(records / 2))
}
// A rotating handler keeps every file, so every line can be checked: enough backups for the
// longest lines of any library (~300 B with 1 KiB to spare).
const backups = Math.ceil((records * 300) / rotateBytes) + 2
const fileCommon = ["femto", "femto-worker", "pino-sync", "pino-async", "pino-transport", "winston", "logtape-stream", "effect"]
const nullImpls = (disabled) => [
  ["femto", { lib: "femto", label: disabled ? "femto debug() at INFO" : "femto Handler(null sink), policy drop" }],
  ...(disabled ? [] : [["pino-devnull", { lib: "pino", label: "pino destination(/dev/null, sync)" }]]),
  ["pino-object", { lib: "pino", label: disabled ? "pino debug() at info" : "pino { write() {} }" }]
]

const workloads = {
  "null-sink": {
    key: "ns",
    script: "null-sink.mjs",
    records,
    args: ["--mode", "chunked", "--chunk", String(chunk)],
    impls: nullImpls(false),
    about: `chunks of ${chunk} calls, setImmediate between chunks; caller ns = time inside info() only`
  },
  "null-sink-fields": {
    key: "ns",
    script: "null-sink.mjs",
    records,
    args: ["--mode", "chunked", "--chunk", String(chunk), "--fields"],
    impls: nullImpls(false),
    about: "as null-sink, each call with three fields { reqId, status, path } (pino: its merging object), " +
      "the object built in the call as a server does"
  },
  filters: {
    key: "ns",
    script: "null-sink.mjs",
    records,
    args: ["--mode", "chunked", "--chunk", String(chunk)],
    impls: [
      ["femto", { lib: "femto", label: "femto Handler(null sink), no level, no filter" }],
      ["femto-level", { lib: "femto", label: "the same with a handler level (INFO) every record passes" }],
      ["femto-filter", { lib: "femto", label: "the same with a name filter (\"bench\") every record passes" }],
      ["femto-context", { lib: "femto", label: "the same with scoped context in use in the process, none around the call" }],
      ["pino-object", { lib: "pino", label: "pino { write() {} }" }]
    ],
    about: "as null-sink: what a handler level, a logger-name filter and an empty scoped context cost a record " +
      "(caller location is off unless a formatter prints it: the plain femto row)"
  },
  dictconfig: {
    key: "ms",
    script: "config-setup.mjs",
    args: ["--handlers", "20", "--samples", "5"],
    impls: [
      ["femto", { lib: "femto", label: "dictConfig() of 20 file handlers with formatters and filters" }],
      ["cpython", { lib: "cpython", label: "python3 logging.config.dictConfig() of the same dict" }]
    ],
    missing: ["pino (no configuration loader)"],
    about: "setup time of one dictConfig() of 20 file handlers (files opened), median of 5 in one process, " +
      "after a first warm-up call; CPython's in the same run"
  },
  "null-sink-burst": {
    key: "ns",
    script: "null-sink.mjs",
    records,
    args: ["--mode", "burst"],
    impls: nullImpls(false),
    about: "one plain loop, nothing yields; message built inside the timed loop"
  },
  "disabled-level": {
    key: "ns",
    script: "null-sink.mjs",
    records,
    args: ["--mode", "disabled", "--chunk", String(chunk)],
    impls: nullImpls(true),
    about: "logger.debug(m) while the level is INFO, called directly in the timed loop (chunks of 512, setImmediate between); other = the same loop calling an empty method"
  },
  "file-e2e": {
    key: "rate",
    script: "file.mjs",
    records,
    args: [],
    impls: [
      "femto",
      "femto-worker",
      "femto-json",
      "femto-pinojson",
      "pino-sync",
      "pino-async",
      "pino-transport",
      "winston",
      "logtape-stream",
      "logtape-nonblocking",
      ["logtape-fsync", { records: Math.min(records, fsyncRecords) }],
      "effect"
    ],
    about: "~90 B messages in one plain loop, then close; records/s until the file is closed; every line checked"
  },
  "effect-log": {
    key: "rate",
    script: "file.mjs",
    records,
    args: [],
    impls: ["femto-effectlog", "effect", "pino-sync", "pino-transport"],
    about: "Effect.logInfo(m) per record from a synchronous caller (Effect.runSyncWith), through femtologging's " +
      "EffectLogger to a file, beside Effect's own Logger.toFile(formatJson); pino's rows for the ratio"
  },
  rotating: {
    key: "rate",
    script: "file.mjs",
    records,
    args: ["--rotate", String(rotateBytes), "--backups", String(backups)],
    impls: ["femto", "femto-worker", "pino-roll", "pino-roll-transport", "winston", "logtape-rotating"],
    missing: ["effect (Logger.toFile does not rotate)"],
    about: `as file-e2e, rotating at ${fmtInt(rotateBytes)} bytes, ${backups} backups kept; every file checked`
  },
  "msg-1k": {
    key: "rate",
    script: "file.mjs",
    records: recordsOf["msg-1k"],
    args: ["--size", "1024"],
    impls: fileCommon,
    about: "as file-e2e with 1 KiB messages; MB/s = message bytes per second"
  },
  "msg-16k": {
    key: "rate",
    script: "file.mjs",
    records: recordsOf["msg-16k"],
    args: ["--size", "16384"],
    impls: fileCommon,
    about: "as file-e2e with 16 KiB messages; MB/s = message bytes per second"
  },
  "loggers-100": {
    key: "rate",
    script: "file.mjs",
    records,
    args: ["--loggers", "100"],
    impls: ["femto", "femto-worker", "pino-sync", "pino-async", "winston", "logtape-stream"],
    missing: ["effect (no named-logger hierarchy)"],
    about: "as file-e2e, record i on logger i % 100 of 100 five deep (app.s*.m*.c*.u*), the handler on the root " +
      "(pino, winston: child loggers, one binding per level; LogTape: categories)"
  },
  "loggers-1": {
    key: "rate",
    script: "file.mjs",
    records,
    args: ["--loggers", "1"],
    impls: ["femto", "femto-worker", "pino-sync", "pino-async"],
    about: "the same with one logger five deep (app.s0.m0.c0.u0), for the ratio"
  },
  "handlers-4": {
    key: "rate",
    script: "file.mjs",
    records: recordsOf["handlers-4"],
    args: ["--handlers", "4"],
    impls: ["femto", "femto-worker", "femto-pool", ...fileCommon.slice(2), "floor-threads"],
    about: "as file-e2e, 4 handlers on one logger, each its own file (pino: multistream, or one transport with 4 " +
      "targets, one thread; femto-worker: a thread per handler, femto-pool: the 4 on one pool thread); records/s " +
      "counts each record once; all 4 files checked; floor-threads: no femtologging, pino-sync's workload beside " +
      "4 idle threads and Effect's worker modules, the RSS femto-worker's 4 threads cost before any of its code"
  },
  "one-per-turn": {
    key: "ns",
    script: "file.mjs",
    records: turnRecords,
    args: ["--mode", "turn"],
    impls: fileCommon,
    about: "one info() per turn of a setImmediate chain; caller ns = wall time per turn (the whole turn's cost), " +
      "records/s until the file is complete; every line checked"
  },
  "producers-4": {
    key: "rate",
    script: "file.mjs",
    records,
    args: ["--mode", "producers", "--producers", "4", "--chunk", "64"],
    impls: fileCommon,
    about: "4 async producers at once, each 64 records then await setImmediate; caller ns = time inside the " +
      "chunks; each producer's records checked in order"
  },
  "slow-sink-lag": {
    key: "lag",
    script: "slow-sink-lag.mjs",
    records: lagRecords,
    args: ["--chunk", String(lagChunk)],
    impls: [
      ["femto-inline", { lib: "femto", label: "femto Handler.makeUnsafe, inline slow sink (1 ms Atomics.wait per batch on the main thread)" }],
      ["femto-worker", { lib: "femto", label: "femto FemtoWorkerHandler(bench/lib/slow-sink.mjs), 1 ms per batch on its thread" }],
      ["pino-transport", { lib: "pino", label: "pino transport(bench/lib/slow-transport.mjs), 1 ms per write on its thread" }]
    ],
    about: `${fmtInt(lagRecords)} records in chunks of ${lagChunk}, setImmediate between chunks, to a sink that takes ` +
      "1 ms per batch then appends it to a file; max lag = the latest a setInterval(10) tick ran beyond its 10 ms"
  },
  // Issue 10: records/s from a handler to a local receiver (another process) on loopback.
  socket: {
    key: "rate",
    script: "socket.mjs",
    records: socketRecords,
    args: [],
    impls: [
      ["femto", {
        lib: "femto",
        label: "femto FemtoSocketHandler (worker, MessagePack frames, policy block) -> receive() in another process"
      }],
      ["pino-socket", {
        lib: "pino",
        label: "pino transport pino-socket (TCP, NDJSON, pino's worker) -> a line-splitting JSON.parse receiver"
      }]
    ],
    missing: ["winston, LogTape, Effect (no maintained TCP transport of their own)"],
    about: "one plain loop of ~90 B messages to a TCP receiver on 127.0.0.1 in another process, then close; " +
      "records/s until the receiver has decoded every record (each id checked there once)"
  },
  import: {
    key: "ms",
    script: "import-time.mjs",
    args: ["--samples", String(importSamples)],
    impls: [
      ["femto", { lib: "femto", label: "import \"femtologging\"", modules: "femtologging" }],
      ["pino", { lib: "pino", label: "import \"pino\"", modules: "pino" }],
      ["winston", { lib: "winston", label: "import \"winston\"", modules: "winston" }],
      ["logtape", { lib: "logtape", label: "import \"@logtape/logtape\", \"@logtape/file\"", modules: "@logtape/logtape,@logtape/file" }],
      ["effect", {
        lib: "effect",
        label: "import \"effect/Effect\", \"effect/Logger\", \"@effect/platform-node/NodeFileSystem\"",
        modules: "effect/Effect,effect/Logger,@effect/platform-node/NodeFileSystem"
      }]
    ],
    about: `wall time of a fresh node process importing the modules minus an empty script's, median of ${importSamples} ` +
      "alternating pairs per run"
  },
  // Time to the first line: what an application pays before its first record is on disk (import,
  // the file handler's setup, the first record, the exit), not only the import.
  "first-line": {
    key: "ms",
    script: "first-line.mjs",
    args: ["--samples", String(importSamples)],
    impls: [
      ["femto", {
        lib: "femto",
        label: "import \"femtologging\"; getLogger(\"app\").addHandler(new FemtoFileHandler(path)); info(m); exit"
      }],
      ["pino", { lib: "pino", label: "import \"pino\"; pino(pino.destination({ dest: path, sync: true })).info(m); exit" }]
    ],
    about: "wall time of a fresh node process that imports the library, creates a file handler, logs one line and " +
      `exits with the line on disk, minus an empty script's, median of ${importSamples} alternating pairs per run; ` +
      "peak RSS = that process's; every process's line checked"
  }
}

const allCases = []
for (const [workload, w] of Object.entries(workloads)) {
  for (const entry of w.impls) {
    // A file workload's impl is one of bench/lib/loggers.mjs, with what the entry overrides.
    const [impl, over] = typeof entry === "string" ? [entry, {}] : entry
    const own = w.script === "file.mjs" ? { ...fileImpls[impl], ...over } : over
    if (own.lib === undefined) throw new Error(`bench/run.mjs: no impl ${impl}`)
    const n = own.records ?? w.records
    allCases.push({
      id: `${workload}/${impl}`,
      workload,
      impl,
      label: own.label,
      lib: own.lib,
      records: n,
      script: w.script,
      args: [
        "--impl",
        impl,
        ...(n === undefined ? [] : ["--records", String(n)]),
        ...(own.modules === undefined ? [] : ["--modules", own.modules]),
        ...w.args
      ]
    })
  }
}

let cases = only === undefined
  ? allCases
  : allCases.filter((c) => only.includes(c.workload) || only.includes(c.id) || only.includes(`lib:${c.lib}`))
if (cases.length === 0) {
  console.error(`--only ${args.only}: no such case; workloads: ${Object.keys(workloads).join(", ")}; ` +
    `cases: ${allCases.map((c) => c.id).join(", ")}`)
  process.exit(2)
}

// Build first so the numbers are those of the current sources; a failed build is reported and
// the existing dist is used.
const notes = []
if (args["no-build"] !== true) {
  const tsc = spawnSync(join(root, "node_modules", ".bin", "tsc"), ["-b"], { cwd: root, encoding: "utf8" })
  if (tsc.status !== 0) {
    const why = tsc.error !== undefined ? tsc.error.message : `status ${tsc.status}`
    console.log(`note: tsc -b failed (${why}); benchmarking the existing dist`)
    const out = `${tsc.stdout ?? ""}${tsc.stderr ?? ""}`.trim().split("\n").slice(0, 5).join("\n  ")
    if (out) console.log("  " + out)
  }
}

// Leave out, with a note, the cases whose library is not installed or whose part of
// femtologging's API is not exported (yet).
const skipped = []
const skipWhy = new Map()
{
  const resolvable = (spec) => {
    try {
      import.meta.resolve(spec)
      return true
    } catch {
      return false
    }
  }
  const packages = {
    pino: ["pino"],
    winston: ["winston"],
    logtape: ["@logtape/logtape", "@logtape/file"],
    effect: ["effect", "@effect/platform-node"],
    floor: ["pino", "effect", "@effect/platform-node"]
  }
  let femto
  if (cases.some((c) => c.lib === "femto" && c.workload !== "import")) {
    try {
      femto = await import("femtologging")
    } catch (error) {
      notes.push(`cannot import femtologging (${error.message}); did \`npx tsc -b\` run?`)
    }
  }
  const femtoNeeds = (c) =>
    c.workload === "import" || ["null-sink", "null-sink-fields", "null-sink-burst", "disabled-level"].includes(c.workload)
      ? c.workload === "import" ? undefined : c.workload === "dictconfig"
        ? ["dictConfig", femto?.dictConfig]
        : ["Handler.makeUnsafe", femto?.Handler?.makeUnsafe]
      : c.id === "slow-sink-lag/femto-inline"
      ? ["Handler.makeUnsafe", femto?.Handler?.makeUnsafe]
      : c.workload === "socket"
      ? ["FemtoSocketHandler", femto?.FemtoSocketHandler]
      : c.id === "slow-sink-lag/femto-worker"
      ? ["FemtoWorkerHandler", femto?.FemtoWorkerHandler]
      : c.workload === "rotating"
      ? ["FemtoRotatingFileHandler", femto?.FemtoRotatingFileHandler]
      : c.impl === "femto-json"
      ? ["Formatter.json", femto?.Formatter?.json]
      : ["FemtoFileHandler", femto?.FemtoFileHandler]
  cases = cases.filter((c) => {
    let why
    if (c.lib === "femto") {
      const need = femtoNeeds(c)
      if (need !== undefined && typeof need[1] !== "function") why = `femtologging does not export ${need[0]}`
    } else if (c.lib === "cpython") {
      if (spawnSync("python3", ["--version"]).status !== 0) why = "python3 is not installed"
    } else {
      const missing = packages[c.lib].filter((p) => !resolvable(p))
      if (c.impl.startsWith("pino-roll") && !resolvable("pino-roll")) missing.push("pino-roll")
      if (c.impl === "pino-socket" && !resolvable("pino-socket")) missing.push("pino-socket")
      if (missing.length > 0) why = `${missing.join(", ")} not installed (npm install)`
    }
    if (why === undefined) return true
    skipped.push(c.id)
    skipWhy.set(c.id, why)
    notes.push(`${c.id} skipped: ${why}`)
    return false
  })
}

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

// What a failed child said, in one line: its error (a crash prints the throwing source line and a
// caret first, the error after, then the stack and Node's version, so the last lines alone miss
// what went wrong: the first line that starts with an error's name, else the first that says
// "Error"), then its last two other lines.
const errorExcerpt = (stderr) => {
  const lines = stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !/^Node\.js v\d/.test(l))
  const error = lines.find((l) => /^(\(\w+\) )?\w*(Error|Exception)\b/.test(l)) ?? lines.find((l) => /Error/.test(l))
  const tail = lines.slice(-2).filter((l) => l !== error)
  return [...(error === undefined ? [] : [error]), ...tail].join(" | ") || "no output on stderr"
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
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill("SIGKILL")
    }, childTimeoutMs)
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      const line = stdout.split("\n").find((l) => l.startsWith(RESULT_PREFIX))
      if (code !== 0 || line === undefined) {
        const how = timedOut ? `killed after ${childTimeoutMs / 1000} s` : `exit ${code ?? signal}`
        resolve({ error: `${how}: ${errorExcerpt(stderr)}` })
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
console.log(`${cpu.length} x ${cpu[0]?.model ?? "?"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, load average ` +
  `${loadavg().map((x) => x.toFixed(1)).join(" ")}; ${cases.length} cases x ${runs} run${runs === 1 ? "" : "s"}` +
  `${closeRuns > runs ? ` (${closeRuns} for the cases near the line)` : ""}, fresh process each, round-robin`)

const started = Date.now()
// Once, for reading the table: what building the messages alone costs.
const baseline = await runCase({ script: "baseline.mjs", args: ["--records", String(records)] })
if (baseline.error === undefined) {
  console.log(`  message build alone: ${baseline.callerNsPerRecord.toFixed(0)} ns/record, ` +
    `${baseline.meanMessageBytes.toFixed(1)} B mean (inside the timed loop of null-sink-burst and the file ` +
    "workloads; outside it for null-sink, disabled-level and slow-sink-lag)")
} else notes.push(`baseline failed: ${baseline.error}`)

const results = new Map(cases.map((c) => [c.id, []]))
const keyOf = (c) => workloads[c.workload].key
const shortResult = (c, res) => {
  if (res.error !== undefined) return "FAILED " + res.error
  const key = keyOf(c)
  const main = key === "ns"
    ? `${res.callerNsPerRecord.toFixed(0)} ns/rec, ${fmtInt(res.recordsPerSec)} rec/s`
    : key === "lag"
    ? `${res.maxLagMs.toFixed(1)} ms max lag, ${fmtInt(res.recordsPerSec)} rec/s`
    : key === "ms"
    ? `${res.importMs.toFixed(1)} ms`
    : `${fmtInt(res.recordsPerSec)} rec/s`
  return main + (res.ok === false ? "  LINES WRONG" : "")
}
// Run order: the table's, except that a loggers-1 case runs right beside its loggers-100 case,
// first in one round and second in the next: the "100 loggers >= 0.9x one logger" target is a
// ratio of two femtologging rows, taken per round (paired), so drift between rounds of this
// noisy machine does not land on one side of it.
const pairedWith = (c) => c.workload === "loggers-1" ? cases.find((x) => x.id === `loggers-100/${c.impl}`) : undefined
const roundOrder = (r) =>
  cases.flatMap((c) => {
    if (pairedWith(c) !== undefined) return []
    const one = cases.find((x) => c.workload === "loggers-100" && x.id === `loggers-1/${c.impl}`)
    return one === undefined ? [c] : r % 2 === 1 ? [c, one] : [one, c]
  })
// The cases whose targets land within this machine's run-to-run noise of the line (a run of
// either side can move them 10%): more rounds, so that their medians, and the paired ratio, rest
// on more than three samples. Every case they are compared with gets the same rounds.
const close = new Set([
  "loggers-100/femto", "loggers-1/femto", "loggers-100/femto-worker", "loggers-1/femto-worker",
  "one-per-turn/femto", "one-per-turn/femto-worker", "one-per-turn/pino-sync", "one-per-turn/pino-async",
  "one-per-turn/pino-transport", "file-e2e/femto-pinojson", "file-e2e/pino-sync", "file-e2e/pino-async",
  "file-e2e/pino-transport"
])
for (let r = 1; r <= closeRuns; r++) {
  const round = r <= runs ? roundOrder(r) : roundOrder(r).filter((c) => close.has(c.id))
  for (const c of round) {
    const res = await runCase(c)
    results.get(c.id).push(res)
    const of = close.has(c.id) ? closeRuns : runs
    console.log(`  run ${r}/${of}  ${c.id.padEnd(34)} ${shortResult(c, res)}`)
  }
}

// ---------------------------------------------------------------------------------------------
// Medians and ratios
// ---------------------------------------------------------------------------------------------

const countKeys = ["dropped", "badLines", "dupLines", "outOfOrder", "partialTail", "missing", "countMismatch"]
const rows = cases.map((c) => {
  const all = results.get(c.id)
  const ok = all.filter((x) => x.error === undefined)
  const row = { ...c, runs: all, errors: all.filter((x) => x.error !== undefined).map((x) => x.error), n: ok.length }
  if (ok.length === 0) return row
  // Some runs failed: the row is the median of the others, and says so wherever it is shown.
  if (ok.length < all.length) row.partial = `median of ${ok.length} of ${all.length} runs`
  // Every number all the runs have: the median; counts of what went wrong: the maximum.
  for (const k of Object.keys(ok[0])) {
    if (ok.every((x) => typeof x[k] === "number")) row[k] = median(ok.map((x) => x[k]))
  }
  for (const k of countKeys) {
    if (ok.some((x) => typeof x[k] === "number")) row[k] = Math.max(...ok.map((x) => x[k] ?? 0))
  }
  if (ok.every((x) => typeof x.ok === "boolean")) {
    row.linesOk = ok.every((x) => x.ok)
    row.linesPerRun = ok.map((x) => x.lines)
  }
  const stderrLines = [...new Set(ok.flatMap((x) => (x.stderr ? x.stderr.split("\n") : [])))]
  if (stderrLines.length > 0) row.stderr = stderrLines
  return row
})

// Why a row did not do its workload (undefined: it did), judged on every run like the line check:
// its lines came out wrong, or, rotating, it did not rotate: one file although more than the
// rotation size was written (pino-roll's in-thread stream checks the size on 'drain', which a
// synchronous loop never lets fire), or a file over twice the rotation size (LogTape's
// non-blocking sink checks the size per flushed buffer, and in a synchronous loop the buffer is
// the whole run). Such a row is no reference for the others: it did less work.
const mib = (bytes) =>
  bytes < 2 ** 20 ? `${Math.round(bytes / 1024)} KiB` : `${(bytes / 2 ** 20).toFixed(bytes < 10 * 2 ** 20 ? 1 : 0)} MiB`
const workloadMiss = (r) => {
  if (r.n === 0) return undefined
  if (r.linesOk === false) return "lines wrong"
  if (r.workload !== "rotating") return undefined
  const ok = r.runs.filter((x) => x.error === undefined)
  if (ok.some((x) => x.files <= 1 && x.bytes > rotateBytes)) return "did not rotate"
  const largest = Math.max(...ok.map((x) => x.maxFileBytes ?? 0))
  if (largest > 2 * rotateBytes) return `did not rotate at ${mib(rotateBytes)}: a file of ${mib(largest)}`
  return undefined
}
for (const r of rows) r.workloadMiss = workloadMiss(r)

// The reference of each workload: pino's best row among those that did the workload. When no pino
// row qualifies, the ratio is n/a, with a note saying why.
const score = { ns: (r) => -r.callerNsPerRecord, rate: (r) => r.recordsPerSec, lag: (r) => -r.maxLagMs, ms: (r) => -r.importMs }
const refs = {}
const noRefWhy = {}
for (const [w, { key }] of Object.entries(workloads)) {
  const all = rows.filter((r) => r.workload === w && r.lib === "pino")
  const pinos = all.filter((r) => r.n > 0 && r.workloadMiss === undefined)
  if (pinos.length > 0) refs[w] = pinos.reduce((best, r) => (score[key](r) > score[key](best) ? r : best))
  else if (all.length > 0) noRefWhy[w] = all.map((r) => `${r.id} ${r.n === 0 ? "failed" : r.workloadMiss}`).join(", ")
}
for (const row of rows) {
  const ref = row.lib === "floor" ? undefined : refs[row.workload]
  if (ref === undefined || row.n === 0) continue
  const key = workloads[row.workload].key
  row.vsPino = key === "ns"
    ? ref.callerNsPerRecord / row.callerNsPerRecord
    : key === "lag"
    ? ref.maxLagMs / row.maxLagMs
    : key === "ms"
    ? ref.importMs / row.importMs
    : row.recordsPerSec / ref.recordsPerSec
  row.vsPinoRef = ref.id
}

// ---------------------------------------------------------------------------------------------
// Table
// ---------------------------------------------------------------------------------------------

const linesCell = (r) => {
  if (r.linesOk === undefined) return "-"
  if (r.linesOk) return `ok ${fmtInt(r.lines)}`
  const what = [
    r.missing > 0 ? `${fmtInt(r.missing)} lost` : "",
    r.badLines > 0 ? `${fmtInt(r.badLines)} torn` : "",
    r.dupLines > 0 ? `${fmtInt(r.dupLines)} dup` : "",
    r.outOfOrder > 0 ? `${fmtInt(r.outOfOrder)} out of order` : "",
    r.partialTail > 0 ? "partial last line" : ""
  ].filter((s) => s !== "")
  return `WRONG ${what.join(", ") || "count"}`
}
const header = ["case", "records", "caller ns/rec", "records/s", "MB/s", "peak RSS MiB", "drops", "lines verified", "other", "vs best pino"]
// The "other" column: the workload's own figure, then what sets the row apart.
const otherCell = (r) => {
  const figure = r.maxLagMs !== undefined
    ? `max lag ${r.maxLagMs.toFixed(1)} ms`
    : r.importMs !== undefined
    ? `${{ dictconfig: "setup", "first-line": "first line" }[r.workload] ?? "import"} ${r.importMs.toFixed(1)} ms`
    : r.emptyCallNsPerRecord !== undefined
    ? `empty call ${r.emptyCallNsPerRecord.toFixed(1)} ns`
    : r.workload === "rotating" && r.files !== undefined
    ? `${fmtInt(r.files)} file${r.files === 1 ? "" : "s"}`
    : ""
  // A row that did not do the workload (a pino one is left out of "pino's best"), then a row some
  // of whose runs failed.
  const miss = r.workloadMiss === undefined || (r.workloadMiss === "lines wrong" && r.lib !== "pino")
    ? ""
    : `(${r.workloadMiss}${r.lib === "pino" ? ": not a reference" : ""})`
  return [[figure, miss].filter((s) => s !== "").join(" "), r.partial ?? ""].filter((s) => s !== "").join("; ")
}
const table = rows.map((r) =>
  r.n === 0
    ? [r.id, r.records === undefined ? "" : kRecords(r.records), "FAILED", "", "", "", "", "",
      `failed in ${r.errors.length === 1 ? "its run" : `all ${r.errors.length} runs`} (see note)`, ""]
    : [
      r.id,
      r.records === undefined ? "" : kRecords(r.records),
      r.callerNsPerRecord === undefined ? "" : r.callerNsPerRecord.toFixed(r.callerNsPerRecord < 10 ? 1 : 0),
      r.recordsPerSec === undefined ? "" : fmtInt(r.recordsPerSec),
      r.payloadMBps === undefined ? "" : r.payloadMBps.toFixed(1),
      r.peakRssMiB.toFixed(0),
      fmtInt(r.dropped ?? 0),
      linesCell(r),
      otherCell(r),
      r.vsPino !== undefined ? r.vsPino.toFixed(2) + "x" : noRefWhy[r.workload] !== undefined ? "n/a" : ""
    ]
)
const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)))
const line = (cells) => cells.map((c, i) => (i === 0 || i === 7 || i === 8 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")
console.log("")
console.log(line(header))
console.log(widths.map((w) => "-".repeat(w)).join("  "))
let last
for (let i = 0; i < rows.length; i++) {
  if (last !== undefined && rows[i].workload !== last) console.log("")
  last = rows[i].workload
  console.log(line(table[i]).trimEnd())
}
console.log("")
console.log(`median of ${runs} run${runs === 1 ? "" : "s"}` +
  `${closeRuns > runs && rows.some((r) => close.has(r.id)) ? ` (${closeRuns} for ${rows.filter((r) => close.has(r.id)).map((r) => r.id).join(", ")})` : ""} ` +
  "(fresh processes, round-robin; a row some of whose runs failed says of how many); drops and wrong lines: the worst run.")
console.log("vs best pino: rate workloads = row records/s / best pino records/s; caller-ns workloads (null-sink*, " +
  "disabled-level, one-per-turn) = best pino ns / row ns; slow-sink-lag = best pino max lag / row max lag; " +
  "import, first-line = best pino ms / row ms. >1 = better than pino's best. pino's best is of the pino rows that did the " +
  "workload: lines right and, rotating, rotated; n/a when none did.")
console.log("lines verified: every line of every file checked (written + counted drops = emitted, no foreign or " +
  "duplicated line, every line of a copy the same shape (its message and digits aside: no tear, nothing added, the " +
  "same logger and level), each producer's records in order); the count is of lines over all files.")
console.log("")
console.log("workloads:")
for (const w of Object.keys(workloads)) {
  if (!rows.some((r) => r.workload === w)) continue
  console.log(`  ${w}: ${workloads[w].about}${refs[w] === undefined ? "" : `; reference ${refs[w].id}`}` +
    (noRefWhy[w] === undefined ? "" : `; no pino reference (vs best pino n/a): ${noRefWhy[w]}`))
  for (const m of workloads[w].missing ?? []) console.log(`    no equivalent: ${m}`)
}
console.log("cases:")
const legend = new Map()
for (const r of rows) if (!legend.has(`${r.impl}|${r.label}`)) legend.set(`${r.impl}|${r.label}`, r)
for (const r of legend.values()) {
  const where = rows.filter((x) => x.impl === r.impl && x.label === r.label).map((x) => x.workload)
  console.log(`  ${r.impl.padEnd(20)} ${r.label}${where.length < 4 ? ` (${where.join(", ")})` : ""}`)
}

// ---------------------------------------------------------------------------------------------
// Details
// ---------------------------------------------------------------------------------------------

const fileDetails = (title, ws, fmt) => {
  const rs = rows.filter((r) => ws.includes(r.workload) && r.n > 0)
  if (rs.length === 0) return
  console.log("")
  console.log(title)
  for (const r of rs) console.log(`  ${r.id.padEnd(34)} ${fmt(r)}`)
}
const bpl = (r) => (r.bytesPerLine === undefined ? "" : `${r.bytesPerLine.toFixed(0).padStart(5)} B/line`)
fileDetails(
  "file details (median): loop = first to last call; e2e = first call to the files closed; fsync = one fsync of " +
    "the files after that (not in e2e; ~0 when the logger fsynced on close); file MB/s = bytes written per second",
  ["file-e2e", "rotating", "msg-1k", "msg-16k", "handlers-4", "producers-4", "loggers-100", "loggers-1"],
  (r) =>
    `loop ${r.loopMs.toFixed(0).padStart(6)} ms  e2e ${r.e2eMs.toFixed(0).padStart(6)} ms  fsync ` +
    `${r.fsyncAfterCloseMs.toFixed(1).padStart(6)} ms  ${bpl(r)}  ${r.fileMBps.toFixed(1).padStart(6)} file MB/s  ` +
    `${fmtInt(r.files)} file${r.files === 1 ? "" : "s"}`
)
fileDetails(
  "slow-sink-lag details (median): mean lag over the ticks; ELU = main-thread event-loop utilisation; GC = the " +
    "main thread's longest pause / total; batches = sink writes (1 ms each)",
  ["slow-sink-lag"],
  (r) =>
    `max ${r.maxLagMs.toFixed(1).padStart(5)} ms  mean ${r.meanLagMs.toFixed(2).padStart(5)} ms  ELU ${r.elu.toFixed(2)}  ` +
    `GC ${r.gcMaxMs.toFixed(1)}/${r.gcTotalMs.toFixed(0)} ms  batches ${fmtInt(r.batches).padStart(5)}  ` +
    `e2e ${r.e2eMs.toFixed(0).padStart(5)} ms`
)
fileDetails(
  "one-per-turn details (median): loop = first call to last turn (caller ns x N); e2e = until the file is complete",
  ["one-per-turn"],
  (r) => `loop ${r.loopMs.toFixed(0).padStart(6)} ms  e2e ${r.e2eMs.toFixed(0).padStart(6)} ms  ${bpl(r)}`
)
fileDetails(
  "import and first-line details (median): a fresh process importing (first-line: and logging its first line to a " +
    "file) / an empty one",
  ["import", "first-line"],
  (r) =>
    `${r.rawMs.toFixed(0)} ms / ${r.emptyMs.toFixed(0)} ms wall; CPU (user + system) over the empty script ` +
    `${r.importCpuMs.toFixed(0)} ms; peak RSS ${r.peakRssMiB.toFixed(0)} / ${r.emptyRssMiB.toFixed(0)} MiB`
)

// ---------------------------------------------------------------------------------------------
// Targets (reported, never asserted)
// ---------------------------------------------------------------------------------------------

const rowById = new Map(rows.map((r) => [r.id, r]))
const targets = []
// ok: true (met), false (MISSED), null (n/a: the reference it compares with is missing).
const target = (what, ok, value) => targets.push({ what, ok, value })
const caveats = (r) => (r.linesOk === false ? ", LINES WRONG" : "") + (r.partial === undefined ? "" : `, ${r.partial}`)
const failedWhy = (r) =>
  `${r.id} failed in ${r.errors.length === 1 ? "its run" : `all ${r.errors.length} runs`} (the case failed; see the note)`
// The femto row a target judges. When the case was in the run but has no row to judge (it failed
// in every run, or it was skipped), the target is reported MISSED with the reason, so that a
// crash cannot make its target vanish; a case --only left out has no target. undefined then.
const femtoRow = (what, id) => {
  const r = rowById.get(id)
  if (r !== undefined && r.n > 0) return r
  if (r !== undefined) target(what, false, failedWhy(r))
  else if (skipWhy.has(id)) target(what, false, `${id} did not run: ${skipWhy.get(id)}`)
  return undefined
}
// A reference a target compares with (pino's best of a workload, pino's transport): undefined
// after reporting the target n/a, neither met nor missed, when there is none (it says nothing of
// femtologging).
const refRow = (what, r, why) => {
  if (r === undefined) target(what, null, why)
  return r
}
const noRef = (w) => `no pino reference for ${w}: ${noRefWhy[w] ?? "no pino row of it in the run"}`
const vsRef = (r, ref) => `${r.vsPino.toFixed(2)}x (${fmtInt(r.recordsPerSec)} vs ${fmtInt(ref.recordsPerSec)} rec/s, ${ref.id})`
for (const [id, x, what] of [
  ["file-e2e/femto", 6, "file end to end >= 6x pino's best, default formatter (inline)"],
  ["file-e2e/femto-worker", 6, "file end to end >= 6x pino's best, default formatter (worker)"],
  ["file-e2e/femto-json", 4, "file end to end >= 4x pino's best, JSON formatter callable (Formatter.json)"],
  ["file-e2e/femto-pinojson", 4, "file end to end >= 4x pino's best, JSON formatter callable (pino's line shape)"]
]) {
  const r = femtoRow(what, id)
  const ref = r && refRow(what, refs["file-e2e"], noRef("file-e2e"))
  if (ref !== undefined) target(what, r.vsPino >= x && r.linesOk !== false, vsRef(r, ref) + caveats(r))
}
{
  const what = "worker file end to end >= 3x pino transport"
  const w = femtoRow(what, "file-e2e/femto-worker")
  const t = rowById.get("file-e2e/pino-transport")
  const ref = w && refRow(what, t?.n > 0 ? t : undefined, t === undefined ? "file-e2e/pino-transport did not run" : failedWhy(t))
  if (ref !== undefined) {
    const x = w.recordsPerSec / ref.recordsPerSec
    target(what, x >= 3 && w.linesOk !== false,
      `${x.toFixed(2)}x (${fmtInt(w.recordsPerSec)} vs ${fmtInt(ref.recordsPerSec)} rec/s)${caveats(w)}`)
  }
}
for (const id of ["msg-16k/femto", "msg-16k/femto-worker"]) {
  const what = `16 KiB messages: MB/s >= pino's best (${id})`
  const r = femtoRow(what, id)
  const ref = r && refRow(what, refs["msg-16k"], noRef("msg-16k"))
  if (ref === undefined) continue
  target(what, r.payloadMBps >= ref.payloadMBps && r.linesOk !== false,
    `${r.payloadMBps.toFixed(1)} vs ${ref.payloadMBps.toFixed(1)} MB/s (${ref.id})${caveats(r)}`)
}
for (const impl of ["femto", "femto-worker"]) {
  const what = `100 loggers >= 0.9x the rate of one logger (${impl})`
  const many = femtoRow(what, `loggers-100/${impl}`)
  const one = many && femtoRow(what, `loggers-1/${impl}`)
  if (one === undefined) continue
  // Paired: the ratio of each round's two runs (run side by side, see roundOrder), median over
  // the rounds where both ran; the ratio of the two medians is shown beside it.
  const perRound = many.runs.flatMap((m, i) => {
    const o = one.runs[i]
    return m.error === undefined && o?.error === undefined ? [m.recordsPerSec / o.recordsPerSec] : []
  })
  const x = perRound.length > 0 ? median(perRound) : many.recordsPerSec / one.recordsPerSec
  target(what, x >= 0.9 && many.linesOk !== false,
    `${x.toFixed(2)}x (median of ${perRound.length} rounds' ratios: ${perRound.map((y) => y.toFixed(2)).join(", ")}; ` +
      `medians ${fmtInt(many.recordsPerSec)} vs ${fmtInt(one.recordsPerSec)} rec/s: ` +
      `${(many.recordsPerSec / one.recordsPerSec).toFixed(2)}x)${caveats(many)}${one.partial === undefined ? "" : `; one logger: ${one.partial}`}`)
}
for (const id of ["one-per-turn/femto", "one-per-turn/femto-worker"]) {
  const what = `one record per event-loop turn no slower than pino (${id})`
  const r = femtoRow(what, id)
  const ref = r && refRow(what, refs["one-per-turn"], noRef("one-per-turn"))
  if (ref === undefined) continue
  target(what, r.callerNsPerRecord <= ref.callerNsPerRecord && r.linesOk !== false,
    `${r.callerNsPerRecord.toFixed(0)} vs ${ref.callerNsPerRecord.toFixed(0)} ns/turn (${ref.id})${caveats(r)}`)
}
{
  const what = "caller cost of an accepted info() <= 200 ns (null-sink)"
  const r = femtoRow(what, "null-sink/femto")
  if (r !== undefined) target(what, r.callerNsPerRecord <= 200, `${r.callerNsPerRecord.toFixed(0)} ns${caveats(r)}`)
}
{
  const what = "caller cost of a disabled level < 5 ns"
  const r = femtoRow(what, "disabled-level/femto")
  if (r !== undefined) target(what, r.callerNsPerRecord < 5, `${r.callerNsPerRecord.toFixed(1)} ns${caveats(r)}`)
}
{
  const what = "import < 100 ms over an empty script"
  const r = femtoRow(what, "import/femto")
  if (r !== undefined) target(what, r.importMs < 100, `${r.importMs.toFixed(1)} ms${caveats(r)}`)
}
{
  const what = "event-loop lag with a slow sink on a worker < 20 ms"
  const r = femtoRow(what, "slow-sink-lag/femto-worker")
  if (r !== undefined) target(what, r.maxLagMs < 20 && r.linesOk !== false, `${r.maxLagMs.toFixed(1)} ms max${caveats(r)}`)
}
{
  // Every femto row: a row that failed in every run has no figure, so it misses these two.
  const femtoRows = rows.filter((r) => r.lib === "femto")
  const ran = femtoRows.filter((r) => r.n > 0)
  const failed = femtoRows.filter((r) => r.n === 0).map((r) => r.id)
  const failedText = failed.length === 0 ? [] : [`failed (the case failed, no figure; see the notes): ${failed.join(", ")}`]
  if (ran.length > 0 || failed.length > 0) {
    const worst = ran.length > 0 ? ran.reduce((a, b) => (b.peakRssMiB > a.peakRssMiB ? b : a)) : undefined
    // A row over the line in a workload with a floor row: the floor's RSS beside it (what the
    // same workload costs with the same threads and Effect modules but no femtologging).
    const floorOf = (r) => rows.find((x) => x.workload === r.workload && x.lib === "floor" && x.n > 0)
    const over = ran.filter((r) => r.peakRssMiB >= 150).map((r) =>
      `${r.id} ${r.peakRssMiB.toFixed(0)} MiB` +
      (floorOf(r) === undefined ? "" : ` (floor with no femtologging, ${floorOf(r).id}: ${floorOf(r).peakRssMiB.toFixed(0)} MiB)`)
    )
    const figure = over.length > 0 ? [`over: ${over.join(", ")}`] : worst === undefined ? [] : [`max ${worst.peakRssMiB.toFixed(0)} MiB (${worst.id})`]
    target("RSS < 150 MiB in every case (femto rows)", over.length === 0 && failed.length === 0, [...figure, ...failedText].join("; "))
  }
  const wrong = ran.filter((r) => r.linesOk === false).map((r) => r.id)
  if (ran.some((r) => r.linesOk !== undefined) || failed.length > 0) {
    target("every femto line verified", wrong.length === 0 && failed.length === 0,
      [...(wrong.length === 0 ? [] : [`wrong: ${wrong.join(", ")}`]), ...failedText].join("; ") || "all ok")
  }
}
if (targets.length > 0) {
  console.log("")
  console.log("targets (medians; reported, never asserted):")
  for (const t of targets) console.log(`  ${t.ok === true ? "met   " : t.ok === false ? "MISSED" : "n/a   "}  ${t.what}: ${t.value}`)
}

// Notes: skips, failures, warnings the children printed, drops, rotating cases that did not rotate,
// workloads with no pino reference.
for (const [w, why] of Object.entries(noRefWhy)) {
  notes.push(`${w}: no pino row did the workload (${why}): vs best pino is n/a`)
}
for (const r of rows) {
  for (const e of new Set(r.errors)) notes.push(`${r.id} failed: ${e}`)
  if ((r.workload === "null-sink" || r.workload === "null-sink-fields") && r.lib === "femto" && r.dropped > 0) {
    notes.push(`${r.id} dropped ${r.dropped} records at chunk ${chunk} (policy drop): try a smaller --chunk`)
  }
  if (r.workload === "rotating" && r.workloadMiss !== undefined && r.workloadMiss !== "lines wrong") {
    notes.push(`${r.id} ${r.workloadMiss} (${fmtInt(r.files)} file${r.files === 1 ? "" : "s"} for ${mib(r.bytes)})` +
      (r.lib === "pino" ? ": left out of pino's best" : ""))
  }
  // Where the first wrong line was (its temporary folder is gone; the file's name says which file).
  const bad = r.runs.find((x) => x.ok === false && x.firstBad !== undefined)?.firstBad
  if (bad !== undefined) {
    notes.push(`${r.id} lines wrong: ${bad.why} of ${basename(bad.file)}` +
      (bad.text === undefined ? "" : `: ${JSON.stringify(bad.text.slice(0, 120))}`))
  }
  for (const s of (r.stderr ?? []).slice(0, 3)) notes.push(`${r.id} stderr: ${s.slice(0, 300)}`)
}
if (notes.length > 0) {
  console.log("")
  for (const n of notes) console.log("note: " + n)
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

const resultsDir = join(benchDir, "results")
mkdirSync(resultsDir, { recursive: true })
const date = new Date().toISOString()
const out = {
  date,
  node: process.version,
  cpus: cpu.length,
  cpuModel: cpu[0]?.model,
  loadavg: loadavg(),
  quick,
  runs,
  closeRuns,
  records,
  turnRecords,
  lagRecords,
  lagChunk,
  chunk,
  fsyncRecords,
  rotateBytes,
  backups,
  only: only ?? null,
  elapsedMs: Date.now() - started,
  workloads: Object.fromEntries(Object.entries(workloads).map(([w, x]) => [w, { key: x.key, about: x.about, missing: x.missing ?? [], reference: refs[w]?.id ?? null, noReference: noRefWhy[w] ?? null }])),
  targets,
  skipped,
  notes,
  baseline: baseline.error === undefined ? baseline : null,
  cases: rows.map(({ script, args, ...r }) => r)
}
// A partial run (--only, --quick) goes to runs-partial.json (git-ignored), not over the full run's files.
const partial = only !== undefined || quick
const jsonName = partial ? "runs-partial.json" : "latest.json"
writeFileSync(join(resultsDir, jsonName), JSON.stringify(out, null, 2) + "\n")
let wrote = `bench/results/${jsonName}`
if (args["no-chart"] !== true && !partial) {
  const charted = rows.filter((r) =>
    r.n > 0 && r.lib !== "floor" && typeof r.recordsPerSec === "number" && !["disabled-level", "import", "first-line"].includes(r.workload)
  )
  try {
    if (charted.length > 0) {
      await writeChart(charted, join(resultsDir, "chart.svg"),
        `femtologging bench ${date.slice(0, 10)}: records/s, median of ${runs} run${runs === 1 ? "" : "s"}${closeRuns > runs ? ` (${closeRuns} near the line)` : ""}, ` +
          `Node ${process.version}, ${cpu.length} cores${quick ? " (--quick)" : ""}`)
      wrote += " and bench/results/chart.svg"
    }
  } catch (error) {
    console.log(`note: no chart: ${error.message}`)
  }
}
console.log(`\nwrote ${wrote} (${((Date.now() - started) / 1000).toFixed(0)} s)`)
