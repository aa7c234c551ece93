/**
 * Reconfiguration while records flow: a synchronous loop, async producers yielding with
 * setImmediate, Effect fibers through the Effect face, and handlers on worker threads, while
 * handlers are added, removed, closed and flushed, formatters, levels and filters change,
 * configurations are applied and released. Real files, read back line by line: every record
 * accepted is written or counted (written + dropped = accepted), none twice, in order per
 * producer, and no log call throws or hangs.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as path from "node:path"
import { basicConfig } from "../src/BasicConfig.ts"
import * as Config from "../src/Config.ts"
import { dictConfig } from "../src/Config.ts"
import { getHandlerByName, getLogger, resetManager, shutdown } from "../src/Facade.ts"
import { FemtoFileHandler } from "../src/FileHandler.ts"
import * as Formatter from "../src/Formatter.ts"
import * as Logger from "../src/Logger.ts"
import type * as LogRecord from "../src/LogRecord.ts"
import * as Manager from "../src/Manager.ts"
import { FemtoWorkerHandler } from "../src/WorkerHandler.ts"
import { fixturesDir } from "./utils/child.ts"
import { isolateConfiguration } from "./utils/configured.ts"
import { readLines, tempDir, tick } from "./utils/files.ts"
import { trackHandlers } from "./utils/track.ts"
import { waitFor } from "./utils/wait.ts"

const track = trackHandlers()
const executors = ["inline", "worker"] as const

isolateConfiguration()

const tempFile = (name: string): string => path.join(tempDir(), name)

/** `<tag>|<message>`: which formatter wrote a line. */
const tagged = (tag: string): Formatter.Formatter => (record: LogRecord.LogRecord) => `${tag}|${record.message}`

/** Lines `<producer>:<n>` per producer, in file order: each producer's are 0, 1, 2... with none missing or repeated. */
const assertInOrder = (messages: ReadonlyArray<string>, expected: Record<string, number>): void => {
  const seen = new Map<string, number>()
  for (const m of messages) {
    const [producer, n] = m.split(":")
    const next = seen.get(producer!) ?? 0
    assert.strictEqual(Number(n), next, `producer ${producer}: got ${m} after ${next - 1}`)
    seen.set(producer!, next + 1)
  }
  for (const [producer, count] of Object.entries(expected)) assert.strictEqual(seen.get(producer) ?? 0, count, producer)
}

describe("setFormatter under load", () => {
  for (const executor of executors) {
    it(`records accepted before the call are in the old format, after it in the new (${executor})`, async () => {
      const file = tempFile("sf.log")
      const handler = track(new FemtoFileHandler(file, { executor, formatter: tagged("A") }))
      const log = getLogger("rl.sf")
      log.addHandler(handler)
      log.setPropagate(false)
      // Which formatter each message must be written by, set as it is logged.
      const expected = new Map<string, string>()
      let current = "A"
      const stamp = (m: string) => {
        expected.set(m, current)
        log.info(m)
      }
      let stop = false
      const producers = [0, 1, 2].map(async (p) => {
        for (let i = 0; !stop || i < 10; i++) {
          stamp(`p${p}:${i}`)
          if (i % 7 === 0) await tick()
          else await Promise.resolve()
          if (i > 5000) break
        }
      })
      const fiber = Effect.runPromise(Effect.gen(function*() {
        for (let i = 0; i < 400; i++) {
          expected.set(`f:${i}`, current)
          // Stamped and logged in the same step: nothing runs between the two.
          yield* Effect.sync(() => log.info(`f:${i}`))
          if (i % 3 === 0) yield* Effect.yieldNow
        }
      }))
      let s = 0
      for (const tag of ["B", "C", "D", "E"]) {
        for (let i = 0; i < 300; i++) stamp(`s:${s++}`)
        await tick()
        for (let i = 0; i < 300; i++) stamp(`s:${s++}`)
        handler.setFormatter(tagged(tag))
        current = tag
        for (let i = 0; i < 50; i++) stamp(`s:${s++}`)
        await tick()
      }
      stop = true
      await Promise.all([...producers, fiber])
      await handler.close()
      const lines = readLines(file)
      const wrong: Array<string> = []
      for (const line of lines) {
        const [tag, message] = line.split("|")
        if (expected.get(message!) !== tag) wrong.push(`${line} (expected ${expected.get(message!)})`)
      }
      assert.deepStrictEqual(wrong.slice(0, 5), [])
      assert.strictEqual(lines.length, expected.size)
      assert.strictEqual(handler.getWritten(), expected.size)
      assert.strictEqual(handler.getDropped(), 0)
      const counts: Record<string, number> = { s, f: 400 }
      for (const m of expected.keys()) {
        const p = m.split(":")[0]!
        if (p.startsWith("p")) counts[p] = (counts[p] ?? 0) + 1
      }
      assertInOrder(lines.map((l) => l.split("|")[1]!), counts)
    }, 30_000)
  }
})

