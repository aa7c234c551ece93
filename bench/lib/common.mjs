// Shared helpers for the case scripts: argument parsing, the workload's message, the result
// hand-off to bench/run.mjs (one `@@result {json}` line on stdout), checking a log file line by
// line, and an event-loop lag monitor.
import { closeSync, openSync, readSync, statSync, writeSync } from "node:fs"

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

// Streams a log file and checks it: `records` lines, line k contains message(k) (no loss,
// duplication, reordering or tearing), no partial last line.
export const verifyFile = (path, records) => {
  const fd = openSync(path, "r")
  const buf = Buffer.allocUnsafe(4 << 20)
  let lines = 0
  let bad = 0
  let firstBad
  let rest = ""
  const check = (line) => {
    if (!line.includes(message(lines))) {
      bad++
      firstBad ??= { line: lines, text: line.slice(0, 200) }
    }
    lines++
  }
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, null)
    if (n === 0) break
    const text = rest + buf.latin1Slice(0, n)
    let from = 0
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", from)) {
      check(text.slice(from, nl))
      from = nl + 1
    }
    rest = text.slice(from)
  }
  closeSync(fd)
  const bytes = statSync(path).size
  return {
    lines,
    badLines: bad,
    firstBad,
    partialTail: rest.length,
    bytesPerLine: lines > 0 ? bytes / lines : 0,
    ok: lines === records && bad === 0 && rest.length === 0
  }
}

// Event-loop lag as an application sees it: a setInterval(intervalMs) whose every tick notes how
// much later than due it ran (due = the previous tick + intervalMs). stop() also counts the time
// since the last tick (a block right before stop() would otherwise go unseen) and returns the
// max and mean lag, the ticks, the event-loop utilisation (busy fraction) over the window, and
// the main thread's garbage collections in it (longest pause, total), which lag includes.
export const lagMonitor = (intervalMs = 10) => {
  const elu0 = performance.eventLoopUtilization()
  let gcMaxMs = 0
  let gcTotalMs = 0
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcTotalMs += e.duration
      if (e.duration > gcMaxMs) gcMaxMs = e.duration
    }
  })
  gc.observe({ entryTypes: ["gc"] })
  let last = performance.now()
  let max = 0
  let sum = 0
  let ticks = 0
  const note = (t) => {
    const lag = Math.max(0, t - last - intervalMs)
    if (lag > max) max = lag
    sum += lag
    last = t
    return lag
  }
  const timer = setInterval(() => {
    note(performance.now())
    ticks++
  }, intervalMs)
  return {
    stop: () => {
      clearInterval(timer)
      const t = performance.now()
      const tail = Math.max(0, t - last - intervalMs)
      if (tail > max) max = tail
      for (const e of gc.takeRecords()) {
        gcTotalMs += e.duration
        if (e.duration > gcMaxMs) gcMaxMs = e.duration
      }
      gc.disconnect()
      return {
        maxLagMs: max,
        meanLagMs: ticks > 0 ? sum / ticks : 0,
        ticks,
        elu: performance.eventLoopUtilization(elu0).utilization,
        gcMaxMs,
        gcTotalMs
      }
    }
  }
}
