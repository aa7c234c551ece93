/**
 * Real-world Python logging configurations (Django's LOGGING, uvicorn's LOGGING_CONFIG, gunicorn's
 * logging.conf, alembic.ini, rotating handlers in INI args/kwargs forms, YAML files with empty
 * values) run through CPython 3's `logging.config` and through ours, each in a process of its own,
 * comparing what they write to stdout, stderr and files (python3 as the oracle). Values that
 * legitimately differ (times, process and thread ids, the script's name and line) are replaced
 * by their shape before comparing.
 */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { ConfigError } from "../src/ConfigError.ts"
import { getLogger, resetManager } from "../src/Facade.ts"
import { fileConfig } from "../src/FileConfig.ts"
import { runModule } from "./utils/child.ts"
import { oracle, suffix } from "./utils/configured.ts"
import { removeTempDirs, tempDir } from "./utils/files.ts"

afterEach(() => {
  resetManager()
  removeTempDirs()
})

/** One configuration: how it is loaded, the files it needs, and the records logged after it. */
interface Shape {
  /** dict: `config` is a dictConfig object (or a list, applied in turn); ini/yaml: `file` in `files`. */
  readonly kind: "dict" | "ini" | "yaml" | "basic-then-dict"
  readonly config?: unknown
  readonly file?: string
  readonly files?: Readonly<Record<string, string>>
  /** Loggers made before the configuration (what disable_existing_loggers is about). */
  readonly existing?: ReadonlyArray<string>
  /** [logger, level, message, args, extra] */
  readonly records: ReadonlyArray<readonly [string, string, string, ReadonlyArray<unknown>?, Record<string, unknown>?]>
  /** Python source defining what '()' names (`__main__.X`), and JS returning the registry for the same names. */
  readonly python?: string
  readonly registry?: string
}

interface Written {
  readonly stdout: string
  readonly stderr: string
  readonly files: Record<string, string>
}

const pythonScript = String.raw`
import json, logging, logging.config, os, sys
spec = json.loads(sys.argv[1])
os.chdir(spec["dir"])
exec(spec.get("python") or "")
for name in spec.get("existing", []): logging.getLogger(name)
kind = spec["kind"]
if kind == "dict":
    for c in spec["config"] if isinstance(spec["config"], list) else [spec["config"]]:
        logging.config.dictConfig(c)
elif kind == "ini":
    logging.config.fileConfig(spec["file"])
elif kind == "yaml":
    import yaml
    with open(spec["file"]) as f:
        logging.config.dictConfig(yaml.safe_load(f))
elif kind == "basic-then-dict":
    logging.basicConfig(format="basic %(levelname)s %(message)s", filename="basic.log")
    logging.config.dictConfig(spec["config"])
for name, level, message, *rest in spec["records"]:
    args = rest[0] if rest else []
    extra = rest[1] if len(rest) > 1 else None
    logging.getLogger(None if name == "root" else name).log(getattr(logging, level), message, *args, extra=extra)
logging.shutdown()
`

const nodeModule = (spec: Shape & { readonly dir: string }): string => `
import * as F from "femtologging"
const spec = ${JSON.stringify(spec)}
process.chdir(spec.dir)
const registry = spec.registry === undefined ? undefined : new Function("F", spec.registry)(F)
for (const name of spec.existing ?? []) F.getLogger(name)
const options = registry === undefined ? {} : { registry }
if (spec.kind === "dict") for (const c of Array.isArray(spec.config) ? spec.config : [spec.config]) F.dictConfig(c, options)
else if (spec.kind === "ini") F.fileConfig(spec.file, options)
else if (spec.kind === "yaml") F.dictConfigFromFile(spec.file, options)
else if (spec.kind === "basic-then-dict") {
  F.basicConfig({ format: "basic %(levelname)s %(message)s", filename: "basic.log" })
  F.dictConfig(spec.config, options)
}
for (const [name, level, message, args = [], extra] of spec.records) {
  const logger = F.getLogger(name === "root" ? undefined : name)
  if (extra === undefined) logger.log(level, message, ...args)
  else logger.log(level, message, ...args, extra)
}
await F.shutdown()
`

