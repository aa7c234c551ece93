/**
 * `ConfigBuilder`: the whole configuration built fluently in code, then applied at once with
 * `buildAndInit()`, as the seed's imperative API. Each builder is immutable (every `with…`
 * returns a new one) and has `asDict()`; `ConfigBuilder.asDict()` is a `dictConfig` object
 * (handlers as their builders' `asDict()`), and `buildAndInit()` applies the same configuration
 * through the same code as `dictConfig`: validated and opened first, applied only when all of it
 * is valid, the previous configuration's handlers closed after their records.
 *
 * Differences from `dictConfig`'s defaults, kept from the seed: `disable_existing_loggers` is
 * `false` unless `withDisableExistingLoggers(true)`; `withDefaultLevel(level)` gives that level to
 * every configured logger (root included) that has none of its own.
 *
 * **Example** (The seed's example)
 *
 * ```ts
 * import {
 *   ConfigBuilder, FileHandlerBuilder, LevelFilterBuilder, LoggerConfigBuilder, OverflowPolicy,
 *   StreamHandlerBuilder
 * } from "femtologging"
 *
 * new ConfigBuilder()
 *   .withHandler("console", StreamHandlerBuilder.stderr())
 *   .withHandler("audit", new FileHandlerBuilder("/var/log/app.log").withOverflowPolicy(OverflowPolicy.block()))
 *   .withFilter("info_only", new LevelFilterBuilder().withMaxLevel("INFO"))
 *   .withLogger("app.audit", new LoggerConfigBuilder().withLevel("INFO").withHandlers(["audit"]).withFilters(["info_only"]).withPropagate(false))
 *   .withRootLogger(new LoggerConfigBuilder().withLevel("WARNING").withHandlers(["console"]))
 *   .buildAndInit()
 * ```
 *
 * @since 0.2.0
 */
import { configureUnsafe, type Registry } from "./Config.ts"
import { ConfigError } from "./ConfigError.ts"
import type * as Filter from "./Filter.ts"
import type * as Formatter from "./Formatter.ts"
import * as Handler from "./Handler.ts"
import * as Level from "./Level.ts"
import { type LoggerManager, processWide } from "./Manager.ts"

const checkLevel = (field: string, level: Level.LevelInput): Level.LevelInput => {
  try {
    Level.parseThresholdUnsafe(level)
  } catch (error) {
    throw new ConfigError({ path: field, detail: (error as Error).message })
  }
  return level
}

const checkIds = (field: string, ids: ReadonlyArray<string>): ReadonlyArray<string> => {
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string")) {
    throw new ConfigError({ path: field, detail: "expected a list of ids" })
  }
  return [...new Set(ids)]
}

/**
 * A formatter in CPython's terms: `format`, `datefmt`, `style`, `defaults`, `validate`.
 *
 * @category builders
 * @since 0.2.0
 */
export class FormatterBuilder {
  constructor(readonly options: Readonly<Record<string, unknown>> = {}) {}
  /** The format string (in `style`). */
  withFormat(format: string): FormatterBuilder {
    return new FormatterBuilder({ ...this.options, format })
  }
  /** strftime format of `asctime`. */
  withDatefmt(datefmt: string): FormatterBuilder {
    return new FormatterBuilder({ ...this.options, datefmt })
  }
  /** `"%"` (default), `"{"` or `"$"`. */
  withStyle(style: "%" | "{" | "$"): FormatterBuilder {
    return new FormatterBuilder({ ...this.options, style })
  }
  /** Values for fields a record lacks. */
  withDefaults(defaults: Readonly<Record<string, unknown>>): FormatterBuilder {
    return new FormatterBuilder({ ...this.options, defaults })
  }
  /** Check the format as CPython does (default true). */
  withValidate(validate: boolean): FormatterBuilder {
    return new FormatterBuilder({ ...this.options, validate })
  }
  /** The `formatters.<id>` entry of a `dictConfig` object. */
  asDict(): Record<string, unknown> {
    return { ...this.options }
  }
}

/**
 * A level filter: records from `withMinLevel` up to `withMaxLevel` (both inclusive) pass.
 *
 * @category builders
 * @since 0.2.0
 */
export class LevelFilterBuilder {
  constructor(readonly options: { readonly min?: Level.LevelInput; readonly max?: Level.LevelInput } = {}) {}
  /** The highest level that passes (the seed's "max_level"). */
  withMaxLevel(level: Level.LevelInput): LevelFilterBuilder {
    return new LevelFilterBuilder({ ...this.options, max: checkLevel("max", level) })
  }
  /** The lowest level that passes. */
  withMinLevel(level: Level.LevelInput): LevelFilterBuilder {
    return new LevelFilterBuilder({ ...this.options, min: checkLevel("min", level) })
  }
  asDict(): Record<string, unknown> {
    if (this.options.min === undefined && this.options.max === undefined) {
      throw new ConfigError({ path: "LevelFilterBuilder", detail: "a minimum or maximum level is required" })
    }
    return { ...this.options }
  }
}

