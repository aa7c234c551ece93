/**
 * Timed rotation against CPython's `logging.handlers.TimedRotatingFileHandler` (python3 as the
 * oracle, its own `computeRollover` and `doRollover` on real files, `time.time` set by the
 * script): the first rollover after a start time, then three rollovers in a row, each at its
 * instant, with the name the backup gets, in several zones with DST (start times around the
 * changes and local midnights), local and UTC. Ours is the real handler under `TestClock`.
 *
 * The cases are those where CPython 3.11 to 3.13 agree and where the README does not document a
 * difference: interval 1 (3.11 ignores `interval` for MIDNIGHT), no start exactly at the trigger
 * (3.11 rolls over at once there, 3.13 a day later), no `atTime` inside a spring-forward gap (ours
 * takes the first minute after the gap), no S/M/H or D period starting in the hour of a DST change
 * in local time (CPython's `doRollover` shifts their suffix by an hour too: names collide), and not
 * Lord Howe (30-minute DST) or Dublin (negative DST), where CPython's one-hour correction is
 * wrong. CPython's Wn without `atTime` rolls over as day n ends, which is ours W(n+1) at 00:00
 * (as `dictConfig` builds it from CPython's class).
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/testing/TestClock"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Handler from "../src/Handler.ts"
import * as LogRecord from "../src/LogRecord.ts"
import * as TimedRotatingFileHandler from "../src/TimedRotatingFileHandler.ts"
import { removeTempDirs, tempDir } from "./utils/files.ts"

afterAll(() => removeTempDirs())

interface Case {
  readonly tz: string
  readonly when: string
  readonly utc: boolean
  readonly atTime: readonly [number, number, number] | null
  /** Start, epoch seconds. */
  readonly t0: number
}

interface Outcome {
  /** The first rollover, epoch seconds. */
  readonly first: number
  /** Each rollover: the backup's suffix and the next rollover. */
  readonly steps: ReadonlyArray<readonly [string | null, number]>
}

const STEPS = 3

const script = String.raw`
import datetime, json, os, sys, tempfile, time
import logging.handlers as H
now = [0]
H.time.time = lambda: now[0]
d = tempfile.mkdtemp()
base = os.path.join(d, "app.log")
out = []
for c in json.load(sys.stdin):
    os.environ["TZ"] = c["tz"]
    time.tzset()
    for f in os.listdir(d):
        os.remove(os.path.join(d, f))
    at = None if c["atTime"] is None else datetime.time(*c["atTime"])
    h = H.TimedRotatingFileHandler(base, when=c["when"], utc=c["utc"], atTime=at, delay=True)
    h.rolloverAt = h.computeRollover(c["t0"])
    res = {"first": h.rolloverAt, "steps": []}
    for i in range(${STEPS}):
        now[0] = h.rolloverAt
        open(base, "w").close()
        before = set(os.listdir(d))
        h.doRollover()
        new = sorted(set(os.listdir(d)) - before - {"app.log"})
        res["steps"].append([new[0][len("app.log."):] if new else None, h.rolloverAt])
    out.append(res)
print(json.dumps({"version": sys.version_info[:2], "outcomes": out}))
`

/** The 2024 DST changes (UTC seconds): London 31 Mar / 27 Oct 01:00Z, New York 10 Mar 07:00Z / 3 Nov 06:00Z. */
const changes: Record<string, ReadonlyArray<number>> = {
  "Europe/London": [Date.UTC(2024, 2, 31, 1) / 1000, Date.UTC(2024, 9, 27, 1) / 1000],
  "America/New_York": [Date.UTC(2024, 2, 10, 7) / 1000, Date.UTC(2024, 10, 3, 6) / 1000],
  "Asia/Kolkata": [Date.UTC(2024, 2, 31, 1) / 1000],
  UTC: [Date.UTC(2024, 1, 29, 0) / 1000]
}

/** Seconds around each change: before, in and after the changed hour, a day before, near midnight. Never on a trigger. */
const offsets = [-86_400 - 1787, -7213, -3587, -1787, -13, 13, 1813, 3587, 7213, 11 * 3600 + 13, 22 * 3600 + 1813]

const hourIn = (tz: string, t: number): number =>
  Number(new Intl.DateTimeFormat("en-GB", { timeZone: tz, hour: "2-digit", hourCycle: "h23" }).format(t * 1000))

