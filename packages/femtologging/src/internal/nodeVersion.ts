/**
 * The oldest Node.js the library runs on (`engines` in package.json): importing it on an older one
 * fails here, saying so, instead of with whatever API of a newer Node is missing first (on Node 20:
 * "node:util does not provide an export named 'getCallSites'"; `require` of ES modules).
 *
 * @internal
 */
export const minimumNode = "22.19.0"

/** Whether version `a` (`x.y.z`) is at least `b`. @internal */
export const atLeast = (a: string, b: string): boolean => {
  const x = a.split(".").map(Number)
  const y = b.split(".").map(Number)
  for (let i = 0; i < 3; i++) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0)
  }
  return true
}

const running = typeof process === "object" ? process.versions?.node : undefined
if (typeof running === "string" && !atLeast(running, minimumNode)) {
  throw new Error(`femtologging needs Node.js >= ${minimumNode}; this is Node.js ${running}`)
}