/**
 * A logger-name filter: the logger `prefix` and its descendants pass (`a.b` passes `a.b.c`, not
 * `a.bc`).
 *
 * @category builders
 * @since 0.2.0
 */
export class NameFilterBuilder {
  constructor(readonly prefix?: string) {}
  withPrefix(prefix: string): NameFilterBuilder {
    return new NameFilterBuilder(prefix)
  }
  asDict(): Record<string, unknown> {
    if (typeof this.prefix !== "string" || this.prefix === "") {
      throw new ConfigError({ path: "NameFilterBuilder", detail: "a non-empty prefix is required" })
    }
    return { name: this.prefix }
  }
}

/**
 * One logger's configuration: level, handler and filter ids, propagation.
 *
 * @category builders
 * @since 0.2.0
 */
export class LoggerConfigBuilder {
  constructor(
    readonly options: {
      readonly level?: Level.LevelInput
      readonly handlers?: ReadonlyArray<string>
      readonly filters?: ReadonlyArray<string>
      readonly propagate?: boolean
    } = {}
  ) {}
  withLevel(level: Level.LevelInput): LoggerConfigBuilder {
    return new LoggerConfigBuilder({ ...this.options, level: checkLevel("level", level) })
  }
  /** Handler ids (duplicates are kept once, first occurrence). */
  withHandlers(ids: ReadonlyArray<string>): LoggerConfigBuilder {
    return new LoggerConfigBuilder({ ...this.options, handlers: checkIds("handlers", ids) })
  }
  /** Filter ids, applied in this order (duplicates kept once). */
  withFilters(ids: ReadonlyArray<string>): LoggerConfigBuilder {
    return new LoggerConfigBuilder({ ...this.options, filters: checkIds("filters", ids) })
  }
  withPropagate(propagate: boolean): LoggerConfigBuilder {
    return new LoggerConfigBuilder({ ...this.options, propagate: propagate === true })
  }
  /** The `loggers.<name>` entry of a `dictConfig` object (unset fields omitted). */
  asDict(): Record<string, unknown> {
    return { ...this.options }
  }
}

/** What `withHandler` takes: a handler builder of this package, or a handler already made. */
export interface HandlerBuilderLike {
  readonly asDict: () => Record<string, unknown>
  readonly build: () => unknown
  readonly withFormatter: (formatter: Formatter.Formatter) => HandlerBuilderLike
}

const isBuilder = (u: unknown): u is HandlerBuilderLike =>
  typeof u === "object" && u !== null && typeof (u as HandlerBuilderLike).build === "function" &&
  typeof (u as HandlerBuilderLike).asDict === "function"

const builtInFormatters = new Set(["default", "json", "logfmt"])

/**
 * The whole configuration, applied with {@link ConfigBuilder.buildAndInit}.
 *
 * @category builders
 * @since 0.2.0
 */
export class ConfigBuilder {
  constructor(
    private readonly state: {
      readonly version: number
      readonly disableExistingLoggers: boolean
      readonly defaultLevel?: Level.LevelInput
      readonly formatters: ReadonlyMap<string, FormatterBuilder>
      readonly filters: ReadonlyMap<string, LevelFilterBuilder | NameFilterBuilder | Filter.Filter>
      readonly handlers: ReadonlyMap<string, HandlerBuilderLike | object>
      readonly loggers: ReadonlyMap<string, LoggerConfigBuilder>
      readonly root?: LoggerConfigBuilder
    } = {
      version: 1,
      disableExistingLoggers: false,
      formatters: new Map(),
      filters: new Map(),
      handlers: new Map(),
      loggers: new Map()
    }
  ) {}

  private with(change: Partial<ConfigBuilder["state"]>): ConfigBuilder {
    return new ConfigBuilder({ ...this.state, ...change })
  }

