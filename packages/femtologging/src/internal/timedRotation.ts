/**
 * Timed rotation: schedule validation, next-rollover computation, rotated-file suffixes
 * and backup pruning, following CPython's `TimedRotatingFileHandler` and upstream
 * femtologging. Instants are epoch milliseconds; calendar maths is in local time unless
 * the schedule is `utc`.
 *
 * @internal
 */
import * as Path from "node:path"
import { dateFields, strftime } from "./strftime.ts"

/** A rotation cadence: seconds, minutes, hours, days, midnight, or a weekday (W0 = Monday). */
export type When = "S" | "M" | "H" | "D" | "MIDNIGHT" | "W0" | "W1" | "W2" | "W3" | "W4" | "W5" | "W6"

/** A time of day at which daily, midnight and weekday schedules roll over. */
export interface AtTime {
  readonly hour: number
  readonly minute: number
  readonly second: number
}

/** A validated timed-rotation schedule. */
export interface TimedSchedule {
  readonly when: When
  readonly interval: number
  readonly utc: boolean
  readonly atTime: AtTime | undefined
}

const whens: ReadonlyArray<When> = ["S", "M", "H", "D", "MIDNIGHT", "W0", "W1", "W2", "W3", "W4", "W5", "W6"]

const DAY_MS = 86_400_000
const WEEK_MS = 7 * DAY_MS

/** Message of the error thrown for an unknown `when`. */
export const WHEN_ERROR_MESSAGE = "when must be one of: S, M, H, D, MIDNIGHT, or W0-W6"

/**
 * Parses a `when` value case-insensitively (surrounding whitespace ignored); throws
 * `Error("when must be one of: S, M, H, D, MIDNIGHT, or W0-W6 (got W7)")` otherwise.
 */
export const parseWhen = (input: string): When => {
  const upper = input.trim().toUpperCase()
  const found = whens.find((w) => w === upper)
  if (found === undefined) throw new Error(`${WHEN_ERROR_MESSAGE} (got ${input})`)
  return found
}

const isWeekday = (when: When): boolean => when.startsWith("W")

const validAtTime = (hour: number, minute: number, second: number): boolean =>
  Number.isInteger(hour) && hour >= 0 && hour <= 23 &&
  Number.isInteger(minute) && minute >= 0 && minute <= 59 &&
  Number.isInteger(second) && second >= 0 && second <= 59

const parseAtTime = (input: string | { hour: number; minute?: number; second?: number }): AtTime => {
  if (typeof input === "string") {
    const match = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(input.trim())
    if (match !== null) {
      const hour = Number(match[1])
      const minute = Number(match[2])
      const second = match[3] === undefined ? 0 : Number(match[3])
      if (validAtTime(hour, minute, second)) return { hour, minute, second }
    }
    throw new Error(`invalid at_time: '${input}'`)
  }
  const hour = input.hour
  const minute = input.minute ?? 0
  const second = input.second ?? 0
  if (!validAtTime(hour, minute, second)) {
    throw new Error(`invalid at_time: '${hour}:${minute}:${second}'`)
  }
  return { hour, minute, second }
}

/**
 * Validates options into a schedule (defaults: `when` "H", `interval` 1, `utc` false).
 * `atTime` is `"HH:MM"`, `"HH:MM:SS"` or `{ hour, minute?, second? }`. Throws `Error` with
 * upstream's messages: `when must be one of: …`, `interval must be greater than zero`
 * (not a positive integer), `weekday rotation only supports interval = 1`,
 * `at_time is only supported for daily, midnight, and weekday rotation (got <when>)`,
 * `invalid at_time: '<value>'`.
 */
export const makeSchedule = (options: {
  readonly when?: string | undefined
  readonly interval?: number | undefined
  readonly utc?: boolean | undefined
  readonly atTime?: string | { readonly hour: number; readonly minute?: number; readonly second?: number } | undefined
}): TimedSchedule => {
  const when = parseWhen(options.when ?? "H")
  const interval = options.interval ?? 1
  if (!Number.isInteger(interval) || interval < 1) {
    throw new Error("interval must be greater than zero")
  }
  if (isWeekday(when) && interval !== 1) {
    throw new Error("weekday rotation only supports interval = 1")
  }
  let atTime: AtTime | undefined
  if (options.atTime !== undefined) {
    if (when === "S" || when === "M" || when === "H") {
      throw new Error(`at_time is only supported for daily, midnight, and weekday rotation (got ${when})`)
    }
    atTime = parseAtTime(options.atTime)
  }
  return { when, interval, utc: options.utc ?? false, atTime }
}

