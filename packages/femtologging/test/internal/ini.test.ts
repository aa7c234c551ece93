/**
 * `parseIni` against CPython's `configparser.ConfigParser(defaults)`: every case below is also
 * read by one python3 process (JSON in on stdin, JSON out), and sections, options, raw and
 * interpolated values, `has_option`, fallbacks and errors (class, message, line) must match.
 * Without python3 the oracle tests are skipped (the local ones still run).
 */
import { spawnSync } from "node:child_process"
import { assert, describe, it } from "vitest"
import { type Ini, IniError, parseIni, pyRepr } from "../../src/internal/ini.ts"

// ---------------------------------------------------------------------------------------------
// The oracle

const ORACLE = String.raw`
import configparser, io, json, sys

def err(e):
    return {"kind": type(e).__name__, "message": str(e), "line": getattr(e, "lineno", None),
            "bad": [[n, r] for n, r in getattr(e, "errors", [])]}

def attempt(f):
    try:
        return {"ok": f()}
    except Exception as e:
        return {"error": err(e)}

def run(case):
    # fileConfig reads a file in text mode: universal newlines; a BOM is skipped as utf-8-sig does
    text = case["text"].removeprefix("\ufeff")
    try:
        cp = configparser.ConfigParser(case.get("defaults"))
        cp.read_file(io.StringIO(text, newline=None), source=case["file"])
    except Exception as e:
        return {"error": err(e)}
    sections = cp.sections()
    values = []
    for s in ["DEFAULT"] + sections:
        opts = list(cp.defaults().keys()) if s == "DEFAULT" else cp.options(s)
        for o in opts:
            values.append([s, o, cp.get(s, o, raw=True), attempt(lambda: cp.get(s, o))])
    probes = []
    for s, o in case["probes"]:
        got = attempt(lambda: cp.get(s, o, fallback="<fallback>"))
        missing = attempt(lambda: cp.get(s, o))
        opts = attempt(lambda: cp.options(s))
        probes.append([cp.has_section(s), cp.has_option(s, o), got, missing, opts])
    return {"sections": sections, "values": values, "probes": probes}

cases = json.load(sys.stdin)
json.dump([run(c) for c in cases], sys.stdout)
`

const python = spawnSync("python3", ["--version"], { encoding: "utf8" })
const hasPython = python.status === 0
if (!hasPython) console.warn("ini.test.ts: python3 not found; skipping the CPython oracle tests")

interface Case {
  readonly name: string
  readonly text: string
  readonly file?: string
  readonly defaults?: Record<string, string>
}

interface ErrorShape {
  readonly kind: string
  readonly message: string
  readonly line: number | null
  readonly bad: ReadonlyArray<readonly [number, string]>
}

type Attempt = { readonly ok: string } | { readonly error: ErrorShape }

interface Outcome {
  readonly error?: ErrorShape
  readonly sections?: ReadonlyArray<string>
  readonly values?: ReadonlyArray<readonly [string, string, string, Attempt]>
  readonly probes?: ReadonlyArray<readonly [boolean, boolean, Attempt, Attempt, Attempt | { ok: Array<string> }]>
}

const PROBE_OPTIONS = ["keys", "Level", "args", "missing", ""]

const probesFor = (sections: ReadonlyArray<string>): Array<[string, string]> =>
  ["DEFAULT", "", "nosuch", ...sections].flatMap((s) => PROBE_OPTIONS.map((o): [string, string] => [s, o]))

/** Runs every case through CPython in one process. */
const oracle = (cases: ReadonlyArray<Case>, probeSections: ReadonlyArray<ReadonlyArray<string>>): Array<Outcome> => {
  const input = cases.map((c, i) => ({
    text: c.text,
    file: c.file ?? "test.ini",
    defaults: c.defaults ?? null,
    probes: probesFor(probeSections[i]!)
  }))
  const result = spawnSync("python3", ["-c", ORACLE], {
    input: JSON.stringify(input),
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024
  })
  if (result.status !== 0) throw new Error(`python3 oracle failed: ${result.stderr}`)
  return JSON.parse(result.stdout) as Array<Outcome>
}

// ---------------------------------------------------------------------------------------------
// The same outcome, from parseIni

