/**
 * Reading values that may refuse to be read: text that never throws, a function's tag instead of
 * its source, a property read that turns a throwing getter into a marker. What records and
 * formatters use so that a log call never throws, whatever it was given.
 *
 * @internal
 */

/** `String(u)` that never throws: a tag such as `[object Object]`, else `[unprintable]`. @internal */
export const safeString = (u: unknown): string => {
  try {
    return typeof u === "string" ? u : String(u)
  } catch {
    try {
      return Object.prototype.toString.call(u)
    } catch {
      return "[unprintable]"
    }
  }
}

/** `[Function name]` for a function: never its source text. @internal */
export const functionTag = (f: unknown): string => {
  let name: unknown
  try {
    name = (f as { readonly name?: unknown }).name
  } catch {
    name = undefined
  }
  return `[Function ${typeof name === "string" && name !== "" ? name : "(anonymous)"}]`
}

/** `o[key]`, or the marker `[Getter threw: <error>]` when reading it throws. @internal */
export const read = (o: unknown, key: PropertyKey): unknown => {
  try {
    return (o as Record<PropertyKey, unknown>)[key]
  } catch (thrown) {
    return `[Getter threw: ${safeString(thrown)}]`
  }
}

/** Whether `u` is an error: an `Error` of this realm, or one of another realm (`vm`, a worker). @internal */
export const isError = (u: unknown): u is Error => {
  if ((typeof u !== "object" && typeof u !== "function") || u === null) return false
  try {
    return u instanceof Error || ("stack" in u && Object.prototype.toString.call(u) === "[object Error]")
  } catch {
    return false
  }
}

/**
 * `{ ...a, ...b }` for fields bound to a logger or a context, which never throws: when spreading
 * throws (a getter or a Proxy trap that throws), the keys are copied one by one instead, a value
 * that cannot be read marked as by {@link read}, and keys that cannot be listed give one
 * `fieldsError` field. `null` and `undefined` add nothing. @internal
 */
export const mergeFields = (a: unknown, b: unknown): Record<string, unknown> => {
  try {
    return { ...(a as object), ...(b as object) }
  } catch {
    const out: Record<string, unknown> = {}
    for (const from of [a, b]) {
      if (from === null || from === undefined) continue
      try {
        for (const key of Object.keys(from)) {
          Object.defineProperty(out, key, { value: read(from, key), enumerable: true, writable: true, configurable: true })
        }
      } catch (thrown) {
        out.fieldsError = `[fields could not be read: ${safeString(thrown)}]`
      }
    }
    return out
  }
}