/** The length of one rotation period in ms (weekday schedules: one week). */
export const intervalMs = (schedule: TimedSchedule): number => {
  switch (schedule.when) {
    case "S":
      return 1000 * schedule.interval
    case "M":
      return 60_000 * schedule.interval
    case "H":
      return 3_600_000 * schedule.interval
    case "D":
    case "MIDNIGHT":
      return DAY_MS * schedule.interval
    default:
      return WEEK_MS
  }
}

/**
 * Epoch ms of wall-clock `year-month-day hh:mm:ss` (month 1-12; day may overflow). In
 * local time a repeated hour resolves to its earlier instant and a time skipped by a DST
 * gap to the first existing minute after it.
 */
const wallClockToMs = (
  utc: boolean,
  year: number,
  month: number,
  day: number,
  t: AtTime
): number => {
  if (utc) return Date.UTC(year, month - 1, day, t.hour, t.minute, t.second)
  for (let extra = 0; extra <= 1440; extra++) {
    const d = new Date(year, month - 1, day, t.hour, t.minute + extra, t.second)
    // Re-normalise the requested fields to check the wall clock shows them.
    const want = new Date(Date.UTC(year, month - 1, day, t.hour, t.minute + extra, t.second))
    if (
      d.getDate() === want.getUTCDate() &&
      d.getHours() === want.getUTCHours() &&
      d.getMinutes() === want.getUTCMinutes()
    ) {
      return d.getTime()
    }
  }
  return new Date(year, month - 1, day, t.hour, t.minute, t.second).getTime()
}

const midnight: AtTime = { hour: 0, minute: 0, second: 0 }

/**
 * The instant of the next rollover after `nowMs`. S/M/H, and D without `atTime`:
 * `nowMs + intervalMs`. Otherwise the trigger is `atTime` (or 00:00:00) on the wall clock
 * (local, or UTC when `utc`): if today's trigger has passed (now ≥ trigger) the rollover is
 * `interval` days later, else today — plus `interval - 1` days for MIDNIGHT. Wn (W0 =
 * Monday): the next such weekday at the trigger, today if not yet passed, else in 7 days.
 * Local dates are stepped on the calendar, so DST changes keep the wall-clock trigger. A
 * trigger in a repeated (fall-back) hour is its first occurrence, or its second when now lies
 * between them (as CPython's, now plus the wall-clock time left): never now or earlier.
 */
export const nextRollover = (schedule: TimedSchedule, nowMs: number): number => {
  const { when, interval, utc } = schedule
  if (when === "S" || when === "M" || when === "H" || (when === "D" && schedule.atTime === undefined)) {
    return nowMs + intervalMs(schedule)
  }
  const trigger = schedule.atTime ?? midnight
  const now = dateFields(nowMs, utc)
  const nowOfDay = ((now.hour * 60 + now.minute) * 60 + now.second) * 1000 + now.millisecond
  const triggerOfDay = ((trigger.hour * 60 + trigger.minute) * 60 + trigger.second) * 1000
  const passed = nowOfDay >= triggerOfDay
  let daysAhead: number
  if (isWeekday(when)) {
    const target = Number(when.slice(1)) // 0 = Monday
    const today = (now.weekday + 6) % 7
    daysAhead = (target - today + 7) % 7
    if (daysAhead === 0 && passed) daysAhead = 7
  } else if (passed) {
    daysAhead = interval
  } else {
    daysAhead = when === "MIDNIGHT" ? interval - 1 : 0
  }
  const at = wallClockToMs(utc, now.year, now.month, now.day + daysAhead, trigger)
  if (at > nowMs) return at
  // A trigger in an hour the clocks repeat (fall-back), now between its two occurrences: the
  // second is the rollover (CPython's, now plus the wall-clock time left), not the first, past.
  const second = at + (new Date(nowMs).getTimezoneOffset() - new Date(at).getTimezoneOffset()) * 60_000
  if (second > nowMs) return second
  return wallClockToMs(utc, now.year, now.month, now.day + daysAhead + (isWeekday(when) ? 7 : interval), trigger)
}

