import * as Path from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { strftime } from "../../src/internal/strftime.ts"
import {
  filesToDelete,
  formatSuffix,
  intervalMs,
  makeSchedule,
  nextRollover,
  parseWhen,
  periodStart,
  rolledFileName,
  suffixFormat,
  suffixRegExp
} from "../../src/internal/timedRotation.ts"

const WHEN_MSG = "when must be one of: S, M, H, D, MIDNIGHT, or W0-W6"
const DAY = 86_400_000
const HOUR = 3_600_000

/** Wednesday 2026-01-07 10:30:15 UTC. */
const WED = Date.UTC(2026, 0, 7, 10, 30, 15)

const utc = (when: string, extra: { interval?: number; atTime?: string } = {}) =>
  makeSchedule({ when, utc: true, ...extra })

describe("parseWhen", () => {
  it("accepts every cadence case-insensitively and trims", () => {
    assert.strictEqual(parseWhen("s"), "S")
    assert.strictEqual(parseWhen("m"), "M")
    assert.strictEqual(parseWhen("H"), "H")
    assert.strictEqual(parseWhen(" d "), "D")
    assert.strictEqual(parseWhen("midnight"), "MIDNIGHT")
    assert.strictEqual(parseWhen("MidNight"), "MIDNIGHT")
    assert.strictEqual(parseWhen("w0"), "W0")
    assert.strictEqual(parseWhen("W6"), "W6")
  })

  it("rejects anything else with the upstream message", () => {
    for (const bad of ["", "W7", "W", "W-1", "W00", "fortnight", "HH", "1H", "daily"]) {
      assert.throws(() => parseWhen(bad), `${WHEN_MSG} (got ${bad})`, `input ${JSON.stringify(bad)}`)
    }
  })
})

describe("makeSchedule", () => {
  it("applies defaults", () => {
    assert.deepStrictEqual(makeSchedule({}), { when: "H", interval: 1, utc: false, atTime: undefined })
  })

  it("normalises when and atTime", () => {
    assert.deepStrictEqual(makeSchedule({ when: "midnight", interval: 2, utc: true, atTime: "03:04" }), {
      when: "MIDNIGHT",
      interval: 2,
      utc: true,
      atTime: { hour: 3, minute: 4, second: 0 }
    })
    assert.deepStrictEqual(makeSchedule({ when: "W3", atTime: "23:59:58" }).atTime, {
      hour: 23,
      minute: 59,
      second: 58
    })
    assert.deepStrictEqual(makeSchedule({ when: "D", atTime: { hour: 7 } }).atTime, {
      hour: 7,
      minute: 0,
      second: 0
    })
    assert.deepStrictEqual(makeSchedule({ when: "D", atTime: { hour: 7, minute: 5, second: 9 } }).atTime, {
      hour: 7,
      minute: 5,
      second: 9
    })
  })

  const throwsExactly = (f: () => unknown, message: string) => {
    let caught: unknown
    try {
      f()
    } catch (error) {
      caught = error
    }
    assert.instanceOf(caught, Error)
    assert.strictEqual((caught as Error).message, message)
  }

  it("rejects bad values with the exact messages", () => {
    throwsExactly(() => makeSchedule({ when: "X" }), `${WHEN_MSG} (got X)`)
    throwsExactly(() => makeSchedule({ interval: 0 }), "interval must be greater than zero")
    throwsExactly(() => makeSchedule({ interval: -3 }), "interval must be greater than zero")
    throwsExactly(() => makeSchedule({ interval: 1.5 }), "interval must be greater than zero")
    throwsExactly(() => makeSchedule({ interval: Number.NaN }), "interval must be greater than zero")
    throwsExactly(() => makeSchedule({ when: "W2", interval: 2 }), "weekday rotation only supports interval = 1")
    throwsExactly(
      () => makeSchedule({ atTime: "10:00" }),
      "at_time is only supported for daily, midnight, and weekday rotation (got H)"
    )
    throwsExactly(
      () => makeSchedule({ when: "s", atTime: { hour: 1 } }),
      "at_time is only supported for daily, midnight, and weekday rotation (got S)"
    )
    throwsExactly(
      () => makeSchedule({ when: "m", atTime: "10:00" }),
      "at_time is only supported for daily, midnight, and weekday rotation (got M)"
    )
    throwsExactly(() => makeSchedule({ when: "D", atTime: "24:00" }), "invalid at_time: '24:00'")
    throwsExactly(() => makeSchedule({ when: "D", atTime: "10:60" }), "invalid at_time: '10:60'")
    throwsExactly(() => makeSchedule({ when: "D", atTime: "10" }), "invalid at_time: '10'")
    throwsExactly(() => makeSchedule({ when: "D", atTime: "10:00:00:00" }), "invalid at_time: '10:00:00:00'")
    throwsExactly(() => makeSchedule({ when: "D", atTime: "ten" }), "invalid at_time: 'ten'")
    throwsExactly(() => makeSchedule({ when: "D", atTime: { hour: 25 } }), "invalid at_time: '25:0:0'")
  })

  it("accepts the weekday interval of 1 and atTime undefined", () => {
    assert.strictEqual(makeSchedule({ when: "W0", interval: 1 }).interval, 1)
    assert.strictEqual(makeSchedule({ when: "H", atTime: undefined }).atTime, undefined)
  })
})

