/**
 * A week in production, compressed: what a long-running service meets with time and volume.
 *
 * - Timed rotation over eight days around both 2024 DST changes, a record every 10 minutes, in
 *   child processes started with `TZ` set (New York, London, Lord Howe: DST of 30 minutes).
 *   CPython 3 (python3) is the oracle twice: its own `TimedRotatingFileHandler` driven through the
 *   same instants (UTC schedules everywhere, and local schedules where CPython is right: the
 *   README documents where it is not), and an independent model built on Python's `zoneinfo`
 *   (the wall-clock trigger on each calendar day, the backup named after its period's first day)
 *   for every local daily and weekly schedule, Lord Howe's included.
 * - A size-rotating handler on a worker thread under sustained load.
 * - 100,000 per-request logger names.
 * - The wall clock stepped back and forward (a child process whose `Date.now` is offset).
 * - logrotate renaming and deleting a file a watched and a plain file handler write.
 * - A handler idle for long stretches, then a burst, then the end of the script.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { FemtoFileHandler, FemtoRotatingFileHandler, FemtoWatchedFileHandler, getLogger } from "../src/index.ts"
import { Warner } from "../src/internal/warner.ts"
import { packageDir, runModule } from "./utils/child.ts"
import { listDir, readLines, removeTempDirs, tempDir } from "./utils/files.ts"

afterAll(() => removeTempDirs())

interface WeekCase {
  readonly tz: string
  readonly when: string
  readonly interval?: number
  readonly utc: boolean
  readonly atTime: readonly [number, number, number] | null
  readonly backupCount: number
  /** Start, epoch seconds. */
  readonly t0: number
  readonly step: number
  readonly steps: number
}

/** The final directory: file name -> text. */
type Files = Record<string, string>

const STEP = 1200
const STEPS = (8 * 86_400) / STEP

/** Starts (UTC) a few days before each 2024 DST change, mid-afternoon or morning local time. */
const starts: Record<string, ReadonlyArray<string>> = {
  // New York: 10 Mar 02:00 -> 03:00, 3 Nov 02:00 -> 01:00.
  "America/New_York": ["2024-03-06T17:07:00Z", "2024-10-30T17:07:00Z"],
  // London: 31 Mar 01:00 -> 02:00, 27 Oct 02:00 -> 01:00.
  "Europe/London": ["2024-03-27T17:07:00Z", "2024-10-23T17:07:00Z"],
  // Lord Howe: 7 Apr 02:00 -> 01:30, 6 Oct 02:00 -> 02:30.
  "Australia/Lord_Howe": ["2024-04-03T05:07:00Z", "2024-10-02T05:07:00Z"]
}

/** CPython's handler through the same instants, and the zoneinfo model of local daily and weekly schedules. */
const pythonScript = String.raw`
import datetime, json, os, sys, tempfile, time, logging
import logging.handlers as H
from zoneinfo import ZoneInfo
now = [0]
H.time.time = lambda: now[0]
cases = json.load(open(sys.argv[1]))

def cpython(c):
    os.environ["TZ"] = c["tz"]
    time.tzset()
    d = tempfile.mkdtemp()
    base = os.path.join(d, "app.log")
    at = None if c["atTime"] is None else datetime.time(*c["atTime"])
    h = H.TimedRotatingFileHandler(base, when=c["when"], interval=c.get("interval", 1), utc=c["utc"], atTime=at, backupCount=c["backupCount"])
    h.setFormatter(logging.Formatter("%(message)s"))
    h.rolloverAt = h.computeRollover(c["t0"])
    for i in range(c["steps"]):
        now[0] = c["t0"] + i * c["step"]
        h.handle(logging.makeLogRecord({"msg": str(now[0])}))
    h.close()
    files = {}
    for f in sorted(os.listdir(d)):
        with open(os.path.join(d, f)) as fh:
            files[f] = fh.read()
        os.remove(os.path.join(d, f))
    os.rmdir(d)
    return files

def model(c):
    # Ours: MIDNIGHT at atTime (00:00 by default) every local day; Wn (0 = Monday) at atTime that
    # weekday. The first rollover is the first trigger after t0; each backup is named after the
    # calendar day one period (1 or 7 days) before its rollover's local date.
    tz = ZoneInfo(c["tz"])
    at = datetime.time(*(c["atTime"] or (0, 0, 0)))
    weekly = c["when"].upper().startswith("W")
    days = 7 if weekly else 1
    times = [c["t0"] + i * c["step"] for i in range(c["steps"])]
    first = datetime.datetime.fromtimestamp(times[0], tz).date() - datetime.timedelta(days=1)
    last = datetime.datetime.fromtimestamp(times[-1], tz).date() + datetime.timedelta(days=8)
    triggers = []
    d = first
    while d <= last:
        if not weekly or d.weekday() == int(c["when"][1]):
            wall = datetime.datetime.combine(d, at, tzinfo=tz)
            ts = wall.timestamp()
            back = datetime.datetime.fromtimestamp(ts, tz)
            if (back.date(), back.time()) != (d, at):
                return None  # atTime skipped by a spring-forward on this day: not modelled
            if ts > times[0]:
                triggers.append((ts, (d - datetime.timedelta(days=days)).isoformat()))
        d += datetime.timedelta(days=1)
    files, live, k = {}, [], 0
    for t in times:
        if k < len(triggers) and t >= triggers[k][0]:
            files["app.log." + triggers[k][1]] = "".join(live)
            live = []
            k += 1
        live.append("%d\n" % t)
    files["app.log"] = "".join(live)
    backups = sorted(n for n in files if n != "app.log")
    if c["backupCount"] > 0:
        for n in backups[:max(0, len(backups) - c["backupCount"])]:
            del files[n]
    return dict(sorted(files.items()))

print(json.dumps({"version": sys.version_info[:2], "cpython": [cpython(c) for c in cases], "model": [model(c) if c["model"] else None for c in cases]}))
`

