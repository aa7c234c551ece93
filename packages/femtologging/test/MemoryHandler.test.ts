import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as path from "node:path"
import { getLogger } from "../src/Facade.ts"
import { FemtoFileHandler } from "../src/FileHandler.ts"
import * as FileHandler from "../src/FileHandler.ts"
import * as Handler from "../src/Handler.ts"
import { HandlerConfigError } from "../src/HandlerConfigError.ts"
import * as Logger from "../src/Logger.ts"
import * as Manager from "../src/Manager.ts"
import * as MemoryHandler from "../src/MemoryHandler.ts"
import { FemtoMemoryHandler } from "../src/MemoryHandler.ts"
import { CaptureHandler } from "../src/Testing.ts"
import { runFixture } from "./utils/child.ts"
import { readLines, removeTempDirs, tempDir, tick } from "./utils/files.ts"

afterAll(() => removeTempDirs())

let n = 0
/** A fresh facade logger at DEBUG with the handler attached. */
const loggerWith = (handler: Parameters<Logger.Logger["addHandler"]>[0]) => {
  const logger = getLogger(`memory.test${n++}`)
  logger.setLevel("DEBUG")
  logger.setPropagate(false)
  logger.addHandler(handler)
  return logger
}

describe("FemtoMemoryHandler", () => {
  it("holds records until one at flushLevel (ERROR) arrives, then hands them all on in order", async () => {
    const target = new CaptureHandler()
    const memory = new FemtoMemoryHandler(target, { capacity: 100 })
    const logger = loggerWith(memory)
    logger.debug("d1")
    logger.info("i1")
    logger.warn("w1")
    await tick()
    assert.deepStrictEqual(target.messages, [])
    assert.strictEqual(memory.buffered, 3)
    logger.error("e1")
    logger.debug("d2")
    await target.flush()
    assert.deepStrictEqual(target.messages, ["d1", "i1", "w1", "e1"])
    assert.strictEqual(memory.buffered, 1)
    logger.critical("c1")
    await target.flush()
    assert.deepStrictEqual(target.messages, ["d1", "i1", "w1", "e1", "d2", "c1"])
    await memory.close()
  })

  it("flushLevel sets the level that hands the buffer on", async () => {
    const target = new CaptureHandler()
    const memory = new FemtoMemoryHandler(target, { flushLevel: "warning" })
    assert.strictEqual(memory.flushLevel, "WARN")
    const logger = loggerWith(memory)
    logger.info("i")
    await tick()
    assert.deepStrictEqual(target.messages, [])
    logger.warn("w")
    await target.flush()
    assert.deepStrictEqual(target.messages, ["i", "w"])
    await memory.close()
  })

  it("the buffer goes out every time it holds capacity records, and flush() hands on the rest", async () => {
    const target = new CaptureHandler()
    const memory = new FemtoMemoryHandler(target, { capacity: 3 })
    const logger = loggerWith(memory)
    for (let i = 0; i < 7; i++) logger.debug(`d${i}`)
    await tick()
    await target.flush()
    assert.deepStrictEqual(target.messages, ["d0", "d1", "d2", "d3", "d4", "d5"])
    assert.strictEqual(memory.buffered, 1)
    assert.isTrue(await memory.flush())
    assert.deepStrictEqual(target.messages, ["d0", "d1", "d2", "d3", "d4", "d5", "d6"])
    assert.strictEqual(memory.buffered, 0)
    await memory.close()
  })

  it("close() hands the buffer on and waits until the target wrote it (flushOnClose)", async () => {
    const file = path.join(tempDir(), "close.log")
    const target = new FemtoFileHandler(file)
    const memory = new FemtoMemoryHandler(target)
    const logger = loggerWith(memory)
    logger.debug("kept until close")
    logger.info("me too")
    await memory.close()
    assert.deepStrictEqual(readLines(file), [
      `${logger.name} [DEBUG] kept until close`,
      `${logger.name} [INFO] me too`
    ])
    // Closed: later records are refused and counted; the target stays open.
    logger.debug("after close")
    assert.strictEqual(memory.getDropped(), 1)
    assert.isFalse(target.closed)
    await target.close()
  })

  it("flushOnClose: false discards what is buffered at close, on purpose (not a drop)", async () => {
    const target = new CaptureHandler()
    const memory = new FemtoMemoryHandler(target, { flushOnClose: false })
    const logger = loggerWith(memory)
    logger.debug("noise")
    logger.error("the error")
    logger.debug("more noise")
    await memory.close()
    await target.flush()
    assert.deepStrictEqual(target.messages, ["noise", "the error"])
    assert.strictEqual(memory.getDiscarded(), 1)
    assert.strictEqual(memory.getDropped(), 0)
  })

  it("the target's own policy applies when the buffer is handed on", async () => {
    const target = new CaptureHandler({ capacity: 2, policy: "drop" })
    const memory = new FemtoMemoryHandler(target, { capacity: 100 })
    const logger = loggerWith(memory)
    for (let i = 0; i < 9; i++) logger.debug(`d${i}`)
    logger.error("e")
    await memory.flush()
    assert.strictEqual(target.records.length + target.getDropped(), 10)
    assert.isAbove(target.getDropped(), 0)
    assert.strictEqual(memory.getDropped(), 0)
    const blocking = new CaptureHandler({ capacity: 2, policy: "block" })
    memory.setTarget(blocking)
    for (let i = 0; i < 9; i++) logger.debug(`d${i}`)
    logger.error("e")
    await memory.flush()
    assert.strictEqual(blocking.records.length, 10)
    await memory.close()
  })

  it("without a target it buffers, and a full buffer drops its oldest records (counted)", async () => {
    const memory = new FemtoMemoryHandler(null, { capacity: 2 })
    const logger = loggerWith(memory)
    for (let i = 0; i < 5; i++) logger.debug(`d${i}`)
    logger.error("e")
    await memory.flush()
    assert.strictEqual(memory.getDropped(), 4)
    assert.strictEqual(memory.buffered, 2)
    const target = new CaptureHandler()
    memory.setTarget(target)
    await memory.flush()
    assert.deepStrictEqual(target.messages, ["d4", "e"])
    await memory.close()
  })

  it("options are checked; a target must be a femtologging handler and no cycle of memory handlers", () => {
    const thrown = (f: () => unknown): unknown => {
      try {
        f()
      } catch (error) {
        return error
      }
      return undefined
    }
    const capacity = thrown(() => new FemtoMemoryHandler(null, { capacity: 0 }))
    assert.instanceOf(capacity, HandlerConfigError)
    assert.strictEqual((capacity as HandlerConfigError).field, "capacity")
    const level = thrown(() => new FemtoMemoryHandler(null, { flushLevel: "LOUD" }))
    assert.strictEqual((level as HandlerConfigError).message, "flushLevel: invalid log level: LOUD")
    const flag = thrown(() => new FemtoMemoryHandler(null, { flushOnClose: "yes" as unknown as boolean }))
    assert.strictEqual((flag as HandlerConfigError).field, "flushOnClose")
    const unknown = thrown(() => new FemtoMemoryHandler(null, { target: "file" } as never))
    assert.strictEqual((unknown as HandlerConfigError).message, "unknown option 'target' for MemoryHandler")
    const notHandler = thrown(() => new FemtoMemoryHandler({ write() {} } as never))
    assert.strictEqual((notHandler as HandlerConfigError).field, "target")
    const a = new FemtoMemoryHandler(null)
    const b = new FemtoMemoryHandler(a)
    const cycle = thrown(() => a.setTarget(b))
    assert.strictEqual((cycle as HandlerConfigError).message, "a memory handler cannot be its own target")
    assert.strictEqual(new FemtoMemoryHandler(null, { class: "femtologging.MemoryHandler" }).capacity, 1024)
  })

  it.effect("MemoryHandler.make: closing the scope hands the buffer to the target before the target closes", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "scoped.log")
      yield* Effect.gen(function*() {
        const target = yield* FileHandler.make(file)
        const memory = yield* MemoryHandler.make(target, { capacity: 50 })
        const logger = yield* Manager.getLogger("memory.scoped")
        logger.setLevel("DEBUG")
        logger.addHandler(memory)
        yield* Logger.debug(logger, "buffered")
        yield* Logger.info(logger, "buffered too")
        assert.isTrue(yield* Handler.flush(memory))
        assert.deepStrictEqual(readLines(file), ["memory.scoped [DEBUG] buffered", "memory.scoped [INFO] buffered too"])
        yield* Logger.debug(logger, "at close")
      }).pipe(Effect.scoped, Effect.provide(Manager.layerIsolated()))
      assert.deepStrictEqual(readLines(file), [
        "memory.scoped [DEBUG] buffered",
        "memory.scoped [INFO] buffered too",
        "memory.scoped [DEBUG] at close"
      ])
    }))
})