const filesIn = (dir: string, skip: ReadonlyArray<string>): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const name of fs.readdirSync(dir).sort()) {
    if (!skip.includes(name)) out[name] = fs.readFileSync(path.join(dir, name), "utf8")
  }
  return out
}

const setUp = (shape: Shape): string => {
  const dir = tempDir()
  for (const [name, text] of Object.entries(shape.files ?? {})) fs.writeFileSync(path.join(dir, name), text)
  return dir
}

const skipped = (shape: Shape) => (shape.file === undefined ? [] : [shape.file])

/** What CPython writes for `shape`. */
const cpython = (shape: Shape): Written => {
  const dir = setUp(shape)
  const result = spawnSync("python3", ["-c", pythonScript, JSON.stringify({ ...shape, dir })], { encoding: "utf8" })
  assert.strictEqual(result.status, 0, result.stderr)
  return { stdout: result.stdout, stderr: result.stderr, files: filesIn(dir, skipped(shape)) }
}

/** What we write for `shape` (a child process running the built package). */
const ours = async (shape: Shape): Promise<Written> => {
  const dir = setUp(shape)
  const result = await runModule(nodeModule({ ...shape, dir }))
  assert.strictEqual(result.code, 0, result.stderr)
  return { stdout: result.stdout, stderr: result.stderr, files: filesIn(dir, skipped(shape)) }
}

/** Values that differ by nature, replaced by their shape: a value that does not have it stays, and fails the comparison. */
const shapes: ReadonlyArray<readonly [RegExp, string]> = [
  [/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}/g, "<asctime>"],
  [/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}/g, "<datefmt.msecs>"],
  [/\d\d\/[A-Z][a-z]{2}\/\d{4} \d\d:\d\d:\d\d/g, "<django datefmt>"],
  [/\[\d\d:\d\d:\d\d\]/g, "[<HH:MM:SS>]"],
  [/pid=\d+/g, "pid=<pid>"],
  [/tid=\d+/g, "tid=<thread>"]
]
const normal = (text: string): string => shapes.reduce((t, [re, to]) => t.replace(re, to), text)

const assertSame = (mine: Written, theirs: Written): void => {
  assert.strictEqual(normal(mine.stdout), normal(theirs.stdout), "stdout")
  assert.strictEqual(normal(mine.stderr), normal(theirs.stderr), "stderr")
  assert.deepStrictEqual(Object.keys(mine.files), Object.keys(theirs.files), "files")
  for (const name of Object.keys(theirs.files)) assert.strictEqual(normal(mine.files[name]!), normal(theirs.files[name]!), name)
}

const compare = async (shape: Shape): Promise<Written> => {
  const theirs = cpython(shape)
  assertSame(await ours(shape), theirs)
  return theirs
}

