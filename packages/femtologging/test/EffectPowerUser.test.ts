/**
 * femtologging as an experienced Effect user meets it in a service: layers composed and
 * memoized, a `ManagedRuntime` made and disposed, `Effect.log` routed in, fibers interrupted while
 * they log, scopes released while other fibers still log, re-entrant logging from a handler,
 * streams logging per element, detached fibers outliving their layer, `TestClock` driving timed
 * rotation, and `NodeRuntime.runMain` stopped by a real signal.
 */
import { afterAll, assert, beforeEach, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/testing/TestClock"
import { spawn } from "node:child_process"
import * as path from "node:path"
import * as EffectLogger from "../src/EffectLogger.ts"
import { getLogger, resetManager } from "../src/Facade.ts"
import * as FileHandler from "../src/FileHandler.ts"
import * as Handler from "../src/Handler.ts"
import * as Logger from "../src/Logger.ts"
import type * as LogRecord from "../src/LogRecord.ts"
import * as Manager from "../src/Manager.ts"
import * as OverflowPolicy from "../src/OverflowPolicy.ts"
import type { Sink } from "../src/Sink.ts"
import * as Testing from "../src/Testing.ts"
import * as TimedRotatingFileHandler from "../src/TimedRotatingFileHandler.ts"
import { repoRoot } from "./utils/child.ts"
import { listDir, readLines, removeTempDirs, tempDir } from "./utils/files.ts"
import { decodeLines, type HeldSink, heldSink, messageOnly } from "./utils/heldSink.ts"

afterAll(() => removeTempDirs())
beforeEach(() => resetManager())

const yieldMany = (n: number) => Effect.repeat(Effect.yieldNow, { times: n })

/** A handler over a held sink, rendering each record as its message. */
const heldHandler = (held: HeldSink, options: Omit<Handler.MakeOptions, "label" | "target" | "formatter"> = {}) =>
  Handler.make({ label: "held", target: { _tag: "Sink", sink: held.sink }, formatter: messageOnly, ...options })

/** A deterministic pseudo-random sequence in [0, 1). */
const random = (seed: number) => () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648

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

describe("Fibers interrupted while they log", () => {
  it.live("block and timeout: offers cut short by Effect.timeout keep the counts exact (written + dropped = offered)", () =>
    Effect.gen(function*() {
      for (const policy of [OverflowPolicy.block(), OverflowPolicy.timeout(3)]) {
        const next = random(7)
        const written: Array<string> = []
        // A sink finishing each batch 0-3 ms later.
        const sink: Sink = {
          write: (batch) => {
            const lines = decodeLines(batch)
            return new Promise<void>((resolve) =>
              setTimeout(() => {
                written.push(...lines)
                resolve()
              }, next() * 3)
            )
          }
        }
        const scope = yield* Scope.make()
        const h = yield* Handler.make({ label: "cut", target: { _tag: "Sink", sink }, formatter: messageOnly, capacity: 2, policy })
          .pipe(Scope.provide(scope))
        const logger = (yield* Manager.make()).getLogger("cut")
        logger.addHandler(h)
        const completed: Array<string> = []
        const offered = 400
        yield* Effect.forEach(
          Array.from({ length: offered }, (_, i) => `m${i}`),
          (m) =>
            Logger.info(logger, m).pipe(
              Effect.tap(() => Effect.sync(() => completed.push(m))),
              Effect.timeout(next() * 4), // a request's deadline, 0-4 ms
              Effect.ignore
            ),
          { concurrency: 20, discard: true }
        )
        yield* Scope.close(scope, Exit.void)
        const label = policy._tag
        assert.strictEqual(written.length + h.getDropped(), offered, label)
        assert.strictEqual(h.getAccepted(), written.length, label)
        assert.strictEqual(new Set(written).size, written.length, `${label}: nothing written twice`)
        assert.strictEqual(h.getPending(), 0, label)
        // Under block an offer that returned was accepted, and so written.
        if (policy._tag === "Block") assert.sameMembers(written, completed, label)
        assert.isAbove(h.getDropped(), 0, `${label}: some offers were cut short`)
      }
    }), 60_000)

  it.live("the same on a worker thread's file sink with a small hand-off: every line in the file was accepted, once; the rest counted", () =>
    Effect.gen(function*() {
      const next = random(11)
      for (const policy of ["block", "timeout:2"] as const) {
        const file = path.join(tempDir(), `worker-${policy}.log`)
        const scope = yield* Scope.make()
        const fh = yield* FileHandler.make(file, { executor: "worker", capacity: 4, policy, bufferBytes: 4096, formatter: messageOnly })
          .pipe(Scope.provide(scope))
        const h = Handler.of(fh)!
        const logger = (yield* Manager.make()).getLogger("cut.worker")
        logger.addHandler(fh)
        const completed: Array<string> = []
        const offered = 5000
        yield* Effect.forEach(
          Array.from({ length: offered }, (_, i) => `m${i} ${"y".repeat(200)}`),
          (m) =>
            Logger.info(logger, m).pipe(
              Effect.tap(() => Effect.sync(() => completed.push(m))),
              Effect.timeout(next() * 2),
              Effect.ignore
            ),
          { concurrency: 50, discard: true }
        )
        yield* Scope.close(scope, Exit.void)
        const written = readLines(file)
        assert.strictEqual(written.length + h.getDropped(), offered, policy)
        assert.strictEqual(h.getAccepted(), written.length, policy)
        assert.strictEqual(new Set(written).size, written.length, `${policy}: nothing written twice`)
        if (policy === "block") assert.sameMembers(written, completed, policy)
      }
    }), 60_000)

  it.live("a scoped handler released while fibers wait for room under block: they resume, what was accepted is written, the rest counted", () =>
    Effect.gen(function*() {
      const held = yield* heldSink
      yield* Effect.addFinalizer(() => held.gate.open) // never leave the worker held at the end
      const scope = yield* Scope.make()
      const h = yield* heldHandler(held, { capacity: 2, policy: OverflowPolicy.block() }).pipe(Scope.provide(scope))
      const logger = (yield* Manager.make()).getLogger("released")
      logger.addHandler(h)
      yield* Logger.info(logger, "r0")
      yield* Deferred.await(held.started) // the sink holds r0
      const waiting = yield* Effect.forEach(
        [1, 2, 3, 4, 5],
        (i) => Effect.forkChild(Logger.info(logger, `r${i}`), { startImmediately: true })
      )
      yield* yieldMany(20)
      // r1 and r2 are queued; r3..r5 wait for room.
      assert.deepStrictEqual(waiting.map((f) => f.pollUnsafe() !== undefined), [true, true, false, false, false])
      const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void), { startImmediately: true })
      yield* yieldMany(20)
      yield* held.gate.open
      yield* Fiber.join(closing)
      const exits = yield* Effect.forEach(waiting, Fiber.await)
      assert.isTrue(exits.every(Exit.isSuccess), "no fiber left waiting, none failed or died")
      assert.deepStrictEqual(held.written, ["r0", "r1", "r2"])
      assert.strictEqual(h.getDropped(), 3)
      assert.isTrue(h.closed)
    }))
})