/** Ours, in a child process with TZ set: the Effect face's handler under TestClock. */
const oursScript = String.raw`
import * as Effect from "effect/Effect"
import * as TestClock from "effect/testing/TestClock"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Handler, LogRecord, TimedRotatingFileHandler } from "femtologging"

const cases = JSON.parse(fs.readFileSync(process.argv[1], "utf8"))
const pad = (n) => String(n).padStart(2, "0")
const options = (c) => {
  const base = { utc: c.utc, backupCount: c.backupCount, interval: c.interval ?? 1, formatter: (r) => r.message }
  // CPython's Wn without atTime rolls over as day n ends: ours W(n+1) at 00:00.
  if (c.cpythonWeekday) return { ...base, when: "W" + ((Number(c.when[1]) + 1) % 7), atTime: "00:00" }
  return { ...base, when: c.when, ...(c.atTime === null ? {} : { atTime: c.atTime.map(pad).join(":") }) }
}
const one = (c) => Effect.scoped(Effect.gen(function*() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "femto-week-"))
  const file = path.join(dir, "app.log")
  yield* TestClock.setTime(c.t0 * 1000)
  const h = yield* TimedRotatingFileHandler.make(file, options(c))
  let rotations = 0
  let at = h.rolloverAt
  for (let i = 0; i < c.steps; i++) {
    const t = c.t0 + i * c.step
    yield* TestClock.setTime(t * 1000)
    yield* Handler.handle(h, LogRecord.make({ logger: "week", level: "INFO", message: String(t) }))
    if (!(yield* Handler.flush(h))) throw new Error("flush failed at " + t)
    if (h.rolloverAt !== at) rotations++
    if (h.rolloverAt <= t * 1000) throw new Error("next rollover not after now at " + t)
    at = h.rolloverAt
  }
  return { dir, written: h.getWritten(), dropped: h.getDropped(), rotations }
})).pipe(Effect.map(({ dir, ...counts }) => {
  const files = {}
  for (const f of fs.readdirSync(dir).sort()) files[f] = fs.readFileSync(path.join(dir, f), "utf8")
  fs.rmSync(dir, { recursive: true, force: true })
  return { files, ...counts }
}), Effect.provide(TestClock.layer()))
const out = []
for (const c of cases) out.push(await Effect.runPromise(one(c)))
fs.writeFileSync(process.argv[1] + ".out", JSON.stringify(out))
`

interface Ours {
  readonly files: Files
  readonly written: number
  readonly dropped: number
  readonly rotations: number
}

type Kind = "cpython" | "model" | "invariants"

