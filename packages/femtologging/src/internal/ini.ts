/**
 * CPython's `configparser.ConfigParser`, as far as `logging.config.fileConfig` uses it.
 *
 * `fileConfig(fname, defaults)` builds `configparser.ConfigParser(defaults)` with every
 * constructor argument at its default and reads the file with it. `parseIni(text, { file,
 * defaults })` reproduces that parser's reading (ported line by line from CPython 3.11's
 * `RawConfigParser._read`) and its `get` (with `BasicInterpolation`):
 *
 * - Lines are split as a text-mode file reads them (`\n`, `\r\n` and a lone `\r` all end a
 *   line). Whitespace is Python's `str.isspace()` set, not JavaScript's `\s`.
 * - `[name]` opens a section (names are case-sensitive; the header is everything between the
 *   first `[` and the last `]` of the stripped line, and text after that `]` is ignored).
 *   `[DEFAULT]` holds defaults that every section sees; it may be opened more than once.
 * - `key = value` or `key: value` (the first `=` or `:` on the line is the delimiter). Keys are
 *   lower-cased (`optionxform`); keys and values are stripped.
 * - A line indented deeper than the line that started the current option continues its value
 *   (joined with `\n`). Empty lines inside a value are kept (`empty_lines_in_values=True`);
 *   trailing ones are dropped when the value is joined.
 * - Lines whose stripped text starts with `#` or `;` are comments, even when indented inside a
 *   value; they neither end nor join a value. There are no inline comments: `a = b ; c` is `b ; c`.
 * - Errors, in CPython's order: `MissingSectionHeaderError` for an option before any header,
 *   `DuplicateSectionError` / `DuplicateOptionError` at once (strict mode, per file; options
 *   are compared after lower-casing), and `ParsingError` listing every line that is neither a
 *   header, an option nor a comment, raised after the whole text is read (so a later duplicate
 *   wins over earlier junk). A line `= value` (empty key) is a parsing error too, but CPython
 *   still stores it under the key `""`, and so do we.
 * - `get(section, option)` interpolates `%(name)s` from the section, then from `[DEFAULT]` and
 *   the constructor defaults; `%%` is `%`; any other `%` is an `InterpolationSyntaxError`; a
 *   missing name is an `InterpolationMissingOptionError`; more than 10 nested levels is an
 *   `InterpolationDepthError`. Values are interpolated on every `get`, never at read time, so a
 *   bad `%` only matters for options that are read without `raw`.
 *
 * Every failure is one `IniError`: `kind` is CPython's exception class name, `detail` is
 * CPython's message text verbatim, `message` is `detail` plus the file (and line) when `detail`
 * does not already name them, `line` is 1-based where there is one (for `get` errors, the line
 * that defined the option).
 *
 * How `fileConfig` (CPython 3.11 `Lib/logging/config.py`) reads each value — whoever builds
 * fileConfig on this module must do the same:
 *
 * - raw (`get(..., { raw: true })`, `%(asctime)s` stays literal): `[formatter_*]` `format`,
 *   `datefmt` and `style` (style's fallback is `%`).
 * - interpolated (`get(...)` / `cp[section][key]` / `section.get(key, fallback)`): everything
 *   else — `[formatters]`/`[handlers]`/`[loggers]` `keys`, formatter `class`, handler `class`,
 *   `formatter` (fallback `""`), `args` (fallback `"()"`), `kwargs` (fallback `"{}"`), `level`,
 *   `target`; logger `level`, `handlers`, `qualname`, `propagate` (`getint`, fallback 1).
 *   `"level" in section` is `has(section, "level")` (it also sees `[DEFAULT]`).
 * - `ParsingError` and `MissingSectionHeaderError` surface from fileConfig as
 *   `RuntimeError(f"{fname} is invalid: {e}")`; duplicate errors and `get` errors propagate as
 *   they are. fileConfig refuses a missing file and an empty (0-byte) file before parsing.
 *
 * Deliberate differences:
 *
 * - One leading byte-order mark is skipped. CPython with its default UTF-8 encoding keeps it
 *   as a character and fails with `MissingSectionHeaderError` on line 1; we behave as CPython
 *   does with `encoding="utf-8-sig"`. Decoding bytes is the caller's business.
 * - A duplicate key in the constructor defaults (e.g. `LogDir` and `logdir`) is CPython's
 *   `DuplicateOptionError` from `'<dict>'`; our `message` also names the file being read.
 * - Not supported because fileConfig never uses them: other delimiters or comment prefixes,
 *   inline comments, `allow_no_value`, `ExtendedInterpolation`, `vars=`, writing, reading
 *   several files into one parser, `getint`/`getboolean` (callers convert).
 *
 * @internal
 */

