// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function, the top N, and
// self time per origin (femtologging, effect, pino and friends, the bench, node internals, GC,
// idle, program).
//
//   node bench/lib/cpuprofile-top.mjs <file.cpuprofile> [--top 25] [--per N] [--json]
//
// --per N adds a column of microseconds per record (self time / N), for a run of N records.
// The profile covers the whole process: start-up and the bench's own line check (verifyFile,
// latin1Slice, check) are in it; they are labelled "bench" or node's.
import { readFileSync } from "node:fs"
import { parseArgs } from "./common.mjs"

const argv = process.argv.slice(2)
const file = argv.find((a, i) => !a.startsWith("--") && !["--top", "--per"].includes(argv[i - 1]))
const args = parseArgs(argv)
const top = Number(args.top ?? 25)
const per = args.per === undefined ? undefined : Number(args.per)
if (file === undefined) {
  console.error("usage: node bench/lib/cpuprofile-top.mjs <file.cpuprofile> [--top N] [--per N] [--json]")
  process.exit(2)
}

const profile = JSON.parse(readFileSync(file, "utf8"))
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
// Sample i lasts until sample i + 1 (timeDeltas[i + 1]); the last one gets the mean.
const { samples, timeDeltas } = profile
const selfUs = new Map()
const total = profile.endTime - profile.startTime
for (let i = 0; i < samples.length; i++) {
  const dt = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : total / samples.length
  selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + Math.max(0, dt))
}

const short = (url) => {
  if (url === "") return ""
  const at = url.lastIndexOf("/node_modules/")
  if (at >= 0) return url.slice(at + 14)
  const pkg = url.indexOf("/packages/femtologging/")
  if (pkg >= 0) return "femtologging/" + url.slice(pkg + 23)
  const bench = url.indexOf("/bench/")
  if (bench >= 0) return url.slice(bench + 1)
  return url.replace(/^file:\/\//, "")
}
const origin = (frame) => {
  const { url, functionName } = frame
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)"
  if (url.startsWith("node:")) return "node internals"
  if (url.includes("/packages/femtologging/") || url.includes("/node_modules/femtologging/")) return "femtologging"
  if (url.includes("/node_modules/effect/") || url.includes("/node_modules/@effect/")) return "effect"
  if (/\/node_modules\/(pino|sonic-boom|thread-stream|quick-format-unescaped|atomic-sleep|on-exit-leak-free|real-require|fast-redact|safe-stable-stringify|pino-std-serializers|process-warning)/.test(url)) return "pino"
  if (url.includes("/bench/")) return "bench"
  return "other"
}

const fns = new Map()
const origins = new Map()
for (const [id, us] of selfUs) {
  const { callFrame } = byId.get(id)
  const key = `${callFrame.functionName || "(anonymous)"}  ${short(callFrame.url)}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ""}`
  fns.set(key, (fns.get(key) ?? 0) + us)
  const o = origin(callFrame)
  origins.set(o, (origins.get(o) ?? 0) + us)
}
const sampled = [...selfUs.values()].reduce((a, b) => a + b, 0)
const rows = [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)
const byOrigin = [...origins].sort((a, b) => b[1] - a[1])
if (args.json === true) {
  console.log(JSON.stringify({ totalMs: sampled / 1e3, top: rows.map(([f, us]) => ({ f, ms: us / 1e3 })), origins: Object.fromEntries(byOrigin.map(([o, us]) => [o, us / 1e3])) }, null, 2))
} else {
  const perRecord = (us) => (per === undefined ? "" : `${(us / per).toFixed(2).padStart(7)} us/rec`)
  const pct = (us) => ((100 * us) / sampled).toFixed(1).padStart(5) + "%" + perRecord(us)
  console.log(`${file}: ${(sampled / 1e3).toFixed(0)} ms sampled, ${samples.length} samples`)
  console.log("self time by origin:")
  for (const [o, us] of byOrigin) console.log(`  ${pct(us)} ${(us / 1e3).toFixed(1).padStart(8)} ms  ${o}`)
  console.log(`top ${top} functions by self time:`)
  for (const [f, us] of rows) console.log(`  ${pct(us)} ${(us / 1e3).toFixed(1).padStart(8)} ms  ${f}`)
}
