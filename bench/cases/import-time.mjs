// Import time: the wall time of a fresh `node` process that imports the library's modules, minus
// that of a fresh process running an empty script, median over --samples pairs (the two run
// alternately, so drift hits both alike). Both are `node --input-type=module -e <source>` from
// the repository root, and both print the process's peak RSS and CPU time (user + system) at the
// end: the CPU time difference is less sensitive than the wall time to a loaded machine.
//
//   node bench/cases/import-time.mjs --modules femtologging[,more] [--samples 7]
import { median, numberArg, parseArgs, report, timeNode, usageSource } from "../lib/common.mjs"

const args = parseArgs(process.argv.slice(2))
const modules = String(args.modules ?? "femtologging").split(",").filter((m) => m !== "")
const samples = numberArg(args, "samples", 7)

const empty = usageSource
const importing = modules.map((m) => `import ${JSON.stringify(m)};`).join("") + usageSource

// One of each first, not counted: file-system caches warm for both.
timeNode(empty)
timeNode(importing)
const emptyRuns = []
const importRuns = []
for (let k = 0; k < samples; k++) {
  emptyRuns.push(timeNode(empty))
  importRuns.push(timeNode(importing))
}
const emptyMs = median(emptyRuns.map((r) => r.ms))
const rawMs = median(importRuns.map((r) => r.ms))
report({
  modules,
  samples,
  importMs: rawMs - emptyMs,
  rawMs,
  emptyMs,
  importCpuMs: median(importRuns.map((r) => r.cpuMs)) - median(emptyRuns.map((r) => r.cpuMs)),
  peakRssMiB: median(importRuns.map((r) => r.rssMiB)),
  emptyRssMiB: median(emptyRuns.map((r) => r.rssMiB)),
  dropped: 0
})
