// Import time: the wall time of a fresh `node` process that imports the library's modules, minus
// that of a fresh process running an empty script, median over --samples pairs (the two run
// alternately, so drift hits both alike). Both are `node --input-type=module -e <source>` from
// the repository root, and both print the process's peak RSS and CPU time (user + system) at the
// end: the CPU time difference is less sensitive than the wall time to a loaded machine.
//
//   node bench/cases/import-time.mjs --modules femtologging[,more] [--samples 7]
import { spawnSync } from "node:child_process"
import { now, numberArg, parseArgs, report } from "../lib/common.mjs"

const args = parseArgs(process.argv.slice(2))
const modules = String(args.modules ?? "femtologging").split(",").filter((m) => m !== "")
const samples = numberArg(args, "samples", 7)

const tail = "{const u=process.resourceUsage();process.stdout.write(u.maxRSS+' '+(u.userCPUTime+u.systemCPUTime))}"
const empty = tail
const importing = modules.map((m) => `import ${JSON.stringify(m)};`).join("") + tail

const runOnce = (source) => {
  const t0 = now()
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", source], { encoding: "utf8" })
  const ms = Number(now() - t0) / 1e6
  if (child.status !== 0) throw new Error(`node -e ${JSON.stringify(source)} failed: ${child.stderr.trim().split("\n").slice(-3).join(" | ")}`)
  const [rss, cpuUs] = child.stdout.trim().split(" ").map(Number)
  return { ms, rssMiB: rss / 1024, cpuMs: cpuUs / 1e3 }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

// One of each first, not counted: file-system caches warm for both.
runOnce(empty)
runOnce(importing)
const emptyRuns = []
const importRuns = []
for (let k = 0; k < samples; k++) {
  emptyRuns.push(runOnce(empty))
  importRuns.push(runOnce(importing))
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
