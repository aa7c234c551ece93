/**
 * Helpers to assert on what synchronous code throws.
 */
import { assert } from "@effect/vitest"
import { HandlerConfigError } from "../../src/HandlerConfigError.ts"

/** Runs `f` and returns what it threw; fails the test when it returns normally. */
export const thrown = (f: () => unknown): unknown => {
  try {
    f()
  } catch (error) {
    return error
  }
  assert.fail("expected the call to throw")
}

/** Asserts that `f` throws an instance of `ctor` whose message is exactly `message`; returns it. */
export const throwsExactly = <E extends Error>(
  f: () => unknown,
  ctor: new(...args: Array<any>) => E,
  message: string
): E => {
  const error = thrown(f)
  assert.instanceOf(error, ctor)
  assert.strictEqual((error as E).message, message)
  return error as E
}

/** Asserts that `f` throws a `HandlerConfigError` with exactly `message` (and `field`, if given). */
export const configError = (f: () => unknown, message: string, field?: string): HandlerConfigError => {
  const error = throwsExactly(f, HandlerConfigError, message)
  if (field !== undefined) assert.strictEqual(error.field, field)
  return error
}