const READ_ERRORS = new Set(["MissingSectionHeaderError", "DuplicateSectionError", "DuplicateOptionError"])

const errorShape = (e: unknown): ErrorShape => {
  if (!(e instanceof IniError)) throw e
  return {
    kind: e.kind,
    message: e.detail,
    // CPython has `lineno` on the read errors only (and on none from the constructor defaults)
    line: READ_ERRORS.has(e.kind) ? e.line ?? null : null,
    bad: e.badLines.map((b) => [b.line, pyRepr(b.text)] as const)
  }
}

const attempt = <A>(f: () => A): { ok: A } | { error: ErrorShape } => {
  try {
    return { ok: f() }
  } catch (e) {
    return { error: errorShape(e) }
  }
}

const ours = (c: Case, probeSections: ReadonlyArray<string>): Outcome => {
  let ini: Ini
  try {
    ini = parseIni(c.text, { file: c.file ?? "test.ini", defaults: c.defaults })
  } catch (e) {
    return { error: errorShape(e) }
  }
  const sections = ini.sections()
  const values: Array<[string, string, string, Attempt]> = []
  for (const s of ["DEFAULT", ...sections]) {
    const options = s === "DEFAULT" ? [...ini.defaults().keys()] : ini.options(s)
    for (const o of options) values.push([s, o, ini.get(s, o, { raw: true }), attempt(() => ini.get(s, o))])
  }
  const probes = probesFor(probeSections).map(([s, o]) =>
    [
      ini.hasSection(s),
      ini.has(s, o),
      attempt(() => ini.get(s, o, { fallback: "<fallback>" })),
      attempt(() => ini.get(s, o)),
      attempt(() => ini.options(s))
    ] as const
  )
  return { sections, values, probes }
}

/** The sections a case's probes ask about: a fixed list, so both sides ask the same. */
const sectionNames = (text: string): Array<string> => [
  ...new Set([...text.matchAll(/\[([^\]\r\n]+)\]/g)].map((m) => m[1]!.trim()))
]

/** Defines one test per case, comparing with CPython; returns nothing when python3 is absent. */
const compareAll = (label: string, cases: ReadonlyArray<Case>, check?: (c: Case, outcome: Outcome) => void) => {
  describe.skipIf(!hasPython)(`${label} (CPython oracle)`, () => {
    const probeSections = cases.map((c) => sectionNames(c.text))
    const expected = hasPython ? oracle(cases, probeSections) : []
    cases.forEach((c, i) => {
      it(c.name, () => {
        const actual = ours(c, probeSections[i]!)
        assert.deepStrictEqual(actual, expected[i], `case ${c.name}:\n${JSON.stringify(c.text)}`)
        check?.(c, actual)
      })
    })
  })
}

// ---------------------------------------------------------------------------------------------
// Hand-written cases

const DOCS_EXAMPLE = `[loggers]
keys=root,log02,log03,log04,log05,log06,log07

[handlers]
keys=hand01,hand02,hand03,hand04,hand05,hand06,hand07,hand08,hand09

[formatters]
keys=form01,form02,form03,form04,form05,form06,form07,form08,form09

[logger_root]
level=NOTSET
handlers=hand01

[logger_parser]
level=DEBUG
handlers=hand01
propagate=1
qualname=compiler.parser

[handler_hand01]
class=StreamHandler
level=NOTSET
formatter=form01
args=(sys.stdout,)

[handler_hand02]
class=FileHandler
level=DEBUG
formatter=form02
args=('python.log', 'w')

[handler_hand05]
class=handlers.SysLogHandler
level=ERROR
formatter=form05
args=(('localhost', handlers.SYSLOG_UDP_PORT), handlers.SysLogHandler.LOG_USER)

[handler_hand06]
class=handlers.NTEventLogHandler
level=CRITICAL
formatter=form06
args=('Python Application', '', 'Application')

[handler_hand07]
class=handlers.SMTPHandler
level=WARN
formatter=form07
args=('localhost', 'from@abc', ['user1@abc', 'user2@xyz'], 'Logger Subject')
kwargs={'timeout': 10.0}

[handler_hand09]
class=handlers.HTTPHandler
level=NOTSET
formatter=form09
args=('localhost:9022', '/log', 'GET')
kwargs={'secure': True}

[formatter_form01]
format=F1 %(asctime)s %(levelname)s %(message)s %(customfield)s
datefmt=
style=%
validate=True
defaults={'customfield': 'defaultvalue'}
class=logging.Formatter
`