describe("replacing handlers on one file while records flow", () => {
  for (const executor of executors) {
    it(`basicConfig({ force: true }) on the same file keeps every record once, in order (${executor})`, async () => {
      const file = tempFile("basic.log")
      basicConfig({ filename: file, format: "%(message)s", level: "INFO" })
      const old = getLogger().handlers[0] as FemtoFileHandler
      // The first one on a worker thread, as a configuration may have made it.
      const first = new FemtoFileHandler(file, { executor, formatter: Formatter.python("%(message)s") })
      getLogger().removeHandler(old)
      await old.close()
      getLogger().addHandler(first)
      const log = getLogger("rl.basic")
      let n = 0
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 2000; i++) log.info(`s:${n++}`)
        basicConfig({ filename: file, format: "%(message)s", level: "INFO", force: true })
      }
      for (let i = 0; i < 2000; i++) log.info(`s:${n++}`)
      await shutdown()
      assert.isTrue(first.closed)
      assertInOrder(readLines(file), { s: n })
    }, 30_000)
  }

  for (const executor of executors) {
    it(`dictConfig applied again on the same file, with producers running, keeps every record once, in order (${executor})`, async () => {
      const file = tempFile("dict.log")
      const config = {
        version: 1,
        formatters: { m: { format: "%(message)s" } },
        handlers: { f: { class: "logging.FileHandler", filename: file, formatter: "m", executor } },
        root: { level: "INFO", handlers: ["f"] },
        disable_existing_loggers: false
      }
      dictConfig(config)
      const log = getLogger("rl.dict")
      let stop = false
      const counts: Record<string, number> = {}
      const producers = [0, 1].map(async (p) => {
        let i = 0
        while (!stop) {
          log.info(`p${p}:${i++}`)
          if (i % 5 === 0) await tick()
        }
        counts[`p${p}`] = i
      })
      let s = 0
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 1000; i++) log.info(`s:${s++}`)
        dictConfig(config)
        await tick()
      }
      stop = true
      await Promise.all(producers)
      await shutdown()
      assertInOrder(readLines(file), { ...counts, s })
    }, 30_000)
  }
})

