/**
 * Scoped context: fields attached to every record logged during a call, carried through `await`,
 * timers and promises with `AsyncLocalStorage` (`withContext({ requestId }, fn)`). In Effect code,
 * `Effect.annotateLogs` plays this part (through fiber references), and the Effect face's log
 * calls read those annotations too; `Effect.log` records also get the scope the Effect runs in,
 * under its annotations.
 *
 * Precedence, lowest first: context (outer, then nested scopes), a bound logger's fields
 * (`logger.with(...)`), the call's own fields. The context is bounded: at most 64 keys, string
 * values cut at 1,024 characters, 16 KiB of keys and values in all; what is cut or left out is
 * counted ({@link getTruncated}). Until `withContext` is first used, reading the context costs a
 * flag check.
 *
 * @since 0.2.0
 */
import { AsyncLocalStorage } from "node:async_hooks"
import { mergeFields, putOwn } from "./internal/safe.ts"
import type { Fields } from "./LogRecord.ts"

const storage = new AsyncLocalStorage<Fields>()
let used = false
let truncated = 0

/** Limits of the context, as documented above. */
export const limits = { keys: 64, valueLength: 1024, totalLength: 16 * 1024 } as const

const bound = (fields: Fields): Fields => {
  const out: Record<string, unknown> = {}
  let keys = 0
  let total = 0
  for (const key of Object.keys(fields)) {
    let value = fields[key]
    if (typeof value === "string" && value.length > limits.valueLength) {
      value = value.slice(0, limits.valueLength)
      truncated++
    }
    const size = key.length + (typeof value === "string" ? value.length : 16)
    if (keys >= limits.keys || total + size > limits.totalLength) {
      truncated++
      continue
    }
    keys++
    total += size
    putOwn(out, key, value)
  }
  return out
}

/**
 * Runs `f` with `fields` added to every record logged during it (and in what it starts:
 * `await`, timers, promises). Nested calls add to the outer fields, overriding the same keys.
 *
 * **Example** (Per request)
 *
 * ```ts
 * import { getLogger, withContext } from "femtologging"
 * const log = getLogger("http")
 * await withContext({ requestId: "r-42" }, async () => {
 *   log.info("start")            // requestId=r-42
 *   await new Promise((r) => setTimeout(r, 10))
 *   log.info("done")             // requestId=r-42
 * })
 * ```
 *
 * @category context
 * @since 0.2.0
 */
export const withContext = <A>(fields: Fields, f: () => A): A => {
  used = true
  const outer = storage.getStore()
  // Copied first (mergeFields never throws): a getter or Proxy trap that throws marks its key
  // instead of keeping `f` from running.
  return storage.run(bound(mergeFields(outer, fields)), f)
}

/**
 * The context fields in effect here, if any.
 *
 * @category context
 * @since 0.2.0
 */
export const current = (): Fields | undefined => (used ? storage.getStore() : undefined)

/**
 * Context keys and values cut or left out by the limits so far.
 *
 * @category context
 * @since 0.2.0
 */
export const getTruncated = (): number => truncated
