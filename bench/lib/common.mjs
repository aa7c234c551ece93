// Shared helpers for the case scripts: argument parsing, the workload's messages, the result
// hand-off to bench/run.mjs (one `@@result {json}` line on stdout), temporary folders, checking
// log files line by line, timing a fresh node process, and an event-loop lag monitor.
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync, writeSync } from "node:fs"
import { spawnSync } from "node:child_process"
import { tmpdir } from "node:os"
import { join } from "node:path"

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

// A numeric option: `args[key]` as a number, else `fallback`; exits on anything but a positive
// number (or 0 when `zero` is allowed).
export const numberArg = (args, key, fallback, { zero = false } = {}) => {
  if (args[key] === undefined) return fallback
  const n = Number(args[key])
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !zero)) {
    console.error(`--${key} must be a ${zero ? "non-negative" : "positive"} number (got ${args[key]})`)
    process.exit(2)
  }
  return n
}

// The workload's message: 80-88 bytes for i < 10^6, so femtologging's default line
// ("bench [INFO] " + message + "\n") is about 100 bytes. pino logs the same message inside its
// JSON envelope (level, time, pid, hostname), so its lines are longer.
export const message = (i) =>
  "handled request r-" + i + " method=GET path=/api/v1/items/" + (i % 5000) +
  " status=200 user=u-" + (i % 997) + " dur=" + (10 + (i % 90)) + "ms"

// Messages of exactly `bytes` bytes (ASCII; nothing a JSON encoder escapes): message(i), then
// " pad=" and letters up to the size. `bytes` 0 (or less than message(i) needs) is message(i).
export const messageOfSize = (bytes) => {
  if (!(bytes > 0)) return message
  const pad = "abcdefghijklmnopqrstuvwxyz".repeat(Math.ceil(bytes / 26) + 1)
  return (i) => {
    const m = message(i)
    const n = bytes - m.length - 5
    return n <= 0 ? m : m + " pad=" + pad.slice(0, n)
  }
}

// Returns the id embedded in a message ("r-<id> "), or -1.
export const idOf = (line) => {
  const at = line.indexOf("request r-")
  if (at < 0) return -1
  const end = line.indexOf(" ", at + 10)
  if (end < 0) return -1
  const id = Number(line.slice(at + 10, end))
  return Number.isInteger(id) ? id : -1
}

export const peakRssMiB = () => process.resourceUsage().maxRSS / 1024

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

// Source that prints the process's peak RSS (KiB) and CPU time (user + system, µs), for the end
// of a script timed by timeNode.
export const usageSource = "{const u=process.resourceUsage();process.stdout.write(u.maxRSS+' '+(u.userCPUTime+u.systemCPUTime))}"

// Runs `source` in a fresh `node --input-type=module -e` (from the current folder, so bare
// imports resolve from the repository's node_modules) and returns its wall time and what
// usageSource printed; throws with the end of its stderr if it fails.
export const timeNode = (source) => {
  const t0 = now()
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", source], { encoding: "utf8" })
  const ms = Number(now() - t0) / 1e6
  if (child.status !== 0) throw new Error(`node -e ${JSON.stringify(source)} failed: ${child.stderr.trim().split("\n").slice(-3).join(" | ")}`)
  const [rss, cpuUs] = child.stdout.trim().split(" ").map(Number)
  return { ms, rssMiB: rss / 1024, cpuMs: cpuUs / 1e3 }
}

export const now = () => process.hrtime.bigint()

export const tick = () => new Promise(setImmediate)

// Writes the result line synchronously, so it is out even if the process exits right after.
export const report = (result) => {
  writeSync(1, RESULT_PREFIX + JSON.stringify(result) + "\n")
}

// A fresh folder under the OS temp dir with `count` subfolders h0, h1, ... (one per handler, so
// a rotating handler's backups stay with their live file); `run(dir, subdirs)` gets them and
// the whole tree is removed afterwards, whatever happens.
export const withTempDirs = async (count, run) => {
  const dir = mkdtempSync(join(tmpdir(), "femto-bench-"))
  try {
    const subdirs = Array.from({ length: count }, (_, k) => {
      const d = join(dir, `h${k}`)
      mkdirSync(d)
      return d
    })
    return await run(dir, subdirs)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

// Runs `close()` with a ref'd timer, so the process cannot exit while a worker thread (unref'd in
// pino's transport and femtologging's worker executor) is still finishing.
// Resolves to what close() resolved to.
export const closeKeptAlive = async (close) => {
  const keepAlive = setInterval(() => {}, 1000)
  try {
    return await close()
  } finally {
    clearInterval(keepAlive)
  }
}

// Waits until the files in `dirs` stop changing (total size and count the same for `quietMs`,
// polled every 2 ms) and returns when they last changed (process.hrtime.bigint()): the end of
// the run for a logger that goes on writing after its close event (winston's rotation).
export const settleFiles = async (dirs, quietMs = 100) => {
  const sizeOf = () => {
    let n = 0
    for (const d of dirs) for (const f of filesIn(d)) n += statSync(f).size + 1
    return n
  }
  let last = sizeOf()
  let changedAt = now()
  while (Number(now() - changedAt) / 1e6 < quietMs) {
    await new Promise((resolve) => setTimeout(resolve, 2))
    const size = sizeOf()
    if (size !== last) {
      last = size
      changedAt = now()
    }
  }
  return changedAt
}

// The files in a folder (a rotating handler's live file and backups), sorted by name.
export const filesIn = (dir) =>
  readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(dir, e.name))
    .sort()

// Calls `onLine(text, n)` for each complete line of `path` (n counts from 1) until it returns
// false; returns the bytes after the last "\n" (0 when stopped early).
const eachLine = (path, onLine) => {
  const fd = openSync(path, "r")
  const buf = Buffer.allocUnsafe(4 << 20)
  let rest = ""
  let n = 0
  try {
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, null)
      if (got === 0) break
      const text = rest + buf.latin1Slice(0, got)
      let from = 0
      for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", from)) {
        if (onLine(text.slice(from, nl), ++n) === false) return 0
        from = nl + 1
      }
      rest = text.slice(from)
    }
  } finally {
    closeSync(fd)
  }
  return rest.length
}

