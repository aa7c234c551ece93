/**
 * Handlers a test file creates through the facade, closed after each test so that no worker or
 * file descriptor outlives it.
 */
import { afterEach } from "@effect/vitest"
import type * as Handler from "../../src/Handler.ts"

/** Registers an `afterEach` that closes every handler passed to the returned `track`. */
export const trackHandlers = (): (<H extends Handler.Handler>(handler: H) => H) => {
  const handlers: Array<Handler.Handler> = []
  afterEach(async () => {
    await Promise.all(handlers.splice(0).map((h) => h.close()))
  })
  return (handler) => {
    handlers.push(handler)
    return handler
  }
}
