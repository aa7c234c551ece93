/**
 * Waits for asynchronous work (worker fibers) without fixed sleeps.
 */

/** Yields to the event loop until `condition()` holds; rejects after `timeoutMs`. */
export const waitFor = async (condition: () => boolean, timeoutMs = 2_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setImmediate(resolve))
  }
}
