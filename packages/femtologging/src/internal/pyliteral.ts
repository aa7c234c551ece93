/**
 * A safe evaluator for the Python expressions of `fileConfig` `args=` and `kwargs=` values.
 *
 * CPython runs `eval(args, vars(logging))`: any Python at all. We never execute anything; we
 * tokenize and parse a small subset of Python's expression grammar and compute its value with
 * Python's semantics (CPython 3.11 is the oracle):
 *
 * - Literals as `ast.literal_eval` reads them: str with prefixes `r`/`u` and bytes with `b`/`rb`
 *   (any case), single, double and triple quotes, implicit concatenation of adjacent literals
 *   (mixing str and bytes is an error), every escape (`\\ \' \" \a \b \f \n \r \t \v`, octal
 *   `\ooo`, `\xhh`, `\uhhhh`, `\Uhhhhhhhh`, backslash-newline; unknown escapes such as `\d` keep
 *   the backslash, as CPython does, so Windows paths read as in Python); ints in decimal, hex,
 *   octal and binary with `_` separators (no leading zeros in decimal, at most 4300 decimal
 *   digits, as CPython 3.11 enforces); floats with fraction and/or exponent (`1e400` is inf, as
 *   in Python); `True`, `False`, `None`; tuples (`()`, `(x,)`, a bare `x, y` at the top),
 *   lists, dicts and sets, with trailing commas. Dict keys and set members must be hashable;
 *   equal keys (`1`, `1.0` and `True` are equal) keep the first key and the last value.
 * - Arithmetic on numbers (int, float, bool): binary `+ - * / // % **`, unary `+ -`,
 *   parentheses, with Python's precedence (`-2 ** 2` is -4, `**` is right-associative) and
 *   results: ints are exact (bigint), `/` is true division correctly rounded even for huge
 *   ints, `//` and `%` floor towards minus infinity, float `//` and `%` follow CPython's
 *   `float_divmod`, `**` follows `float_pow` (negative powers of ints are floats, a negative
 *   base to a fractional power would be complex and is refused). Division by zero, an int too
 *   large for a float and a float `**` overflow are errors, as in Python.
 * - Names that real configs use: `sys.stdout` and `sys.stderr` (as `ref` values, resolved by
 *   the caller), the level constants `CRITICAL FATAL ERROR WARNING WARN INFO DEBUG NOTSET`, and
 *   the `logging.handlers` constants that the CPython docs' example uses: `handlers.` +
 *   `DEFAULT_TCP_LOGGING_PORT`, `DEFAULT_UDP_LOGGING_PORT`, `DEFAULT_HTTP_LOGGING_PORT`,
 *   `DEFAULT_SOAP_LOGGING_PORT`, `SYSLOG_UDP_PORT`, `SYSLOG_TCP_PORT` and
 *   `handlers.SysLogHandler.LOG_*`. Identifiers are NFKC-normalized as Python does.
 * - Layout as `eval` accepts it: newlines, comments and any indentation inside brackets,
 *   backslash continuations, blank lines and comment lines before and after, `\r\n` and `\r`
 *   read as newlines.
 *
 * Everything else is a `PythonLiteralError` naming what was found and where (line, column),
 * with a `reason`: `"syntax"` (CPython would refuse it too), `"unsupported"` (valid Python we
 * do not evaluate: calls, attribute access other than the names above, subscripts, other
 * names, lambda, comprehensions, f-strings, complex numbers, `...`, `\N{...}` escapes,
 * comparisons and boolean or bitwise operators, `*`/`**` unpacking, arithmetic on
 * non-numbers such as `'-' * 20`), or `"value"` (CPython would raise at run time too: division
 * by zero, overflow, an unhashable dict key).
 *
 * Deliberate differences from CPython:
 *
 * - `vars(logging)` holds many more names (`os`, `time`, every logging function, and
 *   `__builtins__` once `eval` adds it); anything using them (`os.devnull`, `open(...)`) is
 *   refused as unsupported.
 * - `logging.DEBUG` (and the other levels as `logging.X`) are accepted, although `logging` is
 *   not a name in `vars(logging)` and CPython raises `NameError` for them.
 * - `\N{name}` escapes are refused: Node has no Unicode name table.
 * - Ints above 2^65536 (from `**` or `*`) and expressions nested more than 200 deep are
 *   refused, so no config can make us compute for minutes.
 * - Float `**` with an integral exponent (up to 4096) is computed exactly and rounded once,
 *   which is what the C library's `pow` gives (V8's `Math.pow` is often a bit off: `10 ** -4`).
 *   Other exponents use `Math.sqrt` (for 0.5) or `Math.pow`, which may differ from C's `pow` in
 *   the last bit.
 * - NaN dict keys and set members are never merged (CPython may merge equal constants).
 *
 * The value model is `PyValue`, a tagged union that keeps Python's types (int vs float vs bool,
 * tuple vs list, bytes vs str); `toJs` turns it into plain JavaScript for handler options.
 *
 * @internal
 */

// ---------------------------------------------------------------------------------------------
// Values

/** The names that evaluate to objects the caller supplies. */
export type PyRefName = "sys.stdout" | "sys.stderr"

/** A Python value, tagged with its type. Ints are exact bigints. */
export type PyValue =
  | { readonly _tag: "str"; readonly value: string }
  | { readonly _tag: "bytes"; readonly value: Uint8Array }
  | { readonly _tag: "int"; readonly value: bigint }
  | { readonly _tag: "float"; readonly value: number }
  | { readonly _tag: "bool"; readonly value: boolean }
  | { readonly _tag: "none" }
  | { readonly _tag: "tuple"; readonly items: ReadonlyArray<PyValue> }
  | { readonly _tag: "list"; readonly items: ReadonlyArray<PyValue> }
  | { readonly _tag: "dict"; readonly entries: ReadonlyArray<readonly [PyValue, PyValue]> }
  | { readonly _tag: "set"; readonly items: ReadonlyArray<PyValue> }
  | { readonly _tag: "ref"; readonly name: PyRefName }

/** A `ref` value. */
export type PyRef = Extract<PyValue, { readonly _tag: "ref" }>

/** What `toJs` makes of a `PyValue`. */
export type JsValue =
  | string
  | Uint8Array
  | number
  | bigint
  | boolean
  | null
  | PyRef
  | ReadonlyArray<JsValue>
  | ReadonlyMap<JsValue, JsValue>
  | ReadonlySet<JsValue>
  | { readonly [key: string]: JsValue }

const str = (value: string): PyValue => ({ _tag: "str", value })
const int = (value: bigint): PyValue => ({ _tag: "int", value })
const float = (value: number): PyValue => ({ _tag: "float", value })
const NONE: PyValue = { _tag: "none" }

