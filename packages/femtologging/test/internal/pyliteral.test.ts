/**
 * `parsePython` against CPython's `eval(expr, {"__builtins__": {}}, namespace)` (namespace: `sys`,
 * the level names, `logging` and `logging.handlers`): every expression below is also evaluated
 * by one python3 process (JSON in on stdin, JSON out, values in a tagged encoding). Where Python
 * gives a value we must give the same one (or, for valid Python outside our subset, refuse it as
 * "unsupported"); where Python raises, we must throw a PythonLiteralError. Without python3 the
 * oracle tests are skipped (the local ones still run).
 */
import { spawnSync } from "node:child_process"
import { assert, describe, it } from "vitest"
import { parsePython, PythonLiteralError, type PyValue, toJs } from "../../src/internal/pyliteral.ts"

// ---------------------------------------------------------------------------------------------
// The oracle

const ORACLE = String.raw`
import json, os, sys, warnings, logging, logging.handlers
warnings.simplefilter("ignore")

NAMESPACE = {"sys": sys, "logging": logging, "handlers": logging.handlers}
for name in ["CRITICAL", "FATAL", "ERROR", "WARNING", "WARN", "INFO", "DEBUG", "NOTSET"]:
    NAMESPACE[name] = getattr(logging, name)

class Unencodable(Exception):
    pass

def int_str(v):
    # the digit limit stays on for eval (CPython 3.11 refuses long literals), off for the answer
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return str(v)
    finally:
        sys.set_int_max_str_digits(old)

def enc(v):
    if v is sys.stdout: return {"ref": "sys.stdout"}
    if v is sys.stderr: return {"ref": "sys.stderr"}
    if v is None: return {"none": None}
    if isinstance(v, bool): return {"bool": v}
    if isinstance(v, int): return {"int": int_str(v)}
    if isinstance(v, float): return {"float": repr(v)}
    if isinstance(v, str): return {"str": v}
    if isinstance(v, bytes): return {"bytes": list(v)}
    if isinstance(v, tuple): return {"tuple": [enc(x) for x in v]}
    if isinstance(v, list): return {"list": [enc(x) for x in v]}
    if isinstance(v, dict): return {"dict": [[enc(k), enc(x)] for k, x in v.items()]}
    if isinstance(v, (set, frozenset)): return {"set": [enc(x) for x in v]}
    raise Unencodable(type(v).__name__)

def run(expr):
    try:
        value = eval(expr, {"__builtins__": {}}, dict(NAMESPACE))
    except BaseException as e:
        return {"error": type(e).__name__, "message": str(e)}
    try:
        return {"ok": enc(value)}
    except Unencodable as e:
        return {"unencodable": str(e)}

# expressions such as sys.stdout.write('x') run here: they write to /dev/null, the answer to a copy of fd 1
answer = os.fdopen(os.dup(1), "w")
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
json.dump([run(e) for e in json.load(sys.stdin)], answer)
answer.close()
`

const python = spawnSync("python3", ["--version"], { encoding: "utf8" })
const hasPython = python.status === 0
if (!hasPython) console.warn("pyliteral.test.ts: python3 not found; skipping the CPython oracle tests")

type Encoded =
  | { readonly ref: string }
  | { readonly none: null }
  | { readonly bool: boolean }
  | { readonly int: string }
  | { readonly float: string }
  | { readonly str: string }
  | { readonly bytes: ReadonlyArray<number> }
  | { readonly tuple: ReadonlyArray<Encoded> }
  | { readonly list: ReadonlyArray<Encoded> }
  | { readonly dict: ReadonlyArray<readonly [Encoded, Encoded]> }
  | { readonly set: ReadonlyArray<Encoded> }

type Outcome =
  | { readonly ok: Encoded }
  | { readonly error: string; readonly message: string }
  | { readonly unencodable: string }

const oracle = (exprs: ReadonlyArray<string>): Array<Outcome> => {
  const result = spawnSync("python3", ["-c", ORACLE], {
    input: JSON.stringify(exprs),
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    timeout: 120_000
  })
  if (result.status !== 0) throw new Error(`python3 oracle failed: ${result.stderr} ${result.error ?? ""}`)
  return JSON.parse(result.stdout) as Array<Outcome>
}

// ---------------------------------------------------------------------------------------------
// Comparing values

/** Python's float repr as a JavaScript number. */
const pyFloat = (repr: string): number =>
  repr === "inf" ? Infinity : repr === "-inf" ? -Infinity : repr === "nan" ? NaN : Number(repr)

const floatKey = (n: number): string => (Object.is(n, -0) ? "-0" : String(n))