/** CPython's `configparser` exception class names, one per failure. */
export type IniErrorKind =
  | "MissingSectionHeaderError"
  | "ParsingError"
  | "DuplicateSectionError"
  | "DuplicateOptionError"
  | "NoSectionError"
  | "NoOptionError"
  | "InterpolationMissingOptionError"
  | "InterpolationSyntaxError"
  | "InterpolationDepthError"

/** A line CPython's parser could not read, as `ParsingError.errors` lists it. */
export interface IniBadLine {
  /** 1-based. */
  readonly line: number
  /** The line as read, with its `\n` when it had one. */
  readonly text: string
}

interface IniErrorFields {
  readonly kind: IniErrorKind
  readonly file: string
  readonly detail: string
  readonly line?: number | undefined
  readonly section?: string | undefined
  readonly option?: string | undefined
  readonly badLines?: ReadonlyArray<IniBadLine> | undefined
}

/**
 * Everything `parseIni` and `Ini` refuse. `detail` is CPython's message text; `message`
 * also names the file and line when `detail` does not.
 */
export class IniError extends Error {
  readonly _tag = "IniError" as const
  readonly kind: IniErrorKind
  readonly file: string
  /** CPython's message text, verbatim. */
  readonly detail: string
  /** 1-based, when the failure has a line. */
  readonly line: number | undefined
  readonly section: string | undefined
  readonly option: string | undefined
  /** For `ParsingError`: every bad line, in order. Empty otherwise. */
  readonly badLines: ReadonlyArray<IniBadLine>

  constructor(fields: IniErrorFields) {
    super(fullMessage(fields))
    this.name = "IniError"
    this.kind = fields.kind
    this.file = fields.file
    this.detail = fields.detail
    this.line = fields.line
    this.section = fields.section
    this.option = fields.option
    this.badLines = fields.badLines ?? []
  }
}

const namesFile = (kind: IniErrorKind): boolean =>
  kind === "MissingSectionHeaderError" || kind === "ParsingError" ||
  kind === "DuplicateSectionError" || kind === "DuplicateOptionError"

const fullMessage = (fields: IniErrorFields): string => {
  if (namesFile(fields.kind) && fields.detail.includes(pyRepr(fields.file))) return fields.detail
  const where = fields.line === undefined ? "" : `, line ${fields.line}`
  return `${fields.detail} (in ${pyRepr(fields.file)}${where})`
}

// ---------------------------------------------------------------------------------------------
// Python string helpers

/** Python's `str.isspace()`: bidi classes WS/B/S and category Zs. */
const PY_SPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
  0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
  0x2028, 0x2029, 0x202f, 0x205f, 0x3000
])

/** Whether the UTF-16 unit at `i` is Python whitespace (all of it is in the BMP). */
const isSpaceAt = (s: string, i: number): boolean => PY_SPACE.has(s.charCodeAt(i))

/** Python's `str.strip()` with no argument. */
export const pyStrip = (s: string): string => pyRstrip(pyLstrip(s))

/** Python's `str.lstrip()` with no argument. */
export const pyLstrip = (s: string): string => {
  let start = 0
  while (start < s.length && isSpaceAt(s, start)) start++
  return s.slice(start)
}

/** Python's `str.rstrip()` with no argument. */
export const pyRstrip = (s: string): string => {
  let end = s.length
  while (end > 0 && isSpaceAt(s, end - 1)) end--
  return s.slice(0, end)
}

