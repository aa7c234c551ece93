/**
 * CPython's three logging format styles, as a compiler: `%` (`PercentStyle`: the `%`
 * operator on the record's attribute mapping), `{` (`StrFormatStyle`: `str.format(**attrs)`
 * with the full format-spec mini-language) and `$` (`StringTemplateStyle`:
 * `string.Template.substitute`), with `Formatter`'s validation (`validate=True`), its
 * `usesTime` rule, `defaults`, and `Formatter.formatTime`. The reference is CPython 3.11
 * (Lib/logging/__init__.py, Objects/unicodeobject.c `PyUnicode_Format`,
 * Objects/stringlib/unicode_format.h, Python/formatter_unicode.c, Python/pystrtod.c): the
 * output, and the type and text of every error, are CPython's.
 *
 * Design notes:
 * - `compile` parses a format once into a list of literal strings and segment closures;
 *   `render` only runs them (no parsing, no regular expression per record). A format error
 *   that CPython raises while formatting (an unknown `%` conversion, a `{` field that is
 *   never closed...) is compiled into a segment that throws at its place, so the error a
 *   record meets first is the one CPython raises first (a missing key before a bad
 *   conversion further on).
 * - Python values from JS: a string is a `str`; a safe integer number (|n| < 2^53) or a
 *   bigint is an `int` (`-0` is `0`); any other number is a `float` (past 2^53 a number is
 *   no exact integer: `1e21` prints `1e+21`, as in JS and for CPython's float; use a bigint
 *   for big ints), and `pyFloat(n)` marks an integral value as a float (`created`, `msecs`); a boolean is a `bool` (an `int` for numeric
 *   conversions); `null` is `None`; any other value is an opaque object printed through the
 *   `str` and `repr` hooks (default: a `String()` that never throws). `undefined` from the
 *   record means "no such attribute", then `defaults` are tried, then the `KeyError` that
 *   logging turns into `ValueError("Formatting field not found in record: 'name'")`.
 * - Errors: `render` throws only `FormatRenderError` (its `pythonType` and `message` are
 *   CPython's), or its subclass `FormatKeyError` (with the missing `key`), so a logger can
 *   catch them and print what it likes; `compile` throws `FormatStyleError` with
 *   `Formatter`'s `ValueError` text when validation fails. Exceptions thrown by the caller's
 *   `get` or hooks are not caught.
 * - Text lengths (widths, precisions, `%c`, indexing) count code points, as Python does.
 *
 * Deliberate differences from CPython:
 * - A `%` conversion without a key (`%s`, `%d` next to `%(name)s`) takes the whole record
 *   mapping in CPython; `%s`/`%r`/`%a` of it would print the record's `__dict__`, which has
 *   no JS equivalent, so they throw `FormatRenderError` with `pythonType: "Unsupported"`
 *   (the numeric conversions throw CPython's `TypeError` for a `dict`).
 * - Attribute access in `{` fields (`{user.name}`) reads JS properties of objects (CPython's
 *   `dict` has no such attributes); the attributes of Python's own types (`{x.real}`,
 *   `{s.upper}`) are `AttributeError`s. Indexing is CPython's: arrays are lists, strings are
 *   `str`, `Map`s are dicts, other objects are dicts with string keys (`{obj[name]}` reads a
 *   property; `{obj[0]}` looks up the int 0, a `KeyError`).
 * - `repr()` of a string decides what is printable from the JS engine's Unicode tables,
 *   which may be newer than the running CPython's (characters assigned since are escaped
 *   by an older CPython).
 * - Widths and precisions that would build a string over 2^28 characters throw a
 *   `MemoryError`-typed error instead of allocating.
 * - The `n` presentation type uses the C locale (CPython's default: no grouping).
 * - `formatTime`: see `timeStrftime` in strftime.ts for `%Z`; `msecs` is exact (CPython
 *   before 3.13 derives it from the float `created` and can print one millisecond less).
 *
 * @internal
 */
import { functionTag, read, safeString } from "./safe.ts"
import { dateFields, timeStrftime } from "./strftime.ts"

// =============================================================================================
// Errors
// =============================================================================================

/** A format rejected by `Formatter(fmt, style=..., validate=True)`; the message is CPython's. */
export class FormatStyleError extends Error {
  readonly style: string
  readonly format: string
  constructor(style: string, format: string, message: string) {
    super(message)
    this.name = "FormatStyleError"
    this.style = style
    this.format = format
  }
}

/** The CPython exception a formatting error corresponds to (`Unsupported`: see the module notes). */
export type PythonErrorType =
  | "ValueError"
  | "TypeError"
  | "IndexError"
  | "AttributeError"
  | "OverflowError"
  | "MemoryError"
  | "Unsupported"

/** An error CPython raises while formatting a record; `message` is CPython's `str(exc)`. */
export class FormatRenderError extends Error {
  readonly pythonType: PythonErrorType
  constructor(pythonType: PythonErrorType, message: string) {
    super(message)
    this.name = "FormatRenderError"
    this.pythonType = pythonType
  }
}

/**
 * A field missing from the record and from `defaults` (or a missing `[key]` in a `{` field):
 * CPython's `KeyError`, which `PercentStyle.format` turns into this `ValueError`.
 */
export class FormatKeyError extends FormatRenderError {
  readonly key: string | number
  constructor(key: string | number) {
    super("ValueError", `Formatting field not found in record: ${typeof key === "number" ? key : reprStr(key)}`)
    this.name = "FormatKeyError"
    this.key = key
  }
}

const valueError = (message: string): FormatRenderError => new FormatRenderError("ValueError", message)
const typeError = (message: string): FormatRenderError => new FormatRenderError("TypeError", message)
const overflowError = (message: string): FormatRenderError => new FormatRenderError("OverflowError", message)

// =============================================================================================
// Python values
// =============================================================================================

/** A number that is a Python `float` even when integral: `pyFloat(123)` prints `123.0`. */
export class PyFloat {
  readonly value: number
  constructor(value: number) {
    this.value = value
  }
  valueOf(): number {
    return this.value
  }
  toString(): string {
    return floatRepr(this.value)
  }
}

/** Marks `n` as a Python `float`, as CPython's `created` and `msecs` are. */
export const pyFloat = (n: number): PyFloat => new PyFloat(n)

const STR = 0
const INT = 1
const FLOAT = 2
const BOOL = 3
const NONE = 4
const OBJECT = 5
type Kind = typeof STR | typeof INT | typeof FLOAT | typeof BOOL | typeof NONE | typeof OBJECT

const kindOf = (u: unknown): Kind => {
  switch (typeof u) {
    case "string":
      return STR
    case "number":
      return Number.isSafeInteger(u) ? INT : FLOAT
    case "bigint":
      return INT
    case "boolean":
      return BOOL
    case "undefined":
      return NONE
    case "object":
      return u === null ? NONE : u instanceof PyFloat ? FLOAT : OBJECT
    default:
      return OBJECT
  }
}

type PyInt = number | bigint

/** The float value of a value of kind FLOAT. */
const floatOf = (u: unknown): number => (typeof u === "number" ? u : (u as PyFloat).value)

/** The int value of a value of kind INT or BOOL. */
const intOf = (u: unknown): PyInt => (typeof u === "boolean" ? (u ? 1 : 0) : (u as PyInt))

const isPlainObject = (u: object): boolean => {
  const proto: unknown = Object.getPrototypeOf(u)
  return proto === null || proto === Object.prototype
}

/** The Python type name CPython would print for a value (`dict` for plain objects and Maps). */
const typeName = (u: unknown): string => {
  switch (kindOf(u)) {
    case STR:
      return "str"
    case INT:
      return "int"
    case FLOAT:
      return "float"
    case BOOL:
      return "bool"
    case NONE:
      return "NoneType"
    default:
      if (u === MAPPING) return "dict"
      if (Array.isArray(u)) return "list"
      if (typeof u === "function") return "function"
      try {
        if (u instanceof Map || isPlainObject(u as object)) return "dict"
        const name: unknown = read(read(u, "constructor"), "name")
        return typeof name === "string" && name !== "" ? name : "object"
      } catch {
        return "object"
      }
  }
}

/** The hooks that print values Python has no type for. */
interface Hooks {
  readonly str: (u: unknown) => string
  readonly repr: (u: unknown) => string
}

/**
 * `str()` of a value Python has no type for: arrays and plain objects as Python prints a list and
 * a dict (`[1, 'a', None, True]`, `{'a': 1}`; 5 levels deep, then `[...]`/`{...}`), a function as
 * `[Function name]`, anything else as its string form. Never throws.
 */
const defaultStr = (u: unknown): string => containerRepr(u, 0)

const containerRepr = (u: unknown, depth: number): string => {
  try {
    if (Array.isArray(u)) {
      if (depth >= 5) return "[...]"
      return `[${u.map((item) => itemRepr(item, depth + 1)).join(", ")}]`
    }
    if (typeof u === "object" && u !== null) {
      const proto = Object.getPrototypeOf(u)
      // A plain object with its own toString prints through it (as Python's str calls __str__).
      if ((proto === Object.prototype || proto === null) && !Object.hasOwn(u, "toString")) {
        if (depth >= 5) return "{...}"
        const o = u as Record<string, unknown>
        return `{${Object.keys(o).map((key) => `${reprStr(key)}: ${itemRepr(o[key], depth + 1)}`).join(", ")}}`
      }
    }
    return typeof u === "function" ? functionTag(u) : safeString(u)
  } catch {
    return safeString(u)
  }
}

