/**
 * Configuration files: CPython's INI files (`fileConfig`), and JSON or YAML files in the
 * `dictConfig` schema (`dictConfigFromFile`).
 *
 * **`fileConfig(path, { defaults, disableExistingLoggers = true, encoding })`** reads the file as
 * CPython's `logging.config.fileConfig` does: `configparser.ConfigParser` syntax (`[DEFAULT]`,
 * `%(name)s` interpolation with `defaults`, continuation lines; see internal/ini.ts),
 * `[formatters]`, `[handlers]`, `[loggers]` and their `formatter_<id>`, `handler_<id>`,
 * `logger_<key>` sections with CPython's keys (`format`, `datefmt`, `style`, `defaults`, `class`;
 * `class`, `args`, `kwargs`, `level`, `formatter`, `target` (a MemoryHandler's); `level`, `handlers`, `qualname`,
 * `propagate`).
 * `args` and `kwargs` are Python expressions that CPython `eval`s: here they are read by a safe
 * evaluator (internal/pyliteral.ts: literals, arithmetic, `sys.stdout`, `sys.stderr`, level
 * names), never executed. Handler classes are CPython's names as fileConfig resolves them
 * (`StreamHandler`, `handlers.RotatingFileHandler`, `logging.handlers.RotatingFileHandler`, ...)
 * and ours (`femtologging.FileHandler`, ...); other classes through the registry. The file is
 * then applied as `dictConfig` applies a dictionary: transactionally, closing the handlers it
 * replaces after their records.
 *
 * Errors are `ConfigError`s naming the file, the line where there is one, and the section and
 * key: `app.ini:12: [handler_file] args: expected a non-negative integer for maxBytes, got "ten"`.
 * A missing or empty file is an error naming it.
 *
 * **`dictConfigFromFile(path)`** reads a `.json`, `.yaml` or `.yml` file and applies it with
 * `dictConfig` (YAML parsed by the `yaml` package, loaded on first use).
 *
 * @since 0.2.0
 */
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Layer } from "./internal/lazyEffect.ts"
import * as Config from "./Config.ts"
import { configureUnsafe, type DictConfigOptions, type EffectConfigOptions, type Registry } from "./Config.ts"
import { ConfigError } from "./ConfigError.ts"
import { moduleUrl } from "./internal/moduleUrl.ts"
import { safeString } from "./internal/safe.ts"
import type { Ini } from "./internal/ini.ts"
import { ini as iniModule, loadOrFail, pyliteral } from "./internal/lazyModules.ts"
import type * as Pyliteral from "./internal/pyliteral.ts"
import { type LoggerManager, type Manager, processWide } from "./Manager.ts"

/**
 * Options of {@link fileConfig}, named as CPython names them (in camelCase).
 *
 * @category models
 * @since 0.2.0
 */
export interface FileConfigOptions {
  /** Values `%(name)s` may name, below the file's `[DEFAULT]`. */
  readonly defaults?: Readonly<Record<string, unknown>> | undefined
  /** Disable loggers that exist and are not in the file (default `true`, as in CPython). */
  readonly disableExistingLoggers?: boolean | undefined
  /** The file's encoding: only UTF-8 (the default) is read. */
  readonly encoding?: string | undefined
  readonly registry?: Registry | undefined
  readonly manager?: LoggerManager | undefined
}

/** A configuration file larger than this is refused (a device such as /dev/zero never ends). */
const maxFileBytes = 16 * 1024 * 1024

/** The file's bytes, at most {@link maxFileBytes}: read in chunks, so that a device or pipe that never ends is refused. */
const readCapped = (path: string): Buffer => {
  const fd = fs.openSync(path, "r")
  try {
    const chunks: Array<Buffer> = []
    let total = 0
    for (;;) {
      const chunk = Buffer.allocUnsafe(64 * 1024)
      const n = fs.readSync(fd, chunk, 0, chunk.length, null)
      if (n === 0) return Buffer.concat(chunks, total)
      total += n
      if (total > maxFileBytes) {
        throw new ConfigError({ path, detail: `the file is larger than ${maxFileBytes} bytes` })
      }
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n))
    }
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * The file a configuration path names: a string, or a `file:` URL (`new URL("./logging.ini",
 * import.meta.url)`, which `fs` took before the path check), as its path.
 */
const filePath = (path: string | URL): string => {
  if (path instanceof URL && path.protocol === "file:") {
    try {
      return fileURLToPath(path)
    } catch (error) {
      throw new ConfigError({ path: path.href, detail: `not a file path: ${(error as Error).message}` })
    }
  }
  return path as string
}