const NOT_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u

const hex = (n: number, width: number): string => n.toString(16).padStart(width, "0")

const reprChar = (ch: string, quote: string): string => {
  if (ch === quote || ch === "\\") return `\\${ch}`
  if (ch === "\t") return "\\t"
  if (ch === "\n") return "\\n"
  if (ch === "\r") return "\\r"
  const cp = ch.codePointAt(0)!
  if (cp < 0x20 || cp === 0x7f) return `\\x${hex(cp, 2)}`
  if (cp < 0x7f || ch === " " || !NOT_PRINTABLE.test(ch)) return ch
  if (cp <= 0xff) return `\\x${hex(cp, 2)}`
  return cp <= 0xffff ? `\\u${hex(cp, 4)}` : `\\U${hex(cp, 8)}`
}

/**
 * Python's `repr()` of a str: single quotes unless the text has a `'` and no `"`. Printability
 * follows this Node's Unicode tables, which may be newer than CPython's.
 */
export const pyRepr = (s: string): string => {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'"
  let out = quote
  for (const ch of s) out += reprChar(ch, quote)
  return out + quote
}

/** Python's `"{0:2d}".format(n)`. */
const pad2 = (n: number): string => String(n).padStart(2, " ")

/** `optionxform`: `str.lower()`. */
const optionxform = (s: string): string => s.toLowerCase()

// ---------------------------------------------------------------------------------------------
// Reading

/** The name of the defaults section (`configparser.DEFAULTSECT`). */
export const DEFAULT_SECTION = "DEFAULT"

/** Interpolation gives up beyond this many nested references (`MAX_INTERPOLATION_DEPTH`). */
export const MAX_INTERPOLATION_DEPTH = 10

interface Stored {
  readonly value: string
  /** The line of `key = ...`; undefined for constructor defaults. */
  readonly line: number | undefined
}

/** A value while it is being read: its lines, joined at the end. */
interface Pending {
  readonly lines: Array<string>
  readonly line: number
}

type Section = Map<string, Stored | Pending>

/** The physical lines of `text`, as a text-mode file yields them (each with its `\n`). */
const splitLines = (text: string): Array<string> => {
  const parts = text.split(/\r\n|\r|\n/)
  const lines = parts.map((part, i) => (i < parts.length - 1 ? `${part}\n` : part))
  if (lines[lines.length - 1] === "") lines.pop()
  return lines
}

const isComment = (line: string): boolean => {
  const stripped = pyStrip(line)
  return stripped.startsWith("#") || stripped.startsWith(";")
}

const indentOf = (line: string): number => {
  let i = 0
  while (i < line.length && isSpaceAt(line, i)) i++
  return i < line.length ? i : 0
}

/** `SECTCRE`: `\[(?P<header>.+)\]` matched at the start of the stripped line. */
const sectionHeader = (value: string): string | undefined => {
  const close = value.lastIndexOf("]")
  return value.startsWith("[") && close >= 2 ? value.slice(1, close) : undefined
}

/** `OPTCRE`: everything before the first `=` or `:` is the key. */
const optionLine = (value: string): { readonly name: string; readonly value: string } | undefined => {
  const match = /[=:]/.exec(value)
  if (match === null) return undefined
  return { name: pyRstrip(value.slice(0, match.index)), value: pyStrip(value.slice(match.index + 1)) }
}

const isPending = (entry: Stored | Pending): entry is Pending => "lines" in entry

/** The state of `RawConfigParser._read` as it walks the lines. */
class Reader {
  readonly sections = new Map<string, Section>()
  readonly defaults: Section
  /** `elements_added`, split: section names, and `[section, option]` pairs. */
  private readonly addedSections = new Set<string>()
  private readonly addedOptions = new Map<string, Set<string>>()
  private readonly bad: Array<IniBadLine> = []
  private current: Section | undefined = undefined
  private sectionName: string | undefined = undefined
  private option: string | undefined = undefined
  private indentLevel = 0