/** The strftime format of rotated-file suffixes for the schedule's cadence. */
export const suffixFormat = (schedule: TimedSchedule): string => {
  switch (schedule.when) {
    case "S":
      return "%Y-%m-%d_%H-%M-%S"
    case "M":
      return "%Y-%m-%d_%H-%M"
    case "H":
      return "%Y-%m-%d_%H"
    default:
      return "%Y-%m-%d"
  }
}

/** Formats `timeMs` with the schedule's suffix format, in local time or UTC. */
export const formatSuffix = (schedule: TimedSchedule, timeMs: number): string =>
  strftime(suffixFormat(schedule), timeMs, schedule.utc)

/**
 * The start of the period that ends at `rolloverAtMs`: `rolloverAtMs - intervalMs`
 * (one week for weekday schedules). For local-time D/MIDNIGHT/W schedules the days are
 * stepped back on the wall clock, so a DST change inside the period does not shift the
 * start into the previous day (CPython's `doRollover` DST correction).
 */
export const periodStart = (schedule: TimedSchedule, rolloverAtMs: number): number => {
  const { when } = schedule
  if (schedule.utc || when === "S" || when === "M" || when === "H") {
    return rolloverAtMs - intervalMs(schedule)
  }
  const days = isWeekday(when) ? 7 : schedule.interval
  const f = dateFields(rolloverAtMs, false)
  return new Date(f.year, f.month - 1, f.day - days, f.hour, f.minute, f.second, f.millisecond).getTime()
}

/**
 * The name the live file is renamed to at the rollover `rolloverAtMs`:
 * `${path}.${formatSuffix(schedule, periodStart(schedule, rolloverAtMs))}`, i.e. named
 * after the start of the period that just ended.
 */
export const rolledFileName = (path: string, schedule: TimedSchedule, rolloverAtMs: number): string =>
  `${path}.${formatSuffix(schedule, periodStart(schedule, rolloverAtMs))}`

const DATE_PATTERN = "\\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\\d|3[01])"
const HOUR_PATTERN = "(?:[01]\\d|2[0-3])"
const MINUTE_PATTERN = "[0-5]\\d"

const suffixPattern = (schedule: TimedSchedule): string => {
  switch (schedule.when) {
    case "S":
      return `${DATE_PATTERN}_${HOUR_PATTERN}-${MINUTE_PATTERN}-${MINUTE_PATTERN}`
    case "M":
      return `${DATE_PATTERN}_${HOUR_PATTERN}-${MINUTE_PATTERN}`
    case "H":
      return `${DATE_PATTERN}_${HOUR_PATTERN}`
    default:
      return DATE_PATTERN
  }
}

/** An anchored pattern matching exactly one suffix in the schedule's format. */
export const suffixRegExp = (schedule: TimedSchedule): RegExp => new RegExp(`^${suffixPattern(schedule)}$`)

/**
 * The rotated backups to delete, as full paths in `path`'s directory. `existingNames` are
 * the basenames in that directory; backups are those named `<basename>.<suffix>` (or, when the
 * handler `compressed` them, `<basename>.<suffix>.gz`) whose suffix matches the schedule's
 * format: without compression a `.gz` is not ours (CPython 3.13's `extMatch.fullmatch`).
 * `backupCount <= 0` keeps everything; otherwise the backups are sorted by suffix and all
 * but the newest `backupCount` are returned, oldest first.
 */
export const filesToDelete = (
  path: string,
  existingNames: ReadonlyArray<string>,
  schedule: TimedSchedule,
  backupCount: number,
  compressed = false
): Array<string> => {
  if (backupCount <= 0) return []
  const dir = Path.dirname(path)
  const prefix = `${Path.basename(path)}.`
  const pattern = new RegExp(`^${suffixPattern(schedule)}${compressed ? "(?:\\.gz)?" : ""}$`)
  const backups = existingNames
    .filter((name) => name.startsWith(prefix) && pattern.test(name.slice(prefix.length)))
    .sort((a, b) => {
      const ka = a.replace(/\.gz$/, "")
      const kb = b.replace(/\.gz$/, "")
      return ka < kb ? -1 : ka > kb ? 1 : a < b ? -1 : a > b ? 1 : 0
    })
  return backups.slice(0, Math.max(0, backups.length - backupCount)).map((name) => Path.join(dir, name))
}
