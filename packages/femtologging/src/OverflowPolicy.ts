/**
 * What a full queue does with one more record: drop it, block the producer, or block for at
 * most N milliseconds and then give up.
 *
 * **Details**
 *
 * A policy applies at one handler's queue, and only there (see `Handler.ts`). Drop never holds
 * the caller: a full queue refuses the record and counts it. Block holds the caller while the
 * queue is full: a fiber waits until the handler's delivery made room; a synchronous caller
 * delivers the oldest batch itself ("caller runs"), waiting with `Atomics.wait` when a worker's
 * hand-off is full. `timeout:N` holds the caller at most N ms (Effect's `Clock` for fibers);
 * after a caller (synchronous or a fiber) timed out, later records are refused at once until the
 * queue moves, so that a stalled sink costs N ms once, not N ms per record.
 *
 * **Gotchas**
 *
 * - Flush, close and exit are not overflow: they deliver everything already queued, whatever the
 *   policy.
 * - An inline sink of your own that returns a promise cannot be waited for on the main thread: a
 *   synchronous caller that finds its queue full is refused (`WouldBlockError` from a direct
 *   `handle`); run such sinks with `executor: "worker"`.
 *
 * @since 0.1.0
 */
import { HandlerConfigError } from "./HandlerConfigError.ts"

/**
 * Drop the record and count it.
 *
 * @category models
 * @since 0.1.0
 */
export interface Drop {
  readonly _tag: "Drop"
}

/**
 * Hold the producer until there is room.
 *
 * @category models
 * @since 0.1.0
 */
export interface Block {
  readonly _tag: "Block"
}

/**
 * Hold the producer for at most `ms` milliseconds, then fail with a timeout.
 *
 * @category models
 * @since 0.1.0
 */
export interface Timeout {
  readonly _tag: "Timeout"
  readonly ms: number
}

/**
 * An overflow policy.
 *
 * @category models
 * @since 0.1.0
 */
export type OverflowPolicy = Drop | Block | Timeout

const dropValue: Drop = { _tag: "Drop" }
const blockValue: Block = { _tag: "Block" }

/**
 * The drop policy (the socket handler's default; every other handler defaults to {@link block}).
 *
 * @category constructors
 * @since 0.1.0
 */
export const drop = (): OverflowPolicy => dropValue

/**
 * The block policy.
 *
 * @category constructors
 * @since 0.1.0
 */
export const block = (): OverflowPolicy => blockValue

/**
 * The timeout policy; `ms` must be a positive integer (`timeout must be greater than zero`; the
 * error's field is `policy`, the option it is the value of).
 *
 * @category constructors
 * @since 0.1.0
 */
export const timeout = (ms: number): OverflowPolicy => {
  if (typeof ms !== "number" || !Number.isInteger(ms) || ms < 0) {
    throw new HandlerConfigError({ field: "policy", detail: "timeout must be a positive integer (N in 'timeout:N')" })
  }
  if (ms === 0) throw new HandlerConfigError({ field: "policy", detail: "timeout must be greater than zero" })
  return { _tag: "Timeout", ms }
}

const invalid = (input: string) =>
  new HandlerConfigError({
    field: "policy",
    detail: `invalid overflow policy: '${input}'. Valid options are: drop, block, timeout:N`
  })

/**
 * Parses `"drop"`, `"block"` or `"timeout:N"`, trimmed and case-insensitive. A policy value is
 * returned as it is, once its `ms` passed {@link timeout}'s check.
 *
 * **Example** (Parsing)
 *
 * ```ts
 * import { OverflowPolicy } from "femtologging"
 * OverflowPolicy.parse(" Drop ") // => { _tag: "Drop" }
 * OverflowPolicy.format(OverflowPolicy.parse("TIMEOUT:250")) // => "timeout:250"
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const parse = (input: string | OverflowPolicy): OverflowPolicy => {
  if (typeof input !== "string") {
    if (!isOverflowPolicy(input)) throw invalid(String(input))
    // A value built by hand (`{ _tag: "Timeout", ms: 0 }`) is held to what `timeout(ms)` accepts.
    if (input._tag === "Timeout") timeout(input.ms)
    return input
  }
  const text = input.trim().toLowerCase()
  if (text === "drop") return dropValue
  if (text === "block") return blockValue
  if (text === "timeout") {
    throw new HandlerConfigError({ field: "policy", detail: "timeout requires a positive integer N, use 'timeout:N'" })
  }
  if (text.startsWith("timeout:")) {
    const n = text.slice("timeout:".length).trim()
    if (!/^\d+$/.test(n)) return timeout(-1)
    return timeout(Number(n))
  }
  throw invalid(input)
}

/**
 * Whether a value is an overflow policy.
 *
 * @category guards
 * @since 0.1.0
 */
export const isOverflowPolicy = (u: unknown): u is OverflowPolicy =>
  typeof u === "object" && u !== null &&
  ((u as OverflowPolicy)._tag === "Drop" || (u as OverflowPolicy)._tag === "Block" ||
    ((u as OverflowPolicy)._tag === "Timeout" && typeof (u as Timeout).ms === "number"))

/**
 * The policy's string form: `drop`, `block` or `timeout:N`.
 *
 * @category formatting
 * @since 0.1.0
 */
export const format = (policy: OverflowPolicy): string =>
  policy._tag === "Timeout" ? `timeout:${policy.ms}` : policy._tag.toLowerCase()

/**
 * The policy that holds a producer longest: block over any timeout, the longer timeout over the
 * shorter, and either over drop. (The pipeline no longer combines policies: each handler applies
 * its own. Kept for code that compares policies.)
 *
 * @category combinators
 * @since 0.1.0
 */
export const strongest = (a: OverflowPolicy, b: OverflowPolicy): OverflowPolicy => {
  if (a._tag === "Block" || b._tag === "Drop") return a
  if (b._tag === "Block" || a._tag === "Drop") return b
  return a.ms >= b.ms ? a : b
}