describe("Layers, runtimes and fibers around femtologging", () => {
  it.live("a ManagedRuntime: Effect.log from concurrent fibers with annotations is all in the file once it is disposed", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "runtime.log")
      const Logging = EffectLogger.layer({ defaultLogger: "svc" }).pipe(
        Layer.provideMerge(Manager.layerLogger("svc", { handlers: [FileHandler.make(file)] })),
        Layer.provideMerge(Manager.layerIsolated())
      )
      const runtime = ManagedRuntime.make(Logging)
      yield* Effect.promise(() =>
        runtime.runPromise(Effect.forEach(
          Array.from({ length: 500 }, (_, i) => i),
          (i) => Effect.logInfo(`m${i}`).pipe(Effect.annotateLogs({ k: i })),
          { concurrency: 10, discard: true }
        ))
      )
      yield* Effect.promise(() => runtime.dispose())
      const lines = readLines(file)
      assert.strictEqual(lines.length, 500)
      assert.sameMembers(lines, Array.from({ length: 500 }, (_, i) => `svc [INFO] m${i} k=${i}`))
    }))

  it.effect("the same logger layer merged twice is built once: one handler, each record written once", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "memo.log")
      const AppLogging = Manager.layerLogger("memo", { handlers: [FileHandler.make(file)] })
      yield* Effect.gen(function*() {
        const logger = yield* Manager.getLogger("memo")
        assert.strictEqual(logger.handlers.length, 1)
        yield* Logger.info(logger, "once")
      }).pipe(Effect.provide(Layer.mergeAll(AppLogging, AppLogging).pipe(Layer.provideMerge(Manager.layerIsolated()))))
      assert.deepStrictEqual(readLines(file), ["memo [INFO] once"])
    }))

  it.live("a detached fiber logging after its layer was released: no failure, no defect, counted as dropped", () =>
    Effect.gen(function*() {
      const go = yield* Deferred.make<void>()
      const done = yield* Deferred.make<Exit.Exit<void, unknown>>()
      const captured = yield* Effect.gen(function*() {
        yield* Effect.forkDetach(Effect.gen(function*() {
          yield* Deferred.await(go)
          const exit = yield* Effect.exit(Effect.gen(function*() {
            yield* Effect.logInfo("late")
            yield* Logger.info(yield* Manager.getLogger("late"), "late too")
          }))
          yield* Deferred.succeed(done, exit)
        }))
        return yield* Testing.Captured
      }).pipe(Effect.provide(EffectLogger.layer({ defaultLogger: "late" }).pipe(Layer.provideMerge(Testing.layerCapture()))))
      assert.isTrue(captured.handler.closed)
      yield* Deferred.succeed(go, undefined)
      const exit = yield* Deferred.await(done)
      assert.isTrue(Exit.isSuccess(exit))
      assert.strictEqual(captured.records.length, 0)
    }))

  it.effect("a stream logging per element through Effect.log: every element, in order, with the stream's log span", () =>
    Effect.gen(function*() {
      yield* Stream.range(1, 2000).pipe(
        Stream.mapEffect((i) => Effect.logDebug("element", i)),
        Stream.runDrain,
        Effect.withLogSpan("ingest"),
        Effect.annotateLogs({ logger: "ingest" })
      )
      const records = yield* Testing.records()
      assert.strictEqual(records.length, 2000)
      assert.deepStrictEqual(records.map((r) => r.message), Array.from({ length: 2000 }, (_, i) => `element ${i + 1}`))
      assert.isTrue(records.every((r) => r.logger === "ingest" && r.level === "DEBUG" && r.fields?.["span.ingest"] === 0))
      yield* Testing.assertNoDrops()
    }).pipe(Effect.provide(Testing.layerEffectCapture())))

  it.effect("TestClock drives a timed rotating handler made by a logger layer, with Effect.log routed in", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "timed.log")
      yield* Effect.gen(function*() {
        yield* Effect.logInfo("first")
        yield* TestClock.adjust("1 second")
        yield* Effect.logInfo("second")
      }).pipe(Effect.provide(
        EffectLogger.layer({ defaultLogger: "timed" }).pipe(
          Layer.provideMerge(Manager.layerLogger("timed", {
            handlers: [TimedRotatingFileHandler.make(file, { when: "S", utc: true, formatter: messageOnly })]
          })),
          Layer.provideMerge(Manager.layerIsolated())
        )
      ))
      assert.deepStrictEqual(listDir(dir), ["timed.log", "timed.log.1970-01-01_00-00-00"])
      assert.deepStrictEqual(readLines(path.join(dir, "timed.log.1970-01-01_00-00-00")), ["first"])
      assert.deepStrictEqual(readLines(file), ["second"])
    }))
})