/** A canonical form: floats as exact strings, set members sorted. */
const canonical = (e: Encoded): unknown => {
  if ("float" in e) return { float: floatKey(pyFloat(e.float)) }
  if ("tuple" in e) return { tuple: e.tuple.map(canonical) }
  if ("list" in e) return { list: e.list.map(canonical) }
  if ("dict" in e) return { dict: e.dict.map(([k, v]) => [canonical(k), canonical(v)]) }
  if ("set" in e) return { set: e.set.map(canonical).map((x) => JSON.stringify(x)).sort() }
  return e
}

/** Our value in the oracle's encoding. */
const encode = (v: PyValue): Encoded => {
  switch (v._tag) {
    case "ref":
      return { ref: v.name }
    case "none":
      return { none: null }
    case "bool":
      return { bool: v.value }
    case "int":
      return { int: v.value.toString() }
    case "float":
      return { float: Number.isNaN(v.value) ? "nan" : Object.is(v.value, -0) ? "-0.0" : String(v.value) }
    case "str":
      return { str: v.value }
    case "bytes":
      return { bytes: [...v.value] }
    case "tuple":
      return { tuple: v.items.map(encode) }
    case "list":
      return { list: v.items.map(encode) }
    case "dict":
      return { dict: v.entries.map(([k, x]) => [encode(k), encode(x)] as const) }
    case "set":
      return { set: v.items.map(encode) }
  }
}

type Ours = { readonly ok: PyValue } | { readonly error: PythonLiteralError }

const evaluate = (expr: string): Ours => {
  try {
    return { ok: parsePython(expr, "test") }
  } catch (e) {
    if (!(e instanceof PythonLiteralError)) throw new Error(`not a PythonLiteralError for ${JSON.stringify(expr)}: ${e}`)
    return { error: e }
  }
}

/** The column is within the source, 1-based. */
const checkPosition = (expr: string, error: PythonLiteralError): void => {
  const lines = expr.replace(/\r\n?/g, "\n").split("\n")
  assert.isAtLeast(error.line, 1)
  assert.isAtMost(error.line, lines.length)
  assert.isAtLeast(error.column, 1)
  assert.isAtMost(error.column, [...lines[error.line - 1]!].length + 1)
  assert.include(error.message, `test: ${error.detail} (line ${error.line}, column ${error.column})`)
}

const RUNTIME_ERRORS = new Set(["ZeroDivisionError", "OverflowError", "TypeError"])

/**
 * `strict`: the expression is in our subset, so a Python value must be ours too and a Python
 * run-time error must be a "value" refusal. Otherwise valid Python may be refused as
 * "unsupported".
 */
const check = (expr: string, expected: Outcome, strict: boolean): void => {
  const ours = evaluate(expr)
  const label = `${JSON.stringify(expr)} → python ${JSON.stringify(expected)}`
  if ("error" in ours) checkPosition(expr, ours.error)
  if ("ok" in expected) {
    if ("error" in ours) {
      assert.isFalse(strict, `${label}, ours: ${ours.error.message}`)
      assert.strictEqual(ours.error.reason, "unsupported", `${label}, ours: ${ours.error.message}`)
      return
    }
    assert.deepStrictEqual(canonical(encode(ours.ok)), canonical(expected.ok), label)
  } else if ("error" in expected) {
    assert.property(ours, "error", `${label}, ours: ${"ok" in ours ? JSON.stringify(encode(ours.ok)) : ""}`)
    if (strict && RUNTIME_ERRORS.has(expected.error) && "error" in ours) {
      assert.strictEqual(ours.error.reason, "value", `${label}, ours: ${ours.error.message}`)
    }
  } else {
    // a Python object we have no value for (a module, a method, a complex number, ...)
    assert.property(ours, "error", label)
    if ("error" in ours) assert.strictEqual(ours.error.reason, "unsupported", `${label}, ours: ${ours.error.message}`)
  }
}

const compareAll = (label: string, exprs: ReadonlyArray<string>, strict: boolean, chunk = 1): void => {
  describe.skipIf(!hasPython)(`${label} (CPython oracle)`, () => {
    const expected = hasPython ? oracle(exprs) : []
    for (let i = 0; i < exprs.length; i += chunk) {
      const slice = exprs.slice(i, i + chunk)
      it(chunk === 1 ? JSON.stringify(slice[0]) : `#${i}-${i + slice.length - 1}`, () => {
        slice.forEach((expr, j) => check(expr, expected[i + j]!, strict))
      })
    }
  })
}

// ---------------------------------------------------------------------------------------------
// Hand-written expressions