/**
 * Plain JavaScript for handler options: str → string, bytes → Uint8Array, int → number when
 * it is a safe integer else bigint, float → number, bool → boolean, None → null, tuple and list →
 * arrays, set → Set, dict → an object when every key is a str (kwargs) else a Map, `ref` →
 * `resolve(name)` (the `ref` value itself by default).
 */
export const toJs = (
  value: PyValue,
  resolve: (name: PyRefName) => JsValue = (name) => ({ _tag: "ref", name })
): JsValue => {
  const go = (v: PyValue): JsValue => toJs(v, resolve)
  switch (value._tag) {
    case "str":
    case "bytes":
    case "float":
    case "bool":
      return value.value
    case "int":
      return value.value >= BigInt(Number.MIN_SAFE_INTEGER) && value.value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(value.value)
        : value.value
    case "none":
      return null
    case "tuple":
    case "list":
      return value.items.map(go)
    case "set":
      return new Set(value.items.map(go))
    case "dict":
      return value.entries.every(([key]) => key._tag === "str")
        ? Object.fromEntries(value.entries.map(([key, v]) => [(key as { value: string }).value, go(v)]))
        : new Map(value.entries.map(([key, v]) => [go(key), go(v)]))
    case "ref":
      return resolve(value.name)
  }
}

// ---------------------------------------------------------------------------------------------
// Errors

/** Why an expression was refused; see the module header. */
export type PythonLiteralReason = "syntax" | "unsupported" | "value"

/** A refused `args=`/`kwargs=` expression, with where in it. */
export class PythonLiteralError extends Error {
  readonly _tag = "PythonLiteralError" as const

  constructor(
    /** What was being read, e.g. `app.ini [handler_file] args`. */
    readonly context: string,
    readonly reason: PythonLiteralReason,
    /** The sentence without context and position. */
    readonly detail: string,
    /** 1-based. */
    readonly line: number,
    /** 1-based, in characters (code points). */
    readonly column: number,
    /** 0-based UTF-16 index into the (newline-normalized) source. */
    readonly offset: number
  ) {
    super(`${context}: ${detail} (line ${line}, column ${column})`)
    this.name = "PythonLiteralError"
  }
}

/** Thrown inside; turned into a `PythonLiteralError` with the context and position. */
class Refusal {
  constructor(readonly reason: PythonLiteralReason, readonly detail: string, readonly offset: number) {}
}

const syntax = (detail: string, offset: number): Refusal => new Refusal("syntax", detail, offset)
const unsupported = (detail: string, offset: number): Refusal => new Refusal("unsupported", detail, offset)
const valueError = (detail: string, offset: number): Refusal => new Refusal("value", detail, offset)

// ---------------------------------------------------------------------------------------------
// Tokens

type Token =
  | { readonly kind: "number"; readonly text: string; readonly start: number }
  | { readonly kind: "string"; readonly value: string | Uint8Array; readonly start: number }
  | { readonly kind: "name"; readonly text: string; readonly raw: string; readonly start: number }
  | { readonly kind: "op"; readonly text: string; readonly start: number }
  | { readonly kind: "newline"; readonly start: number }
  | { readonly kind: "end"; readonly start: number }

/** Python's operators and delimiters, longest first. */
const OPERATORS = [
  "**=", "//=", ">>=", "<<=", "...", "->", ":=", "**", "//", "<<", ">>", "<=", ">=", "==", "!=", "+=", "-=", "*=",
  "/=", "%=", "@=", "&=", "|=", "^=", "+", "-", "*", "/", "%", "@", "<", ">", "&", "|", "^", "~", "(", ")", "[", "]",
  "{", "}", ",", ":", ".", ";", "="
]

const OPEN: Record<string, string> = { "(": ")", "[": "]", "{": "}" }
const CLOSE = new Set([")", "]", "}"])

const ID_START = /[\p{XID_Start}_]/u
const ID_CONTINUE = /[\p{XID_Continue}]/u
const DIGIT = /[0-9]/

/** CPython 3.11's limit on decimal digits in an int literal (`sys.int_info.default_max_str_digits`). */
const MAX_DECIMAL_DIGITS = 4300
/** Brackets deeper than this are refused (CPython's tokenizer: `MAXLEVEL`). */
const MAX_BRACKETS = 200

/** Splits normalized source into tokens, tracking brackets, blank lines and indentation. */
class Lexer {
  private pos = 0
  /** The open brackets and where they are. */
  private readonly brackets: Array<{ readonly text: string; readonly at: number }> = []
  private readonly tokens: Array<Token> = []
  /** At the start of a logical line, before any token on it. */
  private lineStart = true

  constructor(private readonly src: string) {}

  run(): Array<Token> {
    while (this.pos < this.src.length) this.next()
    const open = this.brackets[this.brackets.length - 1]
    if (open !== undefined) throw syntax(`'${open.text}' was never closed`, open.at)
    this.tokens.push({ kind: "end", start: this.src.length })
    return this.tokens
  }

  private get ch(): string {
    return this.src[this.pos] ?? ""
  }

  private next(): void {
    if (this.lineStart && this.brackets.length === 0) return this.indentation()
    const ch = this.ch
    if (ch === " " || ch === "\t" || ch === "\f") this.pos++
    else if (ch === "#") this.comment()
    else if (ch === "\\") this.continuation()
    else if (ch === "\n") this.newline()
    else this.token()
  }

  /**
   * A new logical line (CPython's tokenizer at the beginning of a line): blank and comment-only
   * lines are skipped; any other must not be indented. A backslash continuation inside the
   * indentation fixes the column where it stands (or, at column 0, lets the next line's
   * whitespace count).
   */
  private indentation(): void {
    const start = this.pos
    let column = 0
    let continuationColumn = 0
    for (;;) {
      const ch = this.ch
      if (ch === " ") column++
      else if (ch === "\t") column = (Math.floor(column / 8) + 1) * 8
      else if (ch === "\f") column = 0
      else if (ch === "\\") {
        continuationColumn ||= column
        this.continuation()
        continue
      } else break
      this.pos++
    }
    if (this.ch === "#") return this.comment()
    if (this.ch === "\n") {
      this.pos++
      return
    }
    if ((continuationColumn || column) > 0) throw syntax("unexpected indent", start)
    this.lineStart = false
  }

  private comment(): void {
    while (this.pos < this.src.length && this.ch !== "\n") this.pos++
  }

  private continuation(): void {
    if (this.src[this.pos + 1] !== "\n") throw syntax("unexpected character after line continuation character", this.pos)
    if (this.pos + 2 >= this.src.length) throw syntax("unexpected end of input after line continuation", this.pos)
    this.pos += 2
  }

  private newline(): void {
    if (this.brackets.length === 0 && !this.lineStart) {
      this.tokens.push({ kind: "newline", start: this.pos })
      this.lineStart = true
    }
    this.pos++
  }