const readText = (path: string, encoding: string | undefined): string => {
  // A number would be read as a file descriptor (0 is stdin; another may never end), a Buffer is
  // not what the types promise: only a non-empty string (or a file: URL, made one) names a file.
  if (typeof path !== "string" || path === "") {
    throw new ConfigError({ path: "", detail: `expected a file path (a non-empty string), got ${path === "" ? "\"\"" : safeString(path)}` })
  }
  if (encoding !== undefined && !/^utf-?8(-sig)?$/i.test(encoding)) {
    throw new ConfigError({ path, detail: `unsupported encoding: ${encoding} (only utf-8)` })
  }
  let text: string
  try {
    text = readCapped(path).toString("utf8")
  } catch (error) {
    if (error instanceof ConfigError) throw error
    const code = (error as NodeJS.ErrnoException).code
    throw new ConfigError({
      path,
      detail: code === "ENOENT" ? "the file does not exist" : `cannot be read (${(error as Error).message})`
    })
  }
  if (text.trim() === "") throw new ConfigError({ path, detail: "the file is empty" })
  return text
}

/** CPython's `_strip_spaces(s.split(","))`, without empty names. */
const list = (value: string): Array<string> => value.split(",").map((s) => s.trim()).filter((s) => s !== "")

/** fileConfig's class names (`eval(klass, vars(logging))`, then `_resolve`) in dictConfig's. */
const handlerClass = (name: string): string => {
  const trimmed = name.trim()
  if (/^[A-Z]\w*Handler$/.test(trimmed)) return `logging.${trimmed}`
  if (trimmed.startsWith("handlers.")) return `logging.${trimmed}`
  return trimmed
}

/** The classes (after {@link handlerClass}) that are CPython's `MemoryHandler`, whose section may name a `target`. */
const memoryClasses = new Set(["logging.handlers.MemoryHandler", "femtologging.MemoryHandler", "femtologging.FemtoMemoryHandler"])

/**
 * Translates a parsed INI file into a dictConfig object, recording where each key came from.
 * Throws `ConfigError` naming the file, line, section and key.
 */
