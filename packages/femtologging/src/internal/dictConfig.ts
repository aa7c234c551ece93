/**
 * The engine of `dictConfig` (see `Config.ts` for the schema and the entry points): decodes a
 * configuration with Effect Schema, builds its formatters, filters and handlers, and applies it
 * to a manager. Loaded on first use (`lazyModules.ts`), not with `import "femtologging"`.
 *
 * @internal
 */
import type * as EffectSchema from "effect/Schema"
import type * as EffectSchemaIssue from "effect/SchemaIssue"
import type { Option } from "effect/Option"
import { Effect, loadConfig, loadSchema } from "./lazyEffect.ts"
import type { EffectConfigOptions, Registry } from "../Config.ts"
import { ConfigError } from "../ConfigError.ts"
import type { FemtoHandler } from "../FemtoHandler.ts"
import { FemtoFileHandler } from "../FileHandler.ts"
import * as Filter from "../Filter.ts"
import * as Formatter from "../Formatter.ts"
import * as Handler from "../Handler.ts"
import { exitDeadlineMs, type Spawner } from "./runtime.ts"
import { safeString } from "./safe.ts"
import * as Level from "../Level.ts"
import type { Logger } from "../Logger.ts"
import type { LoggerManager } from "../Manager.ts"
import { FemtoMemoryHandler, type MemoryHandlerOptions } from "../MemoryHandler.ts"
import { FemtoRotatingFileHandler } from "../RotatingFileHandler.ts"
import { FemtoSocketHandler, type SocketHandlerOptions } from "../SocketHandler.ts"
import { FemtoStreamHandler } from "../StreamHandler.ts"
import { FemtoTimedRotatingFileHandler } from "../TimedRotatingFileHandler.ts"
import { FemtoWatchedFileHandler } from "../WatchedFileHandler.ts"

// =============================================================================================
// Schema (loaded on first use)
// =============================================================================================

interface Schemas {
  readonly Schema: typeof EffectSchema
  readonly SchemaIssue: typeof EffectSchemaIssue
  readonly Top: EffectSchema.Codec<DecodedConfig, unknown>
  readonly kinds: ReadonlyMap<Kind, EffectSchema.Codec<Record<string, unknown>, unknown>>
  readonly FormatterSection: EffectSchema.Codec<DecodedFormatter, unknown>
  readonly FilterSection: EffectSchema.Codec<DecodedFilter, unknown>
}

interface DecodedFormatter {
  readonly format?: string | null
  readonly datefmt?: string | null
  readonly style?: "%" | "{" | "$"
  readonly validate?: boolean
  readonly defaults?: Readonly<Record<string, unknown>>
  readonly class?: string
}

interface DecodedFilter {
  readonly name?: string
  readonly level?: string | number
  readonly min?: string | number
  readonly max?: string | number
}

interface DecodedLogger {
  readonly level?: Level.LevelInput
  readonly handlers?: ReadonlyArray<string>
  readonly filters?: ReadonlyArray<string>
  readonly propagate?: boolean
}

interface DecodedConfig {
  readonly version?: 1
  readonly incremental?: boolean
  readonly disable_existing_loggers?: boolean
  readonly formatters?: Readonly<Record<string, Record<string, unknown>>>
  readonly filters?: Readonly<Record<string, Record<string, unknown>>>
  readonly handlers?: Readonly<Record<string, Record<string, unknown>>>
  readonly loggers?: Readonly<Record<string, DecodedLogger>>
  readonly root?: DecodedLogger
}

type Kind = "stream" | "file" | "rotating" | "timed" | "watched" | "null" | "queue" | "socket" | "memory"

let schemas: Schemas | undefined

/** Whether `u` is a level a logger or handler may be set to (`NOTSET` included). */
const isThreshold = (u: string | number): boolean => {
  try {
    Level.parseThresholdUnsafe(u)
    return true
  } catch {
    return false
  }
}

