/**
 * The error every configuration entry point raises (`basicConfig`, `dictConfig`, `fileConfig`,
 * `ConfigBuilder`): `path` names where in the configuration the problem is (`handlers.file.maxBytes`,
 * `app.ini:12`), `detail` what is wrong, and `message` is both: `handlers.file.maxBytes: expected a
 * non-negative integer, got "ten"`. A configuration that fails changes nothing.
 *
 * @since 0.2.0
 */
import { TaggedError } from "./internal/lazyEffect.ts"

/**
 * A refused configuration.
 *
 * @category errors
 * @since 0.2.0
 */
export class ConfigError extends TaggedError("ConfigError")<{
  readonly path: string
  readonly detail: string
  /** The error behind it, when there is one (a module that could not be loaded). */
  readonly cause?: unknown
}> {
  override get message(): string {
    return this.path === "" ? this.detail : `${this.path}: ${this.detail}`
  }
}
