/**
 * Runs the scoped constructors of lanes, loggers and handlers synchronously, for code that has
 * no fiber of its own (the facade, and `getLogger` on a manager).
 *
 * A queue remembers the dispatcher of the fiber that created it, and `Effect.runSync` uses a
 * synchronous dispatcher that must not outlive the call. So constructors run in a fiber from
 * `Effect.runForkWith` on the default (asynchronous) scheduler; they complete without
 * suspending, and the result is read back at once.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { installSignalHandlers } from "./shutdown.ts"

/** Runs a scoped constructor in a fixed scope and returns its value. @internal */
export type Spawner = <A>(effect: Effect.Effect<A, never, Scope.Scope>) => A

/** A spawner over a captured context and scope. @internal */
export const spawner = (context: Context.Context<never>, scope: Scope.Scope): Spawner => (effect) => {
  const fiber = Effect.runForkWith(context)(Scope.provide(scope)(effect))
  const exit = fiber.pollUnsafe()
  if (exit === undefined) {
    fiber.interruptUnsafe()
    throw new Error("femtologging: a constructor suspended while being run synchronously")
  }
  if (Exit.isFailure(exit)) throw squash(exit)
  return exit.value
}

const squash = <A, E>(exit: Exit.Failure<A, E>): unknown => {
  const defect = exit.cause.reasons.find((r) => r._tag === "Die")
  if (defect !== undefined && defect._tag === "Die") return defect.defect
  const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (failure !== undefined && failure._tag === "Fail") return failure.error
  return new Error("femtologging: constructor interrupted")
}

/** The spawner of the current fiber's context and scope. @internal */
export const currentSpawner: Effect.Effect<Spawner, never, Scope.Scope> = Effect.map(
  Effect.context<Scope.Scope>(),
  (context) => spawner(context as Context.Context<never>, Context.get(context, Scope.Scope))
)

let facade: Spawner | undefined
let facadeScopeValue: Scope.Closeable | undefined

/**
 * The spawner of the facade: one process-wide scope that lives as long as the process, so
 * handlers and loggers created without Effect stay alive until closed or until exit. Its first
 * use installs the facade's signal listeners.
 *
 * @internal
 */
export const facadeSpawner = (): Spawner => {
  if (facade === undefined) {
    facadeScopeValue = Scope.makeUnsafe()
    facade = spawner(Context.empty(), facadeScopeValue)
    installSignalHandlers()
  }
  return facade
}