const REAL_WORLD = `# Application logging
; generated by hand

[DEFAULT]
logdir = /var/log/myapp
logfile = %(logdir)s/app.log
maxbytes: 10485760

[loggers]
keys = root, app, sqlalchemy

[handlers]
keys = console, rotating

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console

[logger_app]
level = DEBUG
handlers = rotating
qualname = myapp
propagate = 0

[logger_sqlalchemy]
level = WARN
handlers =
qualname = sqlalchemy.engine

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[handler_rotating]
class = handlers.RotatingFileHandler
args = ('%(logfile)s', 'a', %(maxbytes)s, 5)
level = DEBUG
formatter = generic

[formatter_generic]
format = %(asctime)s %(levelname)-5.5s [%(name)s:%(lineno)s][%(threadName)s] %(message)s
datefmt = %H:%M:%S
`

const HAND_WRITTEN: ReadonlyArray<Case> = [
  { name: "the CPython docs' fileConfig example", text: DOCS_EXAMPLE },
  { name: "a real-world config with [DEFAULT] and interpolation", text: REAL_WORLD },
  {
    name: "constructor defaults, overridden by [DEFAULT], seen by sections",
    text: "[DEFAULT]\nlogdir = /tmp\n\n[handler_file]\nargs=('%(logdir)s/%(LogFileName)s', 'a')\n",
    defaults: { logfilename: "app.log", LOGDIR: "/nope", extra: "%(missing)s" }
  },
  {
    name: "constructor defaults that clash after lower-casing",
    text: "[a]\nx=1\n",
    defaults: { LogDir: "/a", logdir: "/b" }
  },
  {
    name: "continuation lines, empty lines inside values, comments inside values",
    text: "[s]\nargs=('a',\n    'b',\n\n    'c')\nnext = 1\n  # an indented comment\n  more\n\n\n\nlast = x\n   \n"
  },
  {
    name: "a value starting on the next line",
    text: "[handler_h]\nargs=\n    ('app.log',\n     'a')\nclass = FileHandler\n"
  },
  {
    name: "continuation depends on the indentation of the option's own line",
    text: "[s]\n  a = 1\n  b = 2\n    c = 3\n d = 4\ne=5\n\tf\n"
  },
  { name: "section headers are not continuations, and sections reset the value", text: "[a]\nk = 1\n[b]\n  x\n" },
  { name: "an indented header after a value is a continuation", text: "[a]\nk = 1\n  [b]\n" },
  {
    name: "delimiters: = and :, the first one wins, spaces around",
    text: "[s]\na=1\nb:2\nc = d = e\nf : g = h\nurl = http://x:80/\ntime: 12:30\n  spaced key   =   spaced value   \n"
  },
  { name: "keys are lower-cased, section names are not", text: "[Sec]\nKey = V\n[sec]\nkEY = v\n" },
  { name: "no inline comments", text: "[s]\na = b ; c\nd = e # f\n" },
  {
    name: "comment lines with # and ;, indented, with odd whitespace",
    text: "#c\n;c\n   # c\n\t; c\n[s]\n#k = v\n;k = v\nk = v\n"
  },
  { name: "header details", text: "[a] trailing\n[b]c]\n[ spaced ]\n[]]\n[[x]]\nk=v\n" },
  { name: "an empty header is junk", text: "[a]\n[]\nk=v\n" },
  { name: "[DEFAULT] twice is allowed", text: "[DEFAULT]\na=1\n[s]\n[DEFAULT]\nb=2\n" },
  { name: "an option twice in [DEFAULT] is not", text: "[DEFAULT]\na=1\n[s]\n[DEFAULT]\nA=2\n" },
  { name: "duplicate section", text: "[a]\nk=1\n\n[b]\n[a]\n" },
  { name: "duplicate option (case-insensitive)", text: "[a]\nkey=1\n\n\n\n\n\n\n\n\n\nKEY = 2\n" },
  { name: "missing section header", text: "# comment\n\nkey = value\n[s]\n" },
  { name: "missing section header (junk line)", text: "junk\n" },
  { name: "junk lines are collected into one ParsingError", text: "[s]\nok=1\njunk\n[t]\nmore junk\nx = 1\n" },
  { name: "a later duplicate wins over earlier junk", text: "[s]\njunk\n[s]\n" },
  { name: "an empty key is a parsing error but still stored", text: "[s]\n= v\nk = w\n" },
  { name: "two empty keys are a duplicate", text: "[s]\n= v\n: w\n" },
  { name: "junk keeps the previous option open for continuations", text: "[s]\na = 1\njunk\n  more\n" },
  {
    name: "interpolation: %% and nesting and case-insensitive keys",
    text: "[s]\na = 100%%\nb = %(A)s of %(c)s\nc = %(d)s\nd = deep\ne = %%(a)s\n"
  },
  { name: "interpolation: missing key", text: "[s]\na = %(nope)s\n" },
  { name: "interpolation: bad syntax", text: "[s]\na = 50%\nb = %(x)d\nc = %()s\nd = %(unterminated\ne = %\nf = %x\n" },
  { name: "interpolation: depth", text: "[s]\na = %(b)s\nb = %(a)s\nc = %(c)s\n" },
  {
    name: "interpolation: ten levels is fine, eleven is not",
    text: "[s]\n" + Array.from({ length: 12 }, (_, i) => `v${i} = %(v${i + 1})s`).join("\n") + "\nv12 = end\n"
  },
  {
    name: "interpolation: logging formats need raw",
    text: "[formatter_f]\nformat=%(asctime)s %(levelname)s %(message)s\ndatefmt=%Y-%m-%d\n"
  },
  { name: "interpolation: a section sees its own values before defaults", text: "[DEFAULT]\nx=d\ny=%(x)s\n[s]\nx=s\n" },
  {
    name: "line endings: CRLF, lone CR, none at the end",
    text: "[s]\r\na = 1\r\n  cont\rb = 2\r\r\n[t]\rc=3"
  },
  { name: "a byte-order mark", text: "\ufeff[s]\nk=v\n" },
  {
    name: "Python whitespace (not JavaScript's)",
    text: "[s]\n\u3000k\u3000=\u3000v\u3000\n\x1cj\x1f=\x85w\xa0\n\ufeffz = \ufeffy\ufeff\n  \u2028cont\n"
  },
  { name: "unicode keys and lower-casing", text: "[Ü]\nÄ = Ö\nΣΑΣ = 1\nİ = 2\n" },
  { name: "odd characters in lines, repr'd in errors", text: "[s]\n'\"\t\\\x00\x7f\u200b\ud83d\ude00\n" },
  { name: "an empty text", text: "" },
  { name: "only comments and blank lines", text: "# a\n\n; b\n   \n" },
  { name: "a file name with quotes", text: "junk", file: "it's.ini" },
  { name: "a file name with both quotes", text: "[a]\n[a]", file: "it's \"x\".ini" },
  { name: "line numbers past 99 in messages", text: "[s]\n" + "\n".repeat(120) + "k=1\nk=2\n" }
]