  private token(): void {
    const ch = this.ch
    const start = this.pos
    if (ch === "'" || ch === '"') return this.string("", start)
    if (DIGIT.test(ch) || (ch === "." && DIGIT.test(this.src[this.pos + 1] ?? ""))) return this.number(start)
    if (ID_START.test(this.codePoint()) || this.codePoint() > "\x7f") return this.name(start)
    const op = OPERATORS.find((o) => this.src.startsWith(o, this.pos))
    if (op === undefined) throw syntax(`invalid character ${describeChar(this.codePoint())}`, start)
    this.bracket(op, start)
    this.pos += op.length
    this.tokens.push({ kind: "op", text: op, start })
  }

  private codePoint(): string {
    return String.fromCodePoint(this.src.codePointAt(this.pos)!)
  }

  private bracket(op: string, start: number): void {
    if (op in OPEN) {
      if (this.brackets.length >= MAX_BRACKETS) throw unsupported("too many nested parentheses", start)
      this.brackets.push({ text: op, at: start })
    } else if (CLOSE.has(op)) {
      const open = this.brackets.pop()
      if (open === undefined) throw syntax(`unmatched '${op}'`, start)
      if (OPEN[open.text] !== op) {
        throw syntax(`closing parenthesis '${op}' does not match opening parenthesis '${open.text}'`, start)
      }
    }
  }

  private name(start: number): void {
    let end = this.pos
    while (end < this.src.length) {
      const cp = String.fromCodePoint(this.src.codePointAt(end)!)
      if (!(ID_CONTINUE.test(cp) || cp > "\x7f")) break
      end += cp.length
    }
    const text = this.src.slice(start, end)
    const quote = this.src[end]
    if ((quote === "'" || quote === '"') && /^(?:[rRuUbBfF]|[bB][rR]|[rR][bB]|[fF][rR]|[rR][fF])$/.test(text)) {
      this.pos = end
      return this.string(text.toLowerCase(), start)
    }
    for (const c of text) {
      if (!ID_CONTINUE.test(c) && !ID_START.test(c)) throw syntax(`invalid character ${describeChar(c)}`, start)
    }
    if (!ID_START.test(String.fromCodePoint(text.codePointAt(0)!))) {
      throw syntax(`invalid character ${describeChar(text[0]!)}`, start)
    }
    this.pos = end
    this.tokens.push({ kind: "name", text: text.normalize("NFKC"), raw: text, start })
  }

  private number(start: number): void {
    NUMBER.lastIndex = start
    let text = NUMBER.exec(this.src)![0]
    // `1else`: the `e` starts a keyword, not an exponent
    if (/[eE]$/.test(text) && this.keywordAt(start + text.length - 1)) text = text.slice(0, -1)
    const end = start + text.length
    const after = this.src[end] ?? ""
    if (/[jJ]/.test(after)) throw unsupported("complex numbers are not supported", start)
    if (!this.keywordAt(end) && (after === "_" || DIGIT.test(after) || ID_CONTINUE.test(after))) {
      throw syntax(`invalid ${numberKind(text)} literal`, start)
    }
    checkNumber(text, start)
    this.pos = end
    this.tokens.push({ kind: "number", text, start })
  }

  /** Whether one of the keywords CPython lets follow a number directly (`1if`) starts at `at`. */
  private keywordAt(at: number): boolean {
    KEYWORD_AFTER_NUMBER.lastIndex = at
    return KEYWORD_AFTER_NUMBER.test(this.src)
  }

  private string(prefix: string, start: number): void {
    if (prefix.includes("f")) throw unsupported("f-strings are not supported", start)
    const quote = this.ch
    const triple = this.src.startsWith(quote.repeat(3), this.pos)
    const delimiter = triple ? quote.repeat(3) : quote
    const bodyStart = this.pos + delimiter.length
    const bodyEnd = this.findEnd(delimiter, bodyStart, start)
    this.pos = bodyEnd + delimiter.length
    const body = this.src.slice(bodyStart, bodyEnd)
    const bytes = prefix.includes("b")
    const raw = prefix.includes("r")
    const value = bytes ? decodeBytes(body, raw, bodyStart) : raw ? body : decodeStr(body, bodyStart)
    this.tokens.push({ kind: "string", value, start })
  }

  /** The index of the closing delimiter; a backslash always escapes the next character. */
  private findEnd(delimiter: string, from: number, start: number): number {
    let i = from
    while (i < this.src.length) {
      const c = this.src[i]!
      if (c === "\\") i += 2
      else if (this.src.startsWith(delimiter, i)) return i
      else if (c === "\n" && delimiter.length === 1) break
      else i++
    }
    const what = delimiter.length === 3 ? "triple-quoted string literal" : "string literal"
    throw syntax(`unterminated ${what}`, start)
  }
}

const describeChar = (c: string): string =>
  `'${c}' (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")})`

const KEYWORD_AFTER_NUMBER = /(?:and|else|for|if|in|is|not|or)(?![\p{XID_Continue}])/uy

/** Greedy: a hex/octal/binary int, or a decimal int or float (validated by `checkNumber`). */
const NUMBER =
  /(?:0[xX][0-9a-zA-Z_]*|0[oO][0-9a-zA-Z_]*|0[bB][0-9a-zA-Z_]*|(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:[eE][+-]?[0-9_]*)?)/y

const numberKind = (text: string): "hexadecimal" | "octal" | "binary" | "decimal" =>
  /^0[xX]/.test(text) ? "hexadecimal" : /^0[oO]/.test(text) ? "octal" : /^0[bB]/.test(text) ? "binary" : "decimal"

const DIGITS = "[0-9](?:_?[0-9])*"
const VALID_NUMBER = {
  hexadecimal: /^0[xX](?:_?[0-9a-fA-F])+$/,
  octal: /^0[oO](?:_?[0-7])+$/,
  binary: /^0[bB](?:_?[01])+$/,
  int: new RegExp(`^(?:0(?:_?0)*|[1-9](?:_?[0-9])*)$`),
  float: new RegExp(`^(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:[eE][+-]?${DIGITS})?$`)
}

/** CPython's message for an invalid hex/octal/binary literal. */
const badDigit = (kind: "hexadecimal" | "octal" | "binary", digits: string): string => {
  const allowed = kind === "octal" ? /[0-7_]/ : kind === "binary" ? /[01_]/ : /[0-9a-fA-F_]/
  const bad = [...digits].find((c) => !allowed.test(c))
  return bad !== undefined && /[0-9]/.test(bad) ? `invalid digit '${bad}' in ${kind} literal` : `invalid ${kind} literal`
}