/** In our subset: values and run-time errors must match CPython exactly. */
const SUPPORTED = [
  // what real configs say
  "(sys.stdout,)",
  "(sys.stderr,)",
  "sys.stdout,",
  "()",
  "('python.log', 'w')",
  "('app.log', 'a', 10*1024*1024, 5)",
  "('app.log', 'a', 10 * 1024 * 1024, 5, 'utf-8')",
  "('app.log', 'midnight', 1, 7)",
  "('app.log', 'h', 1, 0, None, False, True)",
  "(('localhost', handlers.SYSLOG_UDP_PORT), handlers.SysLogHandler.LOG_USER)",
  "('/dev/log', handlers.SysLogHandler.LOG_LOCAL7)",
  "('localhost', handlers.DEFAULT_TCP_LOGGING_PORT)",
  "('localhost', handlers.DEFAULT_UDP_LOGGING_PORT)",
  "('localhost:9022', '/log', 'GET')",
  "('localhost', 'from@abc', ['user1@abc', 'user2@xyz'], 'Logger Subject')",
  "(('smtp.example.com', 587), 'me@x', ['ops@x'], 'Alert', ('user', 'pw'), ())",
  "{'timeout': 10.0}",
  "{'secure': True}",
  "{'encoding': 'utf-8', 'delay': True}",
  "{'maxBytes': 1_000_000, 'backupCount': 3,}",
  "{}",
  "(10, handlers.SysLogHandler.LOG_ERR, DEBUG)",
  "(DEBUG, INFO, WARNING, WARN, ERROR, CRITICAL, FATAL, NOTSET)",
  "(handlers.DEFAULT_HTTP_LOGGING_PORT, handlers.DEFAULT_SOAP_LOGGING_PORT, handlers.SYSLOG_TCP_PORT)",
  "('C:\\logs\\app.log', 'a')",
  "(r'C:\\logs\\app.log', 'a')",
  "('%(logfilename)s',)",
  "('/var/log/app.log',\n'a',\n5)",
  "\n('app.log', 'a')",
  "(\n  'app.log',  # the file\n  'a',\n)",
  "('a'\n 'b')",
  "'a' 'b' \"c\" '''d''' \"\"\"e\"\"\"",
  "'a' \\\n'b'",
  // strings and escapes
  "'\\n\\t\\r\\\\\\'\\\"\\a\\b\\f\\v'",
  "'\\0\\7\\101\\1234\\777\\08'",
  "'\\x41\\xe9\\u00e9\\u4e2d\\U0001F600\\ud800'",
  "'\\d\\q\\ \\c\\8\\9'",
  "'a\\\nb'",
  "'''a\nb'''",
  "\"\"\"it's \"quoted\" \"\"\"",
  "'''a'''''",
  "''''''",
  "r'\\n\\''",
  "R'\\x'",
  "r'''a\\\nb'''",
  "u'x' U'y'",
  "'é中😀\u200b'",
  "b'abc\\x00\\xff\\101\\777\\400\\n\\u1234\\N{BULLET}\\d'",
  "B'x' b'y' rb'\\d' Rb'\\x' bR'a' BR'b' br'c'",
  // numbers
  "0",
  "00",
  "0_0",
  "7",
  "-7",
  "+7",
  "--7",
  "1_000_000",
  "123456789012345678901234567890",
  "-123456789012345678901234567890",
  "9007199254740993",
  "0x1F",
  "0X_ff",
  "0o17",
  "0O_7",
  "0b1010",
  "0B_1",
  "0xdead_beef_dead_beef_dead_beef",
  "1.5",
  "1.",
  ".5",
  "1e10",
  "1E-10",
  "1.e5",
  ".5e-3",
  "1_0.2_5e1_0",
  "09.5",
  "00.0",
  "0e0",
  "1e400",
  "-1e400",
  "1e-400",
  "-0.0",
  "-(0.0)",
  "-(0)",
  "0.1 + 0.2",
  "1e308 * 10",
  "1e308*10 - 1e308*10",
  "True",
  "False",
  "None",
  "True + 1",
  "-True",
  "+False",
  "True / True",
  "True * 2.5",
  // arithmetic
  "1 + 2 * 3",
  "(1 + 2) * 3",
  "2 ** 10",
  "2 ** 100",
  "-2 ** 2",
  "(-2) ** 2",
  "2 ** -1",
  "2 ** -2 ** 2",
  "2 ** 3 ** 2",
  "--2 ** 2",
  "2**-1074",
  "2**-1075",
  "3 ** -5",
  "10 ** -400",
  "0 ** 0",
  "0.0 ** 0",
  "(-1) ** 101",
  "1 ** 123456789",
  "(-1) ** 123456789",
  "0 ** 123456789",
  "1 / 3",
  "2 / 3",
  "-1 / 3",
  "0 / -5",
  "7 // 2",
  "7 // -2",
  "-7 // 2",
  "-3 // 2",
  "7 % 3",
  "-7 % 3",
  "7 % -3",
  "3 % -2",
  "7.5 // 2",
  "7.5 // -2",
  "-7.5 % 3",
  "7 % 0.5",
  "0.0 // -5",
  "-0.0 % 5",
  "1e400 % 5",
  "5 % 1e400",
  "-5 % 1e400",
  "1e400 // 5",
  "5 // 1e400",
  "-5 // 1e400",
  "(1e400-1e400) // 1",
  "(1e400-1e400) % 1",
  "1 // 0",
  "1 % 0",
  "1 / 0",
  "1.0 / 0",
  "1.0 // 0.0",
  "5 % -0.0",
  "0.0 ** -1",
  "0 ** -1",
  "(-0.0) ** -3",
  "False ** -1",
  "(-0.0) ** 3",
  "(-0.0) ** 0.5",
  "0.0 ** 0.5",
  "(1e400-1e400) ** 0",
  "(1e400-1e400) ** 2",
  "2 ** (1e400-1e400)",
  "1.0 ** (1e400-1e400)",
  "(-1.0) ** 1e400",
  "(-1.0) ** 3",
  "2.0 ** 1e400",
  "0.5 ** 1e400",
  "(-0.5) ** 1e400",
  "2.0 ** -1e400",
  "1e400 ** -1",
  "(-1e400) ** 3",
  "(-1e400) ** -3",
  "(-1e400) ** 2",
  "(-1e400) ** 0.5",
  "(-2.0) ** 2",
  "(-2.0) ** 3.0",
  "10.0 ** 308",
  "10.0 ** 309",
  "1.5 ** 5000",
  "2.0 ** 0.5",
  "4 ** 0.5",
  "2 ** 0.5",
  "12345678901234567890123 / 7",
  "(2**1100) / (2**1000)",
  "2**1100 / 1",
  "2**1100 * 1.0",
  "10 ** 400 * 1.0",
  "(2**1024 - 2**970) * 1.0",
  "(2**1024 - 2**970 - 1) * 1.0",
  "(2**1024 - 2**971) * 1.0",
  "(2**1024 - 2**970) / 1",
  "(2**1024 - 2**970 - 1) / 1",
  "2**53 + 1.0",
  "(2**53 + 1) / 1",
  "(2**54 + 3) / 2",
  "1 / (10 ** 400)",
  "-1 / (10 ** 400)",
  "(10**400 + 1) / 10**400",
  "3 / 2**1076",
  "3 / 2**1075",
  "1 / 2**1075",
  "(2**1075 + 1) / 2**2149",
  "(2**53 - 1) * 2**971 / 1",
  "(2**1075 + 1) // 2**1075 / 2**1075",
  "7 / 2**1074",
  "2**1023 * 2 / 2",
  "-(2**64) // 3",
  "(2**64) % -7",
  "DEBUG * 2 + INFO",
  "logging.DEBUG",
  "logging.WARNING - logging.INFO",
  // containers
  "[]",
  "[1, 2,]",
  "[[], [[]], ([],)]",
  "(1,)",
  "(1, 2)",
  "((1,),)",
  "1, 2",
  "1, 2,",
  "{1: 2,}",
  "{1,}",
  "{1, 2, 3}",
  "{'a': 1, 'a': 2}",
  "{1: 'a', True: 'b', 1.0: 'c'}",
  "{True: 1, 1: 2}",
  "{0: 1, 0.0: 2, -0.0: 3}",
  "{(1,): 1, (1.0,): 2}",
  "{1, True, 1.0}",
  "{True, 1}",
  "{2**53: 'a', 2.0**53: 'b', 2**53 + 1: 'c'}",
  "{'a': [1, {2: (3, {4})}]}",
  "{None: None, b'x': 'bytes', 'x': 'str'}",
  "{sys.stdout: 1, sys.stderr: 2, sys.stdout: 3}",
  "{[1]: 2}",
  "{(1, [2]): 3}",
  "{{1}}",
  "{1: [2]}",
  "{(1, (2, [3])): 4}",
  // layout
  " 1",
  "\t1",
  "\f1",
  "\n1",
  "\n\n1\n\n",
  "  \n1",
  "# c\n1",
  "\n#c\n1\n  # x\n",
  "1 # c\n  \n",
  "1\n",
  "1\n \n",
  "1 ",
  "1\t",
  "(1\n  ,2)\n",
  "(1,2)\n #x",
  "[1,\n#c\n2]",
  "(\n)",
  "(\n\n1)",
  "1 +\\\n 2",
  "\\\n1",
  "\n\\\n1",
  "1\\\n\n",
  "1\r\n",
  "('a'\r,2)",
  "\n\f1",
  "\n \f1",
  "1\\\n ",
  " \\\n1",
  "\\\n\\\n1",
  "(1,\n \\\n2)",
  "1 \\\n\n",
  "1\\\n#c",
  "\n\n  #c\n1",
  "1\n\f",
  "ＤＥＢＵＧ",
  "ｓｙｓ.ｓｔｄｏｕｔ",
  // syntax errors
  "",
  " ",
  "#x",
  "\n 1",
  "1\n ",
  "1\n\t",
  "\n ",
  "\n\f 1",
  "1\n2",
  "1\r2",
  "(1,2)\n ",
  "1\n  #x\n ",
  "\\",
  "1\\",
  "1 \\ 2",
  "1\\\n",
  "1\n \\\n",
  "\n \\\n1",
  "\n\\\n 1",
  "(",
  ")",
  "(]",
  "[1, 2",
  "(1,,)",
  "(,)",
  "[,]",
  "{,}",
  "{1:2, 3}",
  "{1, 2:3}",
  "1 2",
  "'a' 1",
  "1 'a'",
  "'a' b'b'",
  "b'a' 'b'",
  "'a' 'b' b'c'",
  "b'é'",
  "'abc",
  "'abc\ndef'",
  "'''abc",
  "'''a''''",
  "r'\\'",
  "'\\x'",
  "'\\x4'",
  "'\\u12'",
  "'\\U0011000'",
  "'\\U00110000'",
  "b'\\x4'",
  "ur'x'",
  "bu'x'",
  "01",
  "09",
  "0_7",
  "1__0",
  "1_",
  "1_.5",
  "1._5",
  "1.5_",
  "1e",
  "1e+",
  "1e5_",
  "1.real",
  "0b",
  "0b2",
  "0b_",
  "0o8",
  "0x",
  "0x1g",
  "0x1for",
  "1abc",
  "1True",
  "1.5.3",
  "1 .5",
  "1 = 2",
  "DEBUG = 1",
  "1; 2",
  "1 +",
  "* 1",
  "$",
  "?",
  "!",
  "`1`",
  "€",
  "\xa01",
  "1\xa0",
  "\v1",
  "1\x00",
  "1 += 2",
  "-> 1",
  "(" + "[".repeat(150) + "]".repeat(150) + ")",
  "1" + "0".repeat(4299),
  "1" + "0".repeat(4300)
]