const weekCases = (tz: string): Array<WeekCase & { readonly kind: Kind; readonly model: boolean; readonly cpythonWeekday?: boolean }> => {
  const out: Array<WeekCase & { readonly kind: Kind; readonly model: boolean; readonly cpythonWeekday?: boolean }> = []
  for (const start of starts[tz]!) {
    const t0 = Date.parse(start) / 1000
    const common = { tz, t0, step: STEP, steps: STEPS }
    // backupCount 0 keeps every backup (each period compared); 3 prunes.
    for (const backupCount of [0, 3]) {
      const all = backupCount === 0
      // UTC: CPython's own handler is the oracle for every schedule.
      for (const [when, atTime, interval] of [
        ["MIDNIGHT", null, 1], ["midnight", [2, 15, 0], 1], ["H", null, 1], ["W3", [2, 30, 0], 1],
        ...(all ? [["MIDNIGHT", [23, 30, 0], 1], ["D", null, 1], ["M", null, 30], ["S", null, 7200], ["W0", null, 1], ["w6", null, 1]] as const : [])
      ] as const) {
        const weekday = /^w[0-6]$/i.test(when) && atTime === null
        out.push({ ...common, when, interval, utc: true, atTime, backupCount, kind: "cpython", model: false, ...(weekday ? { cpythonWeekday: true } : {}) })
      }
      // Local daily: CPython is right in one-hour DST zones (not for an atTime a spring-forward skips).
      if (tz !== "Australia/Lord_Howe") {
        for (const atTime of all ? [null, [23, 30, 0], [12, 0, 0]] as const : [null] as const) {
          out.push({ ...common, when: "MIDNIGHT", utc: false, atTime, backupCount, kind: "cpython", model: false })
        }
        if (all) out.push({ ...common, when: "D", utc: false, atTime: null, backupCount, kind: "cpython", model: false })
      }
      // Local daily and weekly, every zone: the zoneinfo model (CPython 3.11 corrects weekly
      // rollovers across a change twice, and by an hour where DST is 30 minutes).
      for (const atTime of all ? [null, [23, 30, 0], [1, 45, 0], [2, 15, 0]] as const : [[1, 45, 0]] as const) {
        out.push({ ...common, when: "MIDNIGHT", utc: false, atTime, backupCount, kind: "model", model: true })
      }
      for (let day = 0; day < 7; day++) {
        if (all || day === 6) out.push({ ...common, when: `W${day}`, utc: false, atTime: [0, 0, 0], backupCount, kind: "model", model: true })
        if (all && day % 2 === 0) out.push({ ...common, when: `W${day}`, utc: false, atTime: [1, 45, 0], backupCount, kind: "model", model: true })
      }
      // Local fixed periods (S/M/H): no oracle names a repeated wall-clock hour; the invariants.
      for (const [when, interval] of all ? [["H", 1], ["M", 30], ["H", 3]] as const : [["H", 1]] as const) {
        out.push({ ...common, when, interval, utc: false, atTime: null, backupCount, kind: "invariants", model: false })
      }
    }
  }
  return out
}

const show = (c: WeekCase) =>
  `${c.tz} when=${c.when}${c.interval !== undefined && c.interval !== 1 ? `x${c.interval}` : ""} utc=${c.utc} atTime=${JSON.stringify(c.atTime)} backupCount=${c.backupCount} t0=${new Date(c.t0 * 1000).toISOString()}`

const diff = (theirs: Files, mine: Files): string => {
  const keys = [...new Set([...Object.keys(theirs), ...Object.keys(mine)])].sort().filter((k) => theirs[k] !== mine[k])
  const span = (text: string | undefined) => {
    if (text === undefined) return "absent"
    const ls = text.split("\n").filter((l) => l !== "")
    return ls.length === 0 ? "empty" : `${ls.length} lines ${new Date(Number(ls[0]) * 1000).toISOString()}..${new Date(Number(ls.at(-1)) * 1000).toISOString()}`
  }
  return keys.slice(0, 4).map((k) => `    ${k}: expected ${span(theirs[k])}, ours ${span(mine[k])}`).join("\n")
}