const loadSchemas = (): Schemas => {
  if (schemas !== undefined) return schemas
  const { Schema, SchemaIssue } = loadSchema()
  const expected = (what: string) => ({ message: `expected ${what}` })
  const string = Schema.String.annotate(expected("a string"))
  const boolean = Schema.Boolean.annotate(expected("a boolean (true or false)"))
  const integer = (what: string, min: number) =>
    Schema.Number.annotate(expected(what)).check(
      Schema.isInt(expected(what)),
      Schema.isGreaterThanOrEqualTo(min, expected(what))
    )
  const positive = integer("a positive integer", 1)
  const nonNegative = integer("a non-negative integer", 0)
  const level = Schema.Union([Schema.String, Schema.Number]).annotate(expected("a level name or number")).check(
    Schema.makeFilter(isThreshold, expected("a level (TRACE, DEBUG, INFO, WARNING, ERROR, CRITICAL, NOTSET, or an integer from 0 to 50)"))
  )
  const ids = Schema.Array(string).annotate(expected("a list of ids"))
  const mapping = <S extends EffectSchema.Top>(schema: S) =>
    Schema.Record(Schema.String, schema).annotate(expected("a mapping"))
  const section = (fields: EffectSchema.Struct.Fields) =>
    Schema.StructWithRest(Schema.Struct(fields), [Schema.Record(Schema.String, Schema.Unknown)]).annotate(
      expected("a mapping")
    )
  const optional = Schema.optionalKey
  const loggerFields = {
    level: optional(level),
    handlers: optional(ids),
    filters: optional(ids),
    propagate: optional(boolean),
    // fileConfig's key, which gunicorn's CONFIG_DEFAULTS (and configurations copied from it) keep
    // in dictConfig sections: CPython's dictConfig ignores it (the key names the logger).
    qualname: optional(string)
  }
  const LoggerSection = Schema.Struct(loggerFields).annotate({ ...expected("a mapping"), messageUnexpectedKey: "unknown key" })
  // Other top-level keys are the configuration's own data, as in CPython (`cfg://` refers to them).
  const Top = section({
    version: optional(Schema.Literal(1).annotate(expected("1 (the only version)"))),
    incremental: optional(boolean),
    disable_existing_loggers: optional(boolean),
    formatters: optional(mapping(section({}))),
    filters: optional(mapping(section({}))),
    handlers: optional(mapping(section({}))),
    loggers: optional(mapping(LoggerSection)),
    root: optional(LoggerSection)
  })

  const common = {
    class: optional(string),
    level: optional(level),
    formatter: optional(string),
    filters: optional(ids),
    capacity: optional(positive),
    policy: optional(string),
    executor: optional(Schema.Literals(["inline", "worker"]).annotate(expected("\"inline\" or \"worker\""))),
    pool: optional(string),
    bufferBytes: optional(positive),
    flushInterval: optional(positive),
    flushAfterMs: optional(positive),
    flushTimeoutMs: optional(positive)
  }
  const file = {
    ...common,
    filename: optional(Schema.String.annotate(expected("a path")).check(Schema.isNonEmpty(expected("a path")))),
    mode: optional(Schema.Literals(["a", "w"]).annotate(expected("\"a\" or \"w\""))),
    encoding: optional(Schema.NullOr(string)),
    delay: optional(boolean),
    errors: optional(Schema.NullOr(string))
  }
  const struct = (fields: EffectSchema.Struct.Fields) =>
    Schema.Struct(fields).annotate({ ...expected("a mapping"), messageUnexpectedKey: "unknown key" }) as unknown as
      EffectSchema.Codec<Record<string, unknown>, unknown>
  const kinds = new Map<Kind, EffectSchema.Codec<Record<string, unknown>, unknown>>([
    ["stream", struct({ ...common, stream: optional(Schema.Literals(["stdout", "stderr"]).annotate(expected("ext://sys.stdout or ext://sys.stderr"))) })],
    ["file", struct(file)],
    ["watched", struct(file)],
    ["rotating", struct({
      ...file,
      maxBytes: optional(nonNegative),
      backupCount: optional(nonNegative),
      compress: optional(boolean),
      rolloverRule: optional(Schema.Literals(["exceed", "cpython"]).annotate(expected("\"exceed\" or \"cpython\"")))
    })],
    ["timed", struct({
      ...file,
      when: optional(string),
      interval: optional(positive),
      backupCount: optional(nonNegative),
      utc: optional(boolean),
      atTime: optional(Schema.NullOr(string)),
      compress: optional(boolean)
    })],
    ["null", struct({ class: optional(string), level: optional(level), formatter: optional(string), filters: optional(ids) })],
    // The socket handler (issue 10): CPython's `host`, `port` (null: `host` is a Unix socket path), and ours.
    ["socket", struct({
      ...common,
      host: optional(string),
      port: optional(Schema.NullOr(integer("a port (1 to 65535) or null", 1).check(
        Schema.isLessThanOrEqualTo(65535, expected("a port (1 to 65535) or null"))
      ))),
      unixPath: optional(string),
      connectTimeoutMs: optional(positive),
      writeTimeoutMs: optional(positive),
      maxFrameSize: optional(positive),
      tls: optional(Schema.Unknown),
      backoff: optional(Schema.Unknown),
      includeCaller: optional(boolean)
    })],
    // CPython's MemoryHandler(capacity, flushLevel, target, flushOnClose); `target` is a handler id.
    ["memory", struct({
      class: optional(string),
      level: optional(level),
      formatter: optional(string),
      filters: optional(ids),
      capacity: optional(positive),
      flushLevel: optional(level),
      target: optional(string),
      flushOnClose: optional(boolean),
      queueCapacity: optional(positive),
      policy: optional(string),
      flushTimeoutMs: optional(positive)
    })],
    ["queue", struct({
      class: optional(string),
      level: optional(level),
      formatter: optional(string),
      filters: optional(ids),
      handlers: optional(ids),
      queue: optional(Schema.Unknown),
      listener: optional(Schema.Unknown),
      respect_handler_level: optional(boolean)
    })]
  ])
  const FormatterSection = Schema.Struct({
    format: optional(Schema.NullOr(string)),
    datefmt: optional(Schema.NullOr(string)),
    style: optional(Schema.Literals(["%", "{", "$"]).annotate(expected("\"%\", \"{\" or \"$\""))),
    validate: optional(Schema.Boolean.annotate(expected("a boolean"))),
    defaults: optional(Schema.Record(Schema.String, Schema.Unknown).annotate(expected("a mapping"))),
    class: optional(string)
  }).annotate({ ...expected("a mapping"), messageUnexpectedKey: "unknown key" })
  const anyLevel = Schema.Union([Schema.String, Schema.Number]).annotate(expected("a level"))
  const FilterSection = Schema.Struct({
    name: optional(Schema.String.annotate(expected("a logger name"))),
    level: optional(anyLevel),
    min: optional(anyLevel),
    max: optional(anyLevel)
  }).annotate({ ...expected("a mapping"), messageUnexpectedKey: "unknown key" })
  schemas = {
    Schema,
    SchemaIssue,
    Top: Top as unknown as Schemas["Top"],
    kinds,
    FormatterSection: FormatterSection as unknown as Schemas["FormatterSection"],
    FilterSection: FilterSection as unknown as Schemas["FilterSection"]
  }
  return schemas
}

/** Decodes `input` with `schema`; a `ConfigError` naming the first problem's path otherwise. */
const decode = <A>(schema: EffectSchema.Codec<A, unknown>, input: unknown, base: ReadonlyArray<string>): A => {
  const { Schema, SchemaIssue } = loadSchemas()
  const result = Schema.decodeUnknownExit(schema)(input, { errors: "all", onExcessProperty: "error" })
  if (result._tag === "Success") return result.value
  const squashed = result.cause.reasons.find((r) => r._tag === "Fail")
  const issue = squashed === undefined ? undefined : (squashed.error as { readonly issue?: unknown }).issue
  if (issue === undefined) throw new ConfigError({ path: base.join("."), detail: "could not be decoded" })
  const { issues } = SchemaIssue.makeFormatterStandardSchemaV1()(issue as EffectSchemaIssue.Issue)
  const first = issues[0]!
  const path = first.path?.map((p) => String(typeof p === "object" ? p.key : p)) ?? []
  const message = first.message.startsWith("Expected") ? `e${first.message.slice(1)}` : first.message
  const got = message === "unknown key" || message === "Missing key" ? "" : `, got ${describe(valueAt(input, path))}`
  throw new ConfigError({ path: [...base, ...path].join("."), detail: message + got })
}