const cases = (): Array<Case> => {
  const out: Array<Case> = []
  for (const [tz, points] of Object.entries(changes)) {
    const dst = tz === "Europe/London" || tz === "America/New_York"
    const schedules: Array<Omit<Case, "tz" | "t0">> = []
    for (const utc of [false, true]) {
      const local = !utc && dst
      schedules.push({ when: "MIDNIGHT", utc, atTime: null }, { when: "midnight", utc, atTime: [12, 0, 0] })
      schedules.push({ when: "MIDNIGHT", utc, atTime: [23, 59, 59] }, { when: "W6", utc, atTime: null })
      schedules.push({ when: "w0", utc, atTime: [12, 0, 0] }, { when: "W3", utc, atTime: [0, 0, 0] })
      // 01:30 is skipped in London's spring (ours: 02:00, CPython: 02:30), repeated in New York's autumn.
      if (tz !== "Europe/London") schedules.push({ when: "MIDNIGHT", utc, atTime: [1, 30, 0] }, { when: "W6", utc, atTime: [1, 30, 0] })
      for (const when of ["S", "M", "H", "D"]) schedules.push({ when, utc, atTime: null, ...(local ? { local } : {}) })
    }
    for (const schedule of schedules) {
      for (const point of points) {
        for (const offset of offsets) {
          const t0 = point + offset
          // Fixed-length periods (S/M/H/D) starting by a change or by midnight in local DST time: see above.
          if ("local" in schedule) {
            const hour = hourIn(tz, t0)
            if (schedule.when === "D" ? hour >= 22 || hour <= 2 : offset >= -4 * 3600 && offset <= 3600) continue
          }
          const { local: _, ...rest } = schedule as typeof schedule & { local?: boolean }
          out.push({ tz, ...rest, t0 })
        }
      }
    }
  }
  return out
}

const oracle = (all: ReadonlyArray<Case>): { readonly version: [number, number]; readonly outcomes: ReadonlyArray<Outcome> } => {
  const result = spawnSync("python3", ["-c", script], { input: JSON.stringify(all), encoding: "utf8", maxBuffer: 1 << 26 })
  if (result.status !== 0) throw new Error(`python3 failed: ${result.stderr}`)
  return JSON.parse(result.stdout)
}

/**
 * Before 3.13, CPython computes the first MIDNIGHT rollover (and a Wn one on day n) without its
 * DST correction: when a UTC-offset change comes first, it is an hour off (3.13 corrects it, as
 * ours does). Those cases are compared from 3.13 on only.
 */
const uncorrected = (c: Case, first: number, version: [number, number]): boolean =>
  !c.utc && (version[0] < 3 || (version[0] === 3 && version[1] < 13)) && /^(midnight|w[0-6])$/i.test(c.when) &&
  new Date(c.t0 * 1000).getTimezoneOffset() !== new Date(first * 1000).getTimezoneOffset()

const pad = (n: number) => String(n).padStart(2, "0")

/** Ours: CPython's Wn without atTime is W(n+1) at 00:00 (dictConfig's mapping); atTime as "HH:MM:SS". */
const options = (c: Case): TimedRotatingFileHandler.TimedRotatingFileHandlerOptions => {
  const weekly = /^[wW][0-6]$/.test(c.when)
  if (weekly && c.atTime === null) return { when: `W${(Number(c.when[1]) + 1) % 7}`, atTime: "00:00", utc: c.utc }
  return {
    when: c.when,
    utc: c.utc,
    ...(c.atTime === null ? {} : { atTime: c.atTime.map(pad).join(":") })
  }
}

const ours = (c: Case) =>
  Effect.scoped(Effect.gen(function*() {
    const dir = tempDir()
    const file = path.join(dir, "app.log")
    yield* TestClock.setTime(c.t0 * 1000)
    const h = yield* TimedRotatingFileHandler.make(file, options(c))
    const first = h.rolloverAt / 1000
    const steps: Array<readonly [string | null, number]> = []
    for (let i = 0; i < STEPS; i++) {
      yield* TestClock.setTime(h.rolloverAt)
      const before = new Set(fs.readdirSync(dir))
      yield* Handler.handle(h, LogRecord.make({ logger: "timed", level: "INFO", message: `step ${i}` }))
      assert.isTrue(yield* Handler.flush(h))
      const added = fs.readdirSync(dir).filter((name) => !before.has(name)).sort()
      steps.push([added.length === 0 ? null : added[0]!.slice("app.log.".length), h.rolloverAt / 1000])
    }
    fs.rmSync(dir, { recursive: true, force: true })
    return { first, steps } satisfies Outcome
  }))

const show = (c: Case) => `${c.tz} when=${c.when} utc=${c.utc} atTime=${JSON.stringify(c.atTime)} t0=${new Date(c.t0 * 1000).toISOString()}`

describe("FemtoTimedRotatingFileHandler against CPython's TimedRotatingFileHandler", () => {
  it.effect("the same rollover instants and backup names, local and UTC, across DST changes", () =>
    Effect.gen(function*() {
      const all = cases()
      const { outcomes: theirs, version } = oracle(all)
      assert.strictEqual(theirs.length, all.length)
      let compared = 0
      const saved = process.env["TZ"]
      const mismatches: Array<string> = []
      try {
        for (let i = 0; i < all.length; i++) {
          const c = all[i]!
          process.env["TZ"] = c.tz
          if (uncorrected(c, theirs[i]!.first, version)) continue
          compared++
          const mine = yield* ours(c)
          if (JSON.stringify(mine) !== JSON.stringify(theirs[i])) {
            mismatches.push(`${show(c)}\n  CPython: ${JSON.stringify(theirs[i])}\n  ours:    ${JSON.stringify(mine)}`)
          }
        }
      } finally {
        if (saved === undefined) delete process.env["TZ"]
        else process.env["TZ"] = saved
      }
      assert.deepStrictEqual(mismatches.slice(0, 5), [], `${mismatches.length} of ${compared} cases differ`)
      assert.isAbove(compared, 400)
    }), 60_000)
})