/** An element of a list or dict: Python's `repr`. */
const itemRepr = (u: unknown, depth: number): string => {
  const kind = kindOf(u)
  if (kind === STR) return reprStr(u as string)
  if (kind === OBJECT) return containerRepr(u, depth)
  return pyStr(u, { str: defaultStr, repr: defaultStr })
}

/** Python `str(int)`. */
const intStr = (v: PyInt): string => (typeof v === "bigint" ? v.toString() : String(v + 0))

/** Python `str(value)`. */
const pyStr = (u: unknown, hooks: Hooks): string => {
  switch (kindOf(u)) {
    case STR:
      return u as string
    case INT:
      return intStr(u as PyInt)
    case FLOAT:
      return floatRepr(floatOf(u))
    case BOOL:
      return u ? "True" : "False"
    case NONE:
      return "None"
    default:
      return hooks.str(u)
  }
}

/** Python `repr(value)`. */
const pyRepr = (u: unknown, hooks: Hooks): string => {
  const kind = kindOf(u)
  return kind === STR ? reprStr(u as string) : kind === OBJECT ? hooks.repr(u) : pyStr(u, hooks)
}

/** Python `ascii(value)`. */
const pyAscii = (u: unknown, hooks: Hooks): string => asciiEscape(pyRepr(u, hooks))

// =============================================================================================
// Text: code points, repr, padding
// =============================================================================================

const hasSurrogate = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdfff) return true
  }
  return false
}

/** Length in code points (a lone surrogate counts as one, as in Python). */
const cpLength = (s: string): number => {
  if (!hasSurrogate(s)) return s.length
  let n = 0
  for (const _ of s) n++
  return n
}

/** The first `n` code points of `s`. */
const cpPrefix = (s: string, n: number): string => {
  if (!hasSurrogate(s)) return s.slice(0, n)
  let out = ""
  let i = 0
  for (const ch of s) {
    if (i++ >= n) break
    out += ch
  }
  return out
}

/** The code points of `s` from index `start`, `count` of them. */
const cpSlice = (s: string, start: number, count: number): string =>
  hasSurrogate(s) ? Array.from(s).slice(start, start + count).join("") : s.slice(start, start + count)

/** No formatted field may grow past this many characters (CPython would try, then MemoryError). */
const MAX_PAD = 2 ** 28

/** `ch` repeated `n` times (nothing when `n <= 0`). */
const repeat = (ch: string, n: number): string => {
  if (n <= 0) return ""
  if (n > MAX_PAD) throw new FormatRenderError("MemoryError", "formatted field too large")
  return ch.repeat(n)
}

const hex = (n: number, width: number): string => n.toString(16).padStart(width, "0")

const NON_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u

/** Whether `s` is printable ASCII without backslashes (its repr needs at most a quote escaped). */
const isPlainAscii = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || c > 0x7e || c === 0x5c) return false
  }
  return true
}

/** Python `repr(str)`: quotes, escapes, and `\x`/`\u`/`\U` for what is not printable. */
export const reprStr = (s: string): string => {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'"
  if (isPlainAscii(s) && !(quote === "'" && s.includes("'"))) return quote + s + quote
  let out = quote
  for (const ch of s) {
    const cp = ch.codePointAt(0)!
    if (ch === quote || ch === "\\") out += "\\" + ch
    else if (ch === "\t") out += "\\t"
    else if (ch === "\n") out += "\\n"
    else if (ch === "\r") out += "\\r"
    else if (cp < 0x20 || cp === 0x7f) out += "\\x" + hex(cp, 2)
    else if (cp < 0x7f || !NON_PRINTABLE.test(ch)) out += ch
    else if (cp <= 0xff) out += "\\x" + hex(cp, 2)
    else if (cp <= 0xffff) out += "\\u" + hex(cp, 4)
    else out += "\\U" + hex(cp, 8)
  }
  return out + quote
}

/** Python's `backslashreplace` of non-ASCII code points, as `ascii()` applies to a repr. */
const asciiEscape = (s: string): string => {
  let out = ""
  for (const ch of s) {
    const cp = ch.codePointAt(0)!
    out += cp < 0x80 ? ch : cp <= 0xff ? "\\x" + hex(cp, 2) : cp <= 0xffff ? "\\u" + hex(cp, 4) : "\\U" + hex(cp, 8)
  }
  return out
}

// =============================================================================================
// Floats: exact decimal digits (David Gay's dtoa modes) and PyOS_double_to_string
// =============================================================================================

/** `0.d1d2d3... × 10^decpt`; `digits` has no trailing zeros, and is "" for a value rounded to 0. */
interface Decimal {
  readonly digits: string
  readonly decpt: number
}

const stripZeros = (s: string): string => {
  let end = s.length
  while (end > 1 && s.charCodeAt(end - 1) === 48) end--
  return s.slice(0, end)
}

/** Mode 0: the shortest digits that read back as `x` (`repr`), for finite `x > 0`. */
const shortestDigits = (x: number): Decimal => {
  const s = x.toExponential()
  const e = s.indexOf("e")
  const mantissa = s[0]! + s.slice(2, e)
  return { digits: stripZeros(mantissa), decpt: Number(s.slice(e + 1)) + 1 }
}

const float64 = new DataView(new ArrayBuffer(8))

/** `x = m × 2^e` exactly, for finite `x > 0`. */
const decompose = (x: number): [bigint, number] => {
  float64.setFloat64(0, x)
  const hi = float64.getUint32(0)
  const lo = float64.getUint32(4)
  const biased = (hi >>> 20) & 0x7ff
  const m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo)
  return biased === 0 ? [m, -1074] : [m | (1n << 52n), biased - 1075]
}

const pow10Cache: Array<bigint> = []
const pow10 = (n: number): bigint => (n < 64 ? (pow10Cache[n] ??= 10n ** BigInt(n)) : 10n ** BigInt(n))

/** `num / den` rounded half to even (dtoa's rounding). */
const divRoundHalfEven = (num: bigint, den: bigint): bigint => {
  const q = num / den
  const r2 = (num - q * den) * 2n
  return r2 > den || (r2 === den && (q & 1n) === 1n) ? q + 1n : q
}

/** Digits of the integer `scaled` = value × 10^n, as a Decimal. */
const fromScaled = (scaled: string, n: number): Decimal => {
  let i = 0
  while (i < scaled.length && scaled.charCodeAt(i) === 48) i++
  if (i === scaled.length) return { digits: "", decpt: -n }
  const significant = scaled.slice(i)
  return { digits: stripZeros(significant), decpt: significant.length - n }
}

/** Every double is an integer multiple of 2^-1074: past 1074 places its decimals are zeros. */
const MAX_FRACTION_DIGITS = 1074
/** ...and its exact value has at most 767 significant digits. */
const MAX_SIGNIFICANT_DIGITS = 800

/**
 * Mode 3: `x` rounded half-even to `n` places after the point, for finite `x > 0`. JS's
 * `toFixed` is exact except that it rounds ties away from zero, and a tie is only possible
 * when `x × 2^(n+1)` is an integer; those go through BigInt.
 */
const fixedDigits = (x: number, n: number): Decimal => {
  if (n <= 100 && x < 1e21 && (Number.isInteger(x) || !Number.isInteger(x * 2 ** (n + 1)))) {
    const s = x.toFixed(n)
    const point = s.indexOf(".")
    return fromScaled(point < 0 ? s : s.slice(0, point) + s.slice(point + 1), n)
  }
  const places = Math.min(n, MAX_FRACTION_DIGITS)
  const [m, e] = decompose(x)
  const scaled = e >= 0 ? (m << BigInt(e)) * pow10(places) : divRoundHalfEven(m * pow10(places), 1n << BigInt(-e))
  return fromScaled(scaled.toString(), places)
}