/** Valid Python outside our subset, or names that are not in the namespace: always refused. */
const REFUSED = [
  "__import__('os')",
  "__import__('os').system('id')",
  "open('x')",
  "open('/etc/passwd').read()",
  "exec('1')",
  "eval('1')",
  "os.system('x')",
  "os.path.join('a', 'b')",
  "sys.exit()",
  "sys.modules",
  "sys.stdin",
  "sys.stdout.write",
  "sys.stdout.write('x')",
  "getLogger('x')",
  "logging.getLogger('x')",
  "logging.handlers.SysLogHandler.LOG_USER",
  "handlers.RotatingFileHandler",
  "handlers.SysLogHandler",
  "lambda: 0",
  "(lambda: 0)()",
  "[x for x in ()]",
  "{x: 1 for x in ()}",
  "{x for x in ()}",
  "(x for x in ())",
  "f'x'",
  "f'{1}'",
  "F'x'",
  "rf'x'",
  "fr'x'",
  "'a' f'b'",
  "(1).__class__",
  "().__class__.__bases__[0].__subclasses__()",
  "'a'.join(['b'])",
  "DEBUG()",
  "DEBUG.real",
  "1 .real",
  "1..real",
  "[1][0]",
  "(1, 2)[0]",
  "{}.keys()",
  "'abc'[1:]",
  "...",
  "1j",
  "1.5j",
  "1e5J",
  "2 + 3j",
  "(-8.0) ** (1/3)",
  "(-8) ** 0.5",
  "not 1",
  "not True",
  "1 and 2",
  "1 or 2",
  "1 if 1 else 2",
  "1if 1 else 2",
  "1 < 2",
  "1 == 1",
  "1 != 2",
  "1 in (1,)",
  "1 is 1",
  "~1",
  "1 | 2",
  "1 & 2",
  "1 ^ 2",
  "1 << 2",
  "1 >> 2",
  "[*[1]]",
  "(*[1],)",
  "{**{}}",
  "{'a': 1, **{}}",
  "(x := 1)",
  "yield 1",
  "await x",
  "x",
  "é",
  "_",
  "__builtins__",
  "Ｔｒｕｅ",
  "'a' + 'b'",
  "'-' * 20",
  "b'a' * 2",
  "[1] * 2",
  "(1,) + (2,)",
  "'%s' % 1",
  "'%d.log' % 5",
  "'\\N{BULLET}'",
  "'\\N{EM DASH}.log'",
  "None + 1",
  "sys.stdout + 1",
  "-'a'",
  "'-' * 10**100"
]