// ---------------------------------------------------------------------------------------------
// Random INI-ish text

/** mulberry32: a small seeded PRNG. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

type Rng = () => number
const pick = <A>(rng: Rng, items: ReadonlyArray<A>): A => items[Math.floor(rng() * items.length)]!
const repeat = (rng: Rng, max: number, f: () => string): string =>
  Array.from({ length: Math.floor(rng() * (max + 1)) }, f).join("")

const SECTIONS = ["loggers", "handlers", "logger_root", "DEFAULT", "s", "S", "a b", "x]y", "é", " sp "]
const KEYS = ["keys", "Keys", "level", "args", "a", "b", "A", "x y", "é", "Σ", "%(a)s", "k["]
const WS = [" ", "  ", "\t", "\u3000", "\xa0", "\x1c", "\x85", "\u2028", "\ufeff", "\v", "\f"]
const VALUE_BITS = [
  "x",
  "value",
  "%(a)s",
  "%(B)s",
  "%(keys)s",
  "%(level)s",
  "%%",
  "%",
  "%(",
  "%(a)d",
  "%()s",
  "(",
  "'a'",
  ":",
  "=",
  "#",
  ";",
  "[x]",
  " ",
  "\t",
  "é",
  "😀",
  "\\",
  "\"",
  "\x00",
  "\u200b"
]

const ws = (rng: Rng, max: number) => repeat(rng, max, () => pick(rng, WS))
const value = (rng: Rng) => repeat(rng, 4, () => pick(rng, VALUE_BITS))

const header = (rng: Rng) =>
  `${rng() < 0.2 ? ws(rng, 2) : ""}[${pick(rng, SECTIONS)}]${rng() < 0.1 ? pick(rng, [" junk", "]", " ; c"]) : ""}`
const option = (rng: Rng) =>
  `${rng() < 0.2 ? ws(rng, 2) : ""}${pick(rng, KEYS)}${ws(rng, 1)}${pick(rng, ["=", ":", "==", ":="])}${ws(rng, 1)}${
    value(rng)
  }${ws(rng, 1)}`
const continuation = (rng: Rng) => `${ws(rng, 1)}${pick(rng, [" ", "\t", "  "])}${value(rng) || "c"}${ws(rng, 1)}`
const comment = (rng: Rng) => `${ws(rng, 1)}${pick(rng, ["#", ";"])}${value(rng)}`
const blank = (rng: Rng) => ws(rng, 2)
const junk = (rng: Rng) => pick(rng, ["junk", "[", "]", "[]", "x y", "=", ":", "= v", "[a", "%(a)s"])

const LINES = { header, option, continuation, comment, blank, junk }

/** A random document: mostly headers and options, some continuations, comments, junk. */
const randomDoc = (rng: Rng, junkWeight: number): string => {
  const kinds: Array<keyof typeof LINES> = ["header", "option", "option", "option", "continuation", "comment", "blank"]
  const lines: Array<string> = rng() < 0.8 ? [`[${pick(rng, SECTIONS)}]`] : []
  const count = 1 + Math.floor(rng() * 14)
  for (let i = 0; i < count; i++) {
    const kind = rng() < junkWeight ? "junk" : pick(rng, kinds)
    lines.push(LINES[kind](rng))
  }
  const text = lines.map((line) => line + pick(rng, ["\n", "\n", "\n", "\r\n", "\r"])).join("")
  const trimmed = rng() < 0.3 ? text.replace(/(\r\n|\r|\n)$/, "") : text
  return rng() < 0.05 ? `\ufeff${trimmed}` : trimmed
}

