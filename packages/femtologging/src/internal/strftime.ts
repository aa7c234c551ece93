/**
 * A small `strftime` over epoch milliseconds, in local time or UTC.
 *
 * @internal
 */

const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
const weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]

const pad = (n: number, width: number): string => String(n).padStart(width, "0")

/** Broken-down calendar fields of an instant, in local time or UTC. */
export interface DateFields {
  readonly year: number
  /** 1-12. */
  readonly month: number
  /** 1-31. */
  readonly day: number
  readonly hour: number
  readonly minute: number
  readonly second: number
  readonly millisecond: number
  /** 0 = Sunday … 6 = Saturday. */
  readonly weekday: number
  /** Minutes east of UTC (0 when `utc`). */
  readonly offsetMinutes: number
}

/** Splits `timeMs` into calendar fields in local time, or in UTC when `utc` is true. */
export const dateFields = (timeMs: number, utc: boolean): DateFields => {
  const d = new Date(timeMs)
  return utc
    ? {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      millisecond: d.getUTCMilliseconds(),
      weekday: d.getUTCDay(),
      offsetMinutes: 0
    }
    : {
      year: d.getFullYear(),
      month: d.getMonth() + 1,
      day: d.getDate(),
      hour: d.getHours(),
      minute: d.getMinutes(),
      second: d.getSeconds(),
      millisecond: d.getMilliseconds(),
      weekday: d.getDay(),
      offsetMinutes: -d.getTimezoneOffset()
    }
}

const dayOfYear = (f: DateFields): number =>
  Math.round((Date.UTC(f.year, f.month - 1, f.day) - Date.UTC(f.year, 0, 1)) / 86_400_000) + 1

const formatOffset = (offsetMinutes: number): string => {
  const sign = offsetMinutes < 0 ? "-" : "+"
  const abs = Math.abs(offsetMinutes)
  return `${sign}${pad(Math.floor(abs / 60), 2)}${pad(abs % 60, 2)}`
}

/**
 * Formats `timeMs` (epoch ms) like C/Python `strftime`, in local time or UTC.
 *
 * Supports `%Y` (4-digit year), `%m`, `%d`, `%H`, `%M`, `%S` (2-digit), `%y` (2-digit
 * year), `%b` (`Jan`…), `%a` (`Mon`…), `%j` (3-digit day of year), `%f` (6-digit
 * microseconds, `ms * 1000`), `%z` (`+HHMM`, `+0000` in UTC) and `%%`. Any other
 * directive, and a trailing lone `%`, is kept as written.
 */
export const strftime = (format: string, timeMs: number, utc: boolean): string => {
  const f = dateFields(timeMs, utc)
  return format.replace(/%(.?)/gs, (whole, directive: string) => {
    switch (directive) {
      case "Y":
        return f.year < 0 ? `-${pad(-f.year, 4)}` : pad(f.year, 4)
      case "m":
        return pad(f.month, 2)
      case "d":
        return pad(f.day, 2)
      case "H":
        return pad(f.hour, 2)
      case "M":
        return pad(f.minute, 2)
      case "S":
        return pad(f.second, 2)
      case "y":
        return pad(((f.year % 100) + 100) % 100, 2)
      case "b":
        return months[f.month - 1]!
      case "a":
        return weekdays[f.weekday]!
      case "j":
        return pad(dayOfYear(f), 3)
      case "f":
        return pad(f.millisecond * 1000, 6)
      case "z":
        return formatOffset(f.offsetMinutes)
      case "%":
        return "%"
      default:
        return whole
    }
  })
}