const checkNumber = (text: string, start: number): void => {
  const kind = numberKind(text)
  if (kind !== "decimal") {
    if (!VALID_NUMBER[kind].test(text)) throw syntax(badDigit(kind, text.slice(2)), start)
    return
  }
  if (/^[0-9_]+$/.test(text)) {
    if (VALID_NUMBER.int.test(text)) {
      if (text.replace(/_/g, "").length > MAX_DECIMAL_DIGITS) {
        throw syntax(`an int literal has more than ${MAX_DECIMAL_DIGITS} digits`, start)
      }
      return
    }
    if (/^0[0-9_]*$/.test(text) && /^[0-9](?:_?[0-9])*$/.test(text)) {
      throw syntax("leading zeros in decimal integer literals are not permitted", start)
    }
  }
  if (!VALID_NUMBER.float.test(text)) throw syntax("invalid decimal literal", start)
}

// ---------------------------------------------------------------------------------------------
// String escapes

const SIMPLE_ESCAPES: Record<string, number> = {
  "\\": 0x5c, "'": 0x27, '"': 0x22, a: 0x07, b: 0x08, f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b
}

const isHex = (s: string, n: number): boolean => s.length === n && /^[0-9a-fA-F]+$/.test(s)

/** One escape at `body[i]` (just after the backslash): the code point, or -1 for "keep the backslash". */
const escapeAt = (
  body: string,
  i: number,
  bytes: boolean,
  at: number
): { readonly code: number; readonly length: number } | undefined => {
  const c = body[i]!
  if (c === "\n") return { code: -2, length: 1 }
  if (c in SIMPLE_ESCAPES) return { code: SIMPLE_ESCAPES[c]!, length: 1 }
  if (/[0-7]/.test(c)) {
    const digits = /^[0-7]{1,3}/.exec(body.slice(i))![0]
    const code = parseInt(digits, 8)
    return { code: bytes ? code & 0xff : code, length: digits.length }
  }
  const width = c === "x" ? 2 : bytes ? 0 : c === "u" ? 4 : c === "U" ? 8 : 0
  if (width > 0) {
    const digits = body.slice(i + 1, i + 1 + width)
    if (!isHex(digits, width)) throw syntax(`truncated \\${c}${"X".repeat(width)} escape`, at)
    const code = parseInt(digits, 16)
    if (code > 0x10ffff) throw syntax(`illegal Unicode character in \\${c} escape`, at)
    return { code, length: 1 + width }
  }
  if (c === "N" && !bytes) throw unsupported("\\N{...} escapes are not supported", at)
  return undefined
}

/** The code points of a non-raw literal body; `-2` marks a backslash-newline (dropped). */
const decodeEscapes = (body: string, bytes: boolean, bodyStart: number): Array<number> => {
  const out: Array<number> = []
  for (let i = 0; i < body.length;) {
    if (body[i] !== "\\") {
      const cp = body.codePointAt(i)!
      out.push(cp)
      i += cp > 0xffff ? 2 : 1
      continue
    }
    const escape = escapeAt(body, i + 1, bytes, bodyStart + i)
    if (escape === undefined) {
      out.push(0x5c)
      i += 1
    } else {
      if (escape.code !== -2) out.push(escape.code)
      i += 1 + escape.length
    }
  }
  return out
}

const decodeStr = (body: string, bodyStart: number): string => {
  let out = ""
  for (const code of decodeEscapes(body, false, bodyStart)) out += String.fromCodePoint(code)
  return out
}

const decodeBytes = (body: string, raw: boolean, bodyStart: number): Uint8Array => {
  for (let i = 0; i < body.length; i++) {
    if (body.charCodeAt(i) > 0x7f) throw syntax("bytes can only contain ASCII literal characters", bodyStart + i)
  }
  const codes = raw ? [...body].map((c) => c.charCodeAt(0)) : decodeEscapes(body, true, bodyStart)
  return Uint8Array.from(codes)
}

// ---------------------------------------------------------------------------------------------
// Names

const LEVELS: Record<string, bigint> = {
  CRITICAL: 50n, FATAL: 50n, ERROR: 40n, WARNING: 30n, WARN: 30n, INFO: 20n, DEBUG: 10n, NOTSET: 0n
}

const SYSLOG: Record<string, bigint> = {
  LOG_EMERG: 0n, LOG_ALERT: 1n, LOG_CRIT: 2n, LOG_ERR: 3n, LOG_WARNING: 4n, LOG_NOTICE: 5n, LOG_INFO: 6n,
  LOG_DEBUG: 7n, LOG_KERN: 0n, LOG_USER: 1n, LOG_MAIL: 2n, LOG_DAEMON: 3n, LOG_AUTH: 4n, LOG_SYSLOG: 5n,
  LOG_LPR: 6n, LOG_NEWS: 7n, LOG_UUCP: 8n, LOG_CRON: 9n, LOG_AUTHPRIV: 10n, LOG_FTP: 11n, LOG_NTP: 12n,
  LOG_SECURITY: 13n, LOG_CONSOLE: 14n, LOG_SOLCRON: 15n, LOG_LOCAL0: 16n, LOG_LOCAL1: 17n, LOG_LOCAL2: 18n,
  LOG_LOCAL3: 19n, LOG_LOCAL4: 20n, LOG_LOCAL5: 21n, LOG_LOCAL6: 22n, LOG_LOCAL7: 23n
}

const HANDLERS: Record<string, bigint> = {
  DEFAULT_TCP_LOGGING_PORT: 9020n, DEFAULT_UDP_LOGGING_PORT: 9021n, DEFAULT_HTTP_LOGGING_PORT: 9022n,
  DEFAULT_SOAP_LOGGING_PORT: 9023n, SYSLOG_UDP_PORT: 514n, SYSLOG_TCP_PORT: 514n
}

/** Every dotted name we evaluate, and its value. */
const NAMES: ReadonlyMap<string, PyValue> = new Map<string, PyValue>([
  ["True", { _tag: "bool", value: true }],
  ["False", { _tag: "bool", value: false }],
  ["None", NONE],
  ["sys.stdout", { _tag: "ref", name: "sys.stdout" }],
  ["sys.stderr", { _tag: "ref", name: "sys.stderr" }],
  ...Object.entries(LEVELS).flatMap(([k, v]) => [[k, int(v)], [`logging.${k}`, int(v)]] as Array<[string, PyValue]>),
  ...Object.entries(HANDLERS).map(([k, v]): [string, PyValue] => [`handlers.${k}`, int(v)]),
  ...Object.entries(SYSLOG).map(([k, v]): [string, PyValue] => [`handlers.SysLogHandler.${k}`, int(v)])
])

/** Names whose attributes some allowed name reaches (`sys`, `logging`, `handlers`, ...). */
const PREFIXES = new Set(
  [...NAMES.keys()].flatMap((name) => {
    const parts = name.split(".")
    return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join("."))
  })
)