describe("Python configurations as projects have them", () => {
  oracle(`Django's LOGGING: '()' filters, { and % formatters with datefmt, handler levels and filters, propagate, disable_existing_loggers${suffix}`, async () => {
    const written = await compare({
      kind: "dict",
      existing: ["django.db.backends", "myproject.views", "celery"],
      python: [
        "class RequireDebugTrue(logging.Filter):",
        "    def filter(self, record): return True",
        "class RequireDebugFalse(logging.Filter):",
        "    def filter(self, record): return False",
        "class SpecialFilter:",
        "    def __init__(self, foo): self.foo = foo",
        "    def filter(self, record): return 'secret' not in record.getMessage()"
      ].join("\n"),
      registry: `return { factories: {
        "__main__.RequireDebugTrue": () => () => true,
        "__main__.RequireDebugFalse": () => () => false,
        "__main__.SpecialFilter": (o) => (r) => o.foo === "bar" && !r.message.includes("secret")
      } }`,
      config: {
        version: 1,
        disable_existing_loggers: true,
        formatters: {
          verbose: { format: "{levelname} {asctime} pid={process:d} tid={thread:d} {message}", style: "{" },
          simple: { format: "{levelname} {message}", style: "{" },
          dated: { format: "[%(asctime)s] %(levelname)8s %(name)-12s %(message)s", datefmt: "%d/%b/%Y %H:%M:%S" }
        },
        filters: {
          special: { "()": "__main__.SpecialFilter", foo: "bar" },
          require_debug_true: { "()": "__main__.RequireDebugTrue" },
          require_debug_false: { "()": "__main__.RequireDebugFalse" }
        },
        handlers: {
          console: { level: "INFO", filters: ["require_debug_true"], class: "logging.StreamHandler", formatter: "simple" },
          verbose: { level: "DEBUG", class: "logging.StreamHandler", formatter: "verbose", stream: "ext://sys.stdout" },
          file: { level: "WARNING", class: "logging.FileHandler", filename: "debug.log", formatter: "dated" },
          mail_admins: { level: "ERROR", class: "logging.FileHandler", filename: "mail.log", filters: ["require_debug_false"] }
        },
        loggers: {
          django: { handlers: ["console", "file"], propagate: true },
          "django.request": { handlers: ["mail_admins"], level: "ERROR", propagate: false },
          "myproject.custom": { handlers: ["console", "mail_admins", "verbose"], level: "INFO", filters: ["special"] }
        },
        root: { handlers: ["file"], level: "WARNING" }
      },
      records: [
        ["django", "INFO", "django info"],
        ["django", "WARNING", "django warn"],
        ["django.request", "ERROR", "Internal Server Error: %s", ["/x"]],
        ["django.db.backends", "ERROR", "below a configured logger: kept"],
        ["myproject.custom", "INFO", "custom info"],
        ["myproject.custom", "ERROR", "custom secret"],
        ["myproject.views", "CRITICAL", "disabled"],
        ["celery", "ERROR", "disabled"],
        ["new.logger", "ERROR", "made after: enabled"]
      ]
    })
    assert.match(written.stdout, /^INFO \d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} pid=\d+ tid=\d+ custom info\n$/)
    assert.include(written.files["debug.log"]!, "]  WARNING django       django warn\n")
  })

  oracle(`uvicorn's LOGGING_CONFIG: '()' formatter factories with fmt and use_colors, ext:// streams, propagate false${suffix}`, async () => {
    const written = await compare({
      kind: "dict",
      existing: ["uvicorn.error"],
      python: [
        "class DefaultFormatter(logging.Formatter):",
        "    def __init__(self, fmt=None, datefmt=None, style='%', use_colors=None):",
        "        self.use_colors = use_colors",
        "        super().__init__(fmt=fmt, datefmt=datefmt, style=style)",
        "    def formatMessage(self, record):",
        "        import copy",
        "        r = copy.copy(record)",
        "        r.__dict__['levelprefix'] = r.levelname + ':' + ' ' * (8 - len(r.levelname))",
        "        return super().formatMessage(r)"
      ].join("\n"),
      // uvicorn's DefaultFormatter without colours: `levelprefix` is the level name, a colon, padded to 9.
      registry: `const name = (level) => level === "WARN" ? "WARNING" : level
      return { factories: { "__main__.DefaultFormatter": (o) => {
        const format = F.Formatter.python(o.fmt, { datefmt: o.datefmt, style: o.style })
        return (r) => format({ ...r, fields: { ...r.fields, levelprefix: (name(r.level) + ":").padEnd(9) } })
      } } }`,
      config: {
        version: 1,
        disable_existing_loggers: false,
        formatters: {
          default: { "()": "__main__.DefaultFormatter", fmt: "%(levelprefix)s %(message)s", use_colors: null },
          access: { "()": "__main__.DefaultFormatter", fmt: "%(levelprefix)s %(client_addr)s - \"%(request_line)s\" %(status_code)s" }
        },
        handlers: {
          default: { formatter: "default", class: "logging.StreamHandler", stream: "ext://sys.stderr" },
          access: { formatter: "access", class: "logging.StreamHandler", stream: "ext://sys.stdout" }
        },
        loggers: {
          uvicorn: { handlers: ["default"], level: "INFO", propagate: false },
          "uvicorn.error": { level: "INFO" },
          "uvicorn.access": { handlers: ["access"], level: "INFO", propagate: false }
        }
      },
      records: [
        ["uvicorn.error", "INFO", "Started server process [%d]", [4242]],
        ["uvicorn.error", "WARNING", "Invalid HTTP request received."],
        ["uvicorn.error", "DEBUG", "not written"],
        ["uvicorn.access", "INFO", "%s - \"%s %s HTTP/%s\" %d", ["127.0.0.1:5000", "GET", "/", "1.1", 200], { client_addr: "127.0.0.1:5000", request_line: "GET / HTTP/1.1", status_code: 200 }]
      ]
    })
    assert.strictEqual(written.stderr, "INFO:     Started server process [4242]\nWARNING:  Invalid HTTP request received.\n")
    assert.strictEqual(written.stdout, "INFO:     127.0.0.1:5000 - \"GET / HTTP/1.1\" 200\n")
  })

  oracle(`gunicorn's logging.conf (keys with spaces, qualname, StreamHandler args=(sys.stdout, ), formatter class and datefmt)${suffix}`, async () => {
    const conf = `[loggers]
keys=root, gunicorn.error, gunicorn.access

[handlers]
keys=console, error_file, access_file

[formatters]
keys=generic, access

[logger_root]
level=INFO
handlers=console

[logger_gunicorn.error]
level=INFO
handlers=error_file
propagate=1
qualname=gunicorn.error

[logger_gunicorn.access]
level=INFO
handlers=access_file
propagate=0
qualname=gunicorn.access

[handler_console]
class=StreamHandler
formatter=generic
args=(sys.stdout, )

[handler_error_file]
class=logging.FileHandler
formatter=generic
args=('gunicorn.error.log',)

[handler_access_file]
class=logging.FileHandler
formatter=access
args=('gunicorn.access.log',)

[formatter_generic]
format=%(asctime)s [pid=%(process)d] [%(levelname)s] %(message)s
datefmt=[%H:%M:%S]
class=logging.Formatter

[formatter_access]
format=%(message)s
class=logging.Formatter
`
    const written = await compare({
      kind: "ini",
      file: "logging.conf",
      files: { "logging.conf": conf },
      existing: ["app"],
      records: [
        ["gunicorn.error", "INFO", "Starting gunicorn %s", ["23.0.0"]],
        ["gunicorn.access", "INFO", "127.0.0.1 - - \"GET / HTTP/1.1\" 200 2 \"-\" \"curl/8.5.0\""],
        ["gunicorn.error", "DEBUG", "not written"],
        ["app", "WARNING", "disabled by fileConfig"],
        ["root", "WARNING", "root warning"]
      ]
    })
    assert.strictEqual(normal(written.stdout), "[<HH:MM:SS>] [pid=<pid>] [INFO] Starting gunicorn 23.0.0\n[<HH:MM:SS>] [pid=<pid>] [WARNING] root warning\n")
  })

  oracle(`alembic.ini's logging sections ([alembic] beside them, qualname differing from the key, empty handlers=, WARN, %-5.5s)${suffix}`, async () => {
    const ini = `[alembic]
script_location = %(here)s/alembic
sqlalchemy.url = driver://user:pass@localhost/dbname

# Logging configuration
[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARN
handlers = console
qualname =

[logger_sqlalchemy]
level = WARN
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
datefmt = %H:%M:%S
`
    const written = await compare({
      kind: "ini",
      file: "alembic.ini",
      files: { "alembic.ini": ini.replace("%(here)s", ".") },
      records: [
        ["alembic.runtime.migration", "INFO", "Context impl PostgresqlImpl."],
        ["alembic.runtime.migration", "INFO", "Will assume transactional DDL."],
        ["sqlalchemy.engine.Engine", "INFO", "SELECT 1"],
        ["sqlalchemy.engine.Engine", "WARNING", "engine warning"],
        ["alembic", "DEBUG", "not written"]
      ]
    })
    assert.strictEqual(written.stderr, "INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.\nINFO  [alembic.runtime.migration] Will assume transactional DDL.\nWARNI [sqlalchemy.engine.Engine] engine warning\n")
  })

  oracle(`rotating handlers in INI args and kwargs forms, with %-, {- and $-style formats (msecs, padded name and level, pid, thread)${suffix}`, async () => {
    const ini = `[loggers]
keys=root,app,app.db

[handlers]
keys=rot,rotkw,timed,timedkw,plain

[formatters]
keys=f1,f2,f3,f4

[logger_root]
level=NOTSET
handlers=plain

[logger_app]
level=DEBUG
handlers=rot,rotkw,timed,timedkw
qualname=app

[logger_app.db]
level=WARNING
handlers=
qualname=app.db

[handler_rot]
class=handlers.RotatingFileHandler
formatter=f1
args=('app.log','a',1048576,5)

[handler_rotkw]
class=logging.handlers.RotatingFileHandler
formatter=f2
args=('small.log',)
kwargs={'maxBytes': 120, 'backupCount': 2, 'encoding': 'utf-8'}

[handler_timed]
class=handlers.TimedRotatingFileHandler
formatter=f3
args=('timed.log', 'midnight', 1, 7)

[handler_timedkw]
class=logging.handlers.TimedRotatingFileHandler
formatter=f4
args=('timedkw.log',)
kwargs={'when': 'D', 'interval': 1, 'backupCount': 3, 'utc': True, 'delay': False}

[handler_plain]
class=FileHandler
args=('plain.log', 'w', 'utf-8')

[formatter_f1]
format=%(asctime)s.%(msecs)03d %(name)-12s %(levelname)8s pid=%(process)d tid=%(thread)d %(message)s
datefmt=%Y-%m-%dT%H:%M:%S

[formatter_f2]
format=%(levelname)-8s|%(name)s|%(message)s

[formatter_f3]
format={asctime} {levelname:>8} {name:<12} {message}
style={

[formatter_f4]
format=$levelname \${name}: $message $$
style=$
`
    const written = await compare({
      kind: "ini",
      file: "logging.ini",
      files: { "logging.ini": ini, "small.log": "from before\n" },
      records: [
        ["app", "DEBUG", "debug %d", [1]],
        ["app.db", "INFO", "not written"],
        ["app.db", "WARNING", "db warning"],
        ["app.x.y", "ERROR", "deep %s", ["é"]],
        ["root", "INFO", "root info"],
        ...Array.from({ length: 6 }, (_, i) => ["app", "INFO", `filler line ${i}`] as const)
      ]
    })
    assert.deepStrictEqual(Object.keys(written.files), ["app.log", "plain.log", "small.log", "small.log.1", "small.log.2", "timed.log", "timedkw.log"])
    assert.match(written.files["app.log"]!.split("\n")[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} app {13}DEBUG pid=\d+ tid=\d+ debug 1$/)
  })
})