describe("intervalMs", () => {
  it("scales each cadence by the interval", () => {
    assert.strictEqual(intervalMs(utc("S", { interval: 7 })), 7000)
    assert.strictEqual(intervalMs(utc("M", { interval: 2 })), 120_000)
    assert.strictEqual(intervalMs(utc("H", { interval: 3 })), 3 * HOUR)
    assert.strictEqual(intervalMs(utc("D", { interval: 2 })), 2 * DAY)
    assert.strictEqual(intervalMs(utc("MIDNIGHT", { interval: 4 })), 4 * DAY)
    assert.strictEqual(intervalMs(utc("W5")), 7 * DAY)
  })
})

describe("nextRollover (UTC)", () => {
  it("adds the interval for S, M, H and D without atTime", () => {
    assert.strictEqual(nextRollover(utc("S"), WED), WED + 1000)
    assert.strictEqual(nextRollover(utc("S", { interval: 30 }), WED), WED + 30_000)
    assert.strictEqual(nextRollover(utc("M", { interval: 5 }), WED), WED + 300_000)
    assert.strictEqual(nextRollover(utc("H"), WED), Date.UTC(2026, 0, 7, 11, 30, 15))
    assert.strictEqual(nextRollover(utc("H", { interval: 3 }), WED), Date.UTC(2026, 0, 7, 13, 30, 15))
    assert.strictEqual(nextRollover(utc("D", { interval: 2 }), WED), Date.UTC(2026, 0, 9, 10, 30, 15))
  })

  it("MIDNIGHT rolls at the next midnight plus interval - 1 days", () => {
    assert.strictEqual(nextRollover(utc("MIDNIGHT"), WED), Date.UTC(2026, 0, 8))
    assert.strictEqual(nextRollover(utc("MIDNIGHT", { interval: 2 }), WED), Date.UTC(2026, 0, 9))
    // exactly at midnight counts as passed
    assert.strictEqual(nextRollover(utc("MIDNIGHT"), Date.UTC(2026, 0, 7)), Date.UTC(2026, 0, 8))
    assert.strictEqual(nextRollover(utc("MIDNIGHT"), Date.UTC(2026, 0, 7) - 1), Date.UTC(2026, 0, 7))
    // crosses month and year ends
    assert.strictEqual(nextRollover(utc("MIDNIGHT"), Date.UTC(2026, 11, 31, 23)), Date.UTC(2027, 0, 1))
  })

  it("MIDNIGHT with atTime", () => {
    // trigger later today
    assert.strictEqual(nextRollover(utc("MIDNIGHT", { atTime: "12:00" }), WED), Date.UTC(2026, 0, 7, 12))
    assert.strictEqual(
      nextRollover(utc("MIDNIGHT", { atTime: "12:00", interval: 2 }), WED),
      Date.UTC(2026, 0, 8, 12)
    )
    // trigger already passed
    assert.strictEqual(nextRollover(utc("MIDNIGHT", { atTime: "09:00" }), WED), Date.UTC(2026, 0, 8, 9))
    assert.strictEqual(
      nextRollover(utc("MIDNIGHT", { atTime: "09:00", interval: 2 }), WED),
      Date.UTC(2026, 0, 9, 9)
    )
  })

  it("D with atTime rolls at the next trigger (interval days later once passed)", () => {
    assert.strictEqual(nextRollover(utc("D", { atTime: "12:00" }), WED), Date.UTC(2026, 0, 7, 12))
    assert.strictEqual(nextRollover(utc("D", { atTime: "09:15:30" }), WED), Date.UTC(2026, 0, 8, 9, 15, 30))
    assert.strictEqual(nextRollover(utc("D", { atTime: "10:30:15" }), WED), Date.UTC(2026, 0, 8, 10, 30, 15))
    assert.strictEqual(nextRollover(utc("D", { atTime: "10:30:16" }), WED), Date.UTC(2026, 0, 7, 10, 30, 16))
    // upstream: before the trigger the rollover is today even with interval > 1
    assert.strictEqual(nextRollover(utc("D", { atTime: "12:00", interval: 2 }), WED), Date.UTC(2026, 0, 7, 12))
    assert.strictEqual(nextRollover(utc("D", { atTime: "09:00", interval: 3 }), WED), Date.UTC(2026, 0, 10, 9))
  })

  it("W0 on a Monday: today before the trigger, next week after it", () => {
    const monday8 = Date.UTC(2026, 0, 5, 8)
    const monday10 = Date.UTC(2026, 0, 5, 10)
    assert.strictEqual(nextRollover(utc("W0", { atTime: "09:00" }), monday8), Date.UTC(2026, 0, 5, 9))
    assert.strictEqual(nextRollover(utc("W0", { atTime: "09:00" }), monday10), Date.UTC(2026, 0, 12, 9))
    assert.strictEqual(nextRollover(utc("W0"), monday8), Date.UTC(2026, 0, 12))
    assert.strictEqual(nextRollover(utc("W0"), Date.UTC(2026, 0, 5)), Date.UTC(2026, 0, 12))
    assert.strictEqual(nextRollover(utc("W0"), Date.UTC(2026, 0, 4, 23, 59, 59)), Date.UTC(2026, 0, 5))
  })

  it("weekdays from a Wednesday", () => {
    const expected = [12, 13, 14, 8, 9, 10, 11] // W0 (Mon) … W6 (Sun), January 2026
    expected.forEach((day, i) => {
      assert.strictEqual(nextRollover(utc(`W${i}`), WED), Date.UTC(2026, 0, day), `W${i}`)
    })
    assert.strictEqual(nextRollover(utc("W2", { atTime: "11:00" }), WED), Date.UTC(2026, 0, 7, 11))
    assert.strictEqual(nextRollover(utc("W2", { atTime: "10:00" }), WED), Date.UTC(2026, 0, 14, 10))
    assert.strictEqual(nextRollover(utc("W4", { atTime: "06:30" }), WED), Date.UTC(2026, 0, 9, 6, 30))
  })
})