const valueAt = (input: unknown, path: ReadonlyArray<string>): unknown => {
  let value = input
  for (const key of path) {
    if (typeof value !== "object" || value === null) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

/** A value as an error message shows it: JSON where it can be, else its string form. */
const describe = (u: unknown): string => {
  if (u === undefined) return "nothing"
  if (typeof u === "function") return "a function"
  try {
    const json = JSON.stringify(u)
    if (json !== undefined) return json.length > 60 ? `${json.slice(0, 57)}...` : json
  } catch {
    // not JSON
  }
  return safeString(u)
}

const fail = (path: ReadonlyArray<string>, detail: string): never => {
  throw new ConfigError({ path: path.join("."), detail })
}

/** Runs `f`; what it throws becomes a `ConfigError` at `path` with the same message. */
const at = <A>(path: ReadonlyArray<string>, f: () => A): A => {
  try {
    return f()
  } catch (error) {
    if (error instanceof ConfigError) throw error
    const field = (error as { readonly field?: unknown }).field
    const message = error instanceof Error ? error.message : safeString(error)
    const full = typeof field === "string" && field !== "" && !path.includes(field) ? [...path, field] : path
    return fail(full, message)
  }
}

// =============================================================================================
// References: ext:// and cfg://
// =============================================================================================

const isMapping = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** CPython's `cfg://` path: `handlers.file.level`, `handlers[file][level]`, `list[0]`. */
const cfgPath = (text: string, path: ReadonlyArray<string>): Array<string> => {
  const parts: Array<string> = []
  const pattern = /^([^.[\]]+)|\.([^.[\]]+)|\[([^\]]+)\]/y
  let index = 0
  while (index < text.length) {
    pattern.lastIndex = index
    const match = pattern.exec(text)
    if (match === null || (index === 0) !== (match[1] !== undefined)) fail(path, `invalid cfg:// reference: ${text}`)
    parts.push(match![1] ?? match![2] ?? match![3]!)
    index = pattern.lastIndex
  }
  if (parts.length === 0) fail(path, `invalid cfg:// reference: ${text}`)
  return parts
}

/** Replaces `ext://` and `cfg://` strings in a configuration (a copy; the input is not changed). */
const resolveReferences = (config: Record<string, unknown>, registry: Registry): Record<string, unknown> => {
  const visit = (value: unknown, path: ReadonlyArray<string>, depth: number): unknown => {
    if (depth > 20) return fail(path, "references nest more than 20 deep (a cycle?)")
    if (path.length > 64) return fail(path.slice(0, 8), "the configuration nests more than 64 levels deep")
    if (typeof value === "string") {
      if (value.startsWith("ext://")) return ext(value.slice(6), path)
      if (value.startsWith("cfg://")) {
        let target: unknown = config
        for (const key of cfgPath(value.slice(6), path)) {
          if (Array.isArray(target) && /^\d+$/.test(key)) target = target[Number(key)]
          else if (isMapping(target) && Object.hasOwn(target, key)) target = target[key]
          else return fail(path, `${value} names nothing in the configuration`)
        }
        return visit(target, path, depth + 1)
      }
      return value
    }
    if (Array.isArray(value)) return value.map((v, i) => visit(v, [...path, String(i)], depth))
    if (isMapping(value) && Object.getPrototypeOf(value) === Object.prototype) {
      const out: Record<string, unknown> = {}
      for (const key of Object.keys(value)) {
        // An own "__proto__" key (JSON.parse, YAML) would set the copy's prototype instead.
        if (key === "__proto__") return fail([...path, key], "this key is not allowed")
        out[key] = visit(value[key], [...path, key], depth)
      }
      return out
    }
    return value
  }
  const ext = (name: string, path: ReadonlyArray<string>): unknown => {
    if (name === "sys.stdout") return "stdout"
    if (name === "sys.stderr") return "stderr"
    // As it is: a '()' factory given `stream: "ext://..."` gets the object (a stream handler's
    // `stream` takes Node's own standard streams by name: see `buildHandler`).
    if (registry.objects !== undefined && Object.hasOwn(registry.objects, name)) return registry.objects[name]
    return fail(path, `ext://${name} is not known (sys.stdout, sys.stderr, or a name in the registry's objects)`)
  }
  return visit(config, [], 0) as Record<string, unknown>
}

// =============================================================================================
// Formatters and filters
// =============================================================================================

const factoryOf = (registry: Registry, name: unknown, path: ReadonlyArray<string>) => {
  if (typeof name !== "string") return fail([...path, "()"], "expected the name of a factory in the registry")
  const factory = registry.factories?.[name]
  if (typeof factory !== "function" || !Object.hasOwn(registry.factories!, name)) {
    return fail([...path, "()"], `no factory named '${name}' in the registry`)
  }
  return factory
}

/**
 * Whether a section's `()` names CPython's own class `name` (`"()": "logging.Formatter"`, which
 * CPython calls with the section's keywords) and the registry has no factory of that name.
 */
const builtinFactory = (section: Record<string, unknown>, registry: Registry, name: (cls: string) => boolean): boolean => {
  const cls = section["()"]
  return typeof cls === "string" && name(cls) && !(registry.factories !== undefined && Object.hasOwn(registry.factories, cls))
}

const withoutKeys = (section: Record<string, unknown>, keys: ReadonlyArray<string>): Record<string, unknown> => {
  const rest: Record<string, unknown> = {}
  for (const key of Object.keys(section)) if (!keys.includes(key) && key !== ".") rest[key] = section[key]
  return rest
}

/**
 * CPython's `'.'` key of a `()` section: attributes set on what the factory made, for formatters
 * and filters as for handlers (`configure_custom`).
 */
const setProperties = (made: unknown, section: Record<string, unknown>, path: ReadonlyArray<string>): void => {
  if (!isMapping(section["."])) return
  for (const [key, value] of Object.entries(section["."])) at([...path, ".", key], () => {
    ;(made as Record<string, unknown>)[key] = value
  })
}

const buildFormatter = (section: Record<string, unknown>, registry: Registry, path: ReadonlyArray<string>): Formatter.Formatter => {
  if (builtinFactory(section, registry, (cls) => cls === "logging.Formatter") && !isMapping(section["."])) {
    // CPython's Formatter(fmt, datefmt, style, validate, defaults), called by '()'.
    const { "()": _factory, fmt, ...rest } = section
    if (Object.hasOwn(rest, "format")) fail([...path, "format"], "unknown key (logging.Formatter called by '()' takes fmt)")
    return buildFormatter(fmt === undefined ? rest : { ...rest, format: fmt }, registry, path)
  }
  if (Object.hasOwn(section, "()")) {
    const factory = factoryOf(registry, section["()"], path)
    const made = at(path, () => factory(withoutKeys(section, ["()"])))
    setProperties(made, section, path)
    return at(path, () => Formatter.resolve(made as Formatter.Formatter))
  }
  const decoded = decode(loadSchemas().FormatterSection, section, path)
  const cls = decoded.class ?? "logging.Formatter"
  // A formatter class of the application's (`class: "pythonjsonlogger.jsonlogger.JsonFormatter"`,
  // in an INI file too, where no '()' can be written), called as CPython calls it: with the
  // section's format, datefmt, style, validate and defaults.
  if (registry.formatters !== undefined && Object.hasOwn(registry.formatters, cls)) {
    const factory = registry.formatters[cls]!
    const { class: _class, ...options } = decoded
    const made = at(path, () => factory(options))
    return at(path, () => Formatter.resolve(made as Formatter.Formatter))
  }
  switch (cls) {
    case "logging.Formatter":
    case "femtologging.Formatter":
      return at([...path, "format"], () =>
        Formatter.python(decoded.format ?? "", {
          style: decoded.style,
          datefmt: decoded.datefmt ?? undefined,
          defaults: decoded.defaults,
          validate: decoded.validate
        }))
    case "femtologging.JsonFormatter":
      return Formatter.json
    case "femtologging.LogfmtFormatter":
      return Formatter.logfmt
    case "femtologging.DefaultFormatter":
      return Formatter.defaultFormatter
  }
  return fail(
    [...path, "class"],
    `unknown formatter class '${cls}' (logging.Formatter, femtologging.JsonFormatter, femtologging.LogfmtFormatter, femtologging.DefaultFormatter; others through the registry's formatters, or a '()' factory)`
  )
}

const buildFilter = (section: Record<string, unknown>, registry: Registry, path: ReadonlyArray<string>): Filter.Filter => {
  if (builtinFactory(section, registry, (cls) => cls === "logging.Filter") && !isMapping(section["."])) {
    // CPython's Filter(name), called by '()'.
    const { "()": _factory, ...rest } = section
    const extra = Object.keys(rest).find((key) => key !== "name")
    if (extra !== undefined) fail([...path, extra], "unknown key (logging.Filter called by '()' takes name)")
    if (rest.name !== undefined && typeof rest.name !== "string") fail([...path, "name"], `expected a logger name, got ${describe(rest.name)}`)
    return Filter.name((rest.name as string | undefined) ?? "")
  }
  if (Object.hasOwn(section, "()")) {
    const factory = factoryOf(registry, section["()"], path)
    const made = at(path, () => factory(withoutKeys(section, ["()"])))
    if (!Filter.isFilter(made)) return fail([...path, "()"], "the factory did not return a filter (a function or an object with filter)")
    setProperties(made, section, path)
    return made
  }
  const decoded = decode(loadSchemas().FilterSection, section, path)
  const filters: Array<Filter.Filter> = []
  if (decoded.name !== undefined) filters.push(Filter.name(decoded.name))
  if (decoded.level !== undefined && decoded.max !== undefined) fail(path, "give 'level' (a maximum) or 'max', not both")
  const max = decoded.max ?? decoded.level
  if (max !== undefined || decoded.min !== undefined) {
    filters.push(at(path, () =>
      Filter.level({ ...(decoded.min === undefined ? {} : { min: decoded.min }), ...(max === undefined ? {} : { max }) })
    ))
  }
  if (filters.length === 0) return Filter.name("")
  return filters.length === 1 ? filters[0]! : (record) => filters.every((f) => Filter.apply([f], record, () => {}) !== undefined)
}

// =============================================================================================
// Handlers
// =============================================================================================

const builtInFormatters: ReadonlyArray<string> = ["default", "json", "logfmt"]

const classes: Readonly<Record<string, Kind>> = {
  "logging.StreamHandler": "stream",
  "logging.FileHandler": "file",
  "logging.NullHandler": "null",
  "logging.handlers.RotatingFileHandler": "rotating",
  "logging.handlers.TimedRotatingFileHandler": "timed",
  "logging.handlers.WatchedFileHandler": "watched",
  "logging.handlers.QueueHandler": "queue",
  "femtologging.StreamHandler": "stream",
  "femtologging.FemtoStreamHandler": "stream",
  "femtologging.FileHandler": "file",
  "femtologging.FemtoFileHandler": "file",
  "femtologging.RotatingFileHandler": "rotating",
  "femtologging.FemtoRotatingFileHandler": "rotating",
  "femtologging.TimedRotatingFileHandler": "timed",
  "femtologging.FemtoTimedRotatingFileHandler": "timed",
  "femtologging.WatchedFileHandler": "watched",
  "femtologging.FemtoWatchedFileHandler": "watched",
  "femtologging.NullHandler": "null",
  "logging.handlers.SocketHandler": "socket",
  "femtologging.SocketHandler": "socket",
  "femtologging.FemtoSocketHandler": "socket",
  "logging.handlers.MemoryHandler": "memory",
  "femtologging.MemoryHandler": "memory",
  "femtologging.FemtoMemoryHandler": "memory"
}

/** CPython's positional order of each kind's constructor, for upstream's `args` form. */
const positional: Readonly<Record<Kind, ReadonlyArray<string>>> = {
  stream: ["stream"],
  file: ["filename", "mode", "encoding", "delay", "errors"],
  watched: ["filename", "mode", "encoding", "delay", "errors"],
  rotating: ["filename", "mode", "maxBytes", "backupCount", "encoding", "delay", "errors"],
  timed: ["filename", "when", "interval", "backupCount", "encoding", "delay", "utc", "atTime", "errors"],
  null: [],
  queue: [],
  socket: ["host", "port"],
  memory: ["capacity", "flushLevel", "target", "flushOnClose"]
}

/** A handler being made: what loggers attach for its id. */
interface Made {
  /** The handlers a logger naming this id gets (a QueueHandler: the ones it lists). */
  readonly attach: ReadonlyArray<unknown>
  /** What `getHandlerByName` returns. */
  readonly handler: unknown
  /** Made by this configuration (closed if it fails, or when replaced). */
  readonly owned: boolean
}

/** Merges upstream's `args`/`kwargs` forms into keyword arguments. */
const keywordsOf = (section: Record<string, unknown>, kind: Kind, path: ReadonlyArray<string>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(section)) if (key !== "args" && key !== "kwargs") out[key] = section[key]
  const args = section["args"]
  if (args !== undefined) {
    if (!Array.isArray(args)) return fail([...path, "args"], `expected a list, got ${describe(args)}`)
    const names = positional[kind]
    if (args.length > names.length) fail([...path, "args"], `expected at most ${names.length} positional arguments (${names.join(", ")}), got ${args.length}`)
    args.forEach((value, i) => {
      if (Object.hasOwn(out, names[i]!)) fail([...path, "args"], `${names[i]} is given twice`)
      out[names[i]!] = value
    })
  }
  const kwargs = section["kwargs"]
  if (kwargs !== undefined) {
    if (!isMapping(kwargs)) return fail([...path, "kwargs"], `expected a mapping, got ${describe(kwargs)}`)
    for (const key of Object.keys(kwargs)) {
      if (Object.hasOwn(out, key)) fail([...path, "kwargs", key], `${key} is given twice`)
      out[key] = kwargs[key]
    }
  }
  // CPython's boolean keywords take any value as true or false: 0 and 1 (an INI file's
  // `args=('app.log', 'a', None, 1)`, JSON made from one) are booleans here too, and None false.
  for (const key of cpythonBooleanKeywords) if (out[key] === 0 || out[key] === 1 || out[key] === null) out[key] = out[key] === 1
  // CPython's StreamHandler(None) writes to stderr, as without a stream (`args=(None,)`).
  if (kind === "stream" && out.stream === null) delete out.stream
  return out
}