describe("close and flush while records flow", () => {
  for (const executor of executors) {
    for (const policy of ["block", "drop", "timeout:50"] as const) {
      it(`close() amid sync, async and fiber producers: written + dropped = accepted, every line once, in order (${executor}, ${policy})`, async () => {
        const file = tempFile("close.log")
        const handler = new FemtoFileHandler(file, { executor, policy, capacity: 64, formatter: Formatter.python("%(message)s") })
        const log = getLogger("rl.close")
        log.addHandler(handler)
        log.setPropagate(false)
        const logged: Record<string, number> = {}
        const thrown: Array<unknown> = []
        const put = (p: string) => {
          const i = logged[p] ?? 0
          logged[p] = i + 1
          try {
            log.info(`${p}:${i}`)
          } catch (error) {
            thrown.push(error)
          }
        }
        let stop = false
        const producers = [0, 1, 2].map(async (p) => {
          while (!stop) {
            put(`p${p}`)
            await tick()
          }
        })
        const fibers = [0, 1].map((f) =>
          Effect.runPromise(Effect.gen(function*() {
            while (!stop) {
              const i = logged[`f${f}`] ?? 0
              logged[`f${f}`] = i + 1
              yield* Logger.info(log, `f${f}:${i}`)
              yield* Effect.yieldNow
            }
          }))
        )
        for (let i = 0; i < 500; i++) put("s")
        await tick()
        for (let i = 0; i < 500; i++) put("s")
        const flushed = handler.flush()
        const closing = handler.close()
        const flushedAfter = handler.flush()
        for (let i = 0; i < 500; i++) put("s")
        await closing
        const again = handler.close()
        for (let i = 0; i < 10; i++) put("s")
        await again
        stop = true
        await Promise.all([...producers, ...fibers])
        assert.deepStrictEqual(thrown, [])
        assert.isBoolean(await flushed)
        assert.isFalse(await flushedAfter)
        const lines = readLines(file)
        const offered = Object.values(logged).reduce((a, b) => a + b, 0)
        assert.strictEqual(handler.getWritten(), lines.length)
        assert.strictEqual(handler.getWritten() + handler.getDropped(), offered)
        // No duplicates, and order per producer: a subsequence of what each logged.
        const last = new Map<string, number>()
        for (const line of lines) {
          const [p, n] = line.split(":")
          assert.isAbove(Number(n), last.get(p!) ?? -1, `${line} out of order or twice`)
          last.set(p!, Number(n))
        }
        if (policy === "block") {
          // Block loses nothing that was logged before close() was called.
          const before = lines.filter((l) => l.startsWith("s:")).map((l) => Number(l.slice(2)))
          assert.deepStrictEqual(before.slice(0, 1000), Array.from({ length: 1000 }, (_, i) => i))
        }
      }, 30_000)
    }
  }

  it("flush() and close() called from inside a formatter neither hang nor lose a record", async () => {
    const file = tempFile("reentrant-close.log")
    let handler!: FemtoFileHandler
    const pending: Array<Promise<unknown>> = []
    handler = new FemtoFileHandler(file, {
      formatter: (record) => {
        if (record.message === "s:50") pending.push(handler.flush())
        if (record.message === "s:100") pending.push(handler.close())
        return record.message
      }
    })
    const log = getLogger("rl.reclose")
    log.addHandler(handler)
    log.setPropagate(false)
    for (let i = 0; i < 200; i++) log.info(`s:${i}`)
    await tick()
    await Promise.all(pending)
    await handler.close()
    assert.deepStrictEqual(readLines(file), Array.from({ length: 200 }, (_, i) => `s:${i}`))
    assert.strictEqual(handler.getWritten(), 200)
    assert.strictEqual(handler.getDropped(), 0)
  })
})

describe("setFormatter re-entrantly", () => {
  for (const executor of executors) {
    it(`from inside the handler's own formatter: records logged before the call keep the old format (${executor})`, async () => {
      const file = tempFile("reentrant-sf.log")
      let handler!: FemtoFileHandler
      handler = track(new FemtoFileHandler(file, {
        executor,
        formatter: (record) => {
          if (record.message === "switch") handler.setFormatter(tagged("B"))
          return `A|${record.message}`
        }
      }))
      const log = getLogger("rl.resf")
      log.addHandler(handler)
      log.setPropagate(false)
      // All logged in one turn, before the formatter runs at all: accepted before the call.
      for (const m of ["a1", "switch", "a2", "a3"]) log.info(m)
      await tick()
      log.info("b1")
      await handler.close()
      assert.deepStrictEqual(readLines(file), ["A|a1", "A|switch", "A|a2", "A|a3", "B|b1"])
    })
  }
})

describe("setFormatter behind a slow sink", () => {
  it("records a slow worker sink still holds up when flushTimeoutMs runs out keep the old format", async () => {
    const file = tempFile("slow-sf.log")
    const handler = track(new FemtoWorkerHandler({
      module: path.join(fixturesDir, "sinks", "file.mjs"),
      options: { path: file, delayMs: 100 },
      bufferBytes: 1024,
      flushTimeoutMs: 50,
      formatter: tagged("A")
    }))
    const log = getLogger("rl.slowsf")
    log.addHandler(handler)
    log.setPropagate(false)
    // 100 bytes a line: the 1 KiB hand-off holds 10 at a time, batches of ~150 wait 100 ms each.
    const pad = "x".repeat(96)
    for (let i = 0; i < 2000; i++) log.info(`a${i}${pad}`)
    const started = performance.now()
    handler.setFormatter(tagged("B"))
    // The call waits at most about flushTimeoutMs.
    assert.isBelow(performance.now() - started, 300)
    for (let i = 0; i < 5; i++) log.info(`b${i}`)
    // close() would give up after flushTimeoutMs: wait for the sink first.
    await waitFor(() => handler.getWritten() === 2005, 20_000)
    await handler.close()
    assert.deepStrictEqual(readLines(file), [
      ...Array.from({ length: 2000 }, (_, i) => `A|a${i}${pad}`),
      ...Array.from({ length: 5 }, (_, i) => `B|b${i}`)
    ])
  }, 30_000)
})

