/**
 * Handlers a test file creates through the facade, closed after each test so that no worker or
 * file descriptor outlives it.
 */
import { afterEach } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Handler from "../../src/Handler.ts"

/**
 * Registers an `afterEach` that closes every handler passed to the returned `track`: a pipeline
 * `Handler` or a facade handler object (`FemtoFileHandler`, `CaptureHandler`, ...).
 */
export const trackHandlers = (): (<H extends Handler.HandlerLike>(handler: H) => H) => {
  const handlers: Array<Handler.HandlerLike> = []
  afterEach(async () => {
    await Promise.all(handlers.splice(0).map((h) => Effect.runPromise(Handler.close(h))))
  })
  return (handler) => {
    handlers.push(handler)
    return handler
  }
}

/**
 * Registers an `afterEach` that closes everything passed to the returned `track` (handlers,
 * receivers, test servers: anything with an asynchronous `close()`), all at once.
 */
export const trackClosables = (): (<A extends { close: () => Promise<unknown> }>(a: A) => A) => {
  const open: Array<{ close: () => Promise<unknown> }> = []
  afterEach(async () => {
    await Promise.all(open.splice(0).map((a) => a.close()))
  })
  return (a) => {
    open.push(a)
    return a
  }
}