const CONSTANTS = new Set(["True", "False", "None"])

const KEYWORDS = new Set([
  "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else", "except",
  "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
  "return", "try", "while", "with", "yield"
])

// ---------------------------------------------------------------------------------------------
// Syntax tree

type Node =
  | { readonly kind: "const"; readonly value: PyValue; readonly start: number }
  | { readonly kind: "unary"; readonly op: string; readonly operand: Node; readonly start: number }
  | { readonly kind: "binary"; readonly op: string; readonly left: Node; readonly right: Node; readonly start: number }
  | { readonly kind: "tuple" | "list"; readonly items: ReadonlyArray<Node>; readonly start: number }
  | { readonly kind: "set"; readonly items: ReadonlyArray<Node>; readonly start: number }
  | { readonly kind: "dict"; readonly entries: ReadonlyArray<readonly [Node, Node]>; readonly start: number }

/** Expressions nested deeper than this are refused. */
const MAX_DEPTH = 200

const UNSUPPORTED_OPERATORS: Record<string, string> = {
  "<": "comparisons", ">": "comparisons", "<=": "comparisons", ">=": "comparisons", "==": "comparisons",
  "!=": "comparisons", "|": "bitwise operators", "^": "bitwise operators", "&": "bitwise operators",
  "<<": "bitwise operators", ">>": "bitwise operators", "~": "bitwise operators", "@": "matrix multiplication",
  ":=": "assignment expressions", "...": "Ellipsis"
}

/** Recursive descent over Python's `expressions` rule, limited to our subset. */
class Parser {
  private i = 0
  private depth = 0

  constructor(private readonly tokens: ReadonlyArray<Token>) {}

  /** `expressions NEWLINE* ENDMARKER`. */
  parse(): Node {
    const node = this.expressionList(this.peek.start, "end")
    while (this.peek.kind === "newline") this.i++
    if (this.peek.kind !== "end") throw this.unexpected()
    return node
  }

  private get peek(): Token {
    return this.tokens[this.i]!
  }

  private isOp(text: string): boolean {
    const t = this.peek
    return t.kind === "op" && t.text === text
  }

  private eat(text: string): boolean {
    if (!this.isOp(text)) return false
    this.i++
    return true
  }

  private expect(text: string): void {
    if (!this.eat(text)) throw this.unexpected(`expected '${text}'`)
  }

  /** A refusal for the token at hand: unsupported syntax named, anything else a syntax error. */
  private unexpected(expected?: string): Refusal {
    const t = this.peek
    if (t.kind === "name" && KEYWORDS.has(t.raw)) return unsupported(`'${t.text}' is not supported`, t.start)
    if (t.kind === "op" && t.text in UNSUPPORTED_OPERATORS) {
      return unsupported(`${UNSUPPORTED_OPERATORS[t.text]} are not supported (found '${t.text}')`, t.start)
    }
    if (t.kind === "op" && t.text === "(") return unsupported("calls are not supported", t.start)
    if (t.kind === "op" && t.text === "[") return unsupported("subscripts are not supported", t.start)
    if (t.kind === "op" && t.text === ".") return unsupported("attribute access is not supported", t.start)
    const found = t.kind === "end" ? "end of input" : t.kind === "newline" ? "a line break" : `'${tokenText(t)}'`
    return syntax(`invalid syntax: ${expected === undefined ? "unexpected" : `${expected}, found`} ${found}`, t.start)
  }

  /** `a, b, c` up to `close`: one expression, or a tuple if there is a comma. */
  private expressionList(start: number, close: string): Node {
    const first = this.expression()
    if (!this.isOp(",")) return first
    const items = [first]
    while (this.eat(",")) {
      if (this.atClose(close)) break
      items.push(this.expression())
    }
    return { kind: "tuple", items, start }
  }

  private atClose(close: string): boolean {
    return close === "end" ? this.peek.kind === "end" || this.peek.kind === "newline" : this.isOp(close)
  }

  private expression(): Node {
    if (++this.depth > MAX_DEPTH) throw unsupported("expression nested too deeply", this.peek.start)
    try {
      if (this.isOp("*") || this.isOp("**")) {
        throw unsupported(`unpacking with '${tokenText(this.peek)}' is not supported`, this.peek.start)
      }
      return this.sum()
    } finally {
      this.depth--
    }
  }

  private binary(next: () => Node, ops: ReadonlyArray<string>): Node {
    let left = next()
    for (;;) {
      const t = this.peek
      if (t.kind !== "op" || !ops.includes(t.text)) return left
      this.i++
      left = { kind: "binary", op: t.text, left, right: next(), start: t.start }
    }
  }

  private sum(): Node {
    return this.binary(() => this.term(), ["+", "-"])
  }

  private term(): Node {
    return this.binary(() => this.factor(), ["*", "/", "//", "%"])
  }

  private factor(): Node {
    const t = this.peek
    if (t.kind === "op" && (t.text === "+" || t.text === "-")) {
      this.i++
      return { kind: "unary", op: t.text, operand: this.nested(() => this.factor()), start: t.start }
    }
    return this.power()
  }

  private nested(f: () => Node): Node {
    if (++this.depth > MAX_DEPTH) throw unsupported("expression nested too deeply", this.peek.start)
    try {
      return f()
    } finally {
      this.depth--
    }
  }

  private power(): Node {
    const base = this.primary()
    const t = this.peek
    if (t.kind !== "op" || t.text !== "**") return base
    this.i++
    return { kind: "binary", op: "**", left: base, right: this.nested(() => this.factor()), start: t.start }
  }

  /** An atom; any trailer (call, subscript, attribute) is refused. */
  private primary(): Node {
    const node = this.atom()
    const t = this.peek
    if (t.kind === "op" && (t.text === "(" || t.text === "[" || t.text === ".")) {
      const what = t.text === "(" ? "calls are" : t.text === "[" ? "subscripts are" : "attribute access is"
      throw unsupported(`${what} not supported (found on ${describeNode(node)})`, t.start)
    }
    return node
  }

  private atom(): Node {
    const t = this.peek
    switch (t.kind) {
      case "number":
        this.i++
        return { kind: "const", value: numberValue(t.text), start: t.start }
      case "string":
        return this.strings()
      case "name":
        return this.name()
      case "op":
        if (t.text === "(") return this.parenthesized()
        if (t.text === "[") return this.list()
        if (t.text === "{") return this.braces()
    }
    throw this.unexpected()
  }