describe("configuration swapped while records flow", () => {
  for (const executor of executors) {
    it(`dictConfig over a handler the application attached to root, on the same file, keeps order (${executor})`, async () => {
      const file = tempFile("app-then-dict.log")
      const mine = track(new FemtoFileHandler(file, { executor, formatter: Formatter.python("%(message)s") }))
      getLogger().addHandler(mine)
      getLogger().setLevel("INFO")
      const log = getLogger("rl.appdict")
      let n = 0
      for (let i = 0; i < 2000; i++) log.info(`s:${n++}`)
      dictConfig({
        version: 1,
        formatters: { m: { format: "%(message)s" } },
        handlers: { f: { class: "logging.FileHandler", filename: file, formatter: "m" } },
        root: { level: "INFO", handlers: ["f"] },
        disable_existing_loggers: false
      })
      for (let i = 0; i < 2000; i++) log.info(`s:${n++}`)
      await shutdown()
      assertInOrder(readLines(file), { s: n })
    })
  }

  it("a Config.layer released while fibers log through the Effect face: every record written or counted", async () => {
    const file = tempFile("layer.log")
    const { scope, context } = await buildConfigLayer(file)
    const program = Effect.gen(function*() {
      const m = yield* Manager.Manager
      const log = m.getLogger("rl.layer")
      const handler = m.getHandlerByName("f") as FemtoFileHandler
      let stop = false
      let n = 0
      const fibers = Effect.forEach([0, 1, 2], (f) =>
        Effect.gen(function*() {
          let i = 0
          while (!stop) {
            yield* Logger.info(log, `f${f}:${i++}`)
            n++
            if (i % 10 === 0) yield* Effect.sleep(0)
          }
        }), { concurrency: "unbounded", discard: true })
      const running = Effect.runPromise(fibers)
      yield* Effect.sleep(20)
      yield* Effect.promise(() => Effect.runPromise(Scope.close(scope, Exit.void)))
      yield* Effect.sleep(10)
      stop = true
      yield* Effect.promise(() => running)
      return { handler, n, dropped: log.getDropped() }
    })
    const { handler, n, dropped } = await Effect.runPromise(Effect.provide(program, context))
    const lines = readLines(file)
    assert.isTrue(handler.closed)
    assert.strictEqual(handler.getWritten(), lines.length)
    // Detached before it closed: nothing was offered to it closed, nothing refused under block.
    assert.strictEqual(handler.getDropped(), 0)
    assert.strictEqual(handler.getWritten(), handler.handler.getAccepted())
    // Records after the release reach no handler (INFO below the last resort): neither written nor dropped.
    assert.isAtMost(lines.length + dropped, n)
    const last = new Map<string, number>()
    for (const line of lines) {
      const [p, i] = line.split(":")
      assert.strictEqual(Number(i), (last.get(p!) ?? -1) + 1, `${line} out of order, twice, or after a gap`)
      last.set(p!, Number(i))
    }
  }, 30_000)
})

/**
 * Builds a `Config.layer` with one worker-thread file handler "f" on root (`%(message)s`, and
 * `options`) over an isolated manager, in a scope the test closes to release it.
 */
const buildConfigLayer = async (file: string, options: { readonly capacity?: number } = {}) => {
  const scope = await Effect.runPromise(Scope.make())
  const context = await Effect.runPromise(
    Layer.buildWithScope(
      Layer.provideMerge(
        Config.layer({
          version: 1,
          formatters: { m: { format: "%(message)s" } },
          handlers: { f: { class: "logging.FileHandler", filename: file, formatter: "m", executor: "worker", ...options } },
          root: { level: "INFO", handlers: ["f"] }
        }),
        Manager.layerIsolated()
      ),
      scope
    )
  )
  return { scope, context }
}

