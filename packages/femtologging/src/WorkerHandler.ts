/**
 * The worker handler runs a custom sink module on a dedicated worker thread (what pino calls a
 * transport). The module's default export is a `SinkFactory`: `(options) => Sink`, where the
 * sink's `write(batch)` receives a `Uint8Array` of UTF-8 lines, each record ending in `\n`, and
 * may return a promise; `flush()` and `close()` are optional. `options` cross threads as
 * structured-clone data.
 *
 * Records are formatted on the main thread and cross in batches of bytes through a bounded
 * SharedArrayBuffer hand-off. Every policy holds: under `block` (the default) a synchronous
 * caller waits for room with `Atomics.wait`. A worker that dies is restarted with backoff and
 * what it had not acknowledged is written again.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { createRequire } from "node:module"
import * as Path from "node:path"
import { pathToFileURL } from "node:url"
import { checkOptions, type CommonOptions, commonMakeOptions, commonRules, FemtoHandler } from "./FemtoHandler.ts"
import * as Handler from "./Handler.ts"
import { HandlerConfigError, show } from "./HandlerConfigError.ts"
import { facadeSpawner, type Spawner } from "./internal/runtime.ts"
import * as WorkerExecutor from "./internal/workerExecutor.ts"

/**
 * Options of a worker handler.
 *
 * @category models
 * @since 0.1.0
 */
export interface WorkerHandlerOptions extends Omit<CommonOptions, "executor" | "class"> {
  /**
   * The sink module: a path (relative paths resolve from the current directory), a package name,
   * or a URL.
   */
  readonly module: string | URL
  /** Passed to the module's default export, as structured-clone data. */
  readonly options?: unknown
  /** Shown in warnings and in the thread's name, default the module's name. */
  readonly name?: string | undefined
}

/**
 * The URL a worker thread imports a sink module from.
 *
 * @category constructors
 * @since 0.1.0
 */
export const resolveModule = (module: string | URL): string => {
  if (module instanceof URL) return module.href
  if (typeof module !== "string" || module === "") {
    throw new HandlerConfigError({ field: "module", detail: "module must be a path, a package name or a URL" })
  }
  if (module.startsWith(".") || Path.isAbsolute(module)) return pathToFileURL(Path.resolve(module)).href
  if (/^[a-z][a-z0-9+.-]*:/i.test(module)) return module
  try {
    return pathToFileURL(createRequire(Path.join(process.cwd(), "index.js")).resolve(module)).href
  } catch {
    return module // left to the worker's own resolution
  }
}

const workerRules = {
  ...commonRules,
  module: (value: unknown) => value,
  options: (value: unknown) => value,
  name: (value: unknown) => {
    if (typeof value !== "string") {
      throw new HandlerConfigError({ field: "name", detail: `name must be a string (got ${show(value)})` })
    }
    return value
  },
  // Accepted as what it is: a sink module runs on a worker thread.
  executor: (value: unknown) => {
    if (value !== "worker") {
      throw new HandlerConfigError({ field: "executor", detail: "a sink module runs on a worker thread" })
    }
    return value
  }
}

/**
 * Checks a worker handler's options, as its constructor and `WorkerHandler.make` do: throws
 * `HandlerConfigError` naming the option (an unknown key included, `executor` other than
 * `"worker"` too), or returns them with `module` resolved to a URL.
 *
 * @category validation
 * @since 0.2.0
 */
export const checkWorkerOptions = (options: WorkerHandlerOptions): WorkerHandlerOptions & { readonly module: string } => {
  if (typeof options !== "object" || options === null) {
    throw new HandlerConfigError({ field: "module", detail: "FemtoWorkerHandler needs { module }" })
  }
  const checked = checkOptions("WorkerHandler", options, workerRules)
  const module = resolveModule(options.module)
  // A file that is not there is refused now, not found missing by the thread (reported on stderr).
  const missing = WorkerExecutor.missingModule(module)
  if (missing !== undefined) throw new HandlerConfigError({ field: "module", detail: `no sink module at ${missing}` })
  return { ...checked, module }
}

const makeOptions = (options: WorkerHandlerOptions): Handler.MakeOptions => {
  const checked = checkWorkerOptions(options)
  const name = checked.name ?? Path.basename(String(options.module))
  const inline = (): Handler.Target => {
    throw new HandlerConfigError({ field: "executor", detail: "a sink module runs on a worker thread" })
  }
  return commonMakeOptions(`FemtoWorkerHandler(${name})`, { ...checked, executor: "worker" }, inline, {
    module: checked.module,
    options: checked.options
  })
}

/**
 * A handler whose sink is a module of yours, running on a worker thread.
 *
 * **Example** (A custom sink module)
 *
 * ```ts
 * // my-sink.mjs
 * import { appendFileSync } from "node:fs"
 * export default (options) => ({ write: (batch) => appendFileSync(options.path, batch) })
 *
 * // app.ts
 * import { FemtoWorkerHandler, getLogger } from "femtologging"
 * getLogger().addHandler(new FemtoWorkerHandler({ module: "./my-sink.mjs", options: { path: "out.log" } }))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export class FemtoWorkerHandler extends FemtoHandler {
  /** The URL the worker imports the sink module from. */
  readonly module: string

  constructor(options: WorkerHandlerOptions, spawn: Spawner = facadeSpawner()) {
    const made = makeOptions(options)
    super(Handler.makeUnsafe(made, spawn))
    this.module = (made.target as { module: string }).module
  }
}

/**
 * Creates a worker handler in the current scope (Effect face); closing the scope writes out what
 * was accepted, flushes and closes the sink, and ends the thread.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: WorkerHandlerOptions): Effect.Effect<FemtoWorkerHandler, HandlerConfigError, Scope.Scope> =>
  Handler.makeIn<FemtoWorkerHandler, HandlerConfigError>((spawn) => new FemtoWorkerHandler(options, spawn))

/**
 * Sets how many worker threads the pool `name` has (1 by default); handlers created afterwards
 * with `pool: name` (or `.onWorkerThread(name)`) are spread over them, round-robin. Throws
 * `HandlerConfigError` for a size that is not a positive integer.
 *
 * @category configuration
 * @since 0.1.0
 */
export const setPoolSize = (name: string, threads: number): void => {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new HandlerConfigError({ field: "pool", detail: `pool size must be a positive integer (got ${String(threads)})` })
  }
  WorkerExecutor.setPoolSize(name, threads)
}