/** `sign(m × 2^e - 10^k)`. */
const comparePow10 = (m: bigint, e: number, k: number): number => {
  let a = e >= 0 ? m << BigInt(e) : m
  let b = e < 0 ? 1n << BigInt(-e) : 1n
  if (k >= 0) b *= pow10(k)
  else a *= pow10(-k)
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Mode 2: `x` rounded half-even to `n >= 1` significant digits, for finite `x > 0`. JS's
 * `toExponential` is exact except for ties, which need `x × 2^(n-k)` to be an integer (`k`
 * the decimal exponent; `toExponential`'s may be k+1 after rounding up, so the test uses
 * `2^(n+1-exponent)`, which also catches every tie); those go through BigInt.
 */
const significantDigits = (x: number, n: number): Decimal => {
  if (n <= 101) {
    const s = x.toExponential(n - 1)
    const e = s.indexOf("e")
    const exponent = Number(s.slice(e + 1))
    const shift = n + 1 - exponent
    if (!Number.isInteger(shift > 0 ? x * 2 ** shift : x)) {
      return { digits: stripZeros(s[0]! + s.slice(2, e)), decpt: exponent + 1 }
    }
  }
  const count = Math.min(n, MAX_SIGNIFICANT_DIGITS)
  const [m, e] = decompose(x)
  let k = Math.floor(Math.log10(x))
  while (comparePow10(m, e, k) < 0) k--
  while (comparePow10(m, e, k + 1) >= 0) k++
  const s = count - 1 - k
  const num = (e > 0 ? m << BigInt(e) : m) * (s > 0 ? pow10(s) : 1n)
  const den = (e < 0 ? 1n << BigInt(-e) : 1n) * (s < 0 ? pow10(-s) : 1n)
  let q = divRoundHalfEven(num, den)
  if (q >= pow10(count)) {
    q /= 10n
    k++
  }
  return { digits: stripZeros(q.toString()), decpt: k + 1 }
}

/** `_Py_dg_dtoa(x, mode, n)` for finite `x >= 0` (0 is `"0"`, point after the first digit). */
const dtoa = (x: number, mode: 0 | 2 | 3, n: number): Decimal =>
  x === 0
    ? { digits: "0", decpt: 1 }
    : mode === 0
    ? shortestDigits(x)
    : mode === 2
    ? significantDigits(x, n)
    : fixedDigits(x, n)

const DTSF_ADD_DOT_0 = 1
const DTSF_ALT = 2
const DTSF_NO_NEG_0 = 4

/** `format_float_short` from Python/pystrtod.c, for format codes `e f g r`. */
const formatFloatShort = (
  x: number,
  code: "e" | "f" | "g" | "r",
  mode: 0 | 2 | 3,
  precision: number,
  flags: number,
  upper: boolean
): string => {
  if (Number.isNaN(x)) return upper ? "NAN" : "nan"
  const negative = x < 0 || Object.is(x, -0)
  if (!Number.isFinite(x)) return (negative ? "-" : "") + (upper ? "INF" : "inf")
  const { digits, decpt: pointAt } = dtoa(Math.abs(x), mode, precision)
  const addDot0 = (flags & DTSF_ADD_DOT_0) !== 0
  const alt = (flags & DTSF_ALT) !== 0
  const sign = negative && !((flags & DTSF_NO_NEG_0) !== 0 && (digits === "" || digits === "0"))
  const digitsLen = digits.length
  let decpt = pointAt
  let useExp = false
  let vdigitsEnd = digitsLen
  switch (code) {
    case "e":
      useExp = true
      vdigitsEnd = precision
      break
    case "f":
      vdigitsEnd = decpt + precision
      break
    case "g":
      if (decpt <= -4 || decpt > (addDot0 ? precision - 1 : precision)) useExp = true
      if (alt) vdigitsEnd = precision
      break
    case "r":
      if (decpt <= -4 || decpt > 16) useExp = true
      break
  }
  const exp = decpt - 1
  if (useExp) decpt = 1
  const vdigitsStart = decpt <= 0 ? decpt - 1 : 0
  vdigitsEnd = !useExp && addDot0 ? Math.max(vdigitsEnd, decpt + 1) : Math.max(vdigitsEnd, decpt)
  let out = sign ? "-" : ""
  if (decpt <= 0) out += repeat("0", decpt - vdigitsStart) + "." + repeat("0", -decpt)
  if (0 < decpt && decpt <= digitsLen) out += digits.slice(0, decpt) + "." + digits.slice(decpt)
  else out += digits
  if (digitsLen < decpt) out += repeat("0", decpt - digitsLen) + "." + repeat("0", vdigitsEnd - decpt)
  else out += repeat("0", vdigitsEnd - digitsLen)
  if (out.endsWith(".") && !alt) out = out.slice(0, -1)
  if (useExp) out += (upper ? "E" : "e") + (exp < 0 ? "-" : "+") + String(Math.abs(exp)).padStart(2, "0")
  return out
}

/**
 * `toFixed` where it is `%.Nf` exactly: finite, under 1e21, no tie to round (see
 * `fixedDigits`), not `-0.0` (JS drops its sign), and no `#`/`z` flags; else undefined.
 */
const quickFixed = (x: number, precision: number, flags: number): string | undefined => {
  const a = Math.abs(x)
  if (flags !== 0 || precision > 100 || !(a < 1e21) || Object.is(x, -0)) return undefined
  if (!Number.isInteger(a) && Number.isInteger(a * 2 ** (precision + 1))) return undefined
  return x.toFixed(precision)
}

/** `PyOS_double_to_string(x, code, precision, flags)` for codes `e E f F g G r`. */
const doubleToString = (x: number, code: string, precision: number, flags: number): string => {
  const upper = code === "E" || code === "F" || code === "G"
  switch (code.toLowerCase()) {
    case "e":
      return formatFloatShort(x, "e", 2, precision + 1, flags, upper)
    case "f":
      return quickFixed(x, precision, flags) ?? formatFloatShort(x, "f", 3, precision, flags, upper)
    case "g":
      return formatFloatShort(x, "g", 2, precision === 0 ? 1 : precision, flags, upper)
    default:
      return formatFloatShort(x, "r", 0, 0, flags, upper)
  }
}

/**
 * Python `repr(float)` (and `str`): shortest round-trip digits, `1e+16`, `1e-05`, `-0.0`,
 * `inf`. Between 1e-4 and 1e16 both Python and JS write the shortest digits without an
 * exponent, so JS's `String` serves (plus Python's `.0` on integral values).
 */
const floatRepr = (x: number): string => {
  const a = Math.abs(x)
  if (a >= 1e-4 && a < 1e16) return Number.isInteger(x) ? String(x) + ".0" : String(x)
  return doubleToString(x, "r", 0, DTSF_ADD_DOT_0)
}

// =============================================================================================
// Conversions between Python numbers
// =============================================================================================

/** `PyNumber_Float` / `PyFloat_AsDouble` of an int. */
const intToFloat = (v: PyInt): number => {
  const x = Number(v) + 0 // the int -0 (a JS -0) is 0: float(0) is 0.0, not -0.0
  if (!Number.isFinite(x)) throw overflowError("int too large to convert to float")
  return x
}

/** `int(x)` of a float: truncation. */
const floatToInt = (x: number): PyInt => {
  if (Number.isNaN(x)) throw valueError("cannot convert float NaN to integer")
  if (!Number.isFinite(x)) throw overflowError("cannot convert float infinity to integer")
  const t = Math.trunc(x) + 0
  return Number.isSafeInteger(t) ? t : BigInt(t)
}

const isNegative = (v: PyInt): boolean => v < 0

/** `|v|` in `base`, lower-case digits. */
const absDigits = (v: PyInt, base: number): string => {
  if (typeof v === "number" && Number.isSafeInteger(v)) return Math.abs(v).toString(base)
  const b = BigInt(v)
  return (b < 0n ? -b : b).toString(base)
}

const SSIZE_MAX = 2n ** 63n - 1n
const INT_MAX = 2 ** 31 - 1

/**
 * Code point of a Python `int` for `%c` / `{:c}`, else CPython's OverflowError. The `%`
 * operator reads the int with overflow detection; `format()` reads a C long first, which
 * fails with its own message for ints past 64 bits.
 */
const codePointOf = (v: PyInt, readsCLong: boolean): number => {
  const b = BigInt(v)
  if (readsCLong && (b > SSIZE_MAX || b < -SSIZE_MAX - 1n)) throw overflowError("Python int too large to convert to C long")
  if (b < 0n || b > 0x10ffffn) throw overflowError("%c arg not in range(0x110000)")
  return Number(b)
}

// =============================================================================================
// Render context and field lookup
// =============================================================================================

/** The record mapping itself, taken by a `%` conversion without a key. */
const MAPPING: unique symbol = Symbol("record mapping")

interface Context {
  readonly get: (name: string) => unknown
  readonly defaults: Readonly<Record<string, unknown>> | undefined
  readonly hooks: Hooks
  /** `%` style: the current argument (`ctx->args`) and `ctx->argidx` (arglen is -1). */
  arg: unknown
  argIndex: number
  /** `%` style on a tuple (`msg % (a, b)`): the arguments, taken in turn from `argIndex`. */
  readonly tuple?: ReadonlyArray<unknown> | undefined
}

/** A record attribute, else a default, else CPython's KeyError. */
const lookup = (ctx: Context, name: string): unknown => {
  let value = ctx.get(name)
  if (value === undefined && ctx.defaults !== undefined && Object.hasOwn(ctx.defaults, name)) {
    value = ctx.defaults[name]
  }
  if (value === undefined) throw new FormatKeyError(name)
  return value
}

/** A compiled piece of output: literal text, or a closure run per record. */
type Segment = string | ((ctx: Context) => string)

const renderSegments = (segments: ReadonlyArray<Segment>, ctx: Context): string => {
  let out = ""
  for (const segment of segments) out += typeof segment === "string" ? segment : segment(ctx)
  return out
}

const throwing = (error: () => FormatRenderError): Segment => () => {
  throw error()
}

// =============================================================================================
// `%` style: PyUnicode_Format on a mapping
// =============================================================================================

const F_LJUST = 1
const F_SIGN = 2
const F_BLANK = 4
const F_ALT = 8
const F_ZERO = 16

interface PercentSpec {
  readonly key: string | undefined
  readonly flags: number
  /** -1 when absent. */
  readonly width: number
  readonly starWidth: boolean
  /** -1 when absent. */
  readonly precision: number
  readonly starPrecision: boolean
  /** The conversion character (a code point). */
  readonly conversion: string
  /** Code point index of the conversion, for CPython's "at index" message. */
  readonly index: number
  /** A parse error CPython raises after the key lookup and `*` arguments. */
  readonly error: (() => FormatRenderError) | undefined
}

type PercentItem = string | PercentSpec | { readonly fatal: () => FormatRenderError }

const isAsciiDigit = (ch: string): boolean => ch >= "0" && ch <= "9" && ch.length === 1

/** Parses like PyUnicode_Format + unicode_format_arg_parse (`cnt` is CPython's `fmtcnt`). */
const parsePercent = (format: string): Array<PercentItem> => {
  const cs = Array.from(format)
  const n = cs.length
  const at = (i: number): string => (i < n ? cs[i]! : "\0")
  const items: Array<PercentItem> = []
  let literal = ""
  let pos = 0
  let cnt = n
  const flush = () => {
    if (literal !== "") items.push(literal)
    literal = ""
  }
  let ch = ""
  /** The run of ASCII digits that starts with `first` (`ch` is then the character after it). */
  const digitsFrom = (first: string): string => {
    let digits = first
    while (--cnt >= 0) {
      ch = at(pos++)
      if (!isAsciiDigit(ch)) break
      digits += ch
    }
    return digits
  }
  while (--cnt >= 0) {
    if (at(pos) !== "%") {
      const start = pos++
      while (cnt >= 0 && at(pos) !== "%") {
        pos++
        cnt--
      }
      if (cnt < 0) pos--
      literal += cs.slice(start, pos).join("")
      continue
    }
    pos++
    ch = at(pos)
    if (ch === "%") {
      pos++
      cnt--
      literal += "%"
      continue
    }
    flush()
    let key: string | undefined
    if (ch === "(") {
      pos++
      cnt--
      const keyStart = pos
      let depth = 1
      while (depth > 0 && --cnt >= 0) {
        ch = at(pos)
        if (ch === ")") depth--
        else if (ch === "(") depth++
        pos++
      }
      if (cnt < 0 || depth > 0) {
        items.push({ fatal: () => valueError("incomplete format key") })
        return items
      }
      key = cs.slice(keyStart, pos - 1).join("")
    }
    let flags = 0
    while (--cnt >= 0) {
      ch = at(pos++)
      const flag = ch === "-" ? F_LJUST : ch === "+" ? F_SIGN : ch === " " ? F_BLANK : ch === "#" ? F_ALT : ch === "0" ? F_ZERO : 0
      if (flag === 0) break
      flags |= flag
    }
    const spec = { key, flags, width: -1, starWidth: false, precision: -1, starPrecision: false, conversion: "", index: 0 }
    const fail = (error: () => FormatRenderError): Array<PercentItem> => {
      items.push({ ...spec, error })
      return items
    }
    if (ch === "*") {
      spec.starWidth = true
      if (--cnt >= 0) ch = at(pos++)
    } else if (isAsciiDigit(ch)) {
      const digits = digitsFrom(ch)
      if (BigInt(digits) > SSIZE_MAX) return fail(() => valueError("width too big"))
      spec.width = Number(digits)
    }
    if (ch === ".") {
      spec.precision = 0
      if (--cnt >= 0) ch = at(pos++)
      if (ch === "*") {
        spec.starPrecision = true
        if (--cnt >= 0) ch = at(pos++)
      } else if (isAsciiDigit(ch)) {
        const digits = digitsFrom(ch)
        if (BigInt(digits) > BigInt(INT_MAX)) return fail(() => valueError("precision too big"))
        spec.precision = Number(digits)
      }
    }
    if (cnt >= 0 && (ch === "h" || ch === "l" || ch === "L")) {
      if (--cnt >= 0) ch = at(pos++)
    }
    if (cnt < 0) return fail(() => valueError("incomplete format"))
    items.push({ ...spec, conversion: ch, index: pos - 1, error: undefined })
  }
  flush()
  return items
}

/** `unicode_format_getnextarg` with a mapping: the current value, once. */
const nextArg = (ctx: Context): unknown => {
  if (ctx.tuple !== undefined) {
    if (ctx.argIndex < ctx.tuple.length) return ctx.tuple[ctx.argIndex++]
    throw typeError("not enough arguments for format string")
  }
  if (ctx.argIndex < -1) {
    ctx.argIndex++
    return ctx.arg
  }
  throw typeError("not enough arguments for format string")
}

/** A `*` width or precision argument. */
const starArg = (ctx: Context, limit: bigint, cType: string): number => {
  const v = nextArg(ctx)
  const kind = kindOf(v)
  if (v === MAPPING || (kind !== INT && kind !== BOOL)) throw typeError("* wants int")
  const n = intOf(v)
  if (BigInt(n) > limit || BigInt(n) < -limit - 1n) throw overflowError(`Python int too large to convert to C ${cType}`)
  return Number(n)
}

/** `mainformatlong` + `_PyUnicode_FormatLong`: sign, `0x`/`0o` prefix, `precision` digits. */
const percentInt = (v: unknown, conversion: string, flags: number, precision: number): string => {
  const kind = v === MAPPING ? OBJECT : kindOf(v)
  const integerOnly = conversion === "o" || conversion === "x" || conversion === "X"
  let n: PyInt
  if (kind === INT || kind === BOOL) n = intOf(v)
  else if (kind === FLOAT && !integerOnly) n = floatToInt(floatOf(v))
  else if (integerOnly) throw typeError(`%${conversion} format: an integer is required, not ${typeName(v)}`)
  else throw typeError(`%${conversion} format: a real number is required, not ${typeName(v)}`)
  const base = conversion === "o" ? 8 : integerOnly ? 16 : 10
  let digits = absDigits(n, base)
  if (precision > digits.length) digits = repeat("0", precision - digits.length) + digits
  const prefix = (flags & F_ALT) !== 0 && integerOnly ? (conversion === "o" ? "0o" : "0x") : ""
  const text = (isNegative(n) ? "-" : "") + prefix + digits
  return conversion === "X" ? text.toUpperCase() : text
}

/** `PyFloat_AsDouble` for the `%e %f %g` conversions. */
const percentFloatArg = (v: unknown): number => {
  const kind = v === MAPPING ? OBJECT : kindOf(v)
  if (kind === FLOAT) return floatOf(v)
  if (kind === INT || kind === BOOL) return intToFloat(intOf(v))
  throw typeError(`must be real number, not ${typeName(v)}`)
}

/** `formatchar`: a one-code-point str, or an int code point. */
const percentChar = (v: unknown): string => {
  const kind = v === MAPPING ? OBJECT : kindOf(v)
  if (kind === STR && cpLength(v as string) === 1) return v as string
  if (kind === INT || kind === BOOL) return String.fromCodePoint(codePointOf(intOf(v), false))
  throw typeError("%c requires int or char")
}

/** `unicode_format_arg_output`: sign, `0x` prefix, zero or space padding, truncation. */
const percentOutput = (
  str: string,
  conversion: string,
  flags: number,
  widthIn: number,
  precision: number,
  numeric: boolean
): string => {
  if (widthIn === -1 && precision === -1 && (flags & (F_SIGN | F_BLANK)) === 0) return str
  let len = numeric ? str.length : cpLength(str)
  if ((widthIn === -1 || widthIn <= len) && (precision === -1 || precision >= len) && (flags & (F_SIGN | F_BLANK)) === 0) {
    return str
  }
  if ((conversion === "s" || conversion === "r" || conversion === "a") && precision >= 0 && len > precision) {
    len = precision
  }
  let sign = numeric
  const fill = sign && (flags & F_ZERO) !== 0 ? "0" : " "
  let index = 0
  let signChar = ""
  if (sign) {
    const first = str[0]
    if (first === "-" || first === "+") {
      signChar = first
      len--
      index++
    } else if ((flags & F_SIGN) !== 0) signChar = "+"
    else if ((flags & F_BLANK) !== 0) signChar = " "
    else sign = false
  }
  let width = Math.max(widthIn, len)
  const altPrefix = (flags & F_ALT) !== 0 && (conversion === "x" || conversion === "X" || conversion === "o")
  let out = ""
  if (sign) {
    if (fill !== " ") out += signChar
    if (width > len) width--
  }
  if (altPrefix) {
    if (fill !== " ") {
      out += "0" + conversion
      index += 2
    }
    width = Math.max(width - 2, 0)
    len -= 2
  }
  if (width > len && (flags & F_LJUST) === 0) {
    out += repeat(fill, width - len)
    width = len
  }
  if (fill === " ") {
    if (sign) out += signChar
    if (altPrefix) {
      out += "0" + conversion
      index += 2
    }
  }
  out += numeric ? str.slice(index, index + len) : cpSlice(str, index, len)
  return out + repeat(" ", width - len)
}

/** Formats one argument for its conversion (`unicode_format_arg_format`). */
const percentFormat = (ctx: Context, spec: PercentSpec, v: unknown, flags: number, width: number, precision: number) => {
  const conversion = spec.conversion
  switch (conversion) {
    case "s":
    case "r":
    case "a": {
      if (v === MAPPING) {
        throw new FormatRenderError("Unsupported", `%${conversion} without a mapping key would print the whole record`)
      }
      const text = conversion === "s" ? pyStr(v, ctx.hooks) : conversion === "r" ? pyRepr(v, ctx.hooks) : pyAscii(v, ctx.hooks)
      return percentOutput(text, conversion, flags, width, precision, false)
    }
    case "d":
    case "i":
    case "u":
    case "o":
    case "x":
    case "X":
      return percentOutput(percentInt(v, conversion, flags, precision), conversion, flags, width, precision, true)
    case "e":
    case "E":
    case "f":
    case "F":
    case "g":
    case "G": {
      const text = doubleToString(percentFloatArg(v), conversion, precision < 0 ? 6 : precision, flags & F_ALT ? DTSF_ALT : 0)
      return percentOutput(text, conversion, flags, width, precision, true)
    }
    case "c":
      return percentOutput(percentChar(v), conversion, flags, width, precision, false)
    default: {
      const cp = conversion.codePointAt(0)!
      const shown = cp >= 31 && cp <= 126 ? conversion : "?"
      throw valueError(`unsupported format character '${shown}' (0x${cp.toString(16)}) at index ${spec.index}`)
    }
  }
}

const compilePercentSpec = (spec: PercentSpec): Segment => (ctx) => {
  if (spec.key !== undefined) {
    if (ctx.tuple !== undefined) throw typeError("format requires a mapping")
    ctx.arg = lookup(ctx, spec.key)
    ctx.argIndex = -2
  }
  let flags = spec.flags
  let width = spec.width
  let precision = spec.precision
  if (spec.starWidth) {
    width = starArg(ctx, SSIZE_MAX, "ssize_t")
    if (width < 0) {
      flags |= F_LJUST
      width = -width
    }
  }
  if (spec.starPrecision) precision = Math.max(starArg(ctx, BigInt(INT_MAX), "int"), 0)
  if (spec.error !== undefined) throw spec.error()
  return percentFormat(ctx, spec, nextArg(ctx), flags, width, precision)
}

const PERCENT_VALIDATION =
  /%\([\p{L}\p{N}_]+\)[#0+ -]*(?:\*|\p{Nd}+)?(?:\.(?:\*|\p{Nd}+))?[diouxefgcrsaDIOUXEFGCRSA%\u0130\u0131\u017f]/u

interface Parsed {
  readonly segments: ReadonlyArray<Segment>
  readonly fields: ReadonlyArray<string>
  /** `validate()`'s error message, if the format fails it. */
  readonly invalid: string | undefined
}

const compilePercent = (format: string): Parsed => {
  const items = parsePercent(format)
  const fields: Array<string> = []
  const segments = items.map((item): Segment => {
    if (typeof item === "string") return item
    if ("fatal" in item) return throwing(item.fatal)
    if (item.key !== undefined) fields.push(item.key)
    return compilePercentSpec(item)
  })
  const invalid = PERCENT_VALIDATION.test(format) ? undefined : `Invalid format '${format}' for '%' style`
  return { segments, fields, invalid }
}

/** Compiled `%` formats of log messages, by text (log calls repeat the same few). */
const messageFormats = new Map<string, Parsed>()

const messageFormat = (format: string): Parsed => {
  let parsed = messageFormats.get(format)
  if (parsed === undefined) {
    parsed = compilePercent(format)
    if (messageFormats.size >= 512) messageFormats.clear()
    messageFormats.set(format, parsed)
  }
  return parsed
}

/**
 * CPython's `msg % args` for a log message (`LogRecord.getMessage`): `args` taken in turn by the
 * conversions (`logger.info("user %s took %.1f ms", name, ms)`), or, as CPython does for a single
 * mapping argument, `%(key)s` read from `mapping`. Throws `FormatRenderError` where CPython raises
 * (`not enough arguments for format string`, `not all arguments converted during string
 * formatting`, a bad conversion).
 */
export const formatMessage = (
  format: string,
  args: ReadonlyArray<unknown>,
  mapping?: Readonly<Record<string, unknown>>
): string => {
  if (mapping !== undefined) {
    const hooks: Hooks = { str: defaultStr, repr: defaultStr }
    const get = (name: string) => (Object.hasOwn(mapping, name) ? mapping[name] : undefined)
    // A conversion without a key takes the mapping itself, which prints as the dict it is
    // (`"%r sees %(user)s" % {"user": "amy"}`); only a record's mapping is unprintable (MAPPING).
    return renderSegments(messageFormat(format).segments, { get, defaults: undefined, hooks, arg: mapping, argIndex: -2 })
  }
  const { text, used } = formatMessageTaking(format, args)
  if (used < args.length) throw typeError("not all arguments converted during string formatting")
  return text
}

/**
 * {@link formatMessage} with positional `args`, where arguments left over are not an error: the
 * text and how many arguments the conversions took (a log call appends the rest). Throws where
 * CPython raises otherwise (too few arguments, a bad conversion).
 */
export const formatMessageTaking = (
  format: string,
  args: ReadonlyArray<unknown>
): { readonly text: string; readonly used: number } => {
  const hooks: Hooks = { str: defaultStr, repr: defaultStr }
  const ctx: Context = { get: () => undefined, defaults: undefined, hooks, arg: undefined, argIndex: 0, tuple: args }
  const text = renderSegments(messageFormat(format).segments, ctx)
  return { text, used: ctx.argIndex }
}

// =============================================================================================
// Format-spec mini-language (format(value, spec))
// =============================================================================================

/** A spec as written: what `parse_internal_render_format_spec` reads before type defaults. */
interface RawSpec {
  readonly text: string
  readonly fill: string | undefined
  readonly align: string | undefined
  readonly sign: string
  readonly noNeg0: boolean
  readonly alt: boolean
  /** The `0` before the width (only read when no fill character was given). */
  readonly zero: boolean
  readonly width: number
  readonly thousands: "" | "," | "_"
  readonly precision: number
  readonly type: string | undefined
  /** A syntax error; CPython names the value's type in some messages. */
  readonly error: ((typeName: string) => FormatRenderError) | undefined
  /** `resolveSpec` results by value type name. */
  readonly resolved: Partial<Record<string, Spec>>
}

/** A spec with the value type's defaults applied. */
interface Spec {
  readonly fill: string
  readonly align: string
  readonly sign: string
  readonly noNeg0: boolean
  readonly alt: boolean
  readonly width: number
  /** Separator and group size: "" / 0 for none. */
  readonly separator: string
  readonly group: number
  readonly precision: number
  /** "" for none (floats). */
  readonly type: string
}

const DECIMAL_RUN_START = new Map<number, number>()
const DECIMAL_DIGIT = /^\p{Nd}$/u

/** `Py_UNICODE_TODECIMAL`: the value of a Unicode decimal digit, else -1. */
const decimalValue = (ch: string): number => {
  if (ch >= "0" && ch <= "9" && ch.length === 1) return ch.charCodeAt(0) - 48
  if (!DECIMAL_DIGIT.test(ch)) return -1
  const cp = ch.codePointAt(0)!
  let start = DECIMAL_RUN_START.get(cp)
  if (start === undefined) {
    // Decimal digits come in runs of ten, 0 to 9, some runs adjacent.
    start = cp
    while (DECIMAL_DIGIT.test(String.fromCodePoint(start - 1))) start--
    DECIMAL_RUN_START.set(cp, start)
  }
  return (cp - start) % 10
}

/** `get_integer` on code points from `pos`: [value, digits read, next pos], or "overflow". */
const readInteger = (cs: ReadonlyArray<string>, pos: number): [number, number, number] | "overflow" => {
  let value = 0n
  let i = pos
  for (; i < cs.length; i++) {
    const d = decimalValue(cs[i]!)
    if (d < 0) break
    value = value * 10n + BigInt(d)
    if (value > SSIZE_MAX) return "overflow"
  }
  return [Number(value), i - pos, i]
}

const isAlign = (ch: string | undefined): boolean => ch === "<" || ch === ">" || ch === "=" || ch === "^"

const rawSpecCache = new Map<string, RawSpec>()

/** Parses a spec's syntax (the type-independent part of `parse_internal_render_format_spec`). */
const parseRawSpec = (text: string): RawSpec => {
  const cached = rawSpecCache.get(text)
  if (cached !== undefined) return cached
  const spec = parseRawSpecUncached(text)
  if (rawSpecCache.size < 1024) rawSpecCache.set(text, spec)
  return spec
}

const parseRawSpecUncached = (text: string): RawSpec => {
  const cs = Array.from(text)
  const end = cs.length
  let pos = 0
  const spec: { -readonly [K in keyof RawSpec]: RawSpec[K] } = {
    text,
    fill: undefined,
    align: undefined,
    sign: "",
    noNeg0: false,
    alt: false,
    zero: false,
    width: -1,
    thousands: "",
    precision: -1,
    type: undefined,
    error: undefined,
    resolved: {}
  }
  const fail = (error: (typeName: string) => FormatRenderError): RawSpec => ({ ...spec, error })
  const bothSeparators = () => fail(() => valueError("Cannot specify both ',' and '_'."))
  const tooManyDigits = () => fail(() => valueError("Too many decimal digits in format string"))
  if (end - pos >= 2 && isAlign(cs[pos + 1])) {
    spec.fill = cs[pos]
    spec.align = cs[pos + 1]
    pos += 2
  } else if (end - pos >= 1 && isAlign(cs[pos])) {
    spec.align = cs[pos]
    pos++
  }
  if (cs[pos] === " " || cs[pos] === "+" || cs[pos] === "-") spec.sign = cs[pos++]!
  if (cs[pos] === "z") {
    spec.noNeg0 = true
    pos++
  }
  if (cs[pos] === "#") {
    spec.alt = true
    pos++
  }
  if (spec.fill === undefined && cs[pos] === "0") {
    spec.zero = true
    pos++
  }
  const width = readInteger(cs, pos)
  if (width === "overflow") return tooManyDigits()
  if (width[1] > 0) spec.width = width[0]
  pos = width[2]
  if (cs[pos] === ",") {
    spec.thousands = ","
    pos++
  }
  if (cs[pos] === "_") {
    if (spec.thousands !== "") return bothSeparators()
    spec.thousands = "_"
    pos++
  }
  if (cs[pos] === "," && spec.thousands === "_") return bothSeparators()
  if (cs[pos] === ".") {
    const precision = readInteger(cs, pos + 1)
    if (precision === "overflow") return tooManyDigits()
    if (precision[1] === 0) return fail(() => valueError("Format specifier missing precision"))
    spec.precision = precision[0]
    pos = precision[2]
  }
  if (end - pos > 1) {
    return fail((name) => valueError(`Invalid format specifier '${text}' for object of type '${name}'`))
  }
  if (end - pos === 1) spec.type = cs[pos]
  return spec
}

/** `'%c'` of a presentation type in CPython's messages, or `'\x..'` outside printable ASCII. */
const typeCode = (type: string): string => {
  const cp = type.codePointAt(0) ?? 0
  return cp > 32 && cp < 128 ? type : `\\x${cp.toString(16)}`
}

/** Presentation types that take `,` or `_` every three digits (`None` is "" here). */
const GROUPED_TYPES = ["d", "e", "f", "g", "E", "G", "%", "F", ""]
/** ...and those that take `_` every four digits. */
const NIBBLE_TYPES = ["b", "o", "x", "X"]

/** Applies the value type's default type and alignment, and checks the separator. */
const resolveSpecUncached = (raw: RawSpec, defaultType: string, defaultAlign: string, name: string): Spec => {
  if (raw.error !== undefined) throw raw.error(name)
  let fill = raw.fill ?? " "
  let align = raw.align ?? defaultAlign
  if (raw.zero) {
    fill = "0"
    if (raw.align === undefined && defaultAlign === ">") align = "="
  }
  const type = raw.type ?? defaultType
  const separator = raw.thousands
  let group = 0
  if (separator !== "") {
    if (GROUPED_TYPES.includes(type)) group = 3
    else if (separator === "_" && NIBBLE_TYPES.includes(type)) group = 4
    else throw valueError(`Cannot specify '${separator}' with '${typeCode(type)}'.`)
  }
  return {
    fill,
    align,
    sign: raw.sign,
    noNeg0: raw.noNeg0,
    alt: raw.alt,
    width: raw.width,
    separator: group === 0 ? "" : separator,
    group,
    precision: raw.precision,
    type
  }
}

/** `resolveSpecUncached`, remembered on the raw spec per value type (errors are rebuilt each time). */
const resolveSpec = (raw: RawSpec, defaultType: string, defaultAlign: string, name: string): Spec =>
  (raw.resolved[name] ??= resolveSpecUncached(raw, defaultType, defaultAlign, name))

/** `_PyUnicode_InsertThousandsGrouping`: groups `digits`, zero-filling to `minWidth`. */
const groupDigits = (digits: string, minWidthIn: number, separator: string, group: number): string => {
  let minWidth = Math.max(0, minWidthIn)
  let remaining = digits.length
  let pos = digits.length
  const parts: Array<string> = []
  let useSeparator = false
  const take = (len: number) => {
    const zeros = Math.max(0, len - remaining)
    const chars = Math.max(0, Math.min(remaining, len))
    if (useSeparator) parts.push(separator)
    parts.push(digits.slice(pos - chars, pos))
    if (zeros > 0) parts.push(repeat("0", zeros))
    pos -= chars
    remaining -= chars
  }
  if (group > 0) {
    for (;;) {
      const len = Math.min(group, Math.max(remaining, minWidth, 1))
      take(len)
      useSeparator = true
      minWidth -= len
      if (remaining <= 0 && minWidth <= 0) return parts.reverse().join("")
      minWidth -= separator.length
    }
  }
  take(Math.max(remaining, minWidth, 1))
  return parts.reverse().join("")
}

/**
 * `calc_number_widths` + `fill_number`: `[pad][sign][prefix][pad][grouped digits][rest][pad]`,
 * where `rest` is the decimal point, fraction, exponent, `%` (or the character of `c`).
 */
const layoutNumber = (negative: boolean, prefix: string, digits: string, rest: string, spec: Spec): string => {
  const sign = spec.sign === "+" ? (negative ? "-" : "+") : spec.sign === " " ? (negative ? "-" : " ") : negative ? "-" : ""
  const nonDigits = sign.length + prefix.length + cpLength(rest)
  const minWidth = spec.fill === "0" && spec.align === "=" ? spec.width - nonDigits : 0
  const grouped = digits === "" ? "" : groupDigits(digits, minWidth, spec.separator, spec.group)
  const padding = spec.width - (nonDigits + grouped.length)
  let left = 0
  let inner = 0
  let right = 0
  if (padding > 0) {
    if (spec.align === "<") right = padding
    else if (spec.align === "^") {
      left = Math.floor(padding / 2)
      right = padding - left
    } else if (spec.align === "=") inner = padding
    else left = padding
  }
  return repeat(spec.fill, left) + sign + prefix + repeat(spec.fill, inner) + grouped + rest + repeat(spec.fill, right)
}

/** `format_string_internal`. */
const formatStr = (s: string, spec: Spec): string => {
  if (spec.sign !== "") throw valueError(`${spec.sign === " " ? "Space" : "Sign"} not allowed in string format specifier`)
  if (spec.noNeg0) throw valueError("Negative zero coercion (z) not allowed in string format specifier")
  if (spec.alt) throw valueError("Alternate form (#) not allowed in string format specifier")
  if (spec.align === "=") throw valueError("'=' alignment not allowed in string format specifier")
  let len = cpLength(s)
  if ((spec.width === -1 || spec.width <= len) && (spec.precision === -1 || spec.precision >= len)) return s
  let text = s
  if (spec.precision >= 0 && len >= spec.precision) {
    text = cpPrefix(s, spec.precision)
    len = spec.precision
  }
  const total = Math.max(spec.width, len)
  const left = spec.align === ">" ? total - len : spec.align === "^" ? Math.floor((total - len) / 2) : 0
  return repeat(spec.fill, left) + text + repeat(spec.fill, total - len - left)
}

/** `format_long_internal`. */
const formatInt = (v: PyInt, spec: Spec): string => {
  if (spec.precision !== -1) throw valueError("Precision not allowed in integer format specifier")
  if (spec.noNeg0) throw valueError("Negative zero coercion (z) not allowed in integer format specifier")
  if (spec.type === "c") {
    if (spec.sign !== "") throw valueError("Sign not allowed with integer format specifier 'c'")
    if (spec.alt) throw valueError("Alternate form (#) not allowed with integer format specifier 'c'")
    return layoutNumber(false, "", "", String.fromCodePoint(codePointOf(v, true)), spec)
  }
  const base = spec.type === "b" ? 2 : spec.type === "o" ? 8 : spec.type === "x" || spec.type === "X" ? 16 : 10
  const prefix = !spec.alt || base === 10 ? "" : base === 2 ? "0b" : base === 8 ? "0o" : spec.type === "X" ? "0X" : "0x"
  const digits = absDigits(v, base)
  return layoutNumber(isNegative(v), prefix, spec.type === "X" ? digits.toUpperCase() : digits, "", spec)
}

/** `format_float_internal`. */
const formatFloat = (value: number, spec: Spec): string => {
  if (spec.precision > INT_MAX) throw valueError("precision too big")
  let flags = (spec.alt ? DTSF_ALT : 0) | (spec.noNeg0 ? DTSF_NO_NEG_0 : 0)
  let type = spec.type
  let precision = spec.precision
  let defaultPrecision = 6
  if (type === "") {
    flags |= DTSF_ADD_DOT_0
    type = "r"
    defaultPrecision = 0
  }
  if (type === "n") type = "g"
  let x = value
  const percent = type === "%"
  if (percent) {
    type = "f"
    x *= 100
  }
  if (precision < 0) precision = defaultPrecision
  else if (type === "r") type = "g"
  let text = doubleToString(x, type, precision, flags) + (percent ? "%" : "")
  const negative = text[0] === "-"
  if (negative) text = text.slice(1)
  let i = 0
  while (i < text.length && text[i]! >= "0" && text[i]! <= "9") i++
  return layoutNumber(negative, "", text.slice(0, i), text.slice(i), spec)
}

const unknownType = (type: string, name: string): FormatRenderError =>
  valueError(`Unknown format code '${typeCode(type)}' for object of type '${name}'`)

/** `format(value, spec)` for our Python values (`spec` text, or parsed when static). */
const formatValue = (v: unknown, specText: string, raw: RawSpec | undefined, hooks: Hooks): string => {
  const kind = kindOf(v)
  if (specText === "") return pyStr(v, hooks)
  switch (kind) {
    case STR: {
      const spec = resolveSpec(raw ?? parseRawSpec(specText), "s", "<", "str")
      if (spec.type !== "s") throw unknownType(spec.type, "str")
      return formatStr(v as string, spec)
    }
    case INT:
    case BOOL: {
      const name = kind === BOOL ? "bool" : "int"
      const spec = resolveSpec(raw ?? parseRawSpec(specText), "d", ">", name)
      if ("bcdoxXn".includes(spec.type) && spec.type.length === 1) return formatInt(intOf(v), spec)
      if ("eEfFgG%".includes(spec.type) && spec.type.length === 1) return formatFloat(intToFloat(intOf(v)), spec)
      throw unknownType(spec.type, name)
    }
    case FLOAT: {
      const spec = resolveSpec(raw ?? parseRawSpec(specText), "", ">", "float")
      if (spec.type.length <= 1 && "eEfFgGn%".includes(spec.type)) return formatFloat(floatOf(v), spec)
      throw unknownType(spec.type, "float")
    }
    default:
      throw typeError(`unsupported format string passed to ${typeName(v)}.__format__`)
  }
}

// =============================================================================================
// `{` style: str.format(**record)
// =============================================================================================

type MarkupItem =
  | { readonly kind: "literal"; readonly text: string }
  | {
    readonly kind: "field"
    readonly name: string
    readonly conversion: string
    readonly spec: string
    readonly expand: boolean
  }
  | { readonly kind: "error"; readonly message: string }

/** MarkupIterator_next + parse_field (Objects/stringlib/unicode_format.h), over code points. */
const parseMarkup = (format: string): Array<MarkupItem> => {
  const cs = Array.from(format)
  const end = cs.length
  const items: Array<MarkupItem> = []
  const text = (from: number, to: number) => cs.slice(from, to).join("")
  const error = (message: string) => {
    items.push({ kind: "error", message })
    return items
  }
  let pos = 0
  while (pos < end) {
    const start = pos
    let c = ""
    let markup = false
    while (pos < end) {
      c = cs[pos++]!
      if (c === "{" || c === "}") {
        markup = true
        break
      }
    }
    const atEnd = pos >= end
    let len = pos - start
    if (c === "}" && (atEnd || cs[pos] !== c)) return error("Single '}' encountered in format string")
    if (atEnd && c === "{") return error("Single '{' encountered in format string")
    if (!atEnd) {
      if (cs[pos] === c) {
        pos++
        markup = false
      } else len--
    }
    if (len > 0) items.push({ kind: "literal", text: text(start, start + len) })
    if (!markup) continue
    // parse_field
    const nameStart = pos
    c = ""
    while (pos < end) {
      c = cs[pos++]!
      if (c === "{") return error("unexpected '{' in field name")
      if (c === "[") {
        while (pos < end && cs[pos] !== "]") pos++
        continue
      }
      if (c === "}" || c === ":" || c === "!") break
    }
    const name = text(nameStart, pos - 1)
    if (c !== "!" && c !== ":") {
      if (c !== "}") return error("expected '}' before end of string")
      items.push({ kind: "field", name, conversion: "", spec: "", expand: false })
      continue
    }
    let conversion = ""
    if (c === "!") {
      if (pos >= end) return error("end of string while looking for conversion specifier")
      conversion = cs[pos++]!
      if (pos < end) {
        c = cs[pos++]!
        if (c === "}") {
          items.push({ kind: "field", name, conversion, spec: "", expand: false })
          continue
        }
        if (c !== ":") return error("expected ':' after conversion specifier")
      }
    }
    const specStart = pos
    let depth = 1
    let expand = false
    let closed = false
    while (pos < end) {
      c = cs[pos++]!
      if (c === "{") {
        expand = true
        depth++
      } else if (c === "}" && --depth === 0) {
        closed = true
        break
      }
    }
    if (!closed) return error("unmatched '{' in format spec")
    items.push({ kind: "field", name, conversion, spec: text(specStart, pos - 1), expand })
  }
  return items
}

/** `get_integer` on a field-name part: its index, -1 when not all decimal digits, or "overflow". */
const fieldIndex = (part: string): number | "overflow" => {
  if (part === "") return -1
  const cs = Array.from(part)
  const read = readInteger(cs, 0)
  if (read === "overflow") return "overflow"
  return read[1] === cs.length ? read[0] : -1
}

const tooManyDigitsError = () => valueError("Too many decimal digits in format string")

/** `getattr(obj, name)`: JS properties of objects; Python's own types have none here. */
const getAttribute = (obj: unknown, name: string): unknown => {
  const kind = kindOf(obj)
  if (kind === OBJECT) {
    let present = false
    try {
      present = name in (obj as object)
    } catch {
      present = false
    }
    if (present) return read(obj, name)
  }
  throw new FormatRenderError("AttributeError", `'${typeName(obj)}' object has no attribute '${name}'`)
}

/** `obj[key]` as `str.format` indexes (`key` an int when all decimal digits). */
const getItem = (obj: unknown, key: string | number): unknown => {
  const kind = kindOf(obj)
  if (kind === STR) {
    if (typeof key !== "number") throw typeError("string indices must be integers, not 'str'")
    const s = obj as string
    const ch = hasSurrogate(s) ? Array.from(s)[key] : s[key]
    if (ch === undefined) throw new FormatRenderError("IndexError", "string index out of range")
    return ch
  }
  if (kind !== OBJECT) throw typeError(`'${typeName(obj)}' object is not subscriptable`)
  if (Array.isArray(obj)) {
    if (typeof key !== "number") throw typeError("list indices must be integers or slices, not str")
    if (key >= obj.length) throw new FormatRenderError("IndexError", "list index out of range")
    return read(obj, key) ?? null
  }
  if (obj instanceof Map) {
    if (!obj.has(key)) throw new FormatKeyError(key)
    return obj.get(key) ?? null
  }
  // Other objects are dicts with string keys: `[0]` looks up the int 0, which none has.
  let present = false
  try {
    present = typeof key === "string" && key in (obj as object)
  } catch {
    present = false
  }
  if (!present) throw new FormatKeyError(key)
  return read(obj, key) ?? null
}

type Access = (obj: unknown) => unknown

/** `FieldNameIterator`: the `.attr` and `[key]` steps after the first name, errors in place. */
const parseAccessors = (cs: ReadonlyArray<string>, from: number): Array<Access> => {
  const steps: Array<Access> = []
  const fail = (error: () => FormatRenderError) => {
    steps.push(() => {
      throw error()
    })
    return steps
  }
  let pos = from
  while (pos < cs.length) {
    const c = cs[pos++]
    if (c === ".") {
      const start = pos
      while (pos < cs.length && cs[pos] !== "." && cs[pos] !== "[") pos++
      const name = cs.slice(start, pos).join("")
      if (name === "") return fail(() => valueError("Empty attribute in format string"))
      steps.push((obj) => getAttribute(obj, name))
    } else if (c === "[") {
      const start = pos
      while (pos < cs.length && cs[pos] !== "]") pos++
      if (pos >= cs.length) return fail(() => valueError("Missing ']' in format string"))
      const key = cs.slice(start, pos++).join("")
      const index = fieldIndex(key)
      if (index === "overflow") return fail(tooManyDigitsError)
      if (key === "") return fail(() => valueError("Empty attribute in format string"))
      const item = index >= 0 ? index : key
      steps.push((obj) => getItem(obj, item))
    } else {
      return fail(() => valueError("Only '.' or '[' may follow ']' in format field specifier"))
    }
  }
  return steps
}

/**
 * `get_field_object`: the record attribute named before the first `.`/`[`, then the
 * accessors. A positional field (`{}`, `{0}`) has no positional arguments to read: the first
 * one is always CPython's IndexError (so the auto/manual numbering switch error never comes).
 */
const compileFieldName = (name: string, fields: Array<string>): ((ctx: Context) => unknown) => {
  const cs = Array.from(name)
  let i = 0
  while (i < cs.length && cs[i] !== "." && cs[i] !== "[") i++
  const first = cs.slice(0, i).join("")
  const index = fieldIndex(first)
  if (index === "overflow") return () => { throw tooManyDigitsError() }
  if (first === "" || index >= 0) {
    const shown = first === "" ? 0 : index
    return () => {
      throw new FormatRenderError("IndexError", `Replacement index ${shown} out of range for positional args tuple`)
    }
  }
  fields.push(first)
  const steps = parseAccessors(cs, i)
  if (steps.length === 0) return (ctx) => lookup(ctx, first)
  return (ctx) => {
    let obj = lookup(ctx, first)
    for (const step of steps) obj = step(obj)
    return obj
  }
}

/** `do_conversion`: `!r`, `!s`, `!a`. */
const convertField = (v: unknown, conversion: string, hooks: Hooks): string => {
  switch (conversion) {
    case "r":
      return pyRepr(v, hooks)
    case "s":
      return pyStr(v, hooks)
    case "a":
      return pyAscii(v, hooks)
    default: {
      const cp = conversion.codePointAt(0)!
      throw valueError(`Unknown conversion specifier ${cp > 32 && cp < 127 ? conversion : `\\x${cp.toString(16)}`}`)
    }
  }
}

/** PEP 3101 allows two levels: fields in a field's spec, but no fields in those fields' specs. */
const MAX_DEPTH = 2

const compileField = (
  field: Extract<MarkupItem, { kind: "field" }>,
  depth: number,
  fields: Array<string>
): Segment => {
  const getObject = compileFieldName(field.name, fields)
  const conversion = field.conversion
  const specTemplate = field.expand ? compileMarkup(field.spec, depth - 1, fields) : undefined
  const raw = field.expand || field.spec === "" ? undefined : parseRawSpec(field.spec)
  return (ctx) => {
    let v = getObject(ctx)
    if (conversion !== "") v = convertField(v, conversion, ctx.hooks)
    const specText = specTemplate === undefined ? field.spec : renderSegments(specTemplate, ctx)
    return formatValue(v, specText, raw, ctx.hooks)
  }
}

/** `build_string` at `depth`: the markup's segments, or the recursion error. */
const compileMarkup = (format: string, depth: number, fields: Array<string>): ReadonlyArray<Segment> => {
  if (depth <= 0) return [throwing(() => valueError("Max string recursion exceeded"))]
  return parseMarkup(format).map((item): Segment => {
    switch (item.kind) {
      case "literal":
        return item.text
      case "error":
        return throwing(() => valueError(item.message))
      default:
        return compileField(item, depth, fields)
    }
  })
}

const FIELD_NAME_VALIDATION = /^(?:\p{Nd}+|[\p{L}\p{N}_]+)(?:\.[\p{L}\p{N}_]+|\[[^\]]+\])*\n?$/u
const SPEC_VALIDATION =
  /^(?:[^\n]?[<>=^])?[+ -]?#?0?(?:\p{Nd}+|\{[\p{L}\p{N}_]+\})?[,_]?(?:\.(?:\p{Nd}+|\{[\p{L}\p{N}_]+\}))?[bcdefgnosxBCDEFGNOSX%\u017f]?\n?$/u

/** `StrFormatStyle.validate`'s error message, if any. */
const validateBrace = (items: ReadonlyArray<MarkupItem>): string | undefined => {
  let hasFields = false
  for (const item of items) {
    if (item.kind === "error") return `invalid format: ${item.message}`
    if (item.kind !== "field") continue
    if (item.name !== "") {
      if (!FIELD_NAME_VALIDATION.test(item.name)) return `invalid format: invalid field name/expression: ${reprStr(item.name)}`
      hasFields = true
    }
    if (item.conversion !== "" && !"rsa".includes(item.conversion)) {
      return `invalid format: invalid conversion: ${reprStr(item.conversion)}`
    }
    if (item.spec !== "" && !SPEC_VALIDATION.test(item.spec)) return `invalid format: bad specifier: ${reprStr(item.spec)}`
  }
  return hasFields ? undefined : "invalid format: no fields"
}

const compileBrace = (format: string): Parsed => {
  const fields: Array<string> = []
  const segments = compileMarkup(format, MAX_DEPTH, fields)
  return { segments, fields, invalid: validateBrace(parseMarkup(format)) }
}

// =============================================================================================
// `$` style: string.Template.substitute(**record)
// =============================================================================================

const isIdStart = (ch: string | undefined): boolean =>
  ch !== undefined && ((ch >= "a" && ch <= "z") || (ch >= "A" && ch <= "Z") || ch === "_") && ch.length === 1
const isIdChar = (ch: string | undefined): boolean => isIdStart(ch) || (ch !== undefined && isAsciiDigit(ch))

/** Line breaks of `str.splitlines` (`\r\n` counts once). */
const LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"

/** `Template._invalid`'s line and column for the placeholder ending before code point `i`. */
const invalidPlaceholder = (cs: ReadonlyArray<string>, i: number): string => {
  let line = 1
  let lineStart = 0
  for (let j = 0; j < i; j++) {
    const ch = cs[j]!
    if (!LINE_BREAKS.includes(ch)) continue
    if (ch === "\r" && j + 1 < i && cs[j + 1] === "\n") j++
    line++
    lineStart = j + 1
  }
  return `Invalid placeholder in string: line ${line}, col ${i - lineStart}`
}

type TemplateItem = string | { readonly name: string } | { readonly invalid: string }

/** `Template.pattern` (delimiter `$`, ASCII identifiers), scanned left to right. */
const parseTemplate = (format: string): Array<TemplateItem> => {
  const cs = Array.from(format)
  const items: Array<TemplateItem> = []
  let literal = ""
  let i = 0
  while (i < cs.length) {
    const ch = cs[i]!
    if (ch !== "$") {
      literal += ch
      i++
      continue
    }
    const next = cs[i + 1]
    let name: string | undefined
    let after = i + 1
    if (next === "$") {
      literal += "$"
      i += 2
      continue
    } else if (isIdStart(next)) {
      after = i + 2
      while (isIdChar(cs[after])) after++
      name = cs.slice(i + 1, after).join("")
    } else if (next === "{" && isIdStart(cs[i + 2])) {
      let j = i + 3
      while (isIdChar(cs[j])) j++
      if (cs[j] === "}") {
        name = cs.slice(i + 2, j).join("")
        after = j + 1
      }
    }
    if (literal !== "") items.push(literal)
    literal = ""
    if (name === undefined) {
      items.push({ invalid: invalidPlaceholder(cs, i + 1) })
      return items
    }
    items.push({ name })
    i = after
  }
  if (literal !== "") items.push(literal)
  return items
}

const compileTemplate = (format: string): Parsed => {
  const items = parseTemplate(format)
  const fields: Array<string> = []
  let invalid: string | undefined
  const segments = items.map((item): Segment => {
    if (typeof item === "string") return item
    if ("invalid" in item) {
      invalid ??= "invalid format: bare '$' not allowed"
      return throwing(() => valueError(item.invalid))
    }
    const name = item.name
    fields.push(name)
    return (ctx) => pyStr(lookup(ctx, name), ctx.hooks)
  })
  return { segments, fields, invalid: invalid ?? (fields.length === 0 ? "invalid format: no fields" : undefined) }
}

// =============================================================================================
// compile
// =============================================================================================

/** The three `logging` format styles. */
export type Style = "%" | "{" | "$"

export interface CompileOptions {
  /** `Formatter(validate=...)`: check the format as CPython does (default `true`). */
  readonly validate?: boolean
  /** `Formatter(defaults=...)`: values for fields the record lacks. */
  readonly defaults?: Readonly<Record<string, unknown>>
  /** `str()` of a value Python has no type for (objects, arrays, functions). Default: a `String()` that never throws. */
  readonly str?: (u: unknown) => string
  /** `repr()` of such a value (`%r`, `!r`). Default: the `str` hook. */
  readonly repr?: (u: unknown) => string
}

/** A compiled format. */
export interface Compiled {
  readonly style: Style
  /** The format in use: CPython's `fmt or style.default_format`. */
  readonly format: string
  /** Record attributes the format reads, in order of first use (positional `{}` fields excluded). */
  readonly fields: ReadonlyArray<string>
  /** CPython's `usesTime()`: whether the caller must provide `asctime`. */
  readonly usesTime: boolean
  /**
   * Formats a record. `get(name)` returns the attribute, or `undefined` when the record has
   * none. Throws `FormatRenderError` (or `FormatKeyError`) where CPython raises.
   */
  readonly render: (get: (name: string) => unknown) => string
}

const defaultFormats: Readonly<Record<Style, string>> = { "%": "%(message)s", "{": "{message}", "$": "${message}" }

/** CPython's `usesTime` for each style: a plain substring test on the format. */
const usesTimeOf = (style: Style, format: string): boolean =>
  style === "%"
    ? format.includes("%(asctime)")
    : style === "{"
    ? format.includes("{asctime")
    : format.includes("$asctime") || format.includes("${asctime}")

const isStyle = (u: unknown): u is Style => u === "%" || u === "{" || u === "$"

/**
 * Compiles a `logging.Formatter` format in `style`. Throws `FormatStyleError` (CPython's
 * `ValueError` text) for an unknown style or, when `validate` is on, a format CPython's
 * `validate()` rejects. Formats that pass (or are not validated) never throw here; their
 * remaining errors are thrown by `render` where CPython raises them.
 */
export const compile = (format: string, style: Style, options: CompileOptions = {}): Compiled => {
  if (!isStyle(style)) throw new FormatStyleError(String(style), format, "Style must be one of: %,{,$")
  const fmt = format === "" ? defaultFormats[style] : format
  const parsed = style === "%" ? compilePercent(fmt) : style === "{" ? compileBrace(fmt) : compileTemplate(fmt)
  if (options.validate !== false && parsed.invalid !== undefined) {
    throw new FormatStyleError(style, fmt, parsed.invalid)
  }
  const str = options.str ?? defaultStr
  const hooks: Hooks = { str, repr: options.repr ?? str }
  const defaults = options.defaults
  const segments = parsed.segments
  return {
    style,
    format: fmt,
    fields: [...new Set(parsed.fields)],
    usesTime: usesTimeOf(style, fmt),
    render: (get) => renderSegments(segments, { get, defaults, hooks, arg: MAPPING, argIndex: -2 })
  }
}

// =============================================================================================
// Formatter.formatTime
// =============================================================================================

const pad = (n: number, width: number): string => String(n).padStart(width, "0")

/**
 * CPython's `Formatter.formatTime` for a record created at `epochMs`: with a non-empty
 * `datefmt`, `time.strftime(datefmt, converter(created))` (see `timeStrftime` for the
 * directives); otherwise `%Y-%m-%d %H:%M:%S` then `,` and the milliseconds in three digits
 * (`default_time_format`, `default_msec_format`). The converter is `time.localtime` (the
 * process's `TZ`), or `time.gmtime` with `utc`.
 */
export const formatTime = (epochMs: number, datefmt: string | undefined, options?: { readonly utc?: boolean }): string => {
  const utc = options?.utc === true
  const second = Math.floor(epochMs / 1000)
  const format = datefmt === undefined || datefmt === "" ? undefined : datefmt
  const seconds = secondsText(second, format, utc)
  return format === undefined ? `${seconds},${pad(Math.floor(epochMs) - second * 1000, 3)}` : seconds
}

/**
 * The text of one second (glibc strftime has no sub-second directive), cached for the last
 * second asked: records logged in a burst share it.
 */
let lastSecond = { second: NaN, format: undefined as string | undefined, utc: false, text: "" }

const secondsText = (second: number, format: string | undefined, utc: boolean): string => {
  const last = lastSecond
  if (last.second === second && last.format === format && last.utc === utc) return last.text
  const ms = second * 1000
  let text: string
  if (format !== undefined) {
    text = timeStrftime(format, ms, utc)
  } else {
    const f = dateFields(ms, utc)
    text = `${f.year}-${pad(f.month, 2)}-${pad(f.day, 2)} ${pad(f.hour, 2)}:${pad(f.minute, 2)}:${pad(f.second, 2)}`
  }
  lastSecond = { second, format, utc, text }
  return text
}
