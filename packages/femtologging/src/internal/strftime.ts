/**
 * A small `strftime` over epoch milliseconds, in local time or UTC.
 *
 * @internal
 */
import * as fs from "node:fs"

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

// ---------------------------------------------------------------------------------------------
// `time.strftime` as CPython runs it on Linux: glibc's strftime in the C locale.
// ---------------------------------------------------------------------------------------------

const fullMonths = [
  "January", "February", "March", "April", "May", "June",
  "July", "August", "September", "October", "November", "December"
]
const fullWeekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

/** The broken-down time glibc's strftime reads (`struct tm`, plus what `%Z`, `%z` and `%s` need). */
interface Tm extends DateFields {
  /** Day of the year, 0-365 (`tm_yday`). */
  readonly yday: number
  /** `tm_gmtoff` in seconds east of UTC. */
  readonly gmtoffSeconds: number
  /** The instant, for `%Z` and `%s`. */
  readonly timeMs: number
  readonly utc: boolean
}

const tmOf = (timeMs: number, utc: boolean): Tm => {
  const f = dateFields(timeMs, utc)
  return { ...f, yday: dayOfYear(f) - 1, gmtoffSeconds: Math.round(f.offsetMinutes * 60), timeMs, utc }
}

let zoneNames: Intl.DateTimeFormat | undefined

/** A TZif file's abbreviations, as glibc's `localtime` reads them for `tm_zone`. */
interface Zone {
  /** Transition times (epoch seconds), ascending. */
  readonly times: ReadonlyArray<number>
  /** The type index of each transition. */
  readonly indexes: ReadonlyArray<number>
  readonly abbreviations: ReadonlyArray<string>
  /** The footer's POSIX TZ rule (after the last transition): its standard and DST names. */
  readonly rule: PosixRule | undefined
}

interface PosixRule {
  readonly std: string
  /** Seconds east of UTC of standard time. */
  readonly stdOffset: number
  readonly dst: string | undefined
}

/** The names and standard offset of a POSIX TZ string (`CET-1CEST,M3.5.0,M10.5.0/3`, `<-03>3`). */
const posixRule = (text: string): PosixRule | undefined => {
  const m = /^(<[^>]*>|[A-Za-z]{3,})(?:([+-]?)(\d{1,3})(?::(\d{1,2}))?(?::(\d{1,2}))?)?(<[^>]*>|[A-Za-z]{3,})?/.exec(text)
  if (m === null) return undefined
  const name = (s: string) => s.replace(/^<|>$/g, "")
  const west = Number(m[3] ?? 0) * 3600 + Number(m[4] ?? 0) * 60 + Number(m[5] ?? 0)
  return { std: name(m[1]!), stdOffset: m[2] === "-" ? west : -west, dst: m[6] === undefined ? undefined : name(m[6]) }
}

/** Reads a TZif file (RFC 8536, versions 1 to 4); `undefined` if it is not one. */
const parseTzif = (buf: Uint8Array): Zone | undefined => {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const text = (from: number, to: number) => String.fromCharCode(...buf.subarray(from, to))
  if (buf.length < 44 || text(0, 4) !== "TZif") return undefined
  const counts = (at: number) => Array.from({ length: 6 }, (_, i) => view.getUint32(at + 20 + 4 * i))
  let [isut, isstd, leap, timecnt, typecnt, charcnt] = counts(0) as [number, number, number, number, number, number]
  let at = 0
  let size = 4
  if (buf[4]! >= 0x32) {
    // Version 2+: skip the 32-bit block for the 64-bit one.
    at = 44 + timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isut
    ;[isut, isstd, leap, timecnt, typecnt, charcnt] = counts(at) as [number, number, number, number, number, number]
    size = 8
  }
  let p = at + 44
  const times: Array<number> = []
  for (let i = 0; i < timecnt; i++, p += size) times.push(size === 8 ? Number(view.getBigInt64(p)) : view.getInt32(p))
  const indexes = Array.from(buf.subarray(p, p + timecnt))
  p += timecnt
  const starts: Array<number> = []
  for (let i = 0; i < typecnt; i++, p += 6) starts.push(buf[p + 5]!)
  const chars = text(p, p + charcnt)
  p += charcnt + leap * (size + 4) + isstd + isut
  const abbreviations = starts.map((s) => {
    const end = chars.indexOf("\0", s)
    return chars.slice(s, end < 0 ? undefined : end)
  })
  const footer = size === 8 ? text(p, buf.length).split("\n")[1] : undefined
  return { times, indexes, abbreviations, rule: footer === undefined || footer === "" ? undefined : posixRule(footer) }
}