describe("nextRollover (local time, any TZ)", () => {
  it("MIDNIGHT lands on a local midnight after now", () => {
    const now = Date.UTC(2026, 5, 15, 13, 7, 9)
    const at = nextRollover(makeSchedule({ when: "MIDNIGHT" }), now)
    const d = new Date(at)
    const n = new Date(now)
    assert.deepStrictEqual([d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds()], [0, 0, 0, 0])
    assert.strictEqual(at, new Date(n.getFullYear(), n.getMonth(), n.getDate() + 1).getTime())
  })

  it("D with atTime lands on the local trigger", () => {
    const now = Date.UTC(2026, 5, 15, 13, 7, 9)
    const at = nextRollover(makeSchedule({ when: "D", atTime: "04:05:06" }), now)
    const d = new Date(at)
    assert.deepStrictEqual([d.getHours(), d.getMinutes(), d.getSeconds()], [4, 5, 6])
    assert.isAbove(at, now)
    assert.isAtMost(at - now, DAY + HOUR)
  })

  it("W3 lands on a local Thursday", () => {
    const now = Date.UTC(2026, 5, 15, 13, 7, 9)
    const at = nextRollover(makeSchedule({ when: "W3", atTime: "01:02" }), now)
    const d = new Date(at)
    assert.deepStrictEqual([d.getDay(), d.getHours(), d.getMinutes(), d.getSeconds()], [4, 1, 2, 0])
    assert.isAbove(at, now)
    assert.isAtMost(at - now, 7 * DAY + HOUR)
  })
})