/** The boolean keywords of CPython's handler classes (`delay`, `utc`, `flushOnClose`, QueueHandler's `respect_handler_level`). */
const cpythonBooleanKeywords: ReadonlyArray<string> = ["delay", "utc", "flushOnClose", "respect_handler_level"]

let messageFormatter: Formatter.Formatter | undefined
const messageOnly = (): Formatter.Formatter => (messageFormatter ??= Formatter.python("%(message)s"))

const nullHandler = (spawn: Spawner): Handler.Handler =>
  Handler.makeUnsafe({ label: "NullHandler", target: { _tag: "Records", handle: () => {} }, policy: "drop" }, spawn)

/** Our option names from decoded keyword arguments (CPython's `filename` is our `path`, ...). */
const optionsOf = (o: Record<string, unknown>, formatter: Formatter.Formatter | undefined, filters: ReadonlyArray<Filter.Filter> | undefined) => {
  const { class: _class, filename: _filename, formatter: _formatter, filters: _filters, ...rest } = o
  const options: Record<string, unknown> = { ...rest }
  for (const key of ["encoding", "errors", "atTime"]) if (options[key] === null) delete options[key]
  if (formatter !== undefined) options.formatter = formatter
  if (filters !== undefined && filters.length > 0) options.filters = filters
  return options
}