  constructor(private readonly file: string, defaults: Section) {
    this.defaults = defaults
  }

  read(lines: ReadonlyArray<string>): void {
    lines.forEach((line, i) => this.readLine(line, i + 1))
    this.joinValues()
    if (this.bad.length > 0) throw this.parsingError()
  }

  private readLine(line: string, lineno: number): void {
    const comment = isComment(line)
    const value = comment ? "" : pyStrip(line)
    if (value === "") return this.emptyLine(comment)
    const indent = indentOf(line)
    const open = this.openValue()
    if (open !== undefined && indent > this.indentLevel) {
      open.lines.push(value)
      return
    }
    this.indentLevel = indent
    const header = sectionHeader(value)
    if (header !== undefined) return this.enterSection(header, lineno)
    if (this.current === undefined) {
      throw new IniError({
        kind: "MissingSectionHeaderError",
        file: this.file,
        line: lineno,
        detail: `File contains no section headers.\nfile: ${pyRepr(this.file)}, line: ${lineno}\n${pyRepr(line)}`
      })
    }
    const parsed = optionLine(value)
    if (parsed === undefined) return this.badLine(lineno, line)
    this.setOption(parsed.name, parsed.value, lineno, line)
  }

  /** The value that an indented line would continue, if any (`cursect and optname`). */
  private openValue(): Pending | undefined {
    if (this.current === undefined || !this.option) return undefined
    const entry = this.current.get(this.option)
    return entry !== undefined && isPending(entry) ? entry : undefined
  }

  private emptyLine(comment: boolean): void {
    if (!comment) this.openValue()?.lines.push("")
  }

  private enterSection(name: string, lineno: number): void {
    const existing = this.sections.get(name)
    if (existing !== undefined) {
      if (this.addedSections.has(name)) {
        throw new IniError({
          kind: "DuplicateSectionError",
          file: this.file,
          line: lineno,
          section: name,
          detail: `While reading from ${pyRepr(this.file)} [line ${pad2(lineno)}]: section ${pyRepr(name)} already exists`
        })
      }
      this.current = existing
    } else if (name === DEFAULT_SECTION) {
      this.current = this.defaults
    } else {
      this.current = new Map()
      this.sections.set(name, this.current)
      this.addedSections.add(name)
    }
    this.sectionName = name
    this.option = undefined
  }

  private setOption(rawName: string, value: string, lineno: number, line: string): void {
    if (!rawName) this.badLine(lineno, line)
    const name = optionxform(rawName)
    const sectionName = this.sectionName!
    const added = this.addedOptions.get(sectionName) ?? new Set<string>()
    this.addedOptions.set(sectionName, added)
    if (added.has(name)) {
      throw new IniError({
        kind: "DuplicateOptionError",
        file: this.file,
        line: lineno,
        section: sectionName,
        option: name,
        detail: `While reading from ${pyRepr(this.file)} [line ${pad2(lineno)}]: option ${pyRepr(name)} in section ${
          pyRepr(sectionName)
        } already exists`
      })
    }
    added.add(name)
    this.option = name
    this.current!.set(name, { lines: [value], line: lineno })
  }

  private badLine(lineno: number, line: string): void {
    this.bad.push({ line: lineno, text: line })
  }

  private parsingError(): IniError {
    const lines = this.bad.map((bad) => `\n\t[line ${pad2(bad.line)}]: ${pyRepr(bad.text)}`).join("")
    return new IniError({
      kind: "ParsingError",
      file: this.file,
      line: this.bad[0]!.line,
      badLines: this.bad,
      detail: `Source contains parsing errors: ${pyRepr(this.file)}${lines}`
    })
  }

  /** `_join_multiline_values`: `"\n".join(lines).rstrip()`. */
  private joinValues(): void {
    for (const section of [this.defaults, ...this.sections.values()]) {
      for (const [name, entry] of section) {
        if (isPending(entry)) section.set(name, { value: pyRstrip(entry.lines.join("\n")), line: entry.line })
      }
    }
  }
}