// ---------------------------------------------------------------------------------------------
// Random expressions

/** mulberry32: a small seeded PRNG. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

type Rng = () => number
const pick = <A>(rng: Rng, items: ReadonlyArray<A>): A => items[Math.floor(rng() * items.length)]!
const int = (rng: Rng, max: number) => Math.floor(rng() * max)
const times = (rng: Rng, max: number, f: () => string): Array<string> => Array.from({ length: int(rng, max + 1) }, f)

const digits = (rng: Rng, n: number, alphabet = "0123456789", underscores = true): string =>
  Array.from({ length: n }, (_, i) => (i > 0 && underscores && rng() < 0.1 ? "_" : "") + pick(rng, [...alphabet])).join("")

const intLiteral = (rng: Rng): string => {
  switch (int(rng, 6)) {
    case 0:
      return `0x${digits(rng, 1 + int(rng, 20), "0123456789abcdefABCDEF")}`
    case 1:
      return `0o${digits(rng, 1 + int(rng, 20), "01234567")}`
    case 2:
      return `0b${digits(rng, 1 + int(rng, 70), "01")}`
    case 3:
      return `${1 + int(rng, 9)}${digits(rng, int(rng, 30))}`
    default:
      return String(int(rng, 20))
  }
}

const floatLiteral = (rng: Rng): string => {
  const mantissa = pick(rng, [
    () => `${digits(rng, 1 + int(rng, 18))}.${digits(rng, int(rng, 18))}`,
    () => `.${digits(rng, 1 + int(rng, 18))}`,
    () => digits(rng, 1 + int(rng, 18))
  ])()
  const exponent = rng() < 0.5 ? `${pick(rng, ["e", "E"])}${pick(rng, ["", "+", "-"])}${int(rng, 330)}` : ""
  const text = mantissa + exponent
  return /[.eE]/.test(text) ? text : `${text}.`
}

const STR_CHARS = [..."abcXYZ019 _-./:%()", "é", "中", "😀", "\u200b", "\t", "\x7f"]
const STR_ESCAPES = [
  "\\n", "\\t", "\\r", "\\\\", "\\'", '\\"', "\\a", "\\b", "\\f", "\\v", "\\0", "\\7", "\\101", "\\1234", "\\777",
  "\\08", "\\x41", "\\xe9", "\\xFF", "\\u00e9", "\\u4E2D", "\\U0001F600", "\\U00000041", "\\d", "\\q", "\\ ", "\\8",
  "\\\n"
]
const BYTES_CHARS = [..."abcXYZ019 _-./:%()\t\x7f"]
const BYTES_ESCAPES = ["\\n", "\\x41", "\\xff", "\\101", "\\777", "\\400", "\\u1234", "\\U00000041", "\\N{BULLET}", "\\d", "\\\\", "\\'", "\\\n"]

const stringLiteral = (rng: Rng, bytes: boolean): string => {
  const raw = rng() < 0.25
  const prefix = bytes
    ? pick(rng, raw ? ["rb", "Rb", "bR", "BR", "br", "rB"] : ["b", "B"])
    : pick(rng, raw ? ["r", "R"] : ["", "", "u", "U"])
  const quote = pick(rng, ["'", '"', "'''", '"""'])
  const escapes = bytes ? BYTES_ESCAPES : STR_ESCAPES
  const chars = bytes ? BYTES_CHARS : STR_CHARS
  const parts = times(rng, 8, () => {
    if (rng() < 0.35) {
      const escape = pick(rng, escapes)
      // in a raw literal only a backslash before a character is safe; `\` + newline too
      return raw ? escape.replace(/^\\\\$/, "\\\\x") : escape
    }
    if (quote.length === 3 && rng() < 0.05) return "\n"
    return pick(rng, chars)
  })
  return `${prefix}${quote}${parts.join("")}${quote}`
}

/** 1-3 adjacent literals of one kind (sometimes mixing kinds, which is an error). */
const strings = (rng: Rng, inBrackets: boolean): string => {
  const bytes = rng() < 0.3
  const count = 1 + int(rng, 3)
  const separators = inBrackets ? [" ", "", "\n", " \\\n"] : [" ", "", " \\\n"]
  return Array.from({ length: count }, () => stringLiteral(rng, rng() < 0.03 ? !bytes : bytes)).join(pick(rng, separators))
}