const translate = (ini: Ini, disableExisting: boolean, literals: typeof Pyliteral) => {
  const where = (section: string, option?: string): string => {
    const line = option === undefined ? undefined : ini.lineOf(section, option)
    return `${ini.file}${line === undefined ? "" : `:${line}`}: [${section}]${option === undefined ? "" : ` ${option}`}`
  }
  const get = (section: string, option: string, raw = false): string | undefined => {
    if (!ini.hasSection(section)) throw new ConfigError({ path: ini.file, detail: `section [${section}] is missing` })
    return ini.get(section, option, { raw, fallback: undefined })
  }
  const { parsePython, PythonLiteralError, toJs } = literals
  const python = (section: string, option: string, fallback: string): Pyliteral.JsValue => {
    const source = get(section, option) ?? fallback
    try {
      return toJs(parsePython(source, `[${section}] ${option}`), (name) => (name === "sys.stdout" ? "stdout" : "stderr"))
    } catch (error) {
      if (error instanceof PythonLiteralError) throw new ConfigError({ path: where(section, option), detail: error.detail })
      throw error
    }
  }
  const sources = new Map<string, string>()
  const config: Record<string, unknown> = { version: 1, disable_existing_loggers: disableExisting }
  const formatters: Record<string, unknown> = {}
  // CPython requires [formatters] and [handlers]; a file without them means none.
  const keysOf = (section: string): Array<string> => (ini.hasSection(section) ? list(get(section, "keys") ?? "") : [])
  for (const id of keysOf("formatters")) {
    const section = `formatter_${id}`
    const format: Record<string, unknown> = {}
    for (const key of ["format", "datefmt", "style"]) {
      const value = get(section, key, true)
      if (value !== undefined) format[key] = value
    }
    const defaults = ini.has(section, "defaults") ? python(section, "defaults", "None") : undefined
    if (defaults !== undefined && defaults !== null) format.defaults = defaults
    const cls = get(section, "class")
    if (cls !== undefined && cls !== "") format.class = cls
    formatters[id] = format
    sources.set(`formatters.${id}`, section)
  }
  const handlers: Record<string, unknown> = {}
  for (const id of keysOf("handlers")) {
    const section = `handler_${id}`
    const cls = get(section, "class")
    if (cls === undefined) throw new ConfigError({ path: where(section), detail: "the handler has no class" })
    const handler: Record<string, unknown> = { class: handlerClass(cls) }
    const args = python(section, "args", "()")
    if (!Array.isArray(args)) throw new ConfigError({ path: where(section, "args"), detail: "expected a tuple of arguments" })
    if (args.length > 0) handler.args = args
    const kwargs = python(section, "kwargs", "{}")
    if (typeof kwargs !== "object" || kwargs === null || Array.isArray(kwargs) || kwargs instanceof Map) {
      throw new ConfigError({ path: where(section, "kwargs"), detail: "expected a dict of keyword arguments" })
    }
    if (Object.keys(kwargs).length > 0) handler.kwargs = kwargs
    const level = get(section, "level")
    if (level !== undefined) handler.level = level
    const formatter = get(section, "formatter")
    if (formatter !== undefined && formatter !== "") handler.formatter = formatter
    // CPython: a MemoryHandler's `target` names another handler of the file ("fixups").
    if (memoryClasses.has(handler.class as string)) {
      const target = get(section, "target")
      if (target !== undefined && target !== "") handler.target = target
    }
    handlers[id] = handler
    sources.set(`handlers.${id}`, section)
  }
  const keys = list(get("loggers", "keys") ?? "")
  if (!keys.includes("root")) throw new ConfigError({ path: where("loggers", "keys"), detail: "the root logger is missing" })
  const loggers: Record<string, unknown> = {}
  for (const key of keys) {
    const section = `logger_${key}`
    const logger: Record<string, unknown> = {}
    const level = get(section, "level")
    if (level !== undefined) logger.level = level
    logger.handlers = list(get(section, "handlers") ?? "")
    if (key === "root") {
      config.root = logger
      sources.set("root", section)
      continue
    }
    const qualname = get(section, "qualname")
    if (qualname === undefined) throw new ConfigError({ path: where(section), detail: "the logger has no qualname" })
    const propagate = get(section, "propagate") ?? "1"
    // CPython's `getint`: `int(value)`, which takes a sign and `_` between digits (`+1`, `1_0`).
    if (!/^[+-]?\d+(?:_\d+)*$/.test(propagate.trim())) {
      throw new ConfigError({ path: where(section, "propagate"), detail: `expected an integer (1 or 0), got ${JSON.stringify(propagate)}` })
    }
    logger.propagate = Number(propagate.trim().replaceAll("_", "")) !== 0
    loggers[qualname] = logger
    sources.set(`loggers.${qualname}`, section)
  }
  config.formatters = formatters
  config.handlers = handlers
  config.loggers = loggers
  /** A dictConfig path (`handlers.file.maxBytes`) as the INI file names it. */
  const locate = (path: string): string => {
    const parts = path.split(".")
    for (let n = parts.length; n > 0; n--) {
      const section = sources.get(parts.slice(0, n).join("."))
      if (section === undefined) continue
      const rest = parts.slice(n)
      const option = rest[0] === undefined ? undefined : ini.has(section, rest[0]) ? rest[0] : rest[0] === "args" || ini.has(section, "args") ? "args" : undefined
      const more = option !== undefined && option === rest[0] ? rest.slice(1) : rest
      const detail = more.length === 0 ? "" : ` (${more.join(".")})`
      return `${where(section, option)}${detail}`
    }
    return `${ini.file}: ${path}`
  }
  return { config, locate }
}

const fileConfigOptions = ["defaults", "disableExistingLoggers", "encoding", "registry", "manager"]

/**
 * Fails for an option `fileConfig` does not take, as CPython's `fileConfig` raises `TypeError` for
 * an unexpected keyword: ignored, CPython's own `disable_existing_loggers: false` would leave
 * existing loggers disabled (the default), and their records lost, without a word.
 */
const checkOptions = (path: string, options: FileConfigOptions): void => {
  // A Map (or an array) has no option properties: what it holds, CPython's spelling or ours, would
  // be ignored as silently as an unknown key.
  if (typeof options !== "object" || options === null || Array.isArray(options) || options instanceof Map) {
    const got = options instanceof Map
      ? "a Map (pass Object.fromEntries(map))"
      : Array.isArray(options) ? "an array" : safeString(options)
    throw new ConfigError({ path, detail: `expected an object of options, got ${got}` })
  }
  // Inherited keys too: an inherited option is read as an own one is.
  for (const key in options) {
    if (fileConfigOptions.includes(key)) continue
    const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
    const hint = fileConfigOptions.includes(camel) ? ` (did you mean '${camel}'?)` : ` (known: ${fileConfigOptions.join(", ")})`
    throw new ConfigError({ path, detail: `unknown option '${key}'${hint}` })
  }
}

/**
 * Configures logging from a CPython `logging.config.fileConfig` INI file (see the module's
 * description). Throws `ConfigError` naming the file and line; a file that fails changes nothing.
 *
 * @category configuration
 * @since 0.2.0
 */