describe("Python configurations: None where CPython takes it as not given", () => {
  oracle(`null levels, handlers, filters, propagate, formatter, stream and delay (Python's None in JSON) write what CPython writes${suffix}`, async () => {
    const p = { p: { format: "%(name)s %(levelname)s %(message)s" } }
    await compare({
      kind: "dict",
      existing: ["app", "lib"],
      config: {
        version: 1,
        disable_existing_loggers: null, // CPython: falsy, so existing loggers stay enabled
        incremental: null,
        formatters: p,
        handlers: {
          file: { class: "logging.FileHandler", filename: "out.log", formatter: "p", level: null, filters: null, delay: null },
          bare: { class: "logging.FileHandler", filename: "bare.log", formatter: null },
          err: { class: "logging.StreamHandler", stream: null, formatter: "p", level: "ERROR" }
        },
        loggers: {
          app: { level: null, handlers: ["bare"], filters: null, propagate: null },
          lib: { level: "WARNING", handlers: null }
        },
        root: { level: "DEBUG", handlers: ["file", "err"], filters: null }
      },
      records: [["app", "DEBUG", "app debug"], ["lib", "INFO", "not written"], ["lib", "ERROR", "lib error"], ["other", "INFO", "other info"]]
    })
  })

  oracle(`a YAML file with keys left empty or ~ loads as with PyYAML and CPython${suffix}`, async () => {
    const yaml = `version: 1
disable_existing_loggers: false
formatters:
  simple:
    format: '%(levelname)s %(name)s: %(message)s'
    datefmt:
handlers:
  console:
    class: logging.StreamHandler
    formatter: simple
    stream: ext://sys.stdout
    level:
loggers:
  sqlalchemy.engine:
    level: ~
    handlers:
    propagate:
  app:
    level: DEBUG
root:
  level: INFO
  handlers: [console]
`
    const written = await compare({
      kind: "yaml",
      file: "logging.yaml",
      files: { "logging.yaml": yaml },
      records: [["sqlalchemy.engine.Engine", "INFO", "SELECT 1"], ["app", "DEBUG", "app debug"], ["root", "DEBUG", "not written"]]
    })
    assert.strictEqual(written.stdout, "INFO sqlalchemy.engine.Engine: SELECT 1\nDEBUG app: app debug\n")
  })

  oracle(`an INI StreamHandler with args=(None,) writes to stderr, as CPython's StreamHandler(None)${suffix}`, async () => {
    const ini = "[loggers]\nkeys=root\n[handlers]\nkeys=h\n[formatters]\nkeys=f\n[logger_root]\nlevel=INFO\nhandlers=h\n" +
      "[handler_h]\nclass=StreamHandler\nformatter=f\nargs=(None,)\n[formatter_f]\nformat=%(levelname)s %(name)s %(message)s\n"
    const written = await compare({ kind: "ini", file: "l.ini", files: { "l.ini": ini }, records: [["app", "INFO", "to stderr"]] })
    assert.strictEqual(written.stderr, "INFO app to stderr\n")
  })

  oracle(`root: {} (and root: null) leave root as it was, as CPython's 'if root:' does: basicConfig's handler keeps writing${suffix}`, async () => {
    for (const root of [{}, null]) {
      const written = await compare({
        kind: "basic-then-dict",
        config: {
          version: 1,
          formatters: { p: { format: "dict %(levelname)s %(message)s" } },
          handlers: { f: { class: "logging.FileHandler", filename: "dict.log", formatter: "p" } },
          root,
          loggers: { app: { handlers: ["f"] } }
        },
        records: [["root", "WARNING", "root warning"], ["app", "ERROR", "app error"]]
      })
      assert.strictEqual(written.files["basic.log"], "basic WARNING root warning\nbasic ERROR app error\n")
    }
  })
})

describe("fileConfig's options", () => {
  it("an option it does not take is a ConfigError, not ignored: CPython's disable_existing_loggers (which CPython's fileConfig takes) names ours", () => {
    const dir = tempDir()
    const file = path.join(dir, "logging.ini")
    fs.writeFileSync(file, "[loggers]\nkeys=root\n[handlers]\nkeys=\n[formatters]\nkeys=\n[logger_root]\nlevel=DEBUG\nhandlers=\n")
    getLogger("existing")
    assert.throws(
      () => fileConfig(file, { disable_existing_loggers: false } as never),
      ConfigError,
      `${file}: unknown option 'disable_existing_loggers' (did you mean 'disableExistingLoggers'?)`
    )
    assert.throws(() => fileConfig(file, { disableExisting: false } as never), ConfigError, "unknown option 'disableExisting' (known: defaults, disableExistingLoggers, encoding, registry, manager)")
    // Nothing changed: the logger made before is still enabled, root's level is still ours.
    assert.isFalse(getLogger("existing").disabled)
    fileConfig(file, { disableExistingLoggers: false })
    assert.isFalse(getLogger("existing").disabled)
    assert.strictEqual(getLogger().level, "DEBUG")
  })
})