const NAME_POOL = [
  "True", "False", "None", "DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL", "FATAL", "NOTSET",
  "logging.DEBUG", "logging.ERROR", "sys.stdout", "sys.stderr", "handlers.SYSLOG_UDP_PORT",
  "handlers.DEFAULT_TCP_LOGGING_PORT", "handlers.SysLogHandler.LOG_USER", "handlers.SysLogHandler.LOG_LOCAL3"
]
const NUMERIC_NAMES = ["True", "False", "DEBUG", "INFO", "CRITICAL", "NOTSET", "logging.WARN", "handlers.SYSLOG_TCP_PORT"]

/** Whitespace between tokens: inside brackets, newlines and comments too. */
const gap = (rng: Rng, inBrackets: boolean): string =>
  rng() < 0.7 ? pick(rng, ["", " "]) : pick(rng, inBrackets ? [" ", "\t", "\n", "\n  ", " # note\n", "\\\n"] : [" ", "\t", "\\\n"])

/** A number-valued expression: literals, numeric names, + - * / // % **, unary signs. */
const numeric = (rng: Rng, depth: number, inBrackets: boolean): string => {
  const leaf = () =>
    pick(rng, [
      () => intLiteral(rng),
      () => floatLiteral(rng),
      () => pick(rng, NUMERIC_NAMES),
      () => String(int(rng, 10)),
      () => `${int(rng, 100)}.${int(rng, 100)}`
    ])()
  if (depth <= 0 || rng() < 0.3) return leaf()
  const g = () => gap(rng, inBrackets)
  switch (int(rng, 5)) {
    case 0:
      return `${pick(rng, ["-", "+"])}${g()}${numeric(rng, depth - 1, inBrackets)}`
    case 1:
      return `(${g()}${numeric(rng, depth - 1, true)}${g()})`
    case 2: {
      // bounded powers: a small base, a small exponent
      const base = pick(rng, [String(int(rng, 20)), `${int(rng, 10)}.${int(rng, 10)}`, `(-${int(rng, 10)})`, "True"])
      const exponent = pick(rng, [String(int(rng, 40)), `-${int(rng, 10)}`, `(-${int(rng, 5)})`, `${int(rng, 4)}.0`])
      return `${base}${g()}**${g()}${exponent}`
    }
    default: {
      const op = pick(rng, ["+", "-", "*", "/", "//", "%"])
      return `${numeric(rng, depth - 1, inBrackets)}${g()}${op}${g()}${numeric(rng, depth - 1, inBrackets)}`
    }
  }
}