/** `ConfigParser(defaults)`: keys lower-cased, duplicates (after lower-casing) refused. */
const readDefaults = (file: string, defaults: Readonly<Record<string, string>> | undefined): Section => {
  const section: Section = new Map()
  for (const [key, value] of Object.entries(defaults ?? {})) {
    const name = optionxform(key)
    if (section.has(name)) {
      throw new IniError({
        kind: "DuplicateOptionError",
        file,
        section: DEFAULT_SECTION,
        option: name,
        detail: `While reading from '<dict>': option ${pyRepr(name)} in section ${pyRepr(DEFAULT_SECTION)} already exists`
      })
    }
    section.set(name, { value: String(value), line: undefined })
  }
  return section
}

// ---------------------------------------------------------------------------------------------
// The parsed configuration

/** Options for `Ini.get`. */
export interface GetOptions {
  /** Return the value as written, without `%` interpolation. */
  readonly raw?: boolean | undefined
}

/** Options for `Ini.get` with a value to return when the section or option is missing. */
export interface GetOptionsWithFallback<A> extends GetOptions {
  readonly fallback: A
}

/** A parsed configuration: CPython `ConfigParser`'s read-only surface. */
export class Ini {
  /** @internal */
  constructor(
    /** The file name given to `parseIni`, used in every error. */
    readonly file: string,
    private readonly sectionMap: ReadonlyMap<string, ReadonlyMap<string, Stored>>,
    private readonly defaultMap: ReadonlyMap<string, Stored>
  ) {}

  /** Section names in file order, without `DEFAULT` (`sections()`). */
  sections(): Array<string> {
    return [...this.sectionMap.keys()]
  }

  /** Whether the section exists; `DEFAULT` never does (`has_section`). */
  hasSection(section: string): boolean {
    return this.sectionMap.has(section)
  }

  /** The section's option names, then the defaults it does not override (`options()`). */
  options(section: string): Array<string> {
    const own = this.sectionMap.get(section)
    if (own === undefined) throw this.noSection(section)
    return [...new Set([...own.keys(), ...this.defaultMap.keys()])]
  }

  /** The `[DEFAULT]` and constructor defaults, raw (`defaults()`). */
  defaults(): Map<string, string> {
    return new Map([...this.defaultMap].map(([key, stored]) => [key, stored.value]))
  }

  /**
   * `has_option`: the option is in the section or in the defaults. An empty section name or
   * `DEFAULT` asks the defaults alone; a missing section has nothing.
   */
  has(section: string, option: string): boolean {
    const name = optionxform(option)
    if (!section || section === DEFAULT_SECTION) return this.defaultMap.has(name)
    const own = this.sectionMap.get(section)
    return own !== undefined && (own.has(name) || this.defaultMap.has(name))
  }

  /** The line that defined the option's value (section first, then `[DEFAULT]`), if any. */
  lineOf(section: string, option: string): number | undefined {
    return this.lookup(section, optionxform(option))?.line
  }

  /**
   * `get(section, option, raw=..., fallback=...)`: the value from the section, else from the
   * defaults, interpolated unless `raw`. A missing section or option returns `fallback` when one
   * is given (interpolation errors are always thrown).
   */
  get(section: string, option: string, options?: GetOptions): string
  get<A>(section: string, option: string, options: GetOptionsWithFallback<A>): string | A
  get<A>(section: string, option: string, options?: GetOptions | GetOptionsWithFallback<A>): string | A {
    const hasFallback = options !== undefined && "fallback" in options
    if (section !== DEFAULT_SECTION && !this.sectionMap.has(section)) {
      if (hasFallback) return options.fallback
      throw this.noSection(section)
    }
    const name = optionxform(option)
    const stored = this.lookup(section, name)
    if (stored === undefined) {
      if (hasFallback) return options.fallback
      throw new IniError({
        kind: "NoOptionError",
        file: this.file,
        section,
        option: name,
        detail: `No option ${pyRepr(name)} in section: ${pyRepr(section)}`
      })
    }
    return options?.raw === true ? stored.value : this.interpolate(section, name, stored)
  }