  /** Adjacent string literals, concatenated. */
  private strings(): Node {
    const start = this.peek.start
    const parts: Array<string | Uint8Array> = []
    for (let t = this.peek; t.kind === "string"; t = this.peek) {
      if (parts.length > 0 && typeof parts[0] !== typeof t.value) {
        throw syntax("cannot mix bytes and nonbytes literals", t.start)
      }
      parts.push(t.value)
      this.i++
    }
    if (typeof parts[0] === "string") return { kind: "const", value: str(parts.join("")), start }
    const bytes = parts as Array<Uint8Array>
    const value = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0))
    bytes.reduce((offset, b) => (value.set(b, offset), offset + b.length), 0)
    return { kind: "const", value: { _tag: "bytes", value }, start }
  }

  /** A name or dotted name from `NAMES`. */
  private name(): Node {
    const first = this.peek as Extract<Token, { kind: "name" }>
    if (KEYWORDS.has(first.raw)) throw unsupported(`'${first.raw}' is not supported`, first.start)
    // `True`, `False` and `None` are keywords only as written; NFKC-spelled they are plain names
    if (first.raw !== first.text && CONSTANTS.has(first.text)) {
      throw unsupported(`name '${first.raw}' is not supported`, first.start)
    }
    this.i++
    let dotted = first.text
    while (PREFIXES.has(dotted) && this.isOp(".") && this.tokens[this.i + 1]?.kind === "name") {
      dotted += `.${(this.tokens[this.i + 1] as { text: string }).text}`
      this.i += 2
    }
    const value = NAMES.get(dotted)
    if (value === undefined) throw this.unknownName(dotted, first.start)
    return { kind: "const", value, start: first.start }
  }

  /** Names the unknown (dotted) name, and the call when one follows. */
  private unknownName(name: string, start: number): Refusal {
    let dotted = name
    for (let j = this.i; this.tokens[j]?.kind === "op" && tokenText(this.tokens[j]!) === "."; j += 2) {
      const next = this.tokens[j + 1]
      if (next?.kind !== "name") break
      dotted += `.${next.text}`
      if (this.tokens[j + 2]?.kind === "op" && tokenText(this.tokens[j + 2]!) === "(") {
        return unsupported(`calls are not supported (found a call of '${dotted}')`, start)
      }
    }
    if (this.isOp("(")) return unsupported(`calls are not supported (found a call of '${dotted}')`, start)
    return unsupported(
      `${dotted.includes(".") ? "" : "name "}'${dotted}' is not supported (the names allowed are True, False, None, ` +
        "sys.stdout, sys.stderr, the level names such as DEBUG, and the handlers.* port and SysLogHandler.LOG_* constants)",
      start
    )
  }

  private parenthesized(): Node {
    const start = this.peek.start
    this.i++
    if (this.eat(")")) return { kind: "tuple", items: [], start }
    const inner = this.expressionList(start, ")")
    if (this.isOp(",")) throw this.unexpected()
    this.expect(")")
    return inner
  }

  private list(): Node {
    const start = this.peek.start
    this.i++
    const items = this.items("]")
    return { kind: "list", items, start }
  }

  /** `expression (',' expression)* ','?` up to `close`, which is eaten. */
  private items(close: string): Array<Node> {
    const items: Array<Node> = []
    while (!this.eat(close)) {
      items.push(this.expression())
      if (!this.eat(",")) {
        this.expect(close)
        break
      }
    }
    return items
  }

  /** `{}`, a dict, or a set. */
  private braces(): Node {
    const start = this.peek.start
    this.i++
    if (this.eat("}")) return { kind: "dict", entries: [], start }
    if (this.isOp("**")) throw unsupported("unpacking with '**' is not supported", this.peek.start)
    const first = this.expression()
    if (!this.eat(":")) {
      const rest = this.eat(",") ? this.items("}") : (this.expect("}"), [])
      return { kind: "set", items: [first, ...rest], start }
    }
    return { kind: "dict", entries: this.entries(first), start }
  }

  private entries(firstKey: Node): Array<[Node, Node]> {
    const entries: Array<[Node, Node]> = [[firstKey, this.expression()]]
    while (this.eat(",")) {
      if (this.eat("}")) return entries
      if (this.isOp("**")) throw unsupported("unpacking with '**' is not supported", this.peek.start)
      const key = this.expression()
      if (!this.isOp(":")) throw this.unexpected("expected ':' after dictionary key")
      this.i++
      entries.push([key, this.expression()])
    }
    this.expect("}")
    return entries
  }
}

const tokenText = (t: Token): string =>
  t.kind === "op" || t.kind === "name" || t.kind === "number" ? t.text : t.kind === "string" ? "string" : t.kind

const withArticle = (noun: string): string => `${/^[aeiou]/.test(noun) ? "an" : "a"} ${noun}`

const describeNode = (node: Node): string =>
  withArticle(
    node.kind === "const" ? typeName(node.value) : node.kind === "binary" || node.kind === "unary" ? "expression" : node.kind
  )

const numberValue = (text: string): PyValue => {
  const digits = text.replace(/_/g, "")
  if (/^0[xXoObB]/.test(digits) || /^[0-9]+$/.test(digits)) return int(BigInt(digits.replace(/^0+(?=\d)/, "")))
  return float(Number(digits))
}

// ---------------------------------------------------------------------------------------------
// Arithmetic

const typeName = (v: PyValue): string => (v._tag === "none" ? "NoneType" : v._tag === "ref" ? "TextIOWrapper" : v._tag)

type Num = { readonly kind: "int"; readonly value: bigint } | { readonly kind: "float"; readonly value: number }

/** Ints above this many bits are refused. */
const MAX_INT_BITS = 65536

const tooLarge = (at: number): Refusal => unsupported(`an int result has more than ${MAX_INT_BITS} bits`, at)

const bitLength = (n: bigint): number => (n < 0n ? -n : n).toString(2).length - (n === 0n ? 1 : 0)

const asNum = (v: PyValue, op: string, at: number): Num => {
  if (v._tag === "int") return { kind: "int", value: v.value }
  if (v._tag === "bool") return { kind: "int", value: v.value ? 1n : 0n }
  if (v._tag === "float") return { kind: "float", value: v.value }
  throw unsupported(`'${op}' on ${withArticle(typeName(v))} is not supported (arithmetic is on numbers only)`, at)
}

const fromNum = (n: Num, at: number): PyValue => {
  if (n.kind === "float") return float(n.value)
  if (bitLength(n.value) > MAX_INT_BITS) throw tooLarge(at)
  return int(n.value)
}

/** Python's `float(int)`: correctly rounded; too large is an OverflowError. */
const toFloat = (n: bigint, at: number): number => {
  const f = Number(n)
  if (!Number.isFinite(f)) throw valueError("int too large to convert to float", at)
  return f
}