/** Starts `source` (an ES module) with a file path, sends `signal` once it printed `ready`. */
const runUntilSignal = (source: string, file: string, signal: NodeJS.Signals) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", source, file], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`timed out; stderr: ${stderr}`))
    }, 20_000)
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.stdout.on("data", (chunk) => {
      if (String(chunk).includes("ready")) child.kill(signal)
    })
    child.on("close", (code, sig) => {
      clearTimeout(timer)
      resolve({ code, signal: sig, stderr })
    })
  })

describe("NodeRuntime.runMain stopped by a signal", () => {
  const service = `
import { Effect, Layer } from "effect"
import { NodeRuntime } from "@effect/platform-node"
import { EffectLogger, FileHandler, Manager } from "femtologging"
const Logging = EffectLogger.layer({ defaultLogger: "app" }).pipe(
  Layer.provideMerge(Manager.layerLogger("app", { handlers: [FileHandler.make(process.argv[1], { policy: "block" })] })),
  Layer.provideMerge(Manager.layer())
)
const program = Effect.gen(function*() {
  yield* Effect.addFinalizer(() => Effect.logInfo("finalizer ran"))
  for (let i = 0; i < 1000; i++) yield* Effect.logInfo("r" + i)
  process.stdout.write("ready\\n")
  yield* Effect.never
}).pipe(Effect.scoped, Effect.onInterrupt(() => Effect.logWarning("interrupted")))
NodeRuntime.runMain(program.pipe(Effect.provide(Logging)))
`
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal}: every record, the finalizer's and the interruption's are written, and runMain's exit code stands`, async () => {
      const file = path.join(tempDir(), "main.log")
      const result = await runUntilSignal(service, file, signal)
      assert.strictEqual(result.stderr, "")
      assert.strictEqual(result.code, 130)
      const lines = readLines(file)
      assert.deepStrictEqual(lines, [
        ...Array.from({ length: 1000 }, (_, i) => `app [INFO] r${i}`),
        "app [INFO] finalizer ran",
        "app [WARN] interrupted"
      ])
    }, 30_000)
  }
})