// The first id in a file's first 64 KiB (a torn first line has none; -1 when there is none), for
// putting rotated files in order.
const firstId = (path) => {
  const fd = openSync(path, "r")
  try {
    const buf = Buffer.allocUnsafe(64 << 10)
    const n = readSync(fd, buf, 0, buf.length, 0)
    for (const line of buf.latin1Slice(0, n).split("\n")) {
      const id = idOf(line)
      if (id >= 0) return id
    }
    return -1
  } finally {
    closeSync(fd)
  }
}

// A line's shape: the line with its message `m` replaced by "\0" and every run of digits by "0"
// (timestamps, pids, fiber ids, logger names like app.s0.m1 vary from line to line; nothing else
// of a line should), or undefined when the line does not hold `m`. A line torn anywhere (inside
// the message or outside it, as the head of the next line glued to its end), junk around the
// message, another logger or level: another shape.
export const shapeOf = (line, m) => {
  const at = line.indexOf(m)
  if (at < 0) return undefined
  return (line.slice(0, at) + "\0" + line.slice(at + m.length)).replace(/\d+/g, "0")
}

// The shape of a copy's lines: the most common among its first 16 lines that hold their message
// (a first line torn or foreign would otherwise make every good line after it look wrong); the
// first of those on a tie. undefined when no line holds its message.
const copyShape = (files, records, msg) => {
  const counts = new Map()
  let seen = 0
  for (const f of files) {
    eachLine(f, (line) => {
      const id = idOf(line)
      const shape = id >= 0 && id < records ? shapeOf(line, msg(id)) : undefined
      if (shape !== undefined) {
        counts.set(shape, (counts.get(shape) ?? 0) + 1)
        seen++
      }
      return seen < 16
    })
    if (seen >= 16) break
  }
  let best
  for (const [shape, n] of counts) if (best === undefined || n > counts.get(best)) best = shape
  return best
}

// Checks log output against what was emitted: `groups` is a list of file lists, each a complete
// copy of the log (one per handler; a rotating handler's copy spans several files, taken in the
// order of their first record). Every line must hold message(id) for an id < records it alone
// holds in its copy (no foreign or duplicated line) and have the copy's shape (see shapeOf and
// copyShape: the whole line is checked, not only its message, so a line torn outside its message
// or with anything added is caught), no file may end in a partial line, and in each copy written
// lines + `dropped` must equal `records` (drops are counted per record per copy: `dropped` is a
// number for every copy or an array, one per copy). Ids of one stream (id % streams: one per
// producer) must come in order. Returns the counts over all copies; `firstBad` says where the
// first wrong line is and why.
export const verifyOutput = ({ groups, records, message: msg = message, dropped = 0, streams = 1 }) => {
  const total = { copies: groups.length, files: 0, bytes: 0, maxFileBytes: 0, lines: 0, written: 0, badLines: 0,
    dupLines: 0, outOfOrder: 0, partialTail: 0, missing: 0, firstBad: undefined }
  for (let g = 0; g < groups.length; g++) {
    const files = groups[g]
    const drops = Array.isArray(dropped) ? dropped[g] ?? 0 : dropped
    const seen = new Uint8Array(records)
    const last = new Float64Array(streams).fill(-1)
    let written = 0
    const ordered = files.map((f) => ({ f, first: firstId(f) })).sort((a, b) => a.first - b.first).map((x) => x.f)
    const shape = copyShape(ordered, records, msg)
    for (const f of ordered) {
      const size = statSync(f).size
      total.files++
      total.bytes += size
      if (size > total.maxFileBytes) total.maxFileBytes = size
      total.partialTail += eachLine(f, (line, n) => {
        total.lines++
        const id = idOf(line)
        if (id < 0 || id >= records || shapeOf(line, msg(id)) !== shape) {
          total.badLines++
          total.firstBad ??= { file: f, line: n, why: `torn or malformed line ${n}`, text: line.slice(0, 200) }
          return
        }
        if (seen[id] === 1) {
          total.dupLines++
          total.firstBad ??= { file: f, line: n, why: `line ${n} duplicates id ${id}`, duplicate: id }
          return
        }
        seen[id] = 1
        written++
        const s = id % streams
        if (id < last[s]) {
          total.outOfOrder++
          total.firstBad ??= { file: f, line: n, why: `line ${n}: id ${id} after ${last[s]}` }
        }
        last[s] = id
      })
    }
    total.written += written
    total.missing += Math.max(0, records - written - drops)
    // Lines written + drops counted must be what was emitted, exactly, in every copy.
    if (written + drops !== records) total.countMismatch = (total.countMismatch ?? 0) + 1
  }
  total.ok = total.badLines === 0 && total.dupLines === 0 && total.outOfOrder === 0 && total.partialTail === 0 &&
    total.countMismatch === undefined && groups.length > 0
  total.bytesPerLine = total.lines > 0 ? total.bytes / total.lines : 0
  return total
}

// The single-file check the existing cases use: `path` holds `records` lines in order.
export const verifyFile = (path, records, dropped = 0) => verifyOutput({ groups: [[path]], records, dropped })

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