/** The zone `TZ` names (as glibc finds it: `:name`, a path, a name under TZDIR, a POSIX string). */
const loadZone = (tz: string | undefined): Zone | undefined => {
  if (tz === "") return { times: [], indexes: [], abbreviations: [], rule: { std: "UTC", stdOffset: 0, dst: undefined } }
  const name = tz === undefined ? "/etc/localtime" : tz.startsWith(":") ? tz.slice(1) : tz
  const file = name.startsWith("/") ? name : `${process.env["TZDIR"] ?? "/usr/share/zoneinfo"}/${name}`
  try {
    if (!name.includes("..")) {
      const zone = parseTzif(fs.readFileSync(file))
      if (zone !== undefined) return zone
    }
  } catch {
    // not a file: a POSIX string, or unknown
  }
  const rule = tz === undefined ? undefined : posixRule(name)
  return rule === undefined ? undefined : { times: [], indexes: [], abbreviations: [], rule }
}

let zoneCache: { readonly tz: string | undefined; readonly zone: Zone | undefined } | undefined

/** glibc's `tm_zone` for a local time, from the system's tzdata; `undefined` where it cannot tell. */
const tzdataName = (tm: Tm): string | undefined => {
  const tz = process.env["TZ"]
  if (zoneCache === undefined || zoneCache.tz !== tz) zoneCache = { tz, zone: loadZone(tz) }
  const zone = zoneCache.zone
  if (zone === undefined) return undefined
  const t = Math.floor(tm.timeMs / 1000)
  const { times } = zone
  if (times.length === 0 || t >= times[times.length - 1]!) {
    if (zone.rule !== undefined) {
      const { dst, std, stdOffset } = zone.rule
      return dst !== undefined && tm.gmtoffSeconds !== stdOffset ? dst : std
    }
    if (times.length === 0) return zone.abbreviations[0]
  }
  // RFC 8536: before the first transition, the first time type.
  if (t < times[0]!) return zone.abbreviations[0]
  let lo = 0
  let hi = times.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (times[mid]! <= t) lo = mid
    else hi = mid - 1
  }
  return zone.abbreviations[zone.indexes[lo]!]
}

/**
 * `tm_zone`: `GMT` for `time.gmtime()` structs (glibc's gmtime), else the local zone's
 * abbreviation as glibc reads it from the system's tzdata (`TZ`, else /etc/localtime: `CET`,
 * `IST`, `-03`); where there is none to read, its short name as ICU spells it in `en-US`
 * (`UTC`, `EST`; `GMT+1` where tzdata has `CET`).
 */
const zoneName = (tm: Tm): string => {
  if (tm.utc) return "GMT"
  try {
    const name = tzdataName(tm)
    if (name !== undefined) return name
  } catch {
    // an unreadable zone: ICU's name
  }
  try {
    zoneNames ??= new Intl.DateTimeFormat("en-US", { timeZoneName: "short" })
    return zoneNames.formatToParts(new Date(tm.timeMs)).find((p) => p.type === "timeZoneName")?.value ?? ""
  } catch {
    return ""
  }
}

/**
 * `%s`: glibc computes `mktime(tm)`. For a local struct that is the instant itself; for a
 * `time.gmtime()` struct (`tm_isdst` 0) mktime reads the UTC wall clock as local standard time.
 */