  private lookup(section: string, name: string): Stored | undefined {
    return this.sectionMap.get(section)?.get(name) ?? this.defaultMap.get(name)
  }

  private noSection(section: string): IniError {
    return new IniError({ kind: "NoSectionError", file: this.file, section, detail: `No section: ${pyRepr(section)}` })
  }

  /** `BasicInterpolation.before_get`. */
  private interpolate(section: string, option: string, stored: Stored): string {
    const out: Array<string> = []
    const lookup = (name: string) => this.lookup(section, name)
    new Interpolation(this.file, lookup, section, option, stored).run(out, stored.value, 1)
    return out.join("")
  }
}

const KEY = /^%\(([^)]+)\)s/

/** One `BasicInterpolation._interpolate_some` walk, for one `get`. */
class Interpolation {
  constructor(
    private readonly file: string,
    private readonly lookup: (name: string) => Stored | undefined,
    private readonly section: string,
    private readonly option: string,
    private readonly stored: Stored
  ) {}

  run(out: Array<string>, text: string, depth: number): void {
    if (depth > MAX_INTERPOLATION_DEPTH) {
      throw this.error(
        "InterpolationDepthError",
        `Recursion limit exceeded in value substitution: option ${pyRepr(this.option)} in section ${
          pyRepr(this.section)
        } contains an interpolation key which cannot be substituted in ${MAX_INTERPOLATION_DEPTH} steps. Raw value: ${
          pyRepr(this.stored.value)
        }`
      )
    }
    let rest = text
    while (rest) {
      const p = rest.indexOf("%")
      if (p < 0) {
        out.push(rest)
        return
      }
      out.push(rest.slice(0, p))
      rest = rest.slice(p)
      rest = this.step(out, rest, depth)
    }
  }

  /** Handles the `%...` at the start of `rest`; returns what follows it. */
  private step(out: Array<string>, rest: string, depth: number): string {
    const next = rest.slice(1, 2)
    if (next === "%") {
      out.push("%")
      return rest.slice(2)
    }
    if (next !== "(") {
      throw this.error("InterpolationSyntaxError", `'%' must be followed by '%' or '(', found: ${pyRepr(rest)}`)
    }
    const match = KEY.exec(rest)
    if (match === null) {
      throw this.error("InterpolationSyntaxError", `bad interpolation variable reference ${pyRepr(rest)}`)
    }
    const name = optionxform(match[1]!)
    const found = this.lookup(name)
    if (found === undefined) {
      throw this.error(
        "InterpolationMissingOptionError",
        `Bad value substitution: option ${pyRepr(this.option)} in section ${pyRepr(this.section)} contains an ` +
          `interpolation key ${pyRepr(name)} which is not a valid option name. Raw value: ${pyRepr(this.stored.value)}`
      )
    }
    if (found.value.includes("%")) this.run(out, found.value, depth + 1)
    else out.push(found.value)
    return rest.slice(match[0].length)
  }

  private error(kind: IniErrorKind, detail: string): IniError {
    return new IniError({
      kind,
      file: this.file,
      line: this.stored.line,
      section: this.section,
      option: this.option,
      detail
    })
  }
}

/** Options for `parseIni`. */
export interface ParseIniOptions {
  /** The file name, for messages (CPython's `source`). */
  readonly file: string
  /** `fileConfig(fname, defaults)`: values every section sees, below `[DEFAULT]`. */
  readonly defaults?: Readonly<Record<string, string>> | undefined
}

/**
 * Reads `text` as `configparser.ConfigParser(defaults).read(file)` does, or throws the
 * `IniError` CPython's parser would raise.
 */
export const parseIni = (text: string, options: ParseIniOptions): Ini => {
  const body = text.startsWith("\ufeff") ? text.slice(1) : text
  const reader = new Reader(options.file, readDefaults(options.file, options.defaults))
  reader.read(splitLines(body))
  return new Ini(options.file, reader.sections as Map<string, Map<string, Stored>>, reader.defaults as Map<string, Stored>)
}