describe("DST (America/New_York)", () => {
  const savedTz = process.env["TZ"]
  beforeAll(() => {
    process.env["TZ"] = "America/New_York"
    // fail loudly rather than silently pass if the zone could not be switched
    assert.strictEqual(new Date(Date.UTC(2026, 0, 1)).getTimezoneOffset(), 300)
    assert.strictEqual(new Date(Date.UTC(2026, 6, 1)).getTimezoneOffset(), 240)
  })
  afterAll(() => {
    if (savedTz === undefined) delete process.env["TZ"]
    else process.env["TZ"] = savedTz
  })

  it("MIDNIGHT after spring-forward is the wall-clock midnight, not +24h", () => {
    // Sun 2026-03-08 12:00 EDT; next midnight is Mon 00:00 EDT = 04:00Z
    const midnight = makeSchedule({ when: "MIDNIGHT" })
    assert.strictEqual(nextRollover(midnight, Date.UTC(2026, 2, 8, 16)), Date.UTC(2026, 2, 9, 4))
    // Sat 2026-03-07 12:00 EST; next midnight is Sun 00:00 EST = 05:00Z
    assert.strictEqual(nextRollover(midnight, Date.UTC(2026, 2, 7, 17)), Date.UTC(2026, 2, 8, 5))
    // interval 2 spanning the change: Sat 12:00 EST -> Mon 00:00 EDT
    assert.strictEqual(
      nextRollover(makeSchedule({ when: "MIDNIGHT", interval: 2 }), Date.UTC(2026, 2, 7, 17)),
      Date.UTC(2026, 2, 9, 4)
    )
  })

  it("a trigger inside the spring-forward gap moves to the first existing minute", () => {
    // 02:30 does not exist on 2026-03-08; 03:00 EDT = 07:00Z
    assert.strictEqual(
      nextRollover(makeSchedule({ when: "D", atTime: "02:30" }), Date.UTC(2026, 2, 7, 17)),
      Date.UTC(2026, 2, 8, 7)
    )
  })

  it("a repeated fall-back time resolves to its first occurrence", () => {
    // Sun 2026-11-01 01:30 happens twice; the first is EDT = 05:30Z
    assert.strictEqual(
      nextRollover(makeSchedule({ when: "W6", atTime: "01:30" }), Date.UTC(2026, 9, 31, 16)),
      Date.UTC(2026, 10, 1, 5, 30)
    )
  })

  it("names the period after its local start across a DST change", () => {
    const schedule = makeSchedule({ when: "MIDNIGHT" })
    const rollover = Date.UTC(2026, 2, 9, 4) // Mon 00:00 EDT
    assert.strictEqual(periodStart(schedule, rollover), Date.UTC(2026, 2, 8, 5)) // Sun 00:00 EST
    assert.strictEqual(rolledFileName("app.log", schedule, rollover), "app.log.2026-03-08")
    assert.strictEqual(formatSuffix(makeSchedule({ when: "H" }), Date.UTC(2026, 2, 8, 7)), "2026-03-08_03")
    assert.strictEqual(strftime("%H:%M %z", Date.UTC(2026, 2, 8, 6, 59), false), "01:59 -0500")
    assert.strictEqual(strftime("%H:%M %z", Date.UTC(2026, 2, 8, 7), false), "03:00 -0400")
  })
})

