/**
 * Effect's runtime modules, loaded when first used rather than when `femtologging` is imported.
 *
 * Importing `effect/Effect` (with the modules it stands on, about 70) costs more than 100 ms on a
 * small machine, most of it per module. Loggers, levels, formatters and configuration need none of
 * it; a handler's queue, its fibers and the Effect-facing API do. So the library's modules take
 * `Effect`, `Queue`, `Scope`... from here instead of from `effect/*`: each is a live binding that
 * starts as a stand-in and is replaced by the real module the first time any of them is touched
 * (all of the core ones at once: they are one graph). After that, every access is an ordinary
 * module-binding read, as with a static import; nothing is ever half-loaded.
 *
 * The modules come from Node's module cache through `require` (Node >= 22.12 loads ES modules
 * synchronously), so they are the very instances an application importing `effect` has: services,
 * layers and fibers are shared. The library's error classes and service keys are defined here too
 * ({@link TaggedError}, {@link Service}), so that defining them loads nothing of Effect. Where
 * `require` cannot load them (a bundle, `--no-experimental-require-module`, a module still being
 * loaded by an `import()`), `femtologging/EagerEffect` imports them statically and hands them
 * over ({@link provideEffect}).
 *
 * The namespaces below re-declare the types the library uses from each module under the same
 * name, so `Effect.Effect<A>` and `Scope.Scope` read as they would with `import * as`.
 *
 * @internal
 */
import "./nodeVersion.ts"
import { createRequire } from "node:module"
import { moduleUrl } from "./moduleUrl.ts"
import type * as CauseModule from "effect/Cause"
import type * as ClockModule from "effect/Clock"
import type * as NodeSocketModule from "@effect/platform-node/NodeSocket"
import type * as NodeSocketServerModule from "@effect/platform-node/NodeSocketServer"
import type * as NodeWorkerModule from "@effect/platform-node/NodeWorker"
import type * as ConfigModule from "effect/Config"
import type * as ContextModule from "effect/Context"
import type * as DataModule from "effect/Data"
import type * as EffectModule from "effect/Effect"
import type * as ExitModule from "effect/Exit"
import type * as FiberModule from "effect/Fiber"
import type * as LayerModule from "effect/Layer"
import type * as LoggerModule from "effect/Logger"
import type * as LogLevelModule from "effect/LogLevel"
import type * as QueueModule from "effect/Queue"
import type * as RandomModule from "effect/Random"
import type * as ReferencesModule from "effect/References"
import type * as SchemaModule from "effect/Schema"
import type * as SchemaIssueModule from "effect/SchemaIssue"
import type * as ScopeModule from "effect/Scope"
import type * as WorkerModule from "effect/workers/Worker"
import type * as WorkerErrorModule from "effect/workers/WorkerError"

const here = moduleUrl(import.meta.url)
const require = createRequire(here)

/**
 * The peer dependency (`effect`, `@effect/platform-node`) `specifier` is in, when it is not
 * installed and this is the package's own file (not a bundle, which leaves these loads to run
 * time): `npm i --omit=peer`, or a package manager that does not install peers.
 */
const missingPeer = (specifier: string): string | undefined => {
  const peer = /^(effect|@effect\/platform-node)\//.exec(specifier)?.[1]
  if (peer === undefined || !/\/internal\/lazyEffect\.[jt]s$/.test(here)) return undefined
  try {
    require.resolve(`${peer}/package.json`)
    return undefined
  } catch {
    return peer
  }
}

/**
 * A stand-in for a module not loaded yet: touching it in any way loads the real one (`load`
 * replaces the live binding), then answers from it.
 */
const deferred = <M extends object>(load: () => M): M =>
  new Proxy({} as M, {
    get: (_target, key) => Reflect.get(load(), key),
    has: (_target, key) => Reflect.has(load(), key),
    ownKeys: () => Reflect.ownKeys(load()),
    getOwnPropertyDescriptor: (_target, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(load(), key)
      return descriptor === undefined ? undefined : { ...descriptor, configurable: true }
    }
  })

/**
 * `require`s one of Effect's modules (or one of the library's own, `lazyModules.ts`, named by
 * `name` in messages); when Node cannot, an error that says why and what to do. The three ways it
 * fails: `require(esm)` turned off (`--no-experimental-require-module`); no such file at run time
 * (a bundle that left these calls to run time); and Effect being loaded by an `import()` still
 * under way (Node cannot hand a module half loaded to `require`).
 */
