/**
 * The error every handler option, builder and policy parser raises for a value it refuses.
 *
 * Its message names the field and the rule, e.g. `capacity must be greater than zero`, so a
 * configuration problem is found without reading code.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"

/**
 * A refused handler option. `field` names the option; `message` is the full sentence.
 *
 * @category errors
 * @since 0.1.0
 */
export class HandlerConfigError extends Data.TaggedError("HandlerConfigError")<{
  readonly field: string
  readonly detail: string
}> {
  override get message(): string {
    return this.detail
  }
}

/**
 * Checks that `value` is an integer greater than zero, naming `field` when it is not.
 *
 * @category validation
 * @since 0.1.0
 */
export const positiveInt = (field: string, value: unknown): number => {
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw new HandlerConfigError({
      field,
      detail: typeof value === "number" && Number.isInteger(value)
        ? `${field} must be greater than zero`
        : `${field} must be a positive integer (got ${String(value)})`
    })
  }
  return value
}