const mktimeSeconds = (tm: Tm): number => {
  if (!tm.utc) return Math.floor(tm.timeMs / 1000)
  const westMinutes = Math.max(
    new Date(tm.year, 0, 1).getTimezoneOffset(),
    new Date(tm.year, 6, 1).getTimezoneOffset()
  )
  const wall = Date.UTC(tm.year, tm.month - 1, tm.day, tm.hour, tm.minute, tm.second)
  return Math.floor(wall / 1000) + westMinutes * 60
}

const isLeap = (y: number): boolean => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)

/** glibc `iso_week_days`: days since the Monday starting ISO week 1 (negative: previous year). */
const isoWeekDays = (yday: number, wday: number): number => {
  const bigEnoughMultipleOf7 = (Math.floor(366 / 7) + 2) * 7
  return yday - ((yday - wday + 4 + bigEnoughMultipleOf7) % 7) + 3
}

/** ISO 8601 week-based year and week (`%G`, `%g`, `%V`), as glibc computes them. */
const isoWeek = (tm: Tm): { readonly year: number; readonly week: number } => {
  let year = tm.year
  let days = isoWeekDays(tm.yday, tm.weekday)
  if (days < 0) {
    year--
    days = isoWeekDays(tm.yday + (365 + (isLeap(year) ? 1 : 0)), tm.weekday)
  } else {
    const d = isoWeekDays(tm.yday - (365 + (isLeap(year) ? 1 : 0)), tm.weekday)
    if (d >= 0) {
      year++
      days = d
    }
  }
  return { year, week: Math.floor(days / 7) + 1 }
}

const asciiUpper = (s: string): string => s.replace(/[a-z]+/g, (m) => m.toUpperCase())
const asciiLower = (s: string): string => s.replace(/[A-Z]+/g, (m) => m.toLowerCase())

/** The flags, width and modifier of one conversion, and glibc's `add`/`cpy` over them. */
interface Conversion {
  pad: string
  width: number
  upper: boolean
  lower: boolean
}

/** glibc `add`: `text` right-aligned in `width`, padded with zeros for the `0` flag, else spaces. */
const add = (c: Conversion, text: string): string => {
  const delta = c.width - text.length
  return delta > 0 ? (c.pad === "0" ? "0" : " ").repeat(delta) + text : text
}

/** glibc `cpy`: `add` after the `^`/`#`/`%P` case change. */
const cpy = (c: Conversion, text: string): string =>
  add(c, c.lower ? asciiLower(text) : c.upper ? asciiUpper(text) : text)

/** glibc `DO_NUMBER` / `DO_NUMBER_SPACEPAD`: `value` in at least `minDigits` digits. */
const number = (c: Conversion, minDigits: number, value: number, spacePad = false): string => {
  if (spacePad && c.pad !== "0" && c.pad !== "-") c.pad = "_"
  const digits = Math.max(minDigits, c.width)
  const negative = value < 0
  let buf = (negative ? "-" : "") + String(Math.abs(value))
  let out = ""
  if (c.pad !== "-") {
    const padding = digits - buf.length
    if (padding > 0) {
      if (c.pad === "_") {
        out = " ".repeat(padding)
        c.width = c.width > padding ? c.width - padding : 0
      } else {
        if (negative) {
          buf = buf.slice(1)
          out = "-"
        }
        out += "0".repeat(padding)
        // glibc: the zeros (and the sign before them) fill the width; the digits are not padded again.
        c.width = 0
      }
    }
  }
  return out + cpy(c, buf)
}

/** `%s`: glibc prints the number with no minimum digits, then applies the width. */
const plainNumber = (c: Conversion, value: number): string => cpy(c, String(value))

/** C-locale `D_T_FMT`, `D_FMT`, `T_FMT` and `T_FMT_AMPM`, and glibc's fixed composites. */
const subformats: Readonly<Record<string, string>> = {
  c: "%a %b %e %H:%M:%S %Y",
  x: "%m/%d/%y",
  D: "%m/%d/%y",
  F: "%Y-%m-%d",
  R: "%H:%M",
  r: "%I:%M:%S %p",
  X: "%H:%M:%S",
  T: "%H:%M:%S"
}