export const fileConfig = (file: string | URL, options: FileConfigOptions = {}): void => {
  const path = filePath(file)
  // The options are checked before the file is read: nothing is done for a call that will fail.
  checkOptions(path, options)
  const text = readText(path, options.encoding)
  const defaults: Record<string, string> = {}
  for (const [key, value] of Object.entries(options.defaults ?? {})) defaults[key] = String(value)
  // The INI and Python-literal parsers, loaded on first use.
  const loaded = loadOrFail(path, () => ({ ini: iniModule(), pyliteral: pyliteral() }))
  const { IniError, parseIni } = loaded.ini
  let ini: Ini
  try {
    ini = parseIni(text, { file: path, defaults })
  } catch (error) {
    if (error instanceof IniError) {
      throw new ConfigError({ path: `${path}${error.line === undefined ? "" : `:${error.line}`}`, detail: error.detail })
    }
    throw error
  }
  let translated: ReturnType<typeof translate>
  try {
    translated = translate(ini, options.disableExistingLoggers ?? true, loaded.pyliteral)
  } catch (error) {
    if (error instanceof IniError) {
      throw new ConfigError({ path: `${path}${error.line === undefined ? "" : `:${error.line}`}`, detail: error.detail })
    }
    throw error
  }
  try {
    configureUnsafe(translated.config, options.registry ?? {}, options.manager ?? processWide())
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError({ path: translated.locate(error.path), detail: error.detail })
    throw error
  }
}

let yaml: { readonly parse: (text: string, options: { readonly version: "1.1" }) => unknown } | undefined

/**
 * Reads a `.json`, `.yaml` or `.yml` file as a configuration object (not applied). Throws
 * `ConfigError` naming the file (and the line, for a syntax error).
 *
 * @category configuration
 * @since 0.2.0
 */
export const readConfigFile = (file: string | URL, options: { readonly encoding?: string | undefined } = {}): unknown => {
  const path = filePath(file)
  const text = readText(path, options.encoding)
  const extension = Path.extname(path).toLowerCase()
  try {
    if (extension === ".json") return JSON.parse(text)
    if (extension === ".yaml" || extension === ".yml") {
      yaml ??= createRequire(moduleUrl(import.meta.url))("yaml") as { readonly parse: (text: string, options: { readonly version: "1.1" }) => unknown }
      // YAML 1.1, as PyYAML reads the files Python's logging configurations live in: `no` is
      // false, `10_485_760` a number.
      return yaml.parse(text, { version: "1.1" })
    }
  } catch (error) {
    const line = (error as { readonly linePos?: ReadonlyArray<{ readonly line: number }> }).linePos?.[0]?.line
    throw new ConfigError({ path: `${path}${line === undefined ? "" : `:${line}`}`, detail: (error as Error).message })
  }
  throw new ConfigError({ path, detail: "expected a .json, .yaml or .yml file" })
}

/** A `ConfigError` from applying a file's configuration, its path prefixed with the file's. */
const inFile = (path: string, error: unknown): unknown =>
  error instanceof ConfigError
    ? new ConfigError({ path: error.path === "" ? path : `${path}: ${error.path}`, detail: error.detail })
    : error

/**
 * Configures logging from a `.json`, `.yaml` or `.yml` file in the `dictConfig` schema. Throws
 * `ConfigError` naming the file (and the line, for a syntax error).
 *
 * @category configuration
 * @since 0.2.0
 */
export const dictConfigFromFile = (file: string | URL, options: DictConfigOptions & { readonly encoding?: string } = {}): void => {
  const path = filePath(file)
  const config = readConfigFile(path, options)
  try {
    configureUnsafe(config, options.registry ?? {}, options.manager ?? processWide())
  } catch (error) {
    throw inFile(path, error)
  }
}

/**
 * The Effect face of {@link dictConfigFromFile}: a layer that reads the file when built and
 * configures the `Manager` in context (with the environment's overrides, as `Config.layer`),
 * closing the handlers it made when released.
 *
 * @category layers
 * @since 0.2.0
 */
export const layer = (file: string | URL, options: EffectConfigOptions & { readonly encoding?: string } = {}): Layer.Layer<never, ConfigError, Manager> =>
  Layer.unwrap(Effect.try({
    try: () => {
      const path = filePath(file)
      return Config.layer(readConfigFile(path, options), options).pipe(
        Layer.catch((error) => Layer.effectDiscard(Effect.fail(inFile(path, error) as ConfigError)))
      )
    },
    catch: (error) => error instanceof ConfigError ? error : new ConfigError({ path: String(file), detail: String(error) })
  }))