/** Positive `n / d` as the nearest double (ties to even), Infinity when that overflows. */
const ratioToDouble = (n: bigint, d: bigint): number => {
  // e: the binary exponent of the quotient, 2^e <= n/d < 2^(e+1)
  let e = bitLength(n) - bitLength(d)
  if (e >= 0 ? n < d << BigInt(e) : n << BigInt(-e) < d) e--
  if (e >= 1024) return Infinity
  if (e < -1080) return 0
  // 53 significant bits, or fewer below 2^-1022 (subnormals)
  const scale = Math.max(e - 52, -1074)
  const num = scale < 0 ? n << BigInt(-scale) : n
  const den = scale < 0 ? d : d << BigInt(scale)
  let q = num / den
  const twiceRest = (num % den) * 2n
  if (twiceRest > den || (twiceRest === den && (q & 1n) === 1n)) q++
  return ldexp(Number(q), scale)
}

/** `a / b` for ints, correctly rounded, as CPython's `long_true_divide`. */
const trueDivide = (a: bigint, b: bigint, at: number): number => {
  if (b === 0n) throw valueError("division by zero", at)
  const negative = (a < 0n) !== (b < 0n)
  if (a === 0n) return negative ? -0 : 0
  const result = ratioToDouble(a < 0n ? -a : a, b < 0n ? -b : b)
  if (result === Infinity) throw valueError("integer division result too large for a float", at)
  return negative ? -result : result
}

/**
 * `x * 2^e` for an integral `x <= 2^53` and `-1074 <= e <= 971`: each factor is a normal power
 * of two and the first product is exact, so the only rounding is the final one (none when the
 * result is representable).
 */
const ldexp = (x: number, e: number): number => (e < -1022 ? x * 2 ** (e + 1022) * 2 ** -1022 : x * 2 ** e)

/** A positive finite double as `m * 2^e` with an integral `m`. */
const decompose = (x: number): [bigint, number] => {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, x)
  const bits = view.getBigUint64(0)
  const exponent = Number((bits >> 52n) & 0x7ffn)
  const fraction = bits & 0xfffffffffffffn
  return exponent === 0 ? [fraction, -1074] : [fraction | (1n << 52n), exponent - 1075]
}

/** Integral exponents up to this size are computed exactly (then rounded once). */
const MAX_EXACT_EXPONENT = 4096

/**
 * `base ** exponent` for a positive finite `base` and an integral `exponent`, correctly
 * rounded as the C library's `pow` is (V8's `Math.pow` is not: `10 ** -4` is
 * 0.00009999999999999999 there). Undefined when the exponent is too large to do exactly.
 */
const exactPow = (base: number, exponent: number): number | undefined => {
  const k = Math.abs(exponent)
  if (!Number.isInteger(exponent) || k > MAX_EXACT_EXPONENT) return undefined
  const log2 = exponent * Math.log2(base)
  if (log2 > 1100) return Infinity
  if (log2 < -1100) return 0
  const [m, e] = decompose(base)
  const p = m ** BigInt(k)
  const shift = e * k
  const [n, d] = shift >= 0 ? [p << BigInt(shift), 1n] : [p, 1n << BigInt(-shift)]
  return exponent > 0 ? ratioToDouble(n, d) : ratioToDouble(d, n)
}

const floorDivInt = (a: bigint, b: bigint): bigint => {
  const q = a / b
  return (a % b !== 0n) && ((a < 0n) !== (b < 0n)) ? q - 1n : q
}

const modInt = (a: bigint, b: bigint): bigint => {
  const r = a % b
  return r !== 0n && ((r < 0n) !== (b < 0n)) ? r + b : r
}

/** CPython's `_float_div_mod` (C truthiness: NaN is true). */
const floatDivMod = (vx: number, wx: number): [number, number] => {
  let mod = vx % wx
  let div = (vx - mod) / wx
  if (mod !== 0) {
    if ((wx < 0) !== (mod < 0)) {
      mod += wx
      div -= 1
    }
  } else {
    mod = wx < 0 ? -0 : 0
  }
  let floordiv: number
  if (div !== 0) {
    floordiv = Math.floor(div)
    if (div - floordiv > 0.5) floordiv += 1
  } else {
    floordiv = vx / wx < 0 || Object.is(vx / wx, -0) ? -0 : 0
  }
  return [floordiv, mod]
}

const isOddInteger = (x: number): boolean => Number.isInteger(x) && Math.abs(x % 2) === 1

/** CPython's `float_pow`. */
const floatPow = (iv: number, iw: number, at: number): number => {
  if (iw === 0) return 1
  if (Number.isNaN(iv)) return iv
  if (Number.isNaN(iw)) return iv === 1 ? 1 : iw
  if (!Number.isFinite(iw)) {
    const av = Math.abs(iv)
    if (av === 1) return 1
    return (iw > 0) === (av > 1) ? Math.abs(iw) : 0
  }
  if (!Number.isFinite(iv)) {
    const odd = isOddInteger(iw)
    if (iw > 0) return odd ? iv : Math.abs(iv)
    return odd ? (iv < 0 ? -0 : 0) : 0
  }
  if (iv === 0) {
    if (iw < 0) throw valueError("0.0 cannot be raised to a negative power", at)
    return isOddInteger(iw) ? iv : 0
  }
  let negate = false
  let base = iv
  if (iv < 0) {
    if (!Number.isInteger(iw)) {
      throw unsupported("a negative number to a fractional power is complex; complex numbers are not supported", at)
    }
    base = -iv
    negate = isOddInteger(iw)
  }
  if (base === 1) return negate ? -1 : 1
  const result = exactPow(base, iw) ?? (iw === 0.5 ? Math.sqrt(base) : Math.pow(base, iw))
  if (!Number.isFinite(result)) throw valueError("(34, 'Numerical result out of range')", at)
  return negate ? -result : result
}

const intPow = (a: bigint, b: bigint, at: number): Num => {
  if (b < 0n) return { kind: "float", value: floatPow(toFloat(a, at), toFloat(b, at), at) }
  const abs = a < 0n ? -a : a
  if (abs <= 1n) return { kind: "int", value: b === 0n ? 1n : a === -1n && b % 2n === 0n ? 1n : a }
  if ((bitLength(abs) - 1) * Number(b) > MAX_INT_BITS) throw tooLarge(at)
  return { kind: "int", value: a ** b }
}

const intOp = (op: string, a: bigint, b: bigint, at: number): Num => {
  switch (op) {
    case "+":
      return { kind: "int", value: a + b }
    case "-":
      return { kind: "int", value: a - b }
    case "*":
      if (bitLength(a) + bitLength(b) > MAX_INT_BITS + 1) throw tooLarge(at)
      return { kind: "int", value: a * b }
    case "/":
      return { kind: "float", value: trueDivide(a, b, at) }
    case "//":
      if (b === 0n) throw valueError("integer division or modulo by zero", at)
      return { kind: "int", value: floorDivInt(a, b) }
    case "%":
      if (b === 0n) throw valueError("integer modulo by zero", at)
      return { kind: "int", value: modInt(a, b) }
    default:
      return intPow(a, b, at)
  }
}