/** Character soup from the characters that matter to the parser. */
const soup = (rng: Rng): string =>
  (rng() < 0.6 ? "[s]\n" : "") + repeat(rng, 80, () => pick(rng, [..."[]=:#; \t\n\n\n\r%()sabcA\u3000é", "%(a)s"]))

const randomCases = (seed: number, count: number, make: (rng: Rng) => string): Array<Case> => {
  const rng = prng(seed)
  return Array.from({ length: count }, (_, i) => {
    const defaults = rng() < 0.3 ? { a: pick(rng, ["1", "%(b)s", "%%", "%"]), B: "bee" } : undefined
    return { name: `#${i}`, text: make(rng), ...(defaults ? { defaults } : {}) }
  })
}

const RANDOM_VALID = randomCases(1, 300, (rng) => randomDoc(rng, 0))
const RANDOM_JUNK = randomCases(2, 300, (rng) => randomDoc(rng, 0.15))
const RANDOM_SOUP = randomCases(3, 300, soup)

// ---------------------------------------------------------------------------------------------
// Tests

/** Every error names the file, and the line where it has one. */
const checkMessages = (c: Case, outcome: Outcome): void => {
  const file = c.file ?? "test.ini"
  try {
    parseIni(c.text, { file, defaults: c.defaults })
  } catch (e) {
    assert.instanceOf(e, IniError)
    assert.include(e.message, pyRepr(file))
    if (e.line !== undefined) assert.match(e.message, new RegExp(`line:? +${e.line}\\b`))
  }
  const errors = [...(outcome.values ?? []).map((v) => v[3]), ...(outcome.probes ?? []).flatMap((p) => [p[3], p[4]])]
  for (const result of errors) if ("error" in result) assert.notInclude(result.error.kind, "Exception")
}