const buildHandler = (
  section: Record<string, unknown>,
  context: {
    readonly registry: Registry
    readonly formatters: ReadonlyMap<string, Formatter.Formatter>
    readonly filters: ReadonlyMap<string, Filter.Filter>
    readonly made: ReadonlyMap<string, Made>
    readonly spawn: Spawner
  },
  path: ReadonlyArray<string>
): Made => {
  const formatterOf = (id: unknown): Formatter.Formatter | undefined => {
    if (id === undefined) return undefined
    if (typeof id !== "string") return fail([...path, "formatter"], `expected a formatter id, got ${describe(id)}`)
    const found = context.formatters.get(id)
    if (found !== undefined) return found
    // Our built-in formatters by name ("default", "json", "logfmt"), as handler options name them.
    if (builtInFormatters.includes(id)) return Formatter.resolve(id as Formatter.FormatterId)
    return fail([...path, "formatter"], `no formatter with id '${id}' (define it under formatters)`)
  }
  const filtersOf = (ids: unknown): Array<Filter.Filter> | undefined => {
    if (ids === undefined) return undefined
    if (!Array.isArray(ids)) return fail([...path, "filters"], `expected a list of filter ids, got ${describe(ids)}`)
    return ids.map((id, i) => {
      if (typeof id !== "string") return fail([...path, "filters", String(i)], `expected a filter id, got ${describe(id)}`)
      return context.filters.get(id) ?? fail([...path, "filters", String(i)], `no filter with id '${id}'`)
    })
  }
  if (builtinFactory(section, context.registry, (cls) => cls.startsWith("logging.") && Object.hasOwn(classes, cls)) && !Object.hasOwn(section, "class") && !isMapping(section["."])) {
    // CPython's own handler class called by '()': the same keywords as under 'class'.
    const { "()": cls, ...rest } = section
    return buildHandler({ ...rest, class: cls }, context, path)
  }
  if (Object.hasOwn(section, "()") || (typeof section.class === "string" && context.registry.handlers?.[section.class] !== undefined && Object.hasOwn(context.registry.handlers, section.class))) {
    const factory = Object.hasOwn(section, "()")
      ? factoryOf(context.registry, section["()"], path)
      : context.registry.handlers![section.class as string]!
    const keys = withoutKeys(section, ["()", "class", "level", "formatter", "filters"])
    const formatter = formatterOf(section.formatter)
    const filters = filtersOf(section.filters)
    const made = at(path, () => factory({ ...keys, ...(formatter === undefined ? {} : { formatter }), ...(filters === undefined ? {} : { filters }) }))
    let pipeline = Handler.of(made)
    if (pipeline === undefined) {
      // A user handler object (`handle` or `handleRecord`): queued and called as a logger would.
      const { name, target } = at(path, () => Handler.objectTarget(made))
      pipeline = Handler.makeUnsafe({ label: `handler ${name}`, target, ...(filters === undefined ? {} : { filters }) }, context.spawn)
    }
    if (section.level !== undefined) {
      at([...path, "level"], () => pipeline!.setLevel(section.level as Level.LevelInput))
    }
    if (Handler.of(made) !== undefined) {
      // As CPython, which sets the formatter and adds the filters to what the factory made: the
      // filters it did not add are added here, and the configured formatter is set on a handler
      // made without one (a factory given the formatter among its keywords may have made the
      // handler with another, such as one wrapping it: its choice). Handlers that format nothing
      // (records handed on: a memory handler, a test's capture handler; frames: the socket
      // handler) are left alone.
      for (const filter of filters ?? []) if (!pipeline.getFilters().includes(filter)) pipeline.addFilter(filter)
      if (formatter !== undefined && pipeline.formatsText && pipeline.formatterIsDefault) {
        at([...path, "formatter"], () => pipeline!.setFormatter(formatter))
      }
    }
    setProperties(made, section, path)
    return { attach: [pipeline], handler: Handler.of(made) === undefined ? pipeline : made, owned: true }
  }
  const cls = section.class
  if (cls === undefined) return fail(path, "a handler needs a 'class' (or a '()' factory)")
  if (typeof cls !== "string") return fail([...path, "class"], `expected a class name, got ${describe(cls)}`)
  const kind = Object.hasOwn(classes, cls) ? classes[cls]! : fail([...path, "class"], `unknown handler class '${cls}' (known: ${Object.keys(classes).join(", ")}; others through the registry)`)
  const given = keywordsOf(section, kind, path)
  // Node's own standard streams (an `ext://` object naming process.stdout) are the streams a
  // stream handler writes to by name.
  if (kind === "stream" && (given.stream === process.stdout || given.stream === process.stderr)) {
    given.stream = given.stream === process.stdout ? "stdout" : "stderr"
  }
  const keywords = decode(loadSchemas().kinds.get(kind)!, given, path)
  const formatter = formatterOf(keywords.formatter)
  const filters = filtersOf(keywords.filters)
  const spawn = context.spawn
  if (kind === "queue") {
    // CPython's QueueHandler applies its own level and filters, and formats the message with its
    // formatter, before its listener hands records on; with the handlers attached directly,
    // nothing would: refused rather than ignored.
    const queueLevel = keywords.level === undefined ? undefined : Level.parseThresholdUnsafe(keywords.level as Level.LevelInput)
    if (queueLevel !== undefined) fail([...path, "level"], "a QueueHandler's own level is not supported (its handlers are attached directly): set the level on the handlers it lists, or on the logger")
    if (filters !== undefined && filters.length > 0) fail([...path, "filters"], "a QueueHandler's own filters are not supported (its handlers are attached directly): set them on the handlers it lists")
    if (keywords.formatter !== undefined) fail([...path, "formatter"], "a QueueHandler's own formatter is not supported (its handlers are attached directly and format with their own)")
    const ids = (keywords.handlers ?? []) as ReadonlyArray<string>
    const attach = ids.flatMap((id, i) => {
      const target = context.made.get(id)
      return target?.attach ?? fail([...path, "handlers", String(i)], `no handler with id '${id}' (defined before this one)`)
    })
    // CPython's listener hands every record to its handlers whatever their levels unless
    // respect_handler_level is true; attached directly, they keep their levels.
    if (keywords.respect_handler_level !== true) {
      const levelled = ids.find((id) =>
        context.made.get(id)!.attach.some((h) => Handler.of(h)?.level !== undefined))
      if (levelled !== undefined) {
        fail([...path, "respect_handler_level"], `the handlers a QueueHandler lists keep their levels here ('${levelled}' has one), which CPython's listener ignores unless respect_handler_level is true: set it to true, or remove the level`)
      }
    }
    return { attach, handler: attach, owned: false }
  }
  if (kind === "memory") {
    // The target is made first (handlerOrder); CPython's MemoryHandler ignores its formatter.
    const id = keywords.target as string | undefined
    const target = id === undefined
      ? undefined
      : (context.made.get(id)?.attach[0] ?? fail([...path, "target"], `no handler with id '${id}' (defined before this one)`))
    const { class: _c, formatter: _f, filters: _fl, target: _t, ...rest } = keywords
    const handler = at(path, () =>
      new FemtoMemoryHandler(target as Handler.HandlerLike | undefined, {
        ...rest,
        ...(filters === undefined || filters.length === 0 ? {} : { filters })
      } as MemoryHandlerOptions, spawn))
    return { attach: [handler], handler, owned: true }
  }
  if (kind === "null") {
    const handler = nullHandler(spawn)
    return { attach: [handler], handler, owned: true }
  }
  // CPython's handlers format with `Formatter()`, i.e. `%(message)s`, when given no formatter.
  const options = optionsOf(keywords, formatter ?? (cls.startsWith("logging.") ? messageOnly() : undefined), filters)
  const file = keywords.filename as string | undefined
  const needsFile = () => file ?? fail([...path, "filename"], "a file handler needs a filename")
  // CPython's FileHandler (and its subclasses) with mode "w" never opens its file again once
  // closed (bpo-42378): such a handler a later configuration replaces writes nothing more.
  let truncates = options.mode === "w" && (kind === "file" || kind === "watched" || kind === "rotating")
  const handler: FemtoHandler = at(path, () => {
    switch (kind) {
      case "stream":
        return new FemtoStreamHandler(options, spawn)
      case "file":
        return new FemtoFileHandler(needsFile(), options, spawn)
      case "watched":
        return new FemtoWatchedFileHandler(needsFile(), options, spawn)
      case "rotating": {
        // CPython: "if either of maxBytes or backupCount is zero, rollover never occurs".
        const maxBytes = (options.maxBytes ?? 0) as number
        const backupCount = (options.backupCount ?? 0) as number
        const rotates = maxBytes > 0 && backupCount > 0
        const cpythons = cls === "logging.handlers.RotatingFileHandler"
        // CPython's class appends whenever maxBytes > 0, whatever the mode ("if maxBytes > 0:
        // mode = 'a'"), so that a rotating log is not truncated at each start.
        const { mode: _mode, ...appending } = options
        if (cpythons && maxBytes > 0) truncates = false
        return new FemtoRotatingFileHandler(
          needsFile(),
          {
            // CPython's class rotates where CPython does (see `rolloverRule`).
            ...(cpythons ? { rolloverRule: "cpython" } : {}),
            ...(cpythons && maxBytes > 0 ? appending : options),
            maxBytes: rotates ? maxBytes : 0,
            backupCount: rotates ? backupCount : 0
          },
          spawn
        )
      }
      case "timed": {
        // CPython's class reads atTime only for MIDNIGHT and W0-W6 and ignores it otherwise (a D
        // schedule rolls over every `interval` days from the start, S/M/H accept it silently).
        const when = typeof options.when === "string" ? options.when.toUpperCase() : "H"
        const cpythons = cls === "logging.handlers.TimedRotatingFileHandler"
        if (cpythons && when !== "MIDNIGHT" && !when.startsWith("W")) {
          const { atTime: _atTime, ...rest } = options
          return new FemtoTimedRotatingFileHandler(needsFile(), rest, spawn)
        }
        // Without atTime, CPython's Wn rolls over at the midnight that ends day n (its trigger is
        // 24:00, `rotate_ts = _MIDNIGHT`): W0 at Tuesday 00:00, which is W(n+1) at 00:00 (ours
        // without atTime roll over as day n begins).
        if (cpythons && /^W[0-6]$/.test(when) && options.atTime === undefined) {
          const next = `W${(Number(when.slice(1)) + 1) % 7}`
          return new FemtoTimedRotatingFileHandler(needsFile(), { ...options, when: next, atTime: "00:00" }, spawn)
        }
        return new FemtoTimedRotatingFileHandler(needsFile(), options, spawn)
      }
      case "socket": {
        // Records are sent as data: a formatter is not used (CPython's SocketHandler pickles the
        // record too). `port: null` means `host` is a Unix socket path, as in CPython.
        const { formatter: _formatter, host, port, ...rest } = options
        const transport = port === null ? { unixPath: host } : { host, port }
        return new FemtoSocketHandler({ ...rest, ...transport } as SocketHandlerOptions, spawn)
      }
    }
  })
  if (truncates) truncating.add(handler)
  return { attach: [handler], handler, owned: true }
}