const floatOp = (op: string, a: number, b: number, at: number): number => {
  switch (op) {
    case "+":
      return a + b
    case "-":
      return a - b
    case "*":
      return a * b
    case "/":
      if (b === 0) throw valueError("float division by zero", at)
      return a / b
    case "//":
      if (b === 0) throw valueError("float floor division by zero", at)
      return floatDivMod(a, b)[0]
    case "%":
      if (b === 0) throw valueError("float modulo", at)
      return floatDivMod(a, b)[1]
    default:
      return floatPow(a, b, at)
  }
}

const arithmetic = (op: string, left: PyValue, right: PyValue, at: number): PyValue => {
  const a = asNum(left, op, at)
  const b = asNum(right, op, at)
  if (a.kind === "int" && b.kind === "int") return fromNum(intOp(op, a.value, b.value, at), at)
  const x = a.kind === "int" ? toFloat(a.value, at) : a.value
  const y = b.kind === "int" ? toFloat(b.value, at) : b.value
  return float(floatOp(op, x, y, at))
}

const unaryOp = (op: string, operand: PyValue, at: number): PyValue => {
  const n = asNum(operand, op, at)
  if (n.kind === "float") return float(op === "-" ? -n.value : n.value)
  return int(op === "-" ? -n.value : n.value)
}

// ---------------------------------------------------------------------------------------------
// Containers: hashing and equality as Python's dict and set see them

const isHashable = (v: PyValue): boolean =>
  v._tag === "tuple" ? v.items.every(isHashable) : v._tag !== "list" && v._tag !== "dict" && v._tag !== "set"

const numeric = (v: PyValue): Num | undefined =>
  v._tag === "int" ? { kind: "int", value: v.value } : v._tag === "bool"
  ? { kind: "int", value: v.value ? 1n : 0n }
  : v._tag === "float"
  ? { kind: "float", value: v.value }
  : undefined

const numbersEqual = (a: Num, b: Num): boolean => {
  if (a.kind === "float" && b.kind === "float") return a.value === b.value
  if (a.kind === "int" && b.kind === "int") return a.value === b.value
  const [i, f] = a.kind === "int" ? [a.value, b.value as number] : [b.value as bigint, a.value]
  return Number.isInteger(f) && BigInt(f) === i
}

const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i])

/** Python's `==` between two hashable values. */
const pyEquals = (a: PyValue, b: PyValue): boolean => {
  const x = numeric(a)
  const y = numeric(b)
  if (x !== undefined || y !== undefined) return x !== undefined && y !== undefined && numbersEqual(x, y)
  switch (a._tag) {
    case "str":
      return b._tag === "str" && a.value === b.value
    case "bytes":
      return b._tag === "bytes" && bytesEqual(a.value, b.value)
    case "none":
      return b._tag === "none"
    case "ref":
      return b._tag === "ref" && a.name === b.name
    case "tuple":
      return b._tag === "tuple" && a.items.length === b.items.length && a.items.every((v, i) => pyEquals(v, b.items[i]!))
    default:
      return false
  }
}

/** The first unhashable value inside `v` (itself, or a member of a tuple). */
const unhashable = (v: PyValue): PyValue | undefined =>
  v._tag === "tuple" ? v.items.map(unhashable).find((u) => u !== undefined) : isHashable(v) ? undefined : v

const requireHashable = (v: PyValue, at: number): void => {
  const bad = unhashable(v)
  if (bad !== undefined) throw valueError(`unhashable type: '${bad._tag}'`, at)
}

// ---------------------------------------------------------------------------------------------
// Evaluation

const evaluate = (node: Node): PyValue => {
  switch (node.kind) {
    case "const":
      return node.value
    case "unary":
      return unaryOp(node.op, evaluate(node.operand), node.start)
    case "binary":
      return arithmetic(node.op, evaluate(node.left), evaluate(node.right), node.start)
    case "tuple":
    case "list":
      return { _tag: node.kind, items: node.items.map(evaluate) }
    case "set":
      return { _tag: "set", items: evaluateSet(node) }
    case "dict":
      return { _tag: "dict", entries: evaluateDict(node) }
  }
}

const evaluateSet = (node: Extract<Node, { kind: "set" }>): Array<PyValue> => {
  const items: Array<PyValue> = []
  for (const child of node.items) {
    const v = evaluate(child)
    requireHashable(v, child.start)
    if (!items.some((item) => pyEquals(item, v))) items.push(v)
  }
  return items
}

const evaluateDict = (node: Extract<Node, { kind: "dict" }>): Array<[PyValue, PyValue]> => {
  const entries: Array<[PyValue, PyValue]> = []
  for (const [keyNode, valueNode] of node.entries) {
    const key = evaluate(keyNode)
    const value = evaluate(valueNode)
    requireHashable(key, keyNode.start)
    const index = entries.findIndex(([k]) => pyEquals(k, key))
    if (index >= 0) entries[index] = [entries[index]![0], value]
    else entries.push([key, value])
  }
  return entries
}

// ---------------------------------------------------------------------------------------------
// Entry point

/** 1-based line and column (in code points) of a UTF-16 offset. */
const position = (src: string, offset: number): { readonly line: number; readonly column: number } => {
  const before = src.slice(0, Math.min(offset, src.length))
  const lineStart = before.lastIndexOf("\n") + 1
  return { line: before.split("\n").length, column: [...before.slice(lineStart)].length + 1 }
}

/**
 * Evaluates a Python expression as CPython's `eval(source, vars(logging))` would, for the
 * subset the module header lists, or throws a `PythonLiteralError` naming what was refused and
 * where. `context` names the value in messages, e.g. `app.ini [handler_file] args`.
 */
export const parsePython = (source: string, context: string): PyValue => {
  // eval() drops leading spaces and tabs; the tokenizer reads \r\n and \r as \n
  const src = source.replace(/\r\n?/g, "\n").replace(/^[ \t]+/, "")
  const skipped = source.replace(/\r\n?/g, "\n").length - src.length
  try {
    if (src.includes("\0")) throw syntax("source code string cannot contain null bytes", src.indexOf("\0"))
    const tokens = new Lexer(src).run()
    return evaluate(new Parser(tokens).parse())
  } catch (e) {
    if (!(e instanceof Refusal)) throw e
    const normalized = source.replace(/\r\n?/g, "\n")
    const { column, line } = position(normalized, e.offset + skipped)
    throw new PythonLiteralError(context, e.reason, e.detail, line, column, e.offset + skipped)
  }
}