describe("NodeRuntime.runMain stopped by a signal while stdout's reader stopped reading", () => {
  // The Effect face fills stdout's pipe (block: the fiber waits, the thread does not); the parent
  // never reads it. Ctrl-C: runMain interrupts the program and releases the layers, whose handler
  // gives up its records within its own timeouts (flushTimeoutMs, then the sink's close).
  const service = `
import { Effect, Layer } from "effect"
import { NodeRuntime } from "@effect/platform-node"
import { Logger, Manager, StreamHandler } from "femtologging"
const Logging = Manager.layerLogger("app", {
  handlers: [StreamHandler.make({ target: "stdout", policy: "block", capacity: 16, flushTimeoutMs: 300 })]
}).pipe(Layer.provideMerge(Manager.layer()))
const program = Effect.gen(function*() {
  const logger = yield* Manager.getLogger("app")
  yield* Effect.forkChild(Effect.forever(Logger.info(logger, "x".repeat(1000))))
  yield* Effect.sleep(300)
  process.stderr.write("ready\\n")
  yield* Effect.never
})
NodeRuntime.runMain(program.pipe(Effect.provide(Logging)))
`
  it("SIGINT ends it within the handler's own bounds: femtologging's listener, beside runMain's, does not hold the thread for the exit drain's 5 s", async () => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", service], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"]
    })
    child.stdout.pause() // a reader that stopped reading
    let stderr = ""
    let signalledAt = 0
    const ended = new Promise<{ code: number | null; ms: number }>((resolve) => {
      child.stderr.on("data", (chunk) => {
        stderr += chunk
        if (signalledAt === 0 && stderr.includes("ready")) {
          signalledAt = performance.now()
          child.kill("SIGINT")
        }
      })
      child.on("close", (code) => resolve({ code, ms: performance.now() - signalledAt }))
    })
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000)
    const { code, ms } = await ended
    clearTimeout(timer)
    assert.strictEqual(code, 130, stderr)
    // The handler's close: 300 ms for the queue, 1 s for the stalled sink; the signal's drain, 1 s.
    assert.isBelow(ms, 5_000, stderr)
  }, 30_000)
})