/** File handlers made with mode "w": not kept by a later configuration (see `apply`). */
const truncating = new WeakSet<object>()

/** Handlers that name others (QueueHandler) after those they name. */
const handlerOrder = (handlers: Readonly<Record<string, Record<string, unknown>>>): Array<string> => {
  const order: Array<string> = []
  const state = new Map<string, "visiting" | "done">()
  const visit = (id: string): void => {
    if (state.get(id) === "done") return
    if (state.get(id) === "visiting") fail(["handlers", id, "handlers"], "handlers name each other in a cycle")
    state.set(id, "visiting")
    const listed = handlers[id]!.handlers
    if (Array.isArray(listed)) for (const other of listed) if (typeof other === "string" && Object.hasOwn(handlers, other)) visit(other)
    // A MemoryHandler's target is made before it.
    const target = handlers[id]!.target
    if (typeof target === "string" && Object.hasOwn(handlers, target)) visit(target)
    state.set(id, "done")
    order.push(id)
  }
  for (const id of Object.keys(handlers)) visit(id)
  return order
}

// =============================================================================================
// Plan and apply
// =============================================================================================

/** What configured state a manager remembers, to replace it next time. */
const applied = new WeakMap<LoggerManager, { readonly owned: ReadonlyArray<unknown>; readonly attached: Map<Logger, Array<unknown>> }>()

const closeQuietly = (handler: unknown): void => {
  const pipeline = Handler.of(handler)
  if (pipeline !== undefined) Effect.runFork(pipeline.closeEffect())
}

/**
 * Closes replaced handlers: memory handlers first, one after the other from the last made (their
 * buffer goes to targets still open, a chain of them included), then the others as before.
 */
const closeInOrder = (handlers: ReadonlyArray<unknown>): void => {
  const memory = handlers.filter((h) => h instanceof FemtoMemoryHandler).reverse()
  const others = handlers.filter((h) => !(h instanceof FemtoMemoryHandler))
  if (memory.length === 0) return others.forEach(closeQuietly)
  Effect.runFork(Effect.forEach(memory, (h) => Handler.close(h as FemtoMemoryHandler), { discard: true }).pipe(
    Effect.andThen(Effect.sync(() => others.forEach(closeQuietly)))
  ))
}

interface LoggerPlan {
  /** Only the level changes (root's CPython default). */
  readonly levelOnly?: boolean
  readonly logger: Logger
  readonly level: Level.LevelInput | undefined
  readonly handlers: ReadonlyArray<unknown> | undefined
  readonly filters: ReadonlyArray<Filter.Filter> | undefined
  readonly propagate: boolean | undefined
}

const loggerPlan = (
  manager: LoggerManager,
  name: string | undefined,
  section: DecodedLogger,
  made: ReadonlyMap<string, Made>,
  filters: ReadonlyMap<string, Filter.Filter>,
  path: ReadonlyArray<string>
): LoggerPlan => {
  const logger = at(path, () => manager.getLogger(name))
  return {
    logger,
    level: section.level,
    handlers: section.handlers?.flatMap((id, i) =>
      made.get(id)?.attach ?? fail([...path, "handlers", String(i)], `no handler with id '${id}'`)
    ),
    filters: section.filters?.map((id, i) =>
      filters.get(id) ?? fail([...path, "filters", String(i)], `no filter with id '${id}'`)
    ),
    propagate: section.propagate
  }
}

/**
 * Builds what `config` describes, then applies it to `manager` (see the module's description).
 * Throws `ConfigError` only (anything else a configuration makes throw, a getter or Proxy, a stack
 * overflow, becomes one); on a throw, nothing changed. Returns the handlers it made, in
 * `options.spawn`'s scope (default the manager's). `cpythonRoot` (default true): root gets
 * CPython's WARNING when neither the application nor the configuration set its level.
 *
 * @internal
 */
export const configureUnsafe = (
  config: unknown,
  registry: Registry,
  manager: LoggerManager,
  options: { readonly spawn?: Spawner | undefined; readonly cpythonRoot?: boolean | undefined } = {}
): ReadonlyArray<unknown> => {
  try {
    return configure(config, registry, manager, options.spawn ?? manager.spawn, options.cpythonRoot ?? true)
  } catch (error) {
    if (error instanceof ConfigError) throw error
    throw new ConfigError({ path: "", detail: `the configuration could not be read: ${safeString(error)}` })
  }
}

