/**
 * femtologging as an experienced Effect user meets it in a service: layers composed and
 * memoized, a `ManagedRuntime` made and disposed, `Effect.log` routed in, fibers interrupted while
 * they log, scopes released while other fibers still log, re-entrant logging from a handler,
 * streams logging per element, detached fibers outliving their layer, `TestClock` driving timed
 * rotation, and `NodeRuntime.runMain` stopped by a real signal.
 */
import { afterAll, assert, beforeEach, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as EffectLogger from "../src/EffectLogger.ts"
import { getLogger, resetManager } from "../src/Facade.ts"
import * as Handler from "../src/Handler.ts"
import * as Logger from "../src/Logger.ts"
import type * as LogRecord from "../src/LogRecord.ts"
import type { Sink } from "../src/Sink.ts"
import { removeTempDirs } from "./utils/files.ts"
import { decodeLines } from "./utils/heldSink.ts"

afterAll(() => removeTempDirs())
beforeEach(() => resetManager())

describe("Effect face re-entrancy: logging from inside a handler's own delivery", () => {
  /** Logs m0..m4 to a handler whose every `m` record logs three echoes, by `face`, from inside its delivery. */
  const echoing = (face: "facade" | "effect", capacity: number) =>
    Effect.gen(function*() {
      const logger = getLogger(`reentrant.${face}.${capacity}`)
      const seen: Array<string> = []
      const thrown: Array<string> = []
      const h = yield* Handler.make({
        label: "echoing",
        capacity,
        target: {
          _tag: "Records",
          handle: (record) => {
            seen.push(record.message)
            if (!record.message.startsWith("m")) return
            for (const k of [1, 2, 3]) {
              const message = `echo${k}-${record.message}`
              try {
                // A handler is synchronous code: the Effect face runs with `Effect.runSync`.
                if (face === "effect") Effect.runSync(Logger.info(logger, message))
                else logger.info(message)
              } catch (error) {
                thrown.push(String(error))
              }
            }
          }
        }
      })
      logger.addHandler(h)
      // The first records are delivered by the caller making room (block), the last by the
      // handler's own worker, with the queue full while the delivery is on the stack.
      for (let i = 0; i < 5; i++) logger.info(`m${i}`)
      yield* Effect.promise(() => logger.flush())
      yield* Handler.close(h)
      return { seen, thrown, dropped: h.getDropped(), written: h.getWritten() }
    })

  it.live("Effect.runSync(Logger.info(...)) from a user handler's delivery is taken as the facade's logger.info is, not an AsyncFiberError", () =>
    Effect.gen(function*() {
      for (const capacity of [1, 2, 4]) {
        const facade = yield* echoing("facade", capacity)
        const effect = yield* echoing("effect", capacity)
        assert.deepStrictEqual(effect.thrown, [], `capacity ${capacity}`)
        assert.deepStrictEqual(effect, facade, `capacity ${capacity}`)
        assert.strictEqual(effect.written + effect.dropped, 20, `capacity ${capacity}`)
      }
      // With room for what one delivery logs, nothing is dropped.
      const roomy = yield* echoing("effect", 4)
      assert.strictEqual(roomy.dropped, 0)
      assert.sameMembers(roomy.seen, [0, 1, 2, 3, 4].flatMap((i) => [`m${i}`, ...[1, 2, 3].map((k) => `echo${k}-m${i}`)]))
    }))

  it.live("a formatter logging through the Effect face with Effect.runSync writes its records too", () =>
    Effect.gen(function*() {
      const logger = getLogger("reentrant.formatter")
      const written: Array<string> = []
      const thrown: Array<string> = []
      const sink: Sink = { write: (batch) => void written.push(...decodeLines(batch)) }
      const h = yield* Handler.make({
        label: "formatting",
        capacity: 1,
        target: { _tag: "Sink", sink },
        formatter: (record: LogRecord.LogRecord) => {
          if (record.message.startsWith("m")) {
            for (const k of [1, 2, 3]) {
              try {
                Effect.runSync(Logger.info(logger, `fmt${k}-${record.message}`))
              } catch (error) {
                thrown.push(String(error))
              }
            }
          }
          return record.message
        }
      })
      logger.addHandler(h)
      for (let i = 0; i < 4; i++) logger.info(`m${i}`)
      yield* Effect.promise(() => logger.flush())
      yield* Handler.close(h)
      assert.deepStrictEqual(thrown, [])
      assert.sameMembers(written, [0, 1, 2, 3].flatMap((i) => [`m${i}`, `fmt1-m${i}`, `fmt2-m${i}`, `fmt3-m${i}`]))
      assert.strictEqual(h.getDropped(), 0)
    }))

  it.live("Effect.log (EffectLogger) from inside a handler reaches the same handler, and a loop of it is cut", () =>
    Effect.gen(function*() {
      const runtime = ManagedRuntime.make(EffectLogger.layer({ defaultLogger: "reentrant.log" }))
      yield* Effect.addFinalizer(() => Effect.promise(() => runtime.dispose()))
      const logger = getLogger("reentrant.log")
      const seen: Array<string> = []
      // Every record logs another: a logging loop, which the generation bound ends.
      const h = yield* Handler.make({
        label: "looping",
        target: {
          _tag: "Records",
          handle: (record) => {
            seen.push(record.message)
            runtime.runSync(Effect.logInfo(`again ${record.message}`))
          }
        }
      })
      logger.addHandler(h)
      yield* Effect.promise(() => runtime.runPromise(Effect.logInfo("start")))
      yield* Effect.promise(() => logger.flush())
      yield* Effect.sleep(50)
      yield* Handler.close(h)
      assert.strictEqual(seen[0], "start")
      assert.strictEqual(seen[1], "again start")
      assert.isBelow(seen.length, 20) // cut, not endless
      assert.strictEqual(h.getWritten() + h.getDropped(), seen.length + 1) // the loop's last record, refused and counted
    }))
})