/** Conversions glibc 2.36 rejects with the `E` modifier (printed as written, like unknown ones). */
const rejectsE = "aAbBhdDeFgGHIjklmMSUVwW%"
/** Conversions glibc 2.36 rejects with the `O` modifier (`%Ob`, `%OB` are alternative month names). */
const rejectsO = "aAcDFxXY%"

const hour12 = (tm: Tm): number => (tm.hour % 12 === 0 ? 12 : tm.hour % 12)

/**
 * One conversion character, or `undefined` when glibc prints the conversion as written
 * (unknown character, or a modifier it does not take).
 */
const convert = (c: Conversion, ch: string, modifier: string, changeCase: boolean, tm: Tm): string | undefined => {
  // glibc's `%b`/`%h` take the `#` flag (upper case) before refusing `E`: `%#Eb` prints `%#EB`.
  if (changeCase && modifier === "E" && (ch === "b" || ch === "h")) {
    c.upper = true
    c.lower = false
  }
  if ((modifier === "E" && rejectsE.includes(ch)) || (modifier === "O" && rejectsO.includes(ch))) return undefined
  const sub = subformats[ch]
  if (sub !== undefined) return add(c, formatTm(sub, tm, c.upper, Infinity))
  switch (ch) {
    case "%":
      return add(c, "%")
    case "n":
      return add(c, "\n")
    case "t":
      return add(c, "\t")
    case "a":
    case "A":
    case "b":
    case "h":
    case "B": {
      if (changeCase) {
        c.upper = true
        c.lower = false
      }
      const name = ch === "a"
        ? weekdays[tm.weekday]!
        : ch === "A"
        ? fullWeekdays[tm.weekday]!
        : ch === "B"
        ? fullMonths[tm.month - 1]!
        : months[tm.month - 1]!
      return cpy(c, name)
    }
    case "p":
    case "P":
      if (ch === "P") c.lower = true
      if (changeCase) {
        c.upper = false
        c.lower = true
      }
      return cpy(c, tm.hour > 11 ? "PM" : "AM")
    case "Z":
      if (changeCase) {
        c.upper = false
        c.lower = true
      }
      return cpy(c, zoneName(tm))
    case "z": {
      const diff = Math.trunc(Math.abs(tm.gmtoffSeconds) / 60)
      const sign = add(c, tm.gmtoffSeconds < 0 ? "-" : "+")
      return sign + number(c, 4, Math.trunc(diff / 60) * 100 + (diff % 60))
    }
    case "s":
      return plainNumber(c, mktimeSeconds(tm))
    case "C":
      return number(c, 1, Math.floor(tm.year / 100))
    case "d":
      return number(c, 2, tm.day)
    case "e":
      return number(c, 2, tm.day, true)
    case "H":
      return number(c, 2, tm.hour)
    case "I":
      return number(c, 2, hour12(tm))
    case "k":
      return number(c, 2, tm.hour, true)
    case "l":
      return number(c, 2, hour12(tm), true)
    case "j":
      return number(c, 3, tm.yday + 1)
    case "M":
      return number(c, 2, tm.minute)
    case "m":
      return number(c, 2, tm.month)
    case "S":
      return number(c, 2, tm.second)
    case "u":
      return number(c, 1, ((tm.weekday + 6) % 7) + 1)
    case "U":
      return number(c, 2, Math.floor((tm.yday - tm.weekday + 7) / 7))
    case "W":
      return number(c, 2, Math.floor((tm.yday - ((tm.weekday + 6) % 7) + 7) / 7))
    case "w":
      return number(c, 1, tm.weekday)
    case "V":
      return number(c, 2, isoWeek(tm).week)
    case "G":
      return number(c, 1, isoWeek(tm).year)
    case "g":
      return number(c, 2, ((isoWeek(tm).year % 100) + 100) % 100)
    case "Y":
      return number(c, 1, tm.year)
    case "y":
      return number(c, 2, ((tm.year % 100) + 100) % 100)
    default:
      return undefined
  }
}