const configure = (
  config: unknown,
  registry: Registry,
  manager: LoggerManager,
  spawn: Spawner,
  cpythonRoot: boolean
): ReadonlyArray<unknown> => {
  if (!isMapping(config)) return fail([], `expected a mapping, got ${describe(config)}`)
  for (const key of Object.keys(config)) misspelt(key)
  const resolved = pythonNones(pythonBooleans(resolveReferences(config, registry)))
  const decoded = decode(loadSchemas().Top, resolved, [])
  if (decoded.incremental === true) {
    incremental(decoded, manager)
    return []
  }
  // The loggers the application made before this configuration (not those made only as their
  // parents, CPython's placeholders): the ones `disable_existing_loggers` is about.
  const existing = manager.loggerNames().filter((name) => !manager.isImplicit(name))
  const formatters = new Map<string, Formatter.Formatter>()
  for (const [id, section] of Object.entries(decoded.formatters ?? {})) {
    formatters.set(id, buildFormatter(section, registry, ["formatters", id]))
  }
  const filters = new Map<string, Filter.Filter>()
  for (const [id, section] of Object.entries(decoded.filters ?? {})) {
    filters.set(id, buildFilter(section, registry, ["filters", id]))
  }
  // The previous configuration's handlers write what they accepted before this one opens its
  // files: a file opened again with mode "w" must not get the old records after (and over) its
  // own, as CPython, which wrote them at once, never does (a worker's thread included, given as
  // long as at exit: it may still be starting).
  // So do the handlers on the loggers (the application's own, basicConfig's), as CPython's
  // dictConfig flushes every existing handler first: one this configuration takes off root must
  // not write what it accepted after what the new one on the same file writes.
  const deadline = performance.now() + exitDeadlineMs
  const before = new Set<unknown>(applied.get(manager)?.owned)
  for (const logger of [manager.root, ...manager.loggerNames().map((name) => manager.findLogger(name)!)]) {
    for (const h of logger.handlers) before.add(h)
  }
  for (const h of before) Handler.of(h)?.settleSync(deadline)
  const made = new Map<string, Made>()
  try {
    const sections = decoded.handlers ?? {}
    for (const id of handlerOrder(sections)) {
      made.set(id, buildHandler(sections[id]!, { registry, formatters, filters, made, spawn }, ["handlers", id]))
    }
    const plans: Array<LoggerPlan> = []
    for (const [name, section] of Object.entries(decoded.loggers ?? {})) {
      plans.push(loggerPlan(manager, rootOr(name), section, made, filters, ["loggers", name]))
    }
    // After `loggers`, as CPython does: `root` wins over a `loggers` entry `""` or `"root"`.
    if (decoded.root !== undefined) plans.push(loggerPlan(manager, undefined, decoded.root, made, filters, ["root"]))
    // CPython's root starts at WARNING (ours at INFO, the seed's default): a configuration in
    // CPython's terms that leaves root's level alone gets CPython's, unless the application set one.
    const rootLevel = plans.some((p) => p.logger === manager.root && p.level !== undefined)
    if (cpythonRoot && !rootLevel && manager.root.levelIsDefault) {
      plans.push({ logger: manager.root, level: "WARNING", handlers: undefined, filters: undefined, propagate: undefined, levelOnly: true })
    }
    // Levels are checked by the schema; nothing below throws.
    apply(manager, plans, existing, decoded.disable_existing_loggers ?? true, made)
  } catch (error) {
    for (const m of made.values()) if (m.owned) closeQuietly(m.handler)
    throw error
  }
  return [...made.values()].filter((m) => m.owned).map((m) => m.handler)
}

const apply = (
  manager: LoggerManager,
  plans: ReadonlyArray<LoggerPlan>,
  existing: ReadonlyArray<string>,
  disableExisting: boolean,
  made: ReadonlyMap<string, Made>
): void => {
  const previous = applied.get(manager)
  const configured = new Set(plans.map((p) => p.logger.name))
  const attached = new Map<Logger, Array<unknown>>()
  for (const plan of plans) {
    const { logger } = plan
    if (plan.levelOnly === true) {
      if (plan.level !== undefined) logger.setLevel(plan.level)
      continue
    }
    // As CPython: a configured logger has the handlers its section lists, and no others.
    for (const h of [...logger.handlers]) logger.removeHandler(h)
    for (const h of plan.handlers ?? []) logger.addHandler(h as Parameters<typeof logger.addHandler>[0])
    attached.set(logger, [...(plan.handlers ?? [])])
    for (const f of [...logger.getFilters()]) logger.removeFilter(f)
    for (const f of plan.filters ?? []) logger.addFilter(f)
    if (plan.level !== undefined) logger.setLevel(plan.level)
    // As CPython's `configure_logger`: `propagate` changes only when the section gives it (a
    // logger a previous configuration or the application made not to propagate stays so).
    if (logger.name !== "root" && plan.propagate !== undefined) logger.setPropagate(plan.propagate)
    logger.disabled = false
  }
  for (const name of existing) {
    if (configured.has(name)) continue
    const logger = manager.getLogger(name)
    const child = [...configured].some((c) => c !== "root" && name.startsWith(`${c}.`))
    if (child) {
      // CPython: below a configured logger, an existing logger is reset to propagate to it.
      logger.setLevel("NOTSET")
      for (const h of [...logger.handlers]) logger.removeHandler(h)
      logger.setPropagate(true)
      logger.disabled = false
    } else logger.disabled = disableExisting
  }
  const named = new Map<string, unknown>()
  for (const [id, m] of made) named.set(id, m.handler)
  manager.setNamedHandlers(named)
  const owned = [...made.values()].filter((m) => m.owned).map((m) => m.handler)
  // As CPython: the previous configuration's handlers stay on the loggers this one neither
  // configures nor resets (Django's DEFAULT_LOGGING handlers on "django", after a settings.LOGGING
  // with disable_existing_loggers False that does not name it), and keep writing there; they are
  // this configuration's to replace next time. The others write what they accepted, then close.
  // A memory handler is not kept: CPython's close() drops its target, so it writes nothing more.
  // Nor is a file handler opened with mode "w": CPython's closed one never opens its file again
  // (bpo-42378); kept open here, it would write at its own offset into a file that a new handler
  // truncated, over the new handler's records.
  const kept = new Set<unknown>()
  // Loggers a reset retired are not the manager's any more: their handlers close.
  const current = (logger: Logger) => manager.findLogger(logger.name) === logger
  for (const [logger, handlers] of previous?.attached ?? []) {
    const keep = current(logger)
    const still: Array<unknown> = []
    for (const h of handlers) {
      if (!logger.handlers.includes(h as never)) continue
      // A handler its scope already closed (an Effect layer's) is not kept either.
      if (keep && !(h instanceof FemtoMemoryHandler) && !truncating.has(h as object) && Handler.of(h)?.closed !== true) still.push(h)
      else logger.removeHandler(h as never)
    }
    if (still.length === 0) continue
    attached.set(logger, [...(attached.get(logger) ?? []), ...still])
    for (const h of still) kept.add(Handler.of(h) ?? h)
  }
  const keptOwned = (previous?.owned ?? []).filter((h) => kept.has(Handler.of(h) ?? h) && !owned.includes(h))
  applied.set(manager, { owned: [...owned, ...keptOwned], attached })
  // Handlers of the previous configuration write what they accepted, then close.
  if (previous !== undefined) closeInOrder(previous.owned.filter((h) => !owned.includes(h) && !keptOwned.includes(h)))
}

/** `incremental: true`: levels of loggers and named handlers, and loggers' `propagate`, only. */
const incremental = (decoded: DecodedConfig, manager: LoggerManager): void => {
  const changes: Array<() => void> = []
  for (const [id, section] of Object.entries(decoded.handlers ?? {})) {
    const extra = Object.keys(section).filter((k) => k !== "level")
    if (extra.length > 0) fail(["handlers", id, extra[0]!], "an incremental configuration changes only handler levels")
    const handler = Handler.of(manager.getHandlerByName(id))
    if (handler === undefined) fail(["handlers", id], `no configured handler named '${id}'`)
    if (section.level !== undefined) changes.push(() => handler!.setLevel(section.level as Level.LevelInput))
  }
  const loggers: Array<[string | undefined, DecodedLogger, ReadonlyArray<string>]> = Object.entries(decoded.loggers ?? {})
    .map(([name, s]) => [rootOr(name), s, ["loggers", name]])
  if (decoded.root !== undefined) loggers.push([undefined, decoded.root, ["root"]])
  for (const [name, section, path] of loggers) {
    if (section.handlers !== undefined || section.filters !== undefined) {
      fail([...path, section.handlers !== undefined ? "handlers" : "filters"], "an incremental configuration changes only levels and propagate")
    }
    const logger = at(path, () => manager.getLogger(name))
    if (section.level !== undefined) changes.push(() => logger.setLevel(section.level!))
    if (section.propagate !== undefined) changes.push(() => logger.setPropagate(section.propagate!))
  }
  for (const change of changes) change()
}