describe("ProductionWeek: timed rotation over eight days around DST changes (TZ set in child processes)", () => {
  for (const tz of Object.keys(starts)) {
    it(`${tz}: CPython's names and contents (UTC; local daily), the zoneinfo model (local daily and weekly), nothing lost`, async () => {
      const dir = tempDir()
      const cases = weekCases(tz)
      const input = path.join(dir, "cases.json")
      fs.writeFileSync(input, JSON.stringify(cases))
      const py = spawnSync("python3", ["-c", pythonScript, input], { encoding: "utf8", maxBuffer: 1 << 28 })
      assert.strictEqual(py.status, 0, py.stderr)
      const oracle = JSON.parse(py.stdout) as { cpython: Array<Files>; model: Array<Files | null> }
      const child = await runModule(oursScript, { args: [input], env: { TZ: tz }, timeoutMs: 60_000 })
      assert.strictEqual(child.code, 0, child.stderr)
      const ours = JSON.parse(fs.readFileSync(`${input}.out`, "utf8")) as Array<Ours>
      const mismatches: Array<string> = []
      const compared: Record<Kind, number> = { cpython: 0, model: 0, invariants: 0 }
      for (let i = 0; i < cases.length; i++) {
        const c = cases[i]!
        const mine = ours[i]!
        // Every record written once, in order, whatever the schedule; no rotation at each write.
        // (Files in the order of their records: local names of a repeated hour do not sort in time.)
        const all = Object.values(mine.files).map((text) => text.split("\n").filter((l) => l !== "").map(Number))
          .sort((a, b) => (a[0] ?? Infinity) - (b[0] ?? Infinity)).flat()
        // Pruned backups take the oldest records: what is left is the newest, without a gap.
        const kept = Array.from({ length: c.steps }, (_, k) => c.t0 + k * c.step).slice(c.steps - all.length)
        if (mine.written !== c.steps || mine.dropped !== 0 || JSON.stringify(all) !== JSON.stringify(kept) ||
          (c.backupCount === 0 && all.length !== c.steps)) {
          mismatches.push(`${show(c)}: written ${mine.written}, dropped ${mine.dropped}, ${all.length} lines, not all once in order`)
        }
        const periodsMs = c.when.toUpperCase().startsWith("W") ? 7 * 86_400 : c.when === "H" ? 3600 * (c.interval ?? 1) : c.when === "M" ? 60 * (c.interval ?? 1) : c.when === "S" ? (c.interval ?? 1) : 86_400
        if (mine.rotations > Math.ceil((c.steps * c.step) / periodsMs) + 1) mismatches.push(`${show(c)}: ${mine.rotations} rotations`)
        const expected = c.kind === "cpython" ? oracle.cpython[i]! : c.kind === "model" ? oracle.model[i] : undefined
        if (c.kind === "model" && expected === null) continue // atTime skipped by a spring-forward in this zone
        compared[c.kind]++
        if (expected !== undefined && expected !== null && JSON.stringify(expected) !== JSON.stringify(mine.files)) {
          mismatches.push(`${show(c)} (${c.kind})\n${diff(expected, mine.files)}`)
        }
      }
      assert.deepStrictEqual(mismatches.slice(0, 6), [], `${mismatches.length} of ${cases.length} cases differ`)
      assert.isAtLeast(compared.cpython, tz === "Australia/Lord_Howe" ? 28 : 38)
      assert.isAtLeast(compared.model, 30)
    }, 120_000)
  }
})

/** `<path>.N` … `.1`, then `<path>`: the order size rotation leaves records in. */
/** A child script's lines that make its `Date.now` the wall clock plus `offset`, which it sets back to step it. */
const steppableClock = `
      const realNow = Date.now
      let offset = 0
      Date.now = () => realNow() + offset`

/**
 * Runs a child script that writes "MARK stepped back" and "MARK end" on stderr around a step of
 * its wall clock, and asserts that it ended with 0 and that exactly one report matching `report`
 * came before the step and one after it (not held back for the length of the step).
 */
const assertReportedEachSide = async (script: string, report: RegExp, args?: ReadonlyArray<string>): Promise<void> => {
  const child = await runModule(script, { args, timeoutMs: 20_000 })
  assert.strictEqual(child.code, 0, child.stderr)
  const lines = child.stderr.split("\n").filter((l) => l !== "")
  const back = lines.indexOf("MARK stepped back")
  const end = lines.indexOf("MARK end")
  assert.isAbove(back, -1, child.stderr)
  const reports = (from: number, to: number) => lines.slice(from, to).filter((l) => report.test(l)).length
  assert.strictEqual(reports(0, back), 1, child.stderr)
  assert.strictEqual(reports(back, end), 1, child.stderr)
}

const sizeOrder = (dir: string, base: string): Array<string> =>
  listDir(dir).filter((n) => n === base || /^\d+$/.test(n.slice(base.length + 1)) && n.startsWith(`${base}.`))
    .sort((a, b) => (b === base ? -1 : a === base ? 1 : Number(b.slice(base.length + 1)) - Number(a.slice(base.length + 1))))