describe.concurrent("FemtoMemoryHandler at the end of the process (child processes; nothing calls close)", () => {
  const all = ["step 0", "step 1", "step 2", "step 3", "step 4", "step 5 failed", "step 6", "step 7", "step 8"]
  const expected = all.map((m) => `job [${m.endsWith("failed") ? "ERROR" : "DEBUG"}] ${m}`)

  const run = async (mode: string, executor = "inline", flushOnClose = "true") => {
    const file = path.join(tempDir(), `exit-${mode}-${executor}.log`)
    const result = await runFixture("issue11/memory-exit.mjs", { args: [file, mode, executor, flushOnClose] })
    return { result, lines: readLines(file) }
  }

  it("a script that just ends writes the buffer (flushOnClose)", async () => {
    const { result, lines } = await run("normal")
    assert.strictEqual(result.code, 0)
    assert.deepStrictEqual(lines, expected)
  })

  it("process.exit(3) writes the buffer and keeps the exit code", async () => {
    const { result, lines } = await run("exit")
    assert.strictEqual(result.code, 3)
    assert.deepStrictEqual(lines, expected)
  })

  it("an uncaught exception writes the buffer", async () => {
    const { result, lines } = await run("throw")
    assert.strictEqual(result.code, 1)
    assert.match(result.stderr, /Error: crash/)
    assert.deepStrictEqual(lines, expected)
  })

  it("SIGTERM writes the buffer and the process still ends by the signal", async () => {
    const { result, lines } = await run("SIGTERM")
    assert.strictEqual(result.signal, "SIGTERM")
    assert.deepStrictEqual(lines, expected)
  })

  it("a target on a worker thread made before the memory handler is drained after it", async () => {
    const { result, lines } = await run("exit", "worker")
    assert.strictEqual(result.code, 3)
    assert.deepStrictEqual(lines, expected)
    const signalled = await run("SIGTERM", "worker")
    assert.strictEqual(signalled.result.signal, "SIGTERM")
    assert.deepStrictEqual(signalled.lines, expected)
  })

  it("a target set later with setTarget is written too", async () => {
    const { result, lines } = await run("late")
    assert.strictEqual(result.code, 0)
    assert.deepStrictEqual(lines, expected)
  })

  it("flushOnClose: false writes only the error and what led to it", async () => {
    const { result, lines } = await run("exit", "inline", "false")
    assert.strictEqual(result.code, 3)
    assert.deepStrictEqual(lines, expected.slice(0, 6))
  })
})
