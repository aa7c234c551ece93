/**
 * Counts `Object.defineProperty` calls for some keys while `run` runs: a copy that defines each
 * key (a runtime call per key) where an assignment makes the same own property.
 */
export const countDefines = (keys: ReadonlyArray<PropertyKey>, run: () => void): number => {
  const define = Object.defineProperty
  let defined = 0
  Object.defineProperty = (<T>(o: T, key: PropertyKey, d: PropertyDescriptor & ThisType<any>): T => {
    if (keys.includes(key)) defined++
    return define(o, key, d)
  }) as typeof Object.defineProperty
  try {
    run()
  } finally {
    Object.defineProperty = define
  }
  return defined
}
