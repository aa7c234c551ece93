/**
 * An asynchronous byte sink whose writes wait on a gate the test opens, to hold a handler's
 * worker on purpose. `started` completes when the first batch has reached the sink (just after
 * its `write` returned); each record's
 * line is appended to `written` once the gate is open, and each batch's record count to
 * `batches`. Give the handler {@link messageOnly} as its formatter and a line is the message.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Latch from "effect/Latch"
import type { Formatter } from "../../src/Formatter.ts"
import type { Sink } from "../../src/Sink.ts"

export interface HeldSink {
  readonly sink: Sink
  readonly started: Deferred.Deferred<void>
  readonly gate: Latch.Latch
  readonly written: Array<string>
  readonly batches: Array<number>
}

/** A formatter rendering a record as its message alone. */
export const messageOnly: Formatter = (record) => record.message

/** The lines of a batch (each record ends in `\n`; a message holds no newline here). */
export const decodeLines = (batch: Uint8Array): Array<string> => {
  const text = Buffer.from(batch).toString("utf8")
  return text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n")
}

export const heldSink: Effect.Effect<HeldSink> = Effect.gen(function*() {
  const started = yield* Deferred.make<void>()
  const gate = yield* Latch.make(false)
  const written: Array<string> = []
  const batches: Array<number> = []
  const sink: Sink = {
    write: (batch, ends) => {
      // The arrays may be reused once the write settles: decode them now.
      const lines = decodeLines(batch)
      const records = ends.length
      return Effect.runPromise(Effect.gen(function*() {
        // Signalled once the write has returned (a microtask later), as a sink's own events
        // would be: a fiber woken by `started` must not run inside the handler's delivery.
        yield* Effect.promise(() => Promise.resolve())
        yield* Deferred.succeed(started, undefined)
        yield* gate.await
        batches.push(records)
        written.push(...lines)
      }))
    }
  }
  return { sink, started, gate, written, batches }
})