/** A hashable expression, for dict keys and set members (sometimes not, which is an error). */
const hashable = (rng: Rng, depth: number): string =>
  rng() < 0.05 ? "[1]" : pick(rng, [
    () => numeric(rng, 1, true),
    () => strings(rng, true),
    () => pick(rng, NAME_POOL),
    () => (depth > 0 ? `(${hashable(rng, depth - 1)}, ${hashable(rng, depth - 1)})` : "()")
  ])()

const expression = (rng: Rng, depth: number, inBrackets: boolean): string => {
  const g = () => gap(rng, true)
  const items = (n: number) => times(rng, n, () => expression(rng, depth - 1, true))
  const trailing = () => (rng() < 0.3 ? `,${g()}` : "")
  const choice = depth <= 0 ? int(rng, 3) : int(rng, 8)
  switch (choice) {
    case 0:
      return numeric(rng, depth, inBrackets)
    case 1:
      return strings(rng, inBrackets)
    case 2:
      return pick(rng, NAME_POOL)
    case 3: {
      const xs = items(4)
      if (xs.length === 1) return `(${g()}${xs[0]},${g()})`
      return `(${g()}${xs.join(`,${g()}`)}${xs.length > 0 ? trailing() : ""})`
    }
    case 4: {
      const xs = items(4)
      return `[${g()}${xs.join(`,${g()}`)}${xs.length > 0 ? trailing() : ""}]`
    }
    case 5: {
      const entries = times(rng, 4, () => `${hashable(rng, 1)}${g()}:${g()}${expression(rng, depth - 1, true)}`)
      return `{${g()}${entries.join(`,${g()}`)}${entries.length > 0 ? trailing() : ""}}`
    }
    case 6: {
      const members = [hashable(rng, 1), ...times(rng, 3, () => hashable(rng, 1))]
      return `{${g()}${members.join(`,${g()}`)}${trailing()}}`
    }
    default:
      return numeric(rng, depth, inBrackets)
  }
}

/** A random expression, sometimes a bare top-level tuple, with optional surrounding layout. */
const randomExpression = (rng: Rng): string => {
  const body = rng() < 0.1
    ? `${expression(rng, 2, false)}, ${expression(rng, 2, false)}`
    : expression(rng, 3, false)
  const before = rng() < 0.1 ? pick(rng, [" ", "\n", "# c\n", "\t"]) : ""
  const after = rng() < 0.1 ? pick(rng, ["\n", " # c", "\n\n", "  "]) : ""
  return before + body + after
}

/** Token soup: our tokens and some others, joined by spaces (so `*` `*` never forms `**`). */
const JUNK_TOKENS = [
  "1", "2", "0", "9", "1.5", "0x1", "1e5", "'a'", "b'b'", "r'\\d'", "'\\x41'", "(", ")", "[", "]", "{", "}", ",", ":",
  "+", "-", "*", "/", "//", "%", ".", "True", "None", "DEBUG", "sys", "stdout", "sys.stdout", "handlers", "x", "\n",
  "#", "\\", "'", "\"", "j", "if", "else", "not", "lambda", "=", "<", "|", "~", "@", "...", ";", "é", "\t"
]

const junk = (rng: Rng): string => Array.from({ length: 1 + int(rng, 12) }, () => pick(rng, JUNK_TOKENS)).join(" ")