describe("levels, filters and handlers changed while records flow", () => {
  for (const executor of executors) {
    it(`dictConfig incremental and setLevel on loggers and handlers: exactly the records at or above the level when logged (${executor})`, async () => {
      const file = tempFile("levels.log")
      dictConfig({
        version: 1,
        formatters: { m: { format: "%(levelname)s %(message)s" } },
        handlers: { f: { class: "logging.FileHandler", filename: file, formatter: "m", executor } },
        loggers: { "rl.lv": { level: "DEBUG", handlers: ["f"], propagate: false } },
        disable_existing_loggers: false
      })
      const log = getLogger("rl.lv")
      const handler = getHandlerByName("f") as FemtoFileHandler
      const levels = ["DEBUG", "INFO", "WARN", "ERROR"] as const
      const rank = (l: string) => levels.indexOf(l as never)
      // The threshold (max of logger's and handler's) in force, and the lines that must be written.
      let loggerLevel = 0
      let handlerLevel = 0
      const expected: Array<string> = []
      let n = 0
      const put = (level: (typeof levels)[number]) => {
        const line = `${level === "WARN" ? "WARNING" : level} m${n++}`
        if (rank(level) >= Math.max(loggerLevel, handlerLevel)) expected.push(line)
        log.log(level, line.split(" ")[1]!)
      }
      let stop = false
      const producers = [0, 1].map(async () => {
        while (!stop) {
          put(levels[n % 4]!)
          await tick()
        }
      })
      for (let round = 0; round < 12; round++) {
        for (let i = 0; i < 200; i++) put(levels[i % 4]!)
        const change = round % 3
        if (change === 0) {
          handlerLevel = round % 4
          dictConfig({ version: 1, incremental: true, handlers: { f: { level: levels[handlerLevel] } } })
        } else if (change === 1) {
          loggerLevel = (round + 1) % 4
          dictConfig({ version: 1, incremental: true, loggers: { "rl.lv": { level: levels[loggerLevel] } } })
        } else {
          loggerLevel = round % 4
          log.setLevel(levels[loggerLevel]!)
          handlerLevel = (round + 2) % 4
          handler.setLevel(levels[handlerLevel]!)
        }
        await tick()
      }
      stop = true
      await Promise.all(producers)
      await handler.close()
      assert.deepStrictEqual(readLines(file), expected)
      assert.strictEqual(handler.getDropped(), 0)
    }, 30_000)
  }

  it("filters added and removed from inside filters, and a user handler removing itself, lose nothing and throw nothing", async () => {
    const file = tempFile("filters.log")
    const handler = track(new FemtoFileHandler(file, { formatter: Formatter.python("%(message)s") }))
    const log = getLogger("rl.flt")
    log.addHandler(handler)
    log.setPropagate(false)
    const odd: (record: LogRecord.LogRecord) => boolean = (r) => Number(r.message.split(":")[1]) % 2 === 1
    let toggles = 0
    const toggler = (r: LogRecord.LogRecord): boolean => {
      // Every 100th record turns the odd filter on or off, on the handler, from inside its filter.
      if (Number(r.message.split(":")[1]) % 100 === 0) {
        if (toggles++ % 2 === 0) handler.addFilter(odd)
        else handler.removeFilter(odd)
      }
      return true
    }
    handler.addFilter(toggler)
    const seen: Array<string> = []
    const user = {
      handleRecord(record: LogRecord.LogRecord) {
        seen.push(record.message)
        if (record.message === "s:500") log.removeHandler(user)
      }
    }
    log.addHandler(user)
    for (let i = 0; i < 1000; i++) {
      log.info(`s:${i}`)
      if (i % 50 === 0) await tick()
    }
    await handler.close()
    // Filtered by the filters in place when each record reached the handler (the one that turned
    // the odd filter on or off passes as before): odd ones pass only while it is on.
    const expected: Array<string> = []
    let on = false
    for (let i = 0; i < 1000; i++) {
      if (!on || i % 2 === 1) expected.push(`s:${i}`)
      if (i % 100 === 0) on = !on
    }
    assert.deepStrictEqual(readLines(file), expected)
    // The user handler got everything up to its removal, and what was accepted before it.
    assert.deepStrictEqual(seen.slice(0, 501), Array.from({ length: 501 }, (_, i) => `s:${i}`))
    assert.deepStrictEqual(seen, Array.from({ length: seen.length }, (_, i) => `s:${i}`))
  })

  it("resetManager while producers log through held loggers: what they log after is counted, nothing throws", async () => {
    const file = tempFile("reset.log")
    const handler = track(new FemtoFileHandler(file, { executor: "worker", formatter: Formatter.python("%(message)s") }))
    const log = getLogger("rl.reset")
    log.addHandler(handler)
    log.setPropagate(false)
    let stop = false
    let logged = 0
    const thrown: Array<unknown> = []
    const producers = [0, 1, 2].map(async (p) => {
      let i = 0
      while (!stop) {
        try {
          log.info(`p${p}:${i++}`)
          logged++
        } catch (error) {
          thrown.push(error)
        }
        await tick()
      }
    })
    const fiber = Effect.runPromise(Effect.gen(function*() {
      let i = 0
      while (!stop) {
        yield* Logger.info(log, `f:${i++}`)
        logged++
        yield* Effect.yieldNow
      }
    }))
    await new Promise((resolve) => setTimeout(resolve, 30))
    resetManager()
    await new Promise((resolve) => setTimeout(resolve, 30))
    stop = true
    await Promise.all([...producers, fiber])
    await handler.close()
    assert.deepStrictEqual(thrown, [])
    assert.isAbove(log.getDropped(), 0)
    assert.strictEqual(readLines(file).length + log.getDropped(), logged)
    assert.strictEqual(handler.getWritten(), readLines(file).length)
    assert.strictEqual(handler.getDropped(), 0)
  }, 30_000)
})