describe("suffixes", () => {
  it("uses the upstream formats", () => {
    assert.strictEqual(suffixFormat(utc("S")), "%Y-%m-%d_%H-%M-%S")
    assert.strictEqual(suffixFormat(utc("M")), "%Y-%m-%d_%H-%M")
    assert.strictEqual(suffixFormat(utc("H")), "%Y-%m-%d_%H")
    assert.strictEqual(suffixFormat(utc("D")), "%Y-%m-%d")
    assert.strictEqual(suffixFormat(utc("MIDNIGHT")), "%Y-%m-%d")
    assert.strictEqual(suffixFormat(utc("W1")), "%Y-%m-%d")
  })

  it("formats zero-padded UTC suffixes", () => {
    const t = Date.UTC(2026, 1, 3, 4, 5, 6, 789)
    assert.strictEqual(formatSuffix(utc("S"), t), "2026-02-03_04-05-06")
    assert.strictEqual(formatSuffix(utc("M"), t), "2026-02-03_04-05")
    assert.strictEqual(formatSuffix(utc("H"), t), "2026-02-03_04")
    assert.strictEqual(formatSuffix(utc("D"), t), "2026-02-03")
    assert.strictEqual(formatSuffix(utc("W6"), t), "2026-02-03")
  })

  it("formats local suffixes with local fields", () => {
    const t = Date.UTC(2026, 1, 3, 4, 5, 6)
    const d = new Date(t)
    const p = (n: number) => String(n).padStart(2, "0")
    const expected = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}_${p(d.getHours())}`
    assert.strictEqual(formatSuffix(makeSchedule({ when: "H" }), t), expected)
  })

  it("names the rolled file after the start of the ended period", () => {
    const log = "/var/log/app.log"
    assert.strictEqual(
      rolledFileName(log, utc("H", { interval: 3 }), Date.UTC(2026, 0, 7, 12)),
      "/var/log/app.log.2026-01-07_09"
    )
    assert.strictEqual(rolledFileName(log, utc("S"), Date.UTC(2026, 0, 7)), "/var/log/app.log.2026-01-06_23-59-59")
    assert.strictEqual(rolledFileName(log, utc("M", { interval: 15 }), WED), "/var/log/app.log.2026-01-07_10-15")
    assert.strictEqual(rolledFileName(log, utc("MIDNIGHT"), Date.UTC(2026, 0, 8)), "/var/log/app.log.2026-01-07")
    assert.strictEqual(
      rolledFileName(log, utc("MIDNIGHT", { interval: 2 }), Date.UTC(2026, 0, 1)),
      "/var/log/app.log.2025-12-30"
    )
    assert.strictEqual(rolledFileName(log, utc("W0"), Date.UTC(2026, 0, 12)), "/var/log/app.log.2026-01-05")
    assert.strictEqual(
      rolledFileName(log, utc("W0", { atTime: "09:00" }), Date.UTC(2026, 0, 12, 9)),
      "/var/log/app.log.2026-01-05"
    )
  })

  it("matches exactly one suffix of the schedule's format", () => {
    const s = suffixRegExp(utc("S"))
    assert.isTrue(s.test("2026-01-07_10-30-15"))
    assert.isFalse(s.test("2026-01-07_10-30"))
    assert.isFalse(s.test("2026-01-07_10-30-15.gz"))
    assert.isFalse(s.test("x2026-01-07_10-30-15"))
    const m = suffixRegExp(utc("M"))
    assert.isTrue(m.test("2026-01-07_10-30"))
    assert.isFalse(m.test("2026-01-07_10-30-15"))
    const h = suffixRegExp(utc("H"))
    assert.isTrue(h.test("2026-01-07_23"))
    assert.isFalse(h.test("2026-01-07_24"))
    assert.isFalse(h.test("2026-01-07"))
    const d = suffixRegExp(utc("MIDNIGHT"))
    assert.isTrue(d.test("2026-12-31"))
    assert.isFalse(d.test("2026-13-01"))
    assert.isFalse(d.test("2026-01-32"))
    assert.isFalse(d.test("2026-1-07"))
    assert.isFalse(d.test("2026-01-07_10"))
    assert.deepStrictEqual(suffixRegExp(utc("W3")).source, d.source)
  })
})

describe("filesToDelete", () => {
  const log = Path.join("/logs", "app.log")
  const full = (name: string) => Path.join("/logs", name)
  const names = [
    "app.log.2026-01-03",
    "app.log.2026-01-01",
    "app.log",
    "app.log.2026-01-05",
    "app.log.bak",
    "other.log.2026-01-01",
    "app.log.2026-01-04",
    "app.log.2026-01-02"
  ]

  it("returns the oldest matching backups beyond backupCount", () => {
    assert.deepStrictEqual(filesToDelete(log, names, utc("MIDNIGHT"), 2), [
      full("app.log.2026-01-01"),
      full("app.log.2026-01-02"),
      full("app.log.2026-01-03")
    ])
    assert.deepStrictEqual(filesToDelete(log, names, utc("D"), 4), [full("app.log.2026-01-01")])
    assert.deepStrictEqual(filesToDelete(log, names, utc("D"), 5), [])
    assert.deepStrictEqual(filesToDelete(log, names, utc("D"), 10), [])
  })

  it("keeps everything when backupCount is 0", () => {
    assert.deepStrictEqual(filesToDelete(log, names, utc("D"), 0), [])
  })

  it("ignores names whose suffix is not in the schedule's format", () => {
    // hourly schedule: none of the daily names match
    assert.deepStrictEqual(filesToDelete(log, names, utc("H"), 1), [])
    const hourly = ["app.log.2026-01-07_09", "app.log.2026-01-07_10", "app.log.2026-01-06_23", "app.log.2026-01-07"]
    assert.deepStrictEqual(filesToDelete(log, hourly, utc("H"), 1), [
      full("app.log.2026-01-06_23"),
      full("app.log.2026-01-07_09")
    ])
  })

  it("treats .gz-compressed backups as backups, ordered by their date, when it compresses", () => {
    const mixed = ["app.log.2026-01-02", "app.log.2026-01-01.gz", "app.log.2026-01-03", "app.log.2026-01-01.zip"]
    assert.deepStrictEqual(filesToDelete(log, mixed, utc("D"), 1, true), [
      full("app.log.2026-01-01.gz"),
      full("app.log.2026-01-02")
    ])
    assert.deepStrictEqual(filesToDelete(log, mixed, utc("D"), 1), [full("app.log.2026-01-02")])
  })

  it("does not treat regex characters in the base name specially", () => {
    const weird = Path.join("/logs", "a+b.log")
    const list = ["a+b.log.2026-01-01", "a+b.log.2026-01-02", "aab.log.2026-01-01", "a+b.log"]
    assert.deepStrictEqual(filesToDelete(weird, list, utc("D"), 1), [Path.join("/logs", "a+b.log.2026-01-01")])
  })
})

describe("strftime", () => {
  // Friday 2026-02-06 07:08:09.012 UTC
  const t = Date.UTC(2026, 1, 6, 7, 8, 9, 12)

  it("formats every supported directive", () => {
    assert.strictEqual(strftime("%Y-%m-%d %H:%M:%S", t, true), "2026-02-06 07:08:09")
    assert.strictEqual(strftime("%y", t, true), "26")
    assert.strictEqual(strftime("%b %a", t, true), "Feb Fri")
    assert.strictEqual(strftime("%j", t, true), "037")
    assert.strictEqual(strftime("%j", Date.UTC(2024, 11, 31), true), "366")
    assert.strictEqual(strftime("%j", Date.UTC(2026, 0, 1), true), "001")
    assert.strictEqual(strftime("%f", t, true), "012000")
    assert.strictEqual(strftime("%f", Date.UTC(2026, 0, 1, 0, 0, 0, 999), true), "999000")
    assert.strictEqual(strftime("%z", t, true), "+0000")
    assert.strictEqual(strftime("100%%", t, true), "100%")
    assert.strictEqual(strftime("%%Y", t, true), "%Y")
  })

  it("keeps unknown directives and a trailing %", () => {
    assert.strictEqual(strftime("%Q %Y %", t, true), "%Q 2026 %")
    assert.strictEqual(strftime("plain", t, true), "plain")
  })

  it("pads small years and months", () => {
    const early = Date.UTC(905, 0, 2, 3, 4, 5)
    assert.strictEqual(strftime("%Y-%m-%d %y", early, true), "0905-01-02 05")
  })

  it("formats local time with the local offset", () => {
    const d = new Date(t)
    const offset = -d.getTimezoneOffset()
    const sign = offset < 0 ? "-" : "+"
    const abs = Math.abs(offset)
    const z = `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}${String(abs % 60).padStart(2, "0")}`
    assert.strictEqual(strftime("%H %z", t, false), `${String(d.getHours()).padStart(2, "0")} ${z}`)
  })
})