compareAll("hand-written configs", HAND_WRITTEN, checkMessages)
compareAll("random documents", RANDOM_VALID, checkMessages)
compareAll("random documents with junk lines", RANDOM_JUNK, checkMessages)
compareAll("random character soup", RANDOM_SOUP, checkMessages)

describe("parseIni", () => {
  it("throws nothing but IniError on random text", () => {
    const rng = prng(4)
    let errors = 0
    for (let i = 0; i < 2000; i++) {
      const text = i % 2 === 0 ? soup(rng) : randomDoc(rng, 0.3)
      try {
        const ini = parseIni(text, { file: "fuzz.ini" })
        for (const s of ["DEFAULT", ...ini.sections()]) {
          const options = s === "DEFAULT" ? [...ini.defaults().keys()] : ini.options(s)
          for (const o of options) {
            try {
              ini.get(s, o)
            } catch (e) {
              assert.instanceOf(e, IniError)
              errors++
            }
          }
        }
      } catch (e) {
        assert.instanceOf(e, IniError, String(e))
        errors++
      }
    }
    assert.isAbove(errors, 100)
  })

  it("reads the docs' example: raw formats, interpolated args", () => {
    const ini = parseIni(REAL_WORLD, { file: "app.ini" })
    assert.deepStrictEqual(ini.sections().slice(0, 3), ["loggers", "handlers", "formatters"])
    assert.strictEqual(ini.get("handler_rotating", "args"), "('/var/log/myapp/app.log', 'a', 10485760, 5)")
    assert.strictEqual(ini.get("formatter_generic", "datefmt", { raw: true }), "%H:%M:%S")
    assert.throws(() => ini.get("formatter_generic", "format"), IniError)
    assert.strictEqual(ini.get("handler_console", "formatter", { fallback: "" }), "generic")
    assert.strictEqual(ini.get("handler_console", "target", { fallback: undefined }), undefined)
    assert.isTrue(ini.has("logger_app", "logdir"))
    assert.strictEqual(ini.lineOf("handler_rotating", "args"), 41)
    assert.strictEqual(ini.lineOf("handler_rotating", "logfile"), 6)
  })

  it("names the file and the line of the option in get errors", () => {
    const ini = parseIni("[s]\n\na = %(nope)s\n", { file: "conf/app.ini", defaults: { d: "%x" } })
    const error = (f: () => unknown): IniError => {
      try {
        f()
      } catch (e) {
        assert.instanceOf(e, IniError)
        return e
      }
      throw new Error("no error")
    }
    const missing = error(() => ini.get("s", "a"))
    assert.strictEqual(missing.kind, "InterpolationMissingOptionError")
    assert.strictEqual(missing.line, 3)
    assert.deepStrictEqual([missing.section, missing.option], ["s", "a"])
    assert.strictEqual(
      missing.message,
      "Bad value substitution: option 'a' in section 's' contains an interpolation key 'nope' which is not a valid " +
        "option name. Raw value: '%(nope)s' (in 'conf/app.ini', line 3)"
    )
    assert.strictEqual(error(() => ini.get("s", "d")).message, "'%' must be followed by '%' or '(', found: '%x' (in 'conf/app.ini')")
    assert.strictEqual(error(() => ini.get("t", "a")).message, "No section: 't' (in 'conf/app.ini')")
    const dup = error(() => parseIni("[s]\n[s]\n", { file: "conf/app.ini" }))
    assert.strictEqual(dup.message, "While reading from 'conf/app.ini' [line  2]: section 's' already exists")
    assert.strictEqual(dup._tag, "IniError")
    const defaults = error(() => parseIni("", { file: "conf/app.ini", defaults: { A: "1", a: "2" } }))
    assert.include(defaults.message, "'conf/app.ini'")
  })

  it("keeps a BOM anywhere but at the start", () => {
    assert.throws(() => parseIni("\ufeff\ufeff[s]\n", { file: "x.ini" }), /no section headers/)
  })
})