describe("ProductionWeek: a size-rotating handler on a worker thread under sustained load", () => {
  const run = async (records: number, maxBytes: number, backupCount: number, big: number) => {
    const dir = tempDir()
    const file = path.join(dir, "app.log")
    const h = new FemtoRotatingFileHandler(file, { executor: "worker", maxBytes, backupCount, formatter: (r) => r.message })
    const log = getLogger(`week.size.${backupCount}`)
    log.propagate = false
    log.addHandler(h)
    try {
      for (let i = 0; i < records; i++) {
        log.info(i === big ? `${i} ${"x".repeat(maxBytes * 2)}` : `${i} ${"y".repeat((i * 7) % 101)}`)
        if (i % 2_000 === 0) await new Promise((resolve) => setImmediate(resolve))
      }
    } finally {
      await h.close()
      log.removeHandler(h)
    }
    const files = sizeOrder(dir, "app.log")
    return {
      h,
      files,
      sizes: files.map((n) => fs.statSync(path.join(dir, n)).size),
      contents: files.map((n) => readLines(path.join(dir, n)).map((l) => Number(l.split(" ")[0])))
    }
  }

  it("every backup kept: no file over maxBytes but the one holding the single larger record alone; each record once, in order; getWritten exact", async () => {
    const records = 20_000
    const big = 12_345
    const { contents, files, h, sizes } = await run(records, 8_192, 1_000, big)
    assert.strictEqual(h.getWritten(), records)
    assert.strictEqual(h.getDropped(), 0)
    assert.deepStrictEqual(contents.flat(), Array.from({ length: records }, (_, i) => i))
    assert.isAbove(files.length, 100)
    const over = sizes.flatMap((size, k) => (size > 8_192 ? [k] : []))
    assert.deepStrictEqual(over.map((k) => contents[k]), [[big]])
    // No file was rotated early: each one and the next record would have passed maxBytes.
    for (let k = 0; k + 1 < files.length; k++) {
      if (contents[k + 1]![0] === big || contents[k]![0] === big) continue
      const next = Buffer.byteLength(`${contents[k + 1]![0]} ${"y".repeat((contents[k + 1]![0]! * 7) % 101)}\n`)
      assert.isAbove(sizes[k]! + next, 8_192, files[k])
    }
  }, 60_000)

  it("backupCount 3: four files, the newest records without a gap, the oldest pruned", async () => {
    const records = 50_000
    const { contents, files, h, sizes } = await run(records, 16_384, 3, -1)
    assert.strictEqual(h.getWritten(), records)
    assert.deepStrictEqual(files, ["app.log.3", "app.log.2", "app.log.1", "app.log"])
    assert.isTrue(sizes.every((s) => s <= 16_384))
    const kept = contents.flat()
    assert.deepStrictEqual(kept, Array.from({ length: kept.length }, (_, i) => records - kept.length + i))
  }, 60_000)
})

describe("ProductionWeek: per-request logger names", () => {
  it("getLogger(`req.${id}`) for 100,000 ids, each logging once: under 1 KB of heap each once idle, every line written", async () => {
    const dir = tempDir()
    const script = String.raw`
      import { FemtoFileHandler, getLogger } from "femtologging"
      import * as fs from "node:fs"
      const file = process.argv[1]
      const h = new FemtoFileHandler(file, { formatter: (r) => r.logger + " " + r.message })
      getLogger().addHandler(h)
      const N = 100_000
      const heap = () => { globalThis.gc(); globalThis.gc(); return process.memoryUsage().heapUsed }
      getLogger("req.warm").info("warm")
      await h.flush()
      const before = heap()
      for (let i = 0; i < N; i++) {
        getLogger("req." + i).info("handled", { id: i })
        if (i % 1000 === 0) await new Promise((r) => setImmediate(r))
      }
      await h.flush()
      const perLogger = (heap() - before) / N
      await h.close()
      console.log(JSON.stringify({ perLogger, written: h.getWritten(), dropped: h.getDropped() }))
    `
    const file = path.join(dir, "req.log")
    const child = await runModule(script, { args: [file], env: { NODE_OPTIONS: "--expose-gc" }, timeoutMs: 60_000 })
    assert.strictEqual(child.code, 0, child.stderr)
    const out = JSON.parse(child.stdout) as { perLogger: number; written: number; dropped: number }
    // The README: an idle logger holds no queue and no fiber, about 0.5 KB (measured: ~0.65 KB
    // once it has logged, with its cached routing).
    assert.isBelow(out.perLogger, 1_024)
    assert.strictEqual(out.written, 100_001)
    assert.strictEqual(out.dropped, 0)
    const lines = readLines(file)
    assert.strictEqual(lines.length, 100_001)
    assert.strictEqual(lines[100_000], "req.99999 handled")
  }, 60_000)
})

