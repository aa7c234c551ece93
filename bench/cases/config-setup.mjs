// Setup time of dictConfig() for a configuration of N file handlers (each with a formatter and a
// filter), femtologging or CPython (python3) on the same dict.
//   node bench/cases/config-setup.mjs --impl femto|cpython --handlers 20 --samples 5
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { numberArg, parseArgs, peakRssMiB, report } from "../lib/common.mjs"

const args = parseArgs(process.argv.slice(2))
const impl = args.impl ?? "femto"
const handlers = numberArg(args, "handlers", 20)
const samples = numberArg(args, "samples", 5)
const dir = mkdtempSync(join(tmpdir(), "bench-config-"))

const configFor = (round) => ({
  version: 1,
  disable_existing_loggers: false,
  formatters: { plain: { format: "%(asctime)s %(levelname)-8s %(name)s: %(message)s" } },
  filters: { app: { name: "app" } },
  handlers: Object.fromEntries(Array.from({ length: handlers }, (_, i) => [`h${i}`, {
    class: "logging.FileHandler",
    filename: join(dir, `r${round}-h${i}.log`),
    formatter: "plain",
    filters: ["app"],
    level: "INFO"
  }])),
  loggers: Object.fromEntries(Array.from({ length: handlers }, (_, i) => [`app.part${i}`, { level: "DEBUG", handlers: [`h${i}`] }])),
  root: { level: "WARNING" }
})

let times = []
if (impl === "femto") {
  const { dictConfig } = await import("femtologging")
  for (let round = 0; round <= samples; round++) {
    const config = configFor(round)
    const t0 = performance.now()
    dictConfig(config)
    const ms = performance.now() - t0
    if (round > 0) times.push(ms) // round 0 warms up (and loads Effect Schema)
  }
  dictConfig({ version: 1, disable_existing_loggers: false })
} else if (impl === "cpython") {
  const script = `
import json, logging.config, sys, time
configs = json.loads(sys.stdin.read())
out = []
for i, c in enumerate(configs):
    t0 = time.perf_counter()
    logging.config.dictConfig(c)
    if i > 0: out.append((time.perf_counter() - t0) * 1000)
logging.shutdown()
print(json.dumps(out))
`
  const configs = Array.from({ length: samples + 1 }, (_, round) => configFor(round))
  const result = spawnSync("python3", ["-c", script], { input: JSON.stringify(configs), encoding: "utf8" })
  if (result.status !== 0) throw new Error(result.stderr)
  times = JSON.parse(result.stdout)
} else throw new Error(`unknown impl ${impl}`)
rmSync(dir, { recursive: true, force: true })
times.sort((a, b) => a - b)
const median = times[Math.floor(times.length / 2)]
// `importMs` is the field the harness reads for "ms" workloads (lower is better).
report({ impl, handlers, samples, importMs: median, peakRssMiB: peakRssMiB() })
process.exit(0)