export const load = <M>(specifier: string, name: string = specifier, eager: string = "femtologging/EagerEffect"): M => {
  try {
    return require(specifier) as M
  } catch (error) {
    const code = (error as { readonly code?: unknown }).code
    const peer = code === "MODULE_NOT_FOUND" ? missingPeer(specifier) : undefined
    if (peer !== undefined) {
      throw new Error(
        `femtologging: cannot load ${name}: ${peer} is not installed. effect and @effect/platform-node ` +
          "are peer dependencies of femtologging (npm installs them, but not with --omit=peer): " +
          "npm install effect @effect/platform-node",
        { cause: error }
      )
    }
    const why = code === "ERR_REQUIRE_ESM"
      ? "require(esm) is turned off (--no-experimental-require-module)"
      : code === "MODULE_NOT_FOUND"
      ? "it is not where Node looks at run time (in a bundle, these loads are left to run time)"
      : `${error instanceof Error ? error.message.split("\n")[0] : String(error)}`
    throw new Error(
      `femtologging: cannot load ${name}: ${why}. Import "${eager}" first, at ` +
        "the top of the program's entry module: it imports Effect's runtime and the library's " +
        "modules loaded on first use statically (which bundlers follow), before anything is logged.",
      { cause: error }
    )
  }
}

let coreLoaded = false

/** Loads Effect's core modules (if not yet) and replaces the stand-ins. */
export const loadEffect = (): void => {
  if (coreLoaded) return
  provideEffect({
    Effect: load("effect/Effect"),
    Queue: load("effect/Queue"),
    Scope: load("effect/Scope"),
    Layer: load("effect/Layer"),
    Exit: load("effect/Exit"),
    Cause: load("effect/Cause"),
    Clock: load("effect/Clock"),
    Fiber: load("effect/Fiber"),
    References: load("effect/References"),
    Random: load("effect/Random"),
    Context: load("effect/Context"),
    Data: load("effect/Data")
  })
}

/** Effect's modules, as {@link provideEffect} takes them. @internal */
export interface EffectModules {
  readonly Effect: typeof EffectModule
  readonly Queue: typeof QueueModule
  readonly Scope: typeof ScopeModule
  readonly Layer: typeof LayerModule
  readonly Exit: typeof ExitModule
  readonly Cause: typeof CauseModule
  readonly Clock: typeof ClockModule
  readonly Fiber: typeof FiberModule
  readonly References: typeof ReferencesModule
  readonly Random: typeof RandomModule
  readonly Context: typeof ContextModule
  readonly Data: typeof DataModule
  readonly Logger?: typeof LoggerModule
  readonly LogLevel?: typeof LogLevelModule
  readonly Schemas?: Schemas
  readonly Config?: typeof ConfigModule
  readonly Workers?: WorkerPlatform
}

/** Replaces the stand-ins with modules loaded elsewhere (`EagerEffect.ts` imports them statically). @internal */
export const provideEffect = (modules: EffectModules): void => {
  ;({ Effect, Queue, Scope, Layer, Exit, Cause, Clock, Fiber, References, Random, Context, Data } = modules)
  if (modules.Logger !== undefined) Logger = modules.Logger
  if (modules.LogLevel !== undefined) LogLevel = modules.LogLevel
  loadSchema.provide(modules.Schemas)
  loadConfig.provide(modules.Config)
  loadWorkerPlatform.provide(modules.Workers)
  coreLoaded = true
  lateFailure = undefined
  for (const settle of unsettled.splice(0)) settle()
}

/**
 * Modules only some entry points need: `load()` loads them the first time it is called, unless
 * {@link provideEffect} handed them over first.
 */
const onFirstUse = <A>(make: () => A): { (): A; readonly provide: (given: A | undefined) => void } => {
  let loaded: A | undefined
  const get = (): A => (loaded ??= make())
  return Object.assign(get, {
    provide: (given: A | undefined): void => {
      if (given !== undefined) loaded = given
    }
  })
}

// Effect Schema (dictConfig's decoding) and Effect's Config (the environment overrides), only for
// the configuration entry points.

/** Effect's `Schema` and `SchemaIssue`. @internal */
export interface Schemas {
  readonly Schema: typeof SchemaModule
  readonly SchemaIssue: typeof SchemaIssueModule
}

/** Effect's `Schema` and `SchemaIssue`, loaded on first use. @internal */
export const loadSchema = onFirstUse((): Schemas => ({ Schema: load("effect/Schema"), SchemaIssue: load("effect/SchemaIssue") }))

/** Effect's `Config`, loaded on first use. @internal */
export const loadConfig = onFirstUse((): typeof ConfigModule => load("effect/Config"))

// Effect's worker modules with the Node platform's worker layer (worker-thread sinks), and the
// Node platform's socket server (the receiver): loaded with the first that needs them.

/** What the worker executor spawns and supervises threads with. @internal */
export interface WorkerPlatform {
  readonly Worker: typeof WorkerModule
  readonly WorkerError: typeof WorkerErrorModule
  readonly NodeWorker: typeof NodeWorkerModule
}