describe("ProductionWeek: the wall clock stepped back and forward (NTP, a VM resumed)", () => {
  it("records follow the wall clock within milliseconds; timed rotation happens once per boundary, never at each write", async () => {
    const dir = tempDir()
    const script = String.raw`
      const realNow = Date.now
      let offset = -86_400_000 // a day behind the file's mtime: the first rollover comes from the clock
      Date.now = () => realNow() + offset
      const { FemtoTimedRotatingFileHandler, getLogger } = await import("femtologging")
      const fs = await import("node:fs")
      const file = process.argv[1]
      const h = new FemtoTimedRotatingFileHandler(file, { when: "H", utc: true, formatter: (r) => Math.round(r.timestampNs / 1e6) + " " + r.message })
      const log = getLogger("clock")
      log.addHandler(h)
      const burst = async (label, n) => {
        for (let i = 0; i < n; i++) log.info(label + " " + Date.now())
        await h.flush()
        await new Promise((r) => setTimeout(r, 3))
      }
      const steps = []
      const mark = async (label) => { await burst(label, 50); steps.push([label, fs.readdirSync(process.argv[2]).length]) }
      await mark("start")
      offset += 3_600_000 + 1_000; await mark("past-boundary")     // rotation 1
      offset -= 2 * 3_600_000; await mark("stepped-back-2h")      // no rotation
      offset += 10 * 60_000; await mark("still-back")             // no rotation
      offset += 3 * 3_600_000; await mark("forward-3h")           // rotation 2
      offset -= 1_000; await mark("back-1s")                      // no rotation
      await mark("steady")
      await h.close()
      console.log(JSON.stringify(steps))
    `
    const logs = path.join(dir, "logs")
    fs.mkdirSync(logs)
    const file = path.join(logs, "app.log")
    const child = await runModule(script, { args: [file, logs], timeoutMs: 30_000 })
    assert.strictEqual(child.code, 0, child.stderr)
    assert.strictEqual(child.stderr, "")
    assert.deepStrictEqual(JSON.parse(child.stdout), [
      ["start", 1], ["past-boundary", 2], ["stepped-back-2h", 2], ["still-back", 2], ["forward-3h", 3], ["back-1s", 3], ["steady", 3]
    ])
    const names = listDir(logs)
    assert.strictEqual(names.length, 3)
    const lines = names.sort((a, b) => (a === "app.log" ? 1 : b === "app.log" ? -1 : a < b ? -1 : 1)).flatMap((n) => readLines(path.join(logs, n)))
    assert.strictEqual(lines.length, 7 * 50)
    // Each record's time is the wall clock (stepped) when it was logged, within a few ms.
    const off = lines.map((l) => {
      const [stamp, , called] = l.split(" ")
      return Math.abs(Number(stamp) - Number(called))
    })
    assert.isBelow(Math.max(...off), 5)
    // In the order logged, by file: start | past-boundary, stepped back, still back | forward…
    assert.deepStrictEqual(names.map((n) => [...new Set(readLines(path.join(logs, n)).map((l) => l.split(" ")[1]))]), [
      ["start"], ["past-boundary", "stepped-back-2h", "still-back"], ["forward-3h", "back-1s", "steady"]
    ])
  }, 30_000)
})

describe("ProductionWeek: logrotate (create) while a watched and a plain file handler write", () => {
  /**
   * What logrotate's `create` does (with `missingok`): rename, then create the path unless the
   * application already has.
   */
  const logrotate = (file: string, n: number): void => {
    if (!fs.existsSync(file)) return
    fs.renameSync(file, `${file}.${n}`)
    try {
      fs.closeSync(fs.openSync(file, "wx"))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
    }
  }

  for (const executor of ["inline", "worker"] as const) {
    it(`${executor}: five rotations and a deletion under load: the watched handler follows, the plain one after reopen(); every line once`, async () => {
      const dir = tempDir()
      const watchedFile = path.join(dir, "watched.log")
      const plainFile = path.join(dir, "plain.log")
      const watched = new FemtoWatchedFileHandler(watchedFile, { executor, formatter: (r) => r.message })
      const plain = new FemtoFileHandler(plainFile, { executor, formatter: (r) => r.message })
      const log = getLogger(`week.logrotate.${executor}`)
      log.propagate = false
      log.addHandler(watched)
      log.addHandler(plain)
      let next = 0
      const burst = async (n: number) => {
        for (let i = 0; i < n; i++) {
          log.info(String(next++))
          if (i % 500 === 499) await new Promise((resolve) => setImmediate(resolve))
        }
      }
      let deleted: Array<number> = []
      try {
        for (let k = 1; k <= 5; k++) {
          await burst(2_000)
          logrotate(watchedFile, k) // no postrotate for the watched handler
          logrotate(plainFile, k)
          await burst(300) // the plain handler goes on in the renamed file until reopen()
          plain.reopen() // postrotate: kill -HUP
          if (k === 3) {
            // Someone deletes the live watched file: what it held is gone, the rest goes on.
            assert.isTrue(await watched.flush())
            deleted = readLines(watchedFile).map(Number)
            fs.unlinkSync(watchedFile)
          }
        }
        await burst(1_000)
      } finally {
        await watched.close()
        await plain.close()
      }
      const total = next
      const all = (base: string) =>
        listDir(dir).filter((n) => n.startsWith(base)).flatMap((n) => readLines(path.join(dir, n)).map(Number)).sort((a, b) => a - b)
      assert.deepStrictEqual(all("plain.log"), Array.from({ length: total }, (_, i) => i))
      assert.isAbove(deleted.length, 0)
      const gone = new Set(deleted)
      assert.deepStrictEqual(all("watched.log"), Array.from({ length: total }, (_, i) => i).filter((i) => !gone.has(i)))
      // reopen() writes out what was queued first: the plain live file holds exactly what followed
      // it; the watched one what followed the rename, and what was still queued then.
      const tail = (n: number) => Array.from({ length: n }, (_, i) => total - n + i)
      assert.deepStrictEqual(readLines(plainFile).map(Number), tail(1_000))
      assert.deepStrictEqual(readLines(watchedFile).map(Number).slice(-1_300), tail(1_300))
      assert.strictEqual(watched.getWritten(), total)
      assert.strictEqual(plain.getWritten(), total)
      assert.strictEqual(watched.getDropped() + plain.getDropped(), 0)
    }, 30_000)
  }
})