describe("shutdown and release with callers waiting", () => {
  for (const executor of executors) {
    it(`fibers held by block while a synchronous loop makes room stay held: none dropped, every line once, in order (${executor})`, async () => {
      const file = tempFile("held-fibers.log")
      const handler = track(new FemtoFileHandler(file, { executor, capacity: 8, formatter: Formatter.python("%(message)s") }))
      const log = getLogger("rl.held")
      log.addHandler(handler)
      log.setPropagate(false)
      let stop = false
      const counts: Record<string, number> = {}
      const fibers = [0, 1, 2].map((f) =>
        Effect.runPromise(Effect.gen(function*() {
          let i = 0
          while (!stop) yield* Logger.info(log, `f${f}:${i++}`)
          counts[`f${f}`] = i
        }))
      )
      // The fibers fill the queue and wait for room; the loop's calls then make room themselves.
      await tick()
      for (let i = 0; i < 3000; i++) log.info(`s:${i}`)
      stop = true
      await Promise.all(fibers)
      await handler.close()
      assert.strictEqual(log.getDropped(), 0)
      assert.strictEqual(handler.getDropped(), 0)
      assertInOrder(readLines(file), { ...counts, s: 3000 })
    }, 30_000)
  }

  it("shutdown() amid producers and fibers held by a full worker queue: written + dropped = offered, nothing hangs", async () => {
    const file = tempFile("shutdown.log")
    const handler = new FemtoWorkerHandler({
      module: path.join(fixturesDir, "sinks", "file.mjs"),
      options: { path: file, delayMs: 5 },
      capacity: 8,
      formatter: tagged("A")
    })
    const log = getLogger("rl.shut")
    log.addHandler(handler)
    log.setPropagate(false)
    let stop = false
    let offered = 0
    const thrown: Array<unknown> = []
    const producers = [0, 1].map(async (p) => {
      let i = 0
      while (!stop) {
        try {
          offered++
          log.info(`p${p}:${i++}`)
        } catch (error) {
          thrown.push(error)
        }
        await tick()
      }
    })
    const fibers = [0, 1, 2].map((f) =>
      Effect.runPromise(Effect.gen(function*() {
        let i = 0
        while (!stop) {
          offered++
          yield* Logger.info(log, `f${f}:${i++}`)
        }
      }))
    )
    await new Promise((resolve) => setTimeout(resolve, 50))
    const done = shutdown()
    handler.setFormatter(tagged("B"))
    await done
    await new Promise((resolve) => setTimeout(resolve, 20))
    stop = true
    await Promise.all([...producers, ...fibers])
    assert.deepStrictEqual(thrown, [])
    assert.isTrue(handler.closed)
    const lines = readLines(file)
    assert.strictEqual(handler.getWritten(), lines.length)
    // Nothing is dropped at the logger: fibers held by block are never let through unheld.
    assert.strictEqual(log.getDropped(), 0)
    assert.strictEqual(handler.getWritten() + handler.getDropped(), offered)
    // Everything written was accepted before the formatter changed (it closed first, or drained).
    assert.isTrue(lines.every((l) => l.startsWith("A|") || l.startsWith("B|")))
    const last = new Map<string, number>()
    for (const line of lines) {
      const [p, n] = line.slice(2).split(":")
      assert.isAbove(Number(n), last.get(p!) ?? -1, `${line} out of order or twice`)
      last.set(p!, Number(n))
    }
  }, 30_000)

  it("a Config.layer released while fibers wait for room in its handler's queue: each waiting record counted, none lost silently", async () => {
    const file = tempFile("layer-blocked.log")
    const { scope, context } = await buildConfigLayer(file, { capacity: 4 })
    const outcome = await Effect.runPromise(Effect.provide(
      Effect.gen(function*() {
        const m = yield* Manager.Manager
        const log = m.getLogger("rl.lb")
        const handler = m.getHandlerByName("f") as FemtoFileHandler
        let stop = false
        let offered = 0
        const fibers = Effect.forEach([0, 1, 2, 3], (f) =>
          Effect.gen(function*() {
            let i = 0
            while (!stop) {
              // Offered to the handler only while it is still on root.
              if (m.root.handlers.includes(handler)) offered++
              yield* Logger.info(log, `f${f}:${i++}`)
            }
          }), { concurrency: "unbounded", discard: true })
        const running = Effect.runPromise(fibers)
        yield* Effect.sleep(30)
        yield* Effect.promise(() => Effect.runPromise(Scope.close(scope, Exit.void)))
        stop = true
        yield* Effect.promise(() => running)
        return { handler, offered }
      }),
      context
    ))
    const lines = readLines(file)
    assert.isTrue(outcome.handler.closed)
    assert.strictEqual(outcome.handler.getWritten(), lines.length)
    assert.strictEqual(outcome.handler.getWritten() + outcome.handler.getDropped(), outcome.offered)
  }, 30_000)
})