  /** The schema version: only 1. */
  withVersion(version: number): ConfigBuilder {
    if (version !== 1) throw new ConfigError({ path: "version", detail: `unsupported configuration version: ${version}` })
    return this.with({ version })
  }
  /** Disable loggers that exist and are not configured (default false here; CPython's dictConfig: true). */
  withDisableExistingLoggers(disable: boolean): ConfigBuilder {
    return this.with({ disableExistingLoggers: disable === true })
  }
  /** The level of configured loggers (root included) that set none. */
  withDefaultLevel(level: Level.LevelInput): ConfigBuilder {
    return this.with({ defaultLevel: checkLevel("defaultLevel", level) })
  }
  /** Registers a formatter; handler builders name it with `withFormatter(id)`. Last write wins. */
  withFormatter(id: string, formatter: FormatterBuilder): ConfigBuilder {
    return this.with({ formatters: new Map(this.state.formatters).set(id, formatter) })
  }
  /** Registers a filter: a filter builder, or a filter function or object. Last write wins. */
  withFilter(id: string, filter: LevelFilterBuilder | NameFilterBuilder | Filter.Filter): ConfigBuilder {
    return this.with({ filters: new Map(this.state.filters).set(id, filter) })
  }
  /** Registers a handler: a handler builder (made at `buildAndInit`), or a handler already made. */
  withHandler(id: string, handler: HandlerBuilderLike | object): ConfigBuilder {
    return this.with({ handlers: new Map(this.state.handlers).set(id, handler) })
  }
  withLogger(name: string, logger: LoggerConfigBuilder): ConfigBuilder {
    return this.with({ loggers: new Map(this.state.loggers).set(name, logger) })
  }
  withRootLogger(logger: LoggerConfigBuilder): ConfigBuilder {
    return this.with({ root: logger })
  }

  private loggerDict(logger: LoggerConfigBuilder): Record<string, unknown> {
    const dict = logger.asDict()
    if (dict.level === undefined && this.state.defaultLevel !== undefined) dict.level = this.state.defaultLevel
    return dict
  }

  /**
   * The configuration as a `dictConfig` object: handlers as their builders' `asDict()`, filter
   * builders as `{ min, max }` / `{ name }` (a filter function shows as `{ "()": "<function>" }`).
   */
  asDict(): Record<string, unknown> {
    const s = this.state
    const out: Record<string, unknown> = { version: s.version, disable_existing_loggers: s.disableExistingLoggers }
    if (s.formatters.size > 0) out.formatters = Object.fromEntries([...s.formatters].map(([id, f]) => [id, f.asDict()]))
    if (s.filters.size > 0) {
      out.filters = Object.fromEntries([...s.filters].map(([id, f]) =>
        [id, f instanceof LevelFilterBuilder || f instanceof NameFilterBuilder ? f.asDict() : { "()": "<function>" }]
      ))
    }
    if (s.handlers.size > 0) {
      out.handlers = Object.fromEntries([...s.handlers].map(([id, h]) => [id, isBuilder(h) ? h.asDict() : { "()": "<handler>" }]))
    }
    if (s.loggers.size > 0) out.loggers = Object.fromEntries([...s.loggers].map(([name, l]) => [name, this.loggerDict(l)]))
    if (s.root !== undefined) out.root = this.loggerDict(s.root)
    return out
  }

  /**
   * Applies the configuration to the process-wide manager (or `manager`). Throws `ConfigError`
   * naming what is wrong; then nothing changed.
   */
  buildAndInit(manager: LoggerManager = processWide()): void {
    const s = this.state
    const factories: Record<string, (options: Record<string, unknown>) => unknown> = {}
    const config: Record<string, unknown> = { version: s.version, disable_existing_loggers: s.disableExistingLoggers }
    config.formatters = Object.fromEntries([...s.formatters].map(([id, f]) => [id, f.asDict()]))
    config.filters = Object.fromEntries([...s.filters].map(([id, f]) => {
      if (f instanceof LevelFilterBuilder || f instanceof NameFilterBuilder) return [id, f.asDict()]
      factories[`filter:${id}`] = () => f
      return [id, { "()": `filter:${id}` }]
    }))
    config.handlers = Object.fromEntries([...s.handlers].map(([id, h]) => {
      const section: Record<string, unknown> = { "()": `handler:${id}` }
      if (!isBuilder(h)) {
        factories[`handler:${id}`] = () => h
        return [id, section]
      }
      // A formatter id the ConfigBuilder registered: resolved by the configuration, then given to the builder.
      const named = h.asDict().formatter
      if (typeof named === "string" && !builtInFormatters.has(named)) section.formatter = named
      factories[`handler:${id}`] = (options) => {
        const formatter = options.formatter as Formatter.Formatter | undefined
        const made = (formatter === undefined ? h : h.withFormatter(formatter)).build()
        const pipeline = Handler.of(made)
        for (const filter of (options.filters ?? []) as ReadonlyArray<Filter.Filter>) pipeline?.addFilter(filter)
        return made
      }
      return [id, section]
    }))
    config.loggers = Object.fromEntries([...s.loggers].map(([name, l]) => [name, this.loggerDict(l)]))
    if (s.root !== undefined) config.root = this.loggerDict(s.root)
    const registry: Registry = { factories }
    // The seed's builder keeps root's level unless told (no CPython default of WARNING here).
    configureUnsafe(config, registry, manager, { cpythonRoot: false })
  }
}