describe("ProductionWeek: idle for long stretches, then a burst, then the end of the script", () => {
  for (const executor of ["inline", "worker"] as const) {
    it(`${executor}: no timer keeps the process alive (flushAfterMs 60 s), and the end drains the burst`, async () => {
      const dir = tempDir()
      const script = String.raw`
        import { FemtoFileHandler, FemtoRotatingFileHandler, FemtoTimedRotatingFileHandler, getLogger } from "femtologging"
        const [dir, executor] = process.argv.slice(1)
        const common = { executor, flushInterval: 64, flushAfterMs: 60_000, formatter: (r) => r.message }
        const log = getLogger("idle")
        log.addHandler(new FemtoFileHandler(dir + "/plain.log", common))
        log.addHandler(new FemtoRotatingFileHandler(dir + "/size.log", { ...common, maxBytes: 1 << 20, backupCount: 2 }))
        log.addHandler(new FemtoTimedRotatingFileHandler(dir + "/timed.log", { ...common, when: "MIDNIGHT" }))
        log.info("first")
        // Idle stretches between short bursts; the last burst is left buffered (under flushInterval).
        let round = 0
        const tick = () => {
          for (let i = 0; i < 1_000 + 37; i++) log.info("round " + round + " " + i)
          if (++round < 3) setTimeout(tick, 400)
        }
        setTimeout(tick, 400)
      `
      const started = Date.now()
      const child = await runModule(script, { args: [dir, executor], timeoutMs: 20_000 })
      const took = Date.now() - started
      assert.strictEqual(child.code, 0, child.stderr)
      assert.strictEqual(child.stderr, "")
      assert.isBelow(took, 10_000) // not the 60 s of flushAfterMs
      for (const name of ["plain.log", "size.log", "timed.log"]) {
        const lines = readLines(path.join(dir, name))
        assert.strictEqual(lines.length, 1 + 3 * 1_037, name)
        assert.strictEqual(lines.at(-1), "round 2 1036", name)
      }
    }, 30_000)
  }
})

describe("ProductionWeek: drop reports after the wall clock is stepped back", () => {
  it("the next drop is reported at once, not held until the clock has caught up with the step (an hour)", async () => {
    const script = String.raw`
      ${steppableClock}
      const { FemtoStreamHandler, getLogger } = await import("femtologging")
      const h = new FemtoStreamHandler({ target: "stdout", policy: "drop", capacity: 4, formatter: (r) => r.message })
      const log = getLogger("clock.drops")
      log.addHandler(h)
      const flood = (label) => { for (let i = 0; i < 20; i++) log.info(label + " " + i) }
      flood("a")
      await new Promise((r) => setTimeout(r, 20))
      process.stderr.write("MARK stepped back\n")
      offset -= 3_600_000
      flood("b")
      await new Promise((r) => setTimeout(r, 50))
      process.stderr.write("MARK end\n")
    `
    // Before: the second held back until the wall clock passed the first report again, an hour
    // later (or exit).
    await assertReportedEachSide(script, /dropped \d+ record/)
  }, 30_000)

  it("a report held back when the clock is stepped back goes out when its interval ends, not the step later", async () => {
    let now = 1_700_000_000_000
    const lines: Array<string> = []
    const warner = new Warner("w", 30, () => now, (line) => lines.push(line))
    warner.drop() // reported at once
    warner.drop() // held back: its timer is armed for the rest of the 30 ms
    now -= 3_600_000
    await new Promise((resolve) => setTimeout(resolve, 120))
    // Before: the timer found the interval not over by the stepped clock and waited an hour more.
    assert.strictEqual(lines.length, 2)
    warner.flush()
  })
})