/** The documented environment variables, read through Effect's `Config` (see {@link EffectConfigOptions}). */
export const environment = () => {
  const EffectConfig = loadConfig()
  const refused = (name: string, value: string, expected: string) =>
    new ConfigError({ path: "environment", detail: `${name} is ${JSON.stringify(value)}, expected ${expected}` })
  // Read as text first, so that a refusal names the variable and its value in one line (a
  // decoding failure's own message is a SchemaError's dump, with the variable on a line of its own).
  const text = (name: string) =>
    Effect.mapError(
      EffectConfig.option(EffectConfig.String(name)),
      (error) => new ConfigError({ path: "environment", detail: `${name}: ${error.message}` })
    )
  const level = (name: string) =>
    Effect.flatMap(text(name), (value) =>
      value._tag === "Some" && !isThreshold(value.value)
        ? Effect.fail(refused(name, value.value, "a level (TRACE, DEBUG, INFO, WARNING, ERROR, CRITICAL, NOTSET)"))
        : Effect.succeed(value))
  const flag = (name: string) =>
    Effect.flatMap(text(name), (value): Effect.Effect<Option<boolean>, ConfigError> =>
      value._tag === "None"
        ? Effect.succeed(value as Option<never>)
        : Effect.mapError(
          EffectConfig.option(EffectConfig.Boolean(name)),
          () => refused(name, value.value, "true or false (yes/no, on/off, 1/0, y/n)")
        ))
  return Effect.all({
    logLevel: level("LOG_LEVEL"),
    femtoLevel: level("FEMTOLOG_LEVEL"),
    disable: flag("FEMTOLOG_DISABLE_EXISTING_LOGGERS")
  })
}

/** `config` with the environment's overrides applied (a copy). */
export const withOverrides = (
  config: unknown,
  env: Effect.Success<ReturnType<typeof environment>>
): unknown => {
  if (!isMapping(config)) return config
  const out: Record<string, unknown> = { ...config }
  const level = env.femtoLevel._tag === "Some" ? env.femtoLevel.value : env.logLevel._tag === "Some" ? env.logLevel.value : undefined
  if (level !== undefined) out.root = { ...(isMapping(out.root) ? out.root : {}), level }
  if (env.disable._tag === "Some") out.disable_existing_loggers = env.disable.value
  return out
}

/**
 * A `loggers` key as a logger: `""` is root, as in CPython (`getLogger("")`; Django's examples
 * configure root so), and so is `"root"`.
 */
const rootOr = (name: string): string | undefined => (name === "" || name === "root" ? undefined : name)

/**
 * The configuration with 0 and 1 as booleans where a boolean is meant (`disable_existing_loggers`,
 * `incremental`, loggers' `propagate`; handlers' boolean keywords are done in `keywordsOf`): CPython
 * takes any value as true or false there, and JSON made from an INI file writes them so. `None`
 * (`null`) is false for the two top-level keys, as CPython tests them (a logger's `propagate: null`
 * is not given: see {@link pythonNones}).
 */
const pythonBooleans = (config: unknown): unknown => {
  if (!isMapping(config)) return config
  const flag = (u: unknown): unknown => (u === 0 ? false : u === 1 ? true : u)
  const logger = (u: unknown): unknown => (isMapping(u) && "propagate" in u ? { ...u, propagate: flag(u.propagate) } : u)
  const out: Record<string, unknown> = { ...config }
  for (const key of ["disable_existing_loggers", "incremental"]) {
    if (key in out) out[key] = out[key] === null ? false : flag(out[key])
  }
  if ("root" in out) out.root = logger(out.root)
  if (isMapping(out.loggers)) out.loggers = Object.fromEntries(Object.entries(out.loggers).map(([k, v]) => [k, logger(v)]))
  return out
}

/**
 * The configuration without the `None`s (`null`: JSON dumped from Python, YAML's `~` or a key left
 * empty) that CPython takes as "not given": a logger's or root's `level`, `handlers`, `filters`
 * and `propagate`, a handler's `level`, `formatter` and `filters` (its constructor's keywords are
 * done in `keywordsOf`), a formatter's `class` and `defaults` (one made by a '()' factory gets its
 * keys as they are), and `root` itself when null or empty (`if root:`, so root is left as it
 * was); a formatter's `validate` null is false (CPython's `Formatter(..., validate=None)` checks
 * nothing), as `disable_existing_loggers` and `incremental` are in {@link pythonBooleans}.
 */
const pythonNones = (config: unknown): unknown => {
  if (!isMapping(config)) return config
  const without = (u: unknown, keys: ReadonlyArray<string>): unknown => {
    if (!isMapping(u) || !keys.some((k) => Object.hasOwn(u, k) && u[k] === null)) return u
    const out: Record<string, unknown> = { ...u }
    for (const key of keys) if (out[key] === null) delete out[key]
    return out
  }
  const loggerKeys = ["level", "handlers", "filters", "propagate"]
  const out: Record<string, unknown> = { ...config }
  if (out.root === null || (isMapping(out.root) && Object.keys(out.root).length === 0)) delete out.root
  else if ("root" in out) out.root = without(out.root, loggerKeys)
  const each = (sections: unknown, keys: ReadonlyArray<string>) =>
    isMapping(sections) ? Object.fromEntries(Object.entries(sections).map(([k, v]) => [k, without(v, keys)])) : sections
  if ("loggers" in out) out.loggers = each(out.loggers, loggerKeys)
  if ("handlers" in out) out.handlers = each(out.handlers, ["level", "formatter", "filters"])
  if (isMapping(out.formatters)) {
    out.formatters = Object.fromEntries(Object.entries(out.formatters).map(([k, v]) => {
      if (!isMapping(v) || Object.hasOwn(v, "()")) return [k, v]
      const section = without(v, ["class", "defaults"])
      return [k, isMapping(section) && section.validate === null ? { ...section, validate: false } : section]
    }))
  }
  return out
}

const topKeys = ["version", "incremental", "disable_existing_loggers", "formatters", "filters", "handlers", "loggers", "root"]

/**
 * Fails for a top-level key that is a known one in other case (`Handlers`, `Root`) or one edit
 * from a long one (`handler`, `logger`, `formater`): other keys are the configuration's own data,
 * as CPython takes them (`host`, `port`, `files` for `cfg://`), but a misspelt section would be
 * ignored without a word. Stricter than CPython, which ignores those too.
 */
const misspelt = (key: string): void => {
  if (topKeys.includes(key)) return
  const lower = key.toLowerCase()
  const near = topKeys.find((k) => lower === k || (k.length >= 7 && editDistance(lower, k) <= 1))
  if (near !== undefined) fail([key], `unknown key (did you mean '${near}'?)`)
}

/** Levenshtein distance (short keys only). */
const editDistance = (a: string, b: string): number => {
  if (Math.abs(a.length - b.length) > 2) return 3
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    row = next
  }
  return row[b.length]!
}
