/**
 * An asynchronous sink whose writes wait on a gate the test opens, to hold a handler's worker on
 * purpose. `started` completes when the first batch reaches the sink; each record's message is
 * appended to `written` once the gate is open.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Latch from "effect/Latch"
import type { LogRecord } from "../../src/LogRecord.ts"
import type { Sink } from "../../src/Sink.ts"

export interface HeldSink {
  readonly sink: Sink
  readonly started: Deferred.Deferred<void>
  readonly gate: Latch.Latch
  readonly written: Array<string>
  readonly batches: Array<number>
}

export const heldSink: Effect.Effect<HeldSink> = Effect.gen(function*() {
  const started = yield* Deferred.make<void>()
  const gate = yield* Latch.make(false)
  const written: Array<string> = []
  const batches: Array<number> = []
  const sink: Sink = {
    sync: false,
    write: (batch: ReadonlyArray<LogRecord>) =>
      Effect.gen(function*() {
        yield* Deferred.succeed(started, undefined)
        yield* gate.await
        batches.push(batch.length)
        for (const record of batch) written.push(record.message)
      }),
    flush: () => {},
    close: () => {}
  }
  return { sink, started, gate, written, batches }
})