describe("logging from inside the pieces while the formatter changes", () => {
  for (const executor of executors) {
    it(`a formatter that logs about some records, its handler's formatter swapped from outside: every record once, in order (${executor})`, async () => {
      const file = tempFile("meta.log")
      const meta = getLogger("rl.meta")
      const main = getLogger("rl.main")
      const make = (tag: string): Formatter.Formatter => (record) => {
        if (record.logger === "rl.main" && record.message.endsWith("0")) meta.info(`m<${record.message}>`)
        return `${tag}|${record.message}`
      }
      const handler = track(new FemtoFileHandler(file, { executor, capacity: 16, formatter: make("A") }))
      // Both loggers reach the handler: what the formatter logs comes back to it, one generation deeper.
      getLogger("rl").addHandler(handler)
      getLogger("rl").setPropagate(false)
      const expected = new Map<string, string>()
      let current = "A"
      let s = 0
      for (const tag of ["B", "C", "D"]) {
        for (let i = 0; i < 200; i++) {
          expected.set(`s:${s}`, current)
          main.info(`s:${s++}`)
        }
        handler.setFormatter(make(tag))
        current = tag
        await tick()
      }
      await handler.close()
      const lines = readLines(file)
      const mains = lines.filter((l) => !l.includes("|m<"))
      assert.deepStrictEqual(mains.filter((l) => expected.get(l.split("|")[1]!) !== l.split("|")[0]), [])
      assertInOrder(mains.map((l) => l.split("|")[1]!), { s })
      const metas = lines.filter((l) => l.includes("|m<")).map((l) => l.split("|")[1]!)
      assert.deepStrictEqual(metas, Array.from({ length: s / 10 }, (_, i) => `m<s:${i * 10}>`))
      assert.strictEqual(handler.getDropped(), 0)
      assert.strictEqual(getLogger("rl.meta").getDropped(), 0)
    }, 30_000)
  }
})
