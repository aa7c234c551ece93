/**
 * Helpers for the one-options-spec tests: the same refusal from every way of making a handler,
 * and the shape of an `asDict()` result.
 */
import { assert } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { HandlerConfigError } from "../../src/HandlerConfigError.ts"
import { configError } from "./errors.ts"

/** The ways of making one handler kind from options: constructor, builder, Effect `make`. */
export interface Ways<O> {
  readonly construct: (options: O) => unknown
  readonly build: (options: O) => unknown
  readonly make: (options: O) => Effect.Effect<unknown, unknown, Scope.Scope>
}

/**
 * Asserts that the constructor, the builder's `build()` and `make()` all refuse `options` with a
 * `HandlerConfigError` of exactly `message` and `field`.
 */
export const refusedAlike = async <O>(ways: Ways<O>, options: O, message: string, field: string): Promise<void> => {
  configError(() => ways.construct(options), message, field)
  configError(() => ways.build(options), message, field)
  const error = await Effect.runPromise(Effect.scoped(Effect.flip(ways.make(options))))
  assert.instanceOf(error, HandlerConfigError)
  assert.strictEqual((error as HandlerConfigError).message, message)
  assert.strictEqual((error as HandlerConfigError).field, field)
}

/** Asserts that a dict is plain data with camelCase keys only (no snake_case, no functions). */
export const assertPlainCamelCase = (dict: object): void => {
  for (const key of Object.keys(dict)) assert.match(key, /^[a-z][A-Za-z]*$/, `key ${key}`)
  assert.deepStrictEqual(JSON.parse(JSON.stringify(dict)), dict)
}
