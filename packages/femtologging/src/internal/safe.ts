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
      if (from !== null && from !== undefined) copyFieldsMarked(out, from as object)
    }
    return out
  }
}

/**
 * Makes `value` the own enumerable data property `key` of `into`, a plain object. Assigned, which
 * costs no runtime call (~0.5 us less a record with a bound logger's fields, ~1.7 us with
 * redaction); defined for a key `Object.prototype` has: `__proto__`, whose assignment would set
 * the prototype, and `toString` & co., read-only when it is frozen. @internal
 */
export const putOwn = (into: Record<string, unknown>, key: string, value: unknown): void => {
  if (key in Object.prototype) Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true })
  else into[key] = value
}

/**
 * Copies the own enumerable keys of `from` but those in `skip` into `into` (a plain object of
 * writable data properties), key by key, as own data properties (a `__proto__` key, as
 * `JSON.parse` makes, stays a key and never sets the prototype, which would hide the fields
 * from redaction); a getter (or a Proxy trap) that throws
 * marks its key. Throws only when the keys cannot be listed. @internal
 */
export const copyFields = (into: Record<string, unknown>, from: object, skip: ReadonlyArray<string> = []): Record<string, unknown> => {
  for (const key of Object.keys(from)) {
    if (skip.includes(key)) continue
    putOwn(into, key, read(from, key))
  }
  return into
}

/** {@link copyFields}, never throwing: keys that cannot be listed give one `fieldsError` field. @internal */
export const copyFieldsMarked = (
  into: Record<string, unknown>,
  from: object,
  skip: ReadonlyArray<string> = []
): Record<string, unknown> => {
  try {
    return copyFields(into, from, skip)
  } catch (thrown) {
    into.fieldsError = `[fields could not be read: ${safeString(thrown)}]`
    return into
  }
}