/** Effect's `Worker` and `WorkerError` and the Node platform's `NodeWorker`, loaded on first use. @internal */
export const loadWorkerPlatform = onFirstUse((): WorkerPlatform => ({
  Worker: load("effect/workers/Worker"),
  WorkerError: load("effect/workers/WorkerError"),
  NodeWorker: load("@effect/platform-node/NodeWorker")
}))

/** What the receiver listens with. @internal */
export interface SocketServerPlatform {
  readonly NodeSocketServer: typeof NodeSocketServerModule
  readonly NodeSocket: typeof NodeSocketModule
}

/**
 * The Node platform's `NodeSocketServer` and `NodeSocket`, loaded on first use, or handed over by
 * `EagerReceiver.ts` (`loadSocketServer.provide`): not by `EagerEffect.ts`, since they bring the
 * `ws` package, a CommonJS module an ES module bundle cannot load without help. @internal
 */
export const loadSocketServer = onFirstUse((): SocketServerPlatform => ({
  NodeSocketServer: load("@effect/platform-node/NodeSocketServer", undefined, "femtologging/EagerReceiver"),
  NodeSocket: load("@effect/platform-node/NodeSocket", undefined, "femtologging/EagerReceiver")
}))

const core = <M extends object>(get: () => M): M =>
  deferred(() => {
    loadEffect()
    return get()
  })

export let Effect: typeof EffectModule = core(() => Effect)
export declare namespace Effect {
  export type Effect<A, E = never, R = never> = EffectModule.Effect<A, E, R>
  export type Success<T> = EffectModule.Success<T>
}

export let Queue: typeof QueueModule = core(() => Queue)
export declare namespace Queue {
  export type Queue<A, E = never> = QueueModule.Queue<A, E>
}

export let Scope: typeof ScopeModule = core(() => Scope)
export declare namespace Scope {
  export type Scope = ScopeModule.Scope
  export type Closeable = ScopeModule.Closeable
}

export let Layer: typeof LayerModule = core(() => Layer)
export declare namespace Layer {
  export type Layer<ROut, E = never, RIn = never> = LayerModule.Layer<ROut, E, RIn>
}

export let Exit: typeof ExitModule = core(() => Exit)
export declare namespace Exit {
  export type Exit<A, E = never> = ExitModule.Exit<A, E>
  export type Failure<A, E> = ExitModule.Failure<A, E>
}

export let Cause: typeof CauseModule = core(() => Cause)
export declare namespace Cause {
  export type Cause<E> = CauseModule.Cause<E>
  export type Reason<E> = CauseModule.Reason<E>
  export type Done<A = void> = CauseModule.Done<A>
}

export let Clock: typeof ClockModule = core(() => Clock)
export declare namespace Clock {
  export type Clock = ClockModule.Clock
}

export let Fiber: typeof FiberModule = core(() => Fiber)
export declare namespace Fiber {
  export type Fiber<A, E = never> = FiberModule.Fiber<A, E>
}

export let References: typeof ReferencesModule = core(() => References)

export let Random: typeof RandomModule = core(() => Random)

export let Context: typeof ContextModule = core(() => Context)
export declare namespace Context {
  export type Context<Services> = ContextModule.Context<Services>
}

export let Data: typeof DataModule = core(() => Data)

// The library's error classes and service keys exist from import on, but what makes them Effect
// values (an error that can be yielded, a key that can be yielded and provided) is on prototypes
// in Effect's modules. Each such class gets a stand-in parent (`lateParent`), and once Effect is
// loaded the real parent takes its place: the classes then behave as what `Data.TaggedError` and
// `Context.Service` make (an error is `instanceof Data.Error` from then on).

const unsettled: Array<() => void> = []

/**
 * Why Effect could not be loaded through a stand-in parent, when that cannot change (require(esm)
 * off, no `effect` to find): not retried from there. A load failing because an `import()` of
 * Effect is still under way is retried at the next lookup.
 */
let lateFailure: unknown

const lasting = (error: unknown): boolean => {
  const code = ((error as { readonly cause?: { readonly code?: unknown } } | undefined)?.cause)?.code
  return code === "ERR_REQUIRE_ESM" || code === "MODULE_NOT_FOUND"
}

const inspectKey = Symbol.for("nodejs.util.inspect.custom")

/** Keys a stand-in answers as a plain value would when Effect cannot be loaded (printing). */
const printing: ReadonlySet<PropertyKey> = new Set([inspectKey, "toString", "toJSON"])

/**
 * The keys Effect's prototypes define besides their `~effect/...` ids: of `Data.Error` (an error
 * that can be yielded) and of `Context.Service` (a key that can be yielded and provided). Checked
 * against Effect's own prototypes by the tests.
 *
 * @internal
 */
export const effectKeys = {
  error: new Set<PropertyKey>([Symbol.iterator, inspectKey, "pipe", "toJSON"]),
  service: new Set<PropertyKey>([Symbol.iterator, inspectKey, "pipe", "toJSON", "toString", "of", "context", "use", "useSync"])
}

