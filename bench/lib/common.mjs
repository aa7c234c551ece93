// Shared helpers for the case scripts: argument parsing, the workload's message and the result
// hand-off to bench/run.mjs (one `@@result {json}` line on stdout).
import { writeSync } from "node:fs"

export const RESULT_PREFIX = "@@result "

// `--key value` pairs and bare `--flag`s.
export const parseArgs = (argv) => {
  const args = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith("--")) continue
    const key = a.slice(2)
    const next = argv[i + 1]
    if (next === undefined || next.startsWith("--")) args[key] = true
    else {
      args[key] = next
      i++
    }
  }
  return args
}

// The workload's message: 80-88 bytes for i < 10^6, so femtologging's default line
// ("bench [INFO] " + message + "\n") is about 100 bytes. pino logs the same message inside its
// JSON envelope (level, time, pid, hostname), so its lines are longer.
export const message = (i) =>
  "handled request r-" + i + " method=GET path=/api/v1/items/" + (i % 5000) +
  " status=200 user=u-" + (i % 997) + " dur=" + (10 + (i % 90)) + "ms"

// Returns the id embedded in a message ("r-<id> "), or -1.
export const idOf = (line) => {
  const at = line.indexOf("request r-")
  if (at < 0) return -1
  const end = line.indexOf(" ", at + 10)
  return end < 0 ? -1 : Number(line.slice(at + 10, end))
}

export const peakRssMiB = () => process.resourceUsage().maxRSS / 1024

export const now = () => process.hrtime.bigint()

export const tick = () => new Promise(setImmediate)

// Writes the result line synchronously, so it is out even if the process exits right after.
export const report = (result) => {
  writeSync(1, RESULT_PREFIX + JSON.stringify(result) + "\n")
}