const isDigit = (ch: string | undefined): boolean => ch !== undefined && ch >= "0" && ch <= "9"

/** Thrown by `formatTm` when a field width alone exceeds the output `limit`. */
const TOO_LONG: unique symbol = Symbol("strftime output too long")

/**
 * glibc `__strftime_internal` over a struct tm; `upcase` is set inside `%^c`-style
 * composites. A width of `limit` or more throws TOO_LONG before building the text.
 */
const formatTm = (format: string, tm: Tm, upcase: boolean, limit: number): string => {
  let out = ""
  for (let i = 0; i < format.length; i++) {
    if (format[i] !== "%") {
      out += format[i]
      continue
    }
    const c: Conversion = { pad: "", width: -1, upper: upcase, lower: false }
    let changeCase = false
    for (;;) {
      const flag = format[++i]
      if (flag === "_" || flag === "-" || flag === "0") c.pad = flag
      else if (flag === "^") c.upper = true
      else if (flag === "#") changeCase = true
      else break
    }
    if (isDigit(format[i])) {
      c.width = 0
      do c.width = Math.min(c.width * 10 + Number(format[i]), 2_147_483_647)
      while (isDigit(format[++i]))
      if (c.width >= limit) throw TOO_LONG
    }
    let modifier = ""
    if (format[i] === "E" || format[i] === "O") modifier = format[i++]!
    const ch = format[i]
    // A `%` at the end of the format (after any flags) is printed as written, as is an
    // unknown conversion: from the last `%` to the current character.
    if (ch === undefined) i--
    const converted = ch === undefined ? undefined : convert(c, ch, modifier, changeCase, tm)
    out += converted ?? cpy(c, format.slice(format.lastIndexOf("%", i), i + 1))
  }
  return out
}

/**
 * Formats `timeMs` (epoch ms) like CPython's `time.strftime(format, converter(seconds))` on
 * Linux, which is glibc's `strftime` in the C locale. The local time (or UTC with `utc`, like
 * the `time.gmtime` converter) is cut at the whole second.
 *
 * Conversions: `%a %A %b %h %B %c %C %d %D %e %F %g %G %H %I %j %k %l %m %M %n %p %P %r %R
 * %s %S %t %T %u %U %V %w %W %x %X %y %Y %z %Z %%`, with glibc's flags `-` (no padding),
 * `_` (space padding), `0` (zero padding), `^` (upper case), `#` (swap case), a field width
 * (`%10Y`) and the `E`/`O` modifiers (no effect in the C locale). Anything else, `%f`
 * included, is printed as written, like glibc does.
 *
 * Like CPython, a result of 256 × `format.length` code points or more (huge field widths)
 * is "" (CPython's doubling buffer gives up).
 *
 * `%Z` is the abbreviation glibc reads from the system's tzdata (`CET`, `IST`, `-03`; ICU's
 * `en-US` short name where no tzdata file can be read), and `GMT` in UTC as glibc's gmtime; `%z` and `%s` for a UTC struct follow glibc (`+0000`; `mktime` reads
 * the UTC wall clock as local standard time).
 */
export const timeStrftime = (format: string, timeMs: number, utc: boolean): string => {
  // CPython retries with buffers of 1024, 2048... code points and gives up with "" at the
  // first one of 256 × len(format) or more: longer results (huge widths) come out empty.
  const formatLength = codePointCount(format)
  let limit = 1024
  while (limit < 256 * formatLength) limit *= 2
  try {
    const text = formatTm(format, tmOf(timeMs, utc), false, limit)
    return codePointCount(text) < limit ? text : ""
  } catch (e) {
    if (e === TOO_LONG) return ""
    throw e
  }
}

const codePointCount = (s: string): number => {
  let n = 0
  for (const _ of s) n++
  return n
}