/** Whether looking `key` up reaches what Effect's prototypes define. @internal */
export const isEffectKey = (keys: ReadonlySet<PropertyKey>, key: PropertyKey): boolean =>
  keys.has(key) || (typeof key === "string" && key.startsWith("~effect/"))

/**
 * Gives `child` the parent `real()` once Effect is loaded. Until then its parent is a stand-in
 * answering from `fallback` (`Error.prototype`, `Object.prototype`), so reading `message`,
 * `stack`, `cause` or `code` loads nothing, except for the keys Effect's prototypes define
 * ({@link effectKeys}): looking one up loads Effect and answers from the real parent, which then
 * takes the stand-in's place. Where Effect cannot be loaded, such a lookup throws the error saying
 * why and what to do (a `yield*` cannot work), except printing, which answers as a plain value.
 */
const lateParent = (child: object, real: () => object, fallback: object, keys: ReadonlySet<PropertyKey>): void => {
  // Made after Effect was loaded (`EagerEffect` imported first): the real parent at once.
  if (coreLoaded) {
    Object.setPrototypeOf(child, real())
    return
  }
  // Where to look `key` up; throws why Effect cannot be loaded, for an Effect key but printing.
  const parent = (key: PropertyKey): object => {
    if (!isEffectKey(keys, key)) return fallback
    let failure = lateFailure
    if (failure === undefined) {
      try {
        loadEffect()
        return real()
      } catch (error) {
        failure = error
        if (lasting(error)) lateFailure = error
      }
    }
    if (printing.has(key)) return fallback
    throw failure
  }
  Object.setPrototypeOf(
    child,
    new Proxy(Object.create(fallback) as object, {
      get: (_target, key, receiver) => Reflect.get(parent(key), key, receiver),
      has: (_target, key) => {
        try {
          return Reflect.has(parent(key), key)
        } catch {
          return Reflect.has(fallback, key)
        }
      }
    })
  )
  unsettled.push(() => Object.setPrototypeOf(child, real()))
}

const argsKey = Symbol("femtologging/TaggedError/args")

/** `Data.Error`'s constructor and `toJSON`, on a class whose parent is set late. */
class LateError extends globalThis.Error {
  constructor(args?: Record<string, unknown>) {
    super(args?.message as string | undefined, args?.cause ? { cause: args.cause } : undefined)
    if (args !== undefined) {
      // As Effect's: `Object.assign`, unless an own `__proto__` key would reach its setter.
      if (!Object.hasOwn(args, "__proto__")) Object.assign(this, args)
      else {
        for (const key of Reflect.ownKeys(args)) {
          if (!Object.prototype.propertyIsEnumerable.call(args, key)) continue
          if (key === "__proto__") {
            Object.defineProperty(this, key, { value: args[key], writable: true, enumerable: true, configurable: true })
          } else (this as Record<PropertyKey, unknown>)[key] = args[key as string]
        }
      }
      Object.defineProperty(this, argsKey, { value: args, enumerable: false })
    }
  }
  toJSON(): object {
    return { ...(this as { readonly [argsKey]?: object })[argsKey], ...this }
  }
}
lateParent(LateError.prototype, () => Data.Error.prototype, globalThis.Error.prototype, effectKeys.error)

/** `Data.TaggedError`, defined without loading Effect (`instanceof Data.Error` once it is loaded). */
export const TaggedError: typeof DataModule.TaggedError = ((tag: string) => {
  class Base extends LateError {
    readonly _tag = tag
  }
  ;(Base.prototype as { name: string }).name = tag
  return Base
}) as unknown as typeof DataModule.TaggedError

/** `Context.Service<Self, Shape>()(key)`, defined without loading Effect. */
export const Service = <Self, Shape>() => <const Key extends string>(key: Key): ContextModule.ServiceClass<Self, Key, Shape> => {
  function ServiceKey() {}
  ServiceKey.key = key
  lateParent(ServiceKey, () => Object.getPrototypeOf(Context.Service(key)) as object, Object.prototype, effectKeys.service)
  return ServiceKey as unknown as ContextModule.ServiceClass<Self, Key, Shape>
}

// Effect's `Logger` (with the file system and streams it imports) only for the Effect logger face.

export let Logger: typeof LoggerModule = deferred(() => (Logger = load("effect/Logger")))
export declare namespace Logger {
  export type Logger<Message, Output> = LoggerModule.Logger<Message, Output>
  export type Options<Message> = LoggerModule.Options<Message>
}

export let LogLevel: typeof LogLevelModule = deferred(() => (LogLevel = load("effect/LogLevel")))
export declare namespace LogLevel {
  export type LogLevel = LogLevelModule.LogLevel
}