describe("ProductionWeek: reports of a rotation that keeps failing, after the wall clock is stepped back", () => {
  it("the next failure is reported at once, not held back for the length of the step", async () => {
    const dir = tempDir()
    const file = path.join(dir, "app.log")
    // `<path>.1` a non-empty directory: every size rotation fails (reported), writing goes on.
    fs.mkdirSync(`${file}.1`)
    fs.writeFileSync(path.join(`${file}.1`, "keep"), "")
    const script = String.raw`
      ${steppableClock}
      const { FemtoRotatingFileHandler, getLogger } = await import("femtologging")
      const h = new FemtoRotatingFileHandler(process.argv[1], { maxBytes: 100, backupCount: 1, formatter: (r) => r.message })
      const log = getLogger("clock.rotation")
      log.addHandler(h)
      const fill = async (label) => { for (let i = 0; i < 40; i++) { log.info(label + " " + "z".repeat(40)); await h.flush() } }
      await fill("a")
      process.stderr.write("MARK stepped back\n")
      offset -= 3_600_000
      await fill("b")
      process.stderr.write("MARK end\n")
      await h.close()
    `
    await assertReportedEachSide(script, /rotation of/, [file])
    assert.strictEqual(readLines(file).length, 80)
  }, 30_000)
})

describe("ProductionWeek: a worker's file sink reports (its own rate limit), after the wall clock is stepped back", () => {
  it("the next rotation failure is reported at once, not held back for the length of the step", async () => {
    const dir = tempDir()
    const file = path.join(dir, "app.log")
    fs.mkdirSync(`${file}.1`)
    fs.writeFileSync(path.join(`${file}.1`, "keep"), "")
    // The sink as a worker thread runs it (no reporter given: its own stderr reporter), in a child
    // whose Date.now is offset.
    const sinkModule = path.join(packageDir, "dist", "internal", "fileSink.js")
    const script = String.raw`
      ${steppableClock}
      const { makeFileSink } = await import(process.argv[2])
      const sink = makeFileSink({ path: process.argv[1], rotation: { kind: "size", maxBytes: 100, backupCount: 1 } })
      const record = new TextEncoder().encode("z".repeat(40) + "\n")
      const fill = () => { for (let i = 0; i < 40; i++) sink.write(record, Uint32Array.of(record.length)) }
      fill()
      process.stderr.write("MARK stepped back\n")
      offset -= 3_600_000
      fill()
      process.stderr.write("MARK end\n")
      await sink.close()
    `
    await assertReportedEachSide(script, /rotation of/, [file, sinkModule])
    assert.strictEqual(readLines(file).length, 80)
  }, 30_000)
})

describe("ProductionWeek: a worker sink's failure reports, after the worker's wall clock is stepped back", () => {
  it("the next failure is reported at once, not held back for the length of the step", async () => {
    const dir = tempDir()
    // A sink module that fails every write and, on a record saying STEP, sets its thread's clock back.
    const sink = path.join(dir, "stepping-sink.mjs")
    fs.writeFileSync(sink, `
      ${steppableClock}
      export default () => ({
        write: (batch) => {
          if (new TextDecoder().decode(batch).includes("STEP")) offset -= 3_600_000
          throw new Error("this sink cannot write")
        },
        flush: () => true
      })
    `)
    const script = String.raw`
      const { FemtoWorkerHandler, getLogger } = await import("femtologging")
      const h = new FemtoWorkerHandler({ module: process.argv[1], formatter: (r) => r.message })
      const log = getLogger("clock.worker")
      log.addHandler(h)
      for (let i = 0; i < 5; i++) { log.info("a " + i); await h.flush() }
      process.stderr.write("MARK stepped back\n")
      log.info("STEP")
      await h.flush()
      for (let i = 0; i < 5; i++) { log.info("b " + i); await h.flush() }
      await new Promise((r) => setTimeout(r, 50))
      process.stderr.write("MARK end\n")
      await h.close()
    `
    await assertReportedEachSide(script, /sink write failed/, [sink])
  }, 30_000)
})

describe("ProductionWeek: a socket handler's connection reports, after the wall clock is stepped back", () => {
  it("the next failed connection is reported at once, not held back for the length of the step", async () => {
    const script = String.raw`
      import * as net from "node:net"
      ${steppableClock}
      const { FemtoSocketHandler, getLogger } = await import("femtologging")
      // A port nobody listens on.
      const server = net.createServer()
      await new Promise((r) => server.listen(0, "127.0.0.1", r))
      const port = server.address().port
      await new Promise((r) => server.close(r))
      const h = new FemtoSocketHandler({ host: "127.0.0.1", port, executor: "inline", flushTimeoutMs: 100, backoff: { baseMs: 10, capMs: 20 } })
      getLogger("clock.socket").addHandler(h)
      getLogger("clock.socket").info("hello")
      await new Promise((r) => setTimeout(r, 150))
      process.stderr.write("MARK stepped back\n")
      offset -= 3_600_000
      await new Promise((r) => setTimeout(r, 150))
      process.stderr.write("MARK end\n")
      await h.close()
    `
    await assertReportedEachSide(script, /cannot connect/)
  }, 30_000)
})