const RANDOM = ((rng) => Array.from({ length: 1500 }, () => randomExpression(rng)))(prng(11))
const JUNK = ((rng) => Array.from({ length: 1500 }, () => junk(rng)))(prng(12))

// ---------------------------------------------------------------------------------------------
// Tests

compareAll("hand-written expressions in the subset", SUPPORTED, true)
compareAll("hand-written expressions outside the subset", REFUSED, false)
compareAll("random expressions", RANDOM, true, 25)
compareAll("random token soup", JUNK, false, 25)

describe("parsePython", () => {
  it("refuses everything outside the subset, naming what and where", () => {
    for (const expr of REFUSED) {
      const result = evaluate(expr)
      assert.property(result, "error", expr)
      if ("error" in result) {
        assert.oneOf(result.error.reason, ["unsupported", "value"], `${expr}: ${result.error.message}`)
        checkPosition(expr, result.error)
      }
    }
  })

  it("names calls, unknown names and attribute access in its messages", () => {
    const message = (expr: string) => (evaluate(expr) as { error: PythonLiteralError }).error.message
    assert.strictEqual(message("__import__('os')"), "test: calls are not supported (found a call of '__import__') (line 1, column 1)")
    assert.strictEqual(message("(1, os.path.join('a'))"), "test: calls are not supported (found a call of 'os.path.join') (line 1, column 5)")
    assert.include(message("('a', x)"), "name 'x' is not supported")
    assert.include(message("('a', x)"), "(line 1, column 7)")
    assert.strictEqual(message("(sys.stdout.write,)"), "test: attribute access is not supported (found on a TextIOWrapper) (line 1, column 12)")
    assert.strictEqual(message("('a',\n 'b', f'c')"), "test: f-strings are not supported (line 2, column 7)")
    assert.strictEqual(message("'é' + 1"), "test: '+' on a str is not supported (arithmetic is on numbers only) (line 1, column 5)")
    assert.strictEqual(message("1 / 0"), "test: division by zero (line 1, column 3)")
    assert.strictEqual(message("('a'"), "test: '(' was never closed (line 1, column 1)")
  })

  it("throws nothing but PythonLiteralError on random text", () => {
    const rng = prng(13)
    const alphabet = [..."()[]{},:.+-*/%'\"\\#\n\t rbfuRBjJxeE0123456789_ \u00e9\u2028\u00a0$", "**", "//", "sys", "DEBUG"]
    for (let i = 0; i < 5000; i++) {
      const text = Array.from({ length: int(rng, 30) }, () => pick(rng, alphabet)).join("")
      evaluate(text)
    }
    evaluate("(".repeat(100_000))
    evaluate("-".repeat(100_000) + "1")
    evaluate("2" + "**2".repeat(100_000))
    evaluate("[".repeat(199) + "]".repeat(199))
    evaluate("9 ** 9 ** 9 ** 9")
  })

  it("refuses ints beyond 2^65536 instead of computing them", () => {
    const result = evaluate("9 ** 9 ** 9")
    assert.property(result, "error")
    if ("error" in result) assert.strictEqual(result.error.reason, "unsupported")
    assert.strictEqual((parsePython("2 ** 65535", "t") as { value: bigint }).value, 2n ** 65535n)
  })

  it("accepts logging.DEBUG, which CPython's fileConfig namespace does not have", () => {
    assert.deepStrictEqual(parsePython("logging.DEBUG", "t"), { _tag: "int", value: 10n })
  })

  it("turns values into plain JavaScript with toJs", () => {
    const value = parsePython(
      "('app.log', 'a', 10*1024*1024, 2**60, 1.5, True, None, b'\\x00\\xff', [sys.stdout], {1, 2}, {'k': 1.0}, {1: 'x'})",
      "t"
    )
    const js = toJs(value) as ReadonlyArray<unknown>
    assert.deepStrictEqual(js.slice(0, 7), ["app.log", "a", 10485760, 2n ** 60n, 1.5, true, null])
    assert.deepStrictEqual(js[7], new Uint8Array([0, 255]))
    assert.deepStrictEqual(js[8], [{ _tag: "ref", name: "sys.stdout" }])
    assert.deepStrictEqual(js[9], new Set([1, 2]))
    assert.deepStrictEqual(js[10], { k: 1 })
    assert.deepStrictEqual(js[11], new Map([[1, "x"]]))
    const resolved = toJs(parsePython("(sys.stderr,)", "t"), (name) => `<${name}>`)
    assert.deepStrictEqual(resolved, ["<sys.stderr>"])
    const proto = toJs(parsePython("{'__proto__': 1}", "t")) as Record<string, unknown>
    assert.strictEqual(Object.getPrototypeOf(proto), Object.prototype)
    assert.deepStrictEqual(Object.keys(proto), ["__proto__"])
  })
})
