/**
 * Acceptance tests of the execution design: sinks on worker threads behind a bounded hand-off,
 * each handler's policy at its own boundary, one process-wide manager, defaults that lose
 * nothing. Real worker threads, real files, real child processes.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/testing/TestClock"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { threadId } from "node:worker_threads"
import { drainAll, getLogger, getQueuedBytes, resetManager, setMaxQueuedBytes } from "../src/Facade.ts"
import { FemtoFileHandler } from "../src/FileHandler.ts"
import * as FileHandler from "../src/FileHandler.ts"
import { HandlerIOError } from "../src/Handler.ts"
import { FemtoRotatingFileHandler } from "../src/RotatingFileHandler.ts"
import * as Logger from "../src/Logger.ts"
import * as Manager from "../src/Manager.ts"
import { CaptureHandler } from "../src/Testing.ts"
import { FemtoWorkerHandler, type WorkerHandlerOptions } from "../src/WorkerHandler.ts"
import { fixturesDir, repoRoot, runFixture, runModule } from "./utils/child.ts"
import { configError } from "./utils/errors.ts"
import { readLines, removeTempDirs, tempDir } from "./utils/files.ts"

afterAll(() => removeTempDirs())

const sinkModule = (name: string) => path.join(fixturesDir, "acceptance", name)
const expected = (n: number, prefix = "") => Array.from({ length: n }, (_, i) => `${prefix}r${i}`)

describe("Execution: custom sink modules on worker threads", () => {
  it("block, capacity 64, 1 ms per batch: 20,000 records from a synchronous loop, none dropped, in order, on another thread", async () => {
    resetManager()
    const file = path.join(tempDir(), "slow.log")
    const handler = new FemtoWorkerHandler({
      module: sinkModule("slow-sink.mjs"),
      options: { path: file },
      policy: "block",
      capacity: 64,
      formatter: (r) => r.message
    })
    const logger = getLogger("exec.slow")
    logger.addHandler(handler)
    for (let i = 0; i < 20_000; i++) logger.info(`r${i}`)
    assert.strictEqual(handler.getDropped(), 0)
    await handler.close()
    assert.deepStrictEqual(readLines(file), expected(20_000))
    assert.strictEqual(handler.getDropped(), 0)
    const thread = Number(fs.readFileSync(`${file}.thread`, "utf8"))
    assert.notStrictEqual(thread, threadId)
    assert.isAbove(thread, 0)
  }, 60_000)

  it("a hand-off of 256 KiB (the socket handler's) gets batches that fit in it whole (none copied aside and streamed), every record in order", async () => {
    resetManager()
    const dir = tempDir()
    const file = path.join(dir, "small.log")
    const batchFile = path.join(dir, "batches")
    const handler = new FemtoWorkerHandler({
      module: path.join(fixturesDir, "sinks", "file.mjs"),
      options: { path: file, batchFile },
      bufferBytes: 256 * 1024,
      formatter: (r) => r.message
    })
    const logger = getLogger("exec.small")
    logger.addHandler(handler)
    const pad = "x".repeat(1_000)
    for (let i = 0; i < 5_000; i++) logger.info(`r${i} ${pad}`)
    await handler.close()
    assert.deepStrictEqual(readLines(file), expected(5_000).map((r) => `${r} ${pad}`))
    const sizes = readLines(batchFile).map((line) => Number(line.split(" ")[0]))
    assert.isAtMost(Math.max(...sizes), 256 * 1024, "a batch larger than the hand-off")
  }, 60_000)

  it("a drop handler over that slow sink beside a block file handler: the file gets all 20,000, the drop handler writes + counts exactly 20,000", async () => {
    resetManager()
    const dir = tempDir()
    const slow = new FemtoWorkerHandler({
      module: sinkModule("slow-sink.mjs"),
      options: { path: path.join(dir, "slow.log") },
      policy: "drop",
      capacity: 64,
      bufferBytes: 64 * 1024,
      formatter: (r) => r.message
    })
    const file = new FemtoFileHandler(path.join(dir, "all.log"), { policy: "block", capacity: 64, formatter: (r) => r.message })
    const logger = getLogger("exec.siblings")
    logger.addHandler(slow)
    logger.addHandler(file)
    for (let i = 0; i < 20_000; i++) logger.info(`r${i}`)
    await Promise.all([slow.close(), file.close()])
    assert.deepStrictEqual(readLines(path.join(dir, "all.log")), expected(20_000))
    assert.strictEqual(file.getDropped(), 0)
    const written = readLines(path.join(dir, "slow.log"))
    assert.isAbove(slow.getDropped(), 0)
    assert.strictEqual(written.length + slow.getDropped(), 20_000)
    // What the drop handler wrote is in order, with gaps only.
    const numbers = written.map((line) => Number(line.slice(1)))
    for (let i = 1; i < numbers.length; i++) assert.isAbove(numbers[i]!, numbers[i - 1]!)
  }, 60_000)

  it("timeout:50 over a stalled sink: the caller is held about 50 ms once; until the queue moves again later records are refused at once", async () => {
    resetManager()
    const handler = new FemtoWorkerHandler({
      module: sinkModule("stalled-sink.mjs"),
      policy: "timeout:50",
      capacity: 4,
      bufferBytes: 4096,
      formatter: (r) => r.message
    })
    const logger = getLogger("exec.stalled")
    logger.addHandler(handler)
    // Fill the queue and the hand-off: 4096 bytes of hand-off hold about 90 of these records.
    let refusedAt = -1
    let heldFirst = 0
    for (let i = 0; i < 400 && refusedAt < 0; i++) {
      const before = handler.getDropped()
      const t0 = performance.now()
      logger.info(`r${i} ${"x".repeat(40)}`)
      if (handler.getDropped() > before) {
        refusedAt = i
        heldFirst = performance.now() - t0
      }
    }
    assert.isAbove(refusedAt, 0, "the stalled hand-off never filled")
    assert.isAtLeast(heldFirst, 45)
    assert.isBelow(heldFirst, 1_000)
    // Each call refused at once: none held ~50 ms again (the longest call, not the sum, so that
    // a busy machine's pauses spread over the 100 calls do not add up).
    let longest = 0
    for (let i = 0; i < 100; i++) {
      const t0 = performance.now()
      logger.info("more")
      longest = Math.max(longest, performance.now() - t0)
    }
    assert.isBelow(longest, 45, "a stalled handler held the caller again before its queue moved")
    await handler.close()
    // Everything accepted and never written is counted when close returns.
    assert.strictEqual(handler.getWritten(), 0)
    assert.strictEqual(handler.getDropped(), refusedAt + 1 + 100)
  }, 30_000)

  it("a sink that ends its worker at record 1,000 of 5,000: the worker is restarted and all 5,000 arrive", async () => {
    resetManager()
    const dir = tempDir()
    const out = path.join(dir, "out.log")
    const handler = new FemtoWorkerHandler({
      module: sinkModule("crash-sink.mjs"),
      options: { path: out, marker: path.join(dir, "crashed"), crashAt: 1000 },
      policy: "block",
      formatter: (r) => r.message
    })
    const logger = getLogger("exec.crash")
    logger.addHandler(handler)
    for (let i = 0; i < 5_000; i++) logger.info(`r${i}`)
    assert.isTrue(await waitForLines(out, 5_000, 20_000))
    await handler.close()
    assert.isTrue(fs.existsSync(path.join(dir, "crashed")))
    const lines = readLines(out)
    assert.deepStrictEqual([...new Set(lines)].sort(), expected(5_000).sort())
    // Lines repeat only across the crash, and the handler counted them.
    assert.isAtMost(lines.length - 5_000, handler.handler.getDuplicates())
    assert.strictEqual(handler.getDropped(), 0)
  }, 60_000)

  it("process.exit() right after 50,000 records to a worker file handler: all 50,000 on disk", async () => {
    const file = path.join(tempDir(), "exit.log")
    const result = await runFixture("acceptance/exit-after.mjs", { args: [file, "50000"], timeoutMs: 30_000 })
    assert.strictEqual(result.code, 0, result.stderr)
    assert.deepStrictEqual(readLines(file), expected(50_000, "exit [INFO] "))
  }, 60_000)
})

describe("Execution: a worker's start-up does not count against flush and close timeouts", () => {
  it("flushTimeoutMs 50, closed right after 1,000 records: all written, none dropped", async () => {
    resetManager()
    const file = path.join(tempDir(), "early.log")
    const handler = new FemtoWorkerHandler({
      module: sinkModule("slow-sink.mjs"),
      options: { path: file, delayMs: 0 },
      flushTimeoutMs: 50,
      formatter: (r) => r.message
    })
    const logger = getLogger("exec.early")
    logger.addHandler(handler)
    for (let i = 0; i < 1_000; i++) logger.info(`r${i}`)
    await handler.close()
    assert.deepStrictEqual(readLines(file), expected(1_000))
    assert.strictEqual(handler.getDropped(), 0)
  }, 30_000)
})

describe("Execution: a worker sink's flush() result, and a pool thread shared by handlers", () => {
  it("a sink module whose flush() says false makes the handler's flush() false; the next one is true again", async () => {
    resetManager()
    const module = path.join(tempDir(), "flush-false.mjs")
    fs.writeFileSync(module, "let flushes = 0\nexport default () => ({ write: () => {}, flush: () => ++flushes !== 1 })\n")
    const handler = new FemtoWorkerHandler({ module, formatter: (r) => r.message })
    handler.handle("app", "INFO", "r0")
    assert.isFalse(await handler.flush())
    handler.handle("app", "INFO", "r1")
    assert.isTrue(await handler.flush())
    await handler.close()
    assert.deepStrictEqual([handler.getWritten(), handler.getDropped()], [2, 0])
  }, 30_000)

  it("closing one handler of a pool leaves the pool's thread to the others: they keep writing", async () => {
    resetManager()
    const dir = tempDir()
    const pool = `shared-${process.pid}-${Date.now()}`
    const [a, b] = ["a", "b"].map((name) =>
      new FemtoFileHandler(path.join(dir, `${name}.log`), { executor: "worker", pool, formatter: (r) => r.message })
    )
    a!.handle("app", "INFO", "a0")
    b!.handle("app", "INFO", "b0")
    assert.isTrue(await b!.flush())
    await a!.close()
    b!.handle("app", "INFO", "b1")
    assert.isTrue(await b!.flush())
    await b!.close()
    assert.deepStrictEqual(readLines(path.join(dir, "a.log")), ["a0"])
    assert.deepStrictEqual(readLines(path.join(dir, "b.log")), ["b0", "b1"])
  }, 30_000)
})

describe("Execution: close() of a worker handler holding buffered records (flushInterval) whose sink cannot open", () => {
  it("returns within its timeouts, the buffered records counted as dropped", async () => {
    resetManager()
    const dir = tempDir()
    const opened = path.join(dir, "opened")
    const module = path.join(dir, "never-opens.mjs")
    fs.writeFileSync(
      module,
      `import * as fs from "node:fs"\nexport default (o) => { fs.writeFileSync(o.opened, ""); throw new Error("cannot open") }\n`
    )
    const handler = new FemtoWorkerHandler({
      module,
      options: { opened },
      flushInterval: 50,
      flushTimeoutMs: 200,
      formatter: (r) => r.message
    })
    const logger = getLogger("exec.never-opens")
    logger.addHandler(handler)
    // Handed over while the thread starts: 10 records wait in the output for 40 more.
    for (let i = 0; i < 10; i++) logger.info(`r${i}`)
    const deadline = Date.now() + 20_000
    while (!fs.existsSync(opened) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    assert.isTrue(fs.existsSync(opened), "the sink's factory never ran")
    await new Promise((r) => setTimeout(r, 200))
    const closed = await Promise.race([
      handler.close().then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), 15_000))
    ])
    assert.isTrue(closed, "close() did not return")
    assert.strictEqual(handler.getWritten(), 0)
    assert.strictEqual(handler.getDropped(), 10)
    assert.strictEqual(handler.handler.getPending(), 0)
  }, 40_000)
})

describe("Execution: a worker sink's failures held back by the rate limit are reported when it closes", () => {
  it("three failed writes within the interval, then a failed close: the first with its stack, the rest in one line at close", async () => {
    const dir = tempDir()
    const module = path.join(dir, "always-fails.mjs")
    fs.writeFileSync(
      module,
      `export default () => ({\n  write() { throw new Error("write failed") },\n  close() { throw new Error("close failed") }\n})\n`
    )
    const result = await runModule(
      `import { FemtoWorkerHandler, getLogger } from "femtologging"
const handler = new FemtoWorkerHandler({ module: ${JSON.stringify(module)}, formatter: (r) => r.message })
const logger = getLogger("fails")
logger.addHandler(handler)
for (let i = 0; i < 3; i++) {
  logger.info("r" + i)
  await handler.flush()
}
await handler.close()
console.log(handler.getWritten(), handler.getDropped())`,
      { timeoutMs: 30_000 }
    )
    assert.strictEqual(result.code, 0, result.stderr)
    assert.strictEqual(result.stdout.trim(), "0 3")
    const reports = result.stderr.split("\n").filter((line) => line.startsWith("femtologging: "))
    assert.match(reports[0]!, /sink write failed: Error: write failed$/)
    assert.include(result.stderr, "sink close failed: close failed (3 failures since the last report)")
  }, 40_000)
})

describe("Execution: waking a worker thread", () => {
  it("a thread that went to sleep after an idle spell is woken by the next record; one polling still finds records logged without a wake", async () => {
    resetManager()
    const file = path.join(tempDir(), "idle.log")
    const handler = new FemtoFileHandler(file, { executor: "worker", flushTimeoutMs: 2_000, formatter: (r) => r.message })
    const logger = getLogger("idle")
    logger.addHandler(handler)
    try {
      logger.info("r0")
      assert.isTrue(await handler.flush())
      // The thread polls for 15 ms after its last frame, then sleeps until the producer notifies it.
      await new Promise((resolve) => setTimeout(resolve, 100))
      logger.info("r1")
      assert.isTrue(await handler.flush(), "the sleeping thread was not woken")
      logger.info("r2") // within the thread's polling spell
      assert.isTrue(await handler.flush())
      assert.deepStrictEqual(readLines(file), expected(3))
    } finally {
      await handler.close()
    }
  })
})

describe("Execution: exit paths drain worker sinks", () => {
  for (const mode of ["throw", "reject", "sigterm"]) {
    it(`${mode === "sigterm" ? "SIGTERM" : mode === "throw" ? "an uncaught exception" : "an unhandled rejection"} right after 20,000 records to a worker file handler: all on disk`, async () => {
      const file = path.join(tempDir(), "end.log")
      const result = await runFixture("acceptance/end-worker.mjs", { args: [file, "20000", mode], timeoutMs: 30_000 })
      if (mode === "sigterm") assert.strictEqual(result.signal, "SIGTERM", result.stderr)
      else assert.strictEqual(result.code, 1, result.stderr)
      assert.deepStrictEqual(readLines(file), expected(20_000, "end [INFO] "))
    }, 60_000)
  }

  it("a second SIGINT while the drain waits for a stalled sink ends the process at once", async () => {
    const child = spawn(process.execPath, [path.join(fixturesDir, "acceptance", "second-sigint.mjs"), sinkModule("stalled-sink.mjs")], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    let sentAt = 0
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk
      if (sentAt === 0 && out.includes("draining")) {
        setTimeout(() => {
          sentAt = performance.now()
          child.kill("SIGINT")
        }, 300)
      }
    })
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on("close", (c, s) => resolve([c, s]))
    )
    assert.strictEqual(signal, "SIGINT", `code ${code}`)
    assert.isAbove(sentAt, 0)
    // The drain alone would have waited for the stalled sink up to its 5 s bound.
    assert.isBelow(performance.now() - sentAt, 1_500)
  }, 30_000)
})

describe("Execution: drainAll() waits for worker threads", () => {
  it("a worker file handler behind on a loop has written every record when drainAll() returns", async () => {
    const dir = tempDir()
    // Rotating every 4 KiB, its thread falls behind: the 64 MiB hand-off holds most records.
    const handler = new FemtoRotatingFileHandler(path.join(dir, "r.log"), {
      executor: "worker",
      bufferBytes: 64 * 1024 * 1024,
      rotation: [4096, 1],
      formatter: (r) => r.message
    })
    const logger = getLogger("drained")
    logger.addHandler(handler)
    const long = "x".repeat(200)
    for (let i = 0; i < 20_000; i++) logger.info(`record ${i} ${long}`)
    drainAll()
    assert.strictEqual(handler.getWritten(), 20_000)
    assert.match(fs.readFileSync(path.join(dir, "r.log"), "utf8"), /record 19999 x+\n$/)
    await handler.close()
  }, 30_000)
})

describe("Execution: drainAll() finishes an inline stream's write to a full pipe", () => {
  it("every record is on the pipe when drainAll() returns, though the reader started late", async () => {
    // 3,000 records of ~300 bytes: each batch is several times what the pipe holds, so the last
    // one is still being written (a retry from a timer) when the queue is empty.
    const source = `
      import { drainAll, FemtoStreamHandler, getLogger } from "femtologging"
      const logger = getLogger("piped")
      logger.addHandler(new FemtoStreamHandler({ target: "stdout", formatter: (r) => r.message }))
      const long = "x".repeat(300)
      for (let i = 0; i < 3000; i++) logger.info("record " + i + " " + long)
      drainAll()
      process.kill(process.pid, "SIGKILL")
    `
    const child = spawn(process.execPath, ["--input-type=module", "-e", source], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"]
    })
    const chunks: Array<Buffer> = []
    const closed = new Promise<NodeJS.Signals | null>((resolve) => child.on("close", (_code, signal) => resolve(signal)))
    child.stderr.resume()
    // The reader starts late: the child fills the pipe and waits for it.
    child.stdout.pause()
    await new Promise((resolve) => setTimeout(resolve, 800))
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk))
    child.stdout.resume()
    assert.strictEqual(await closed, "SIGKILL")
    const lines = Buffer.concat(chunks).toString("utf8").split("\n").filter((l) => l.length > 0)
    assert.strictEqual(lines.length, 3000)
    assert.match(lines.at(-1)!, /^record 2999 x{300}$/)
  }, 30_000)
})

const waitForLines = async (file: string, n: number, timeoutMs: number): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (fs.existsSync(file) && new Set(readLines(file)).size >= n) return true
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return false
}

describe("Execution: defaults that lose nothing", () => {
  it("a default-policy 5,000-record synchronous loop to a file writes 5,000 lines", async () => {
    resetManager()
    const file = path.join(tempDir(), "default.log")
    const handler = new FemtoFileHandler(file)
    const logger = getLogger("exec.default")
    logger.addHandler(handler)
    for (let i = 0; i < 5_000; i++) logger.info(`r${i}`)
    await handler.close()
    assert.deepStrictEqual(readLines(file), expected(5_000, "exec.default [INFO] "))
    assert.strictEqual(handler.getDropped(), 0)
  })

  it.effect("flushInterval 100 with one record: on disk after flushAfterMs (default 1000 ms), not before", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "tail.log")
      const manager = yield* Manager.make()
      const handler = yield* FileHandler.make(file, { flushInterval: 100 })
      const logger = manager.getLogger("tail")
      logger.addHandler(handler)
      yield* Logger.info(logger, "one")
      yield* TestClock.adjust("999 millis")
      assert.strictEqual(fs.readFileSync(file, "utf8"), "")
      yield* TestClock.adjust("1 millis")
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 10)))
      assert.strictEqual(fs.readFileSync(file, "utf8"), "tail [INFO] one\n")
    }))

  it("a path whose parent cannot be created fails at once with HandlerIOError naming the path", () => {
    const dir = tempDir()
    fs.writeFileSync(path.join(dir, "plain"), "")
    for (const bad of ["/proc/x/y.log", path.join(dir, "plain", "y.log")]) {
      const t0 = performance.now()
      let error: unknown
      try {
        new FemtoFileHandler(bad)
      } catch (e) {
        error = e
      }
      assert.instanceOf(error, HandlerIOError)
      assert.strictEqual((error as HandlerIOError).path, bad)
      assert.isTrue((error as HandlerIOError).message.startsWith(`${bad}: `))
      assert.isBelow(performance.now() - t0, 1_000)
    }
  })
})

describe("Execution: one process-wide manager", () => {
  it("Manager.layer() is the facade's manager: configured with getLogger(), logged from Effect", async () => {
    resetManager()
    const capture = new CaptureHandler()
    getLogger("shared.app").addHandler(capture)
    await Effect.runPromise(Effect.gen(function*() {
      const logger = yield* Manager.getLogger("shared.app")
      yield* Logger.info(logger, "from effect")
    }).pipe(Effect.provide(Manager.layer())))
    assert.isTrue(await capture.flush())
    assert.deepStrictEqual(capture.messages, ["from effect"])
    await capture.close()
  })

  it.effect("Manager.layerIsolated() is independent of the facade's manager", () =>
    Effect.gen(function*() {
      const isolated = yield* Manager.Manager
      assert.notStrictEqual(isolated, Manager.processWide())
      assert.notStrictEqual(isolated.getLogger("x"), getLogger("x"))
    }).pipe(Effect.provide(Manager.layerIsolated())))
})

describe("Execution: memory bounded over all queues together", () => {
  it("records of 1 MiB: a drop handler stops at the byte limit, a block handler makes room; the bytes are released", async () => {
    resetManager()
    setMaxQueuedBytes(10 * 1024 * 1024)
    try {
      const dropping = new CaptureHandler({ policy: "drop" })
      const blocking = new CaptureHandler({ policy: "block" })
      const big = "x".repeat(1024 * 1024) // about 2 MiB as a JavaScript string
      const a = getLogger("mem.drop")
      const b = getLogger("mem.block")
      a.addHandler(dropping)
      b.addHandler(blocking)
      let peak = 0
      for (let i = 0; i < 20; i++) {
        a.info(`${i} ${big}`)
        peak = Math.max(peak, getQueuedBytes())
      }
      assert.isAtMost(peak, 10 * 1024 * 1024)
      assert.isAbove(dropping.getDropped(), 10)
      for (let i = 0; i < 20; i++) {
        b.info(`${i} ${big}`)
        peak = Math.max(peak, getQueuedBytes())
      }
      // The drop handler still holds its share: the block handler, its own queue empty, may take
      // one record beyond the limit, and then makes room by writing.
      assert.isAtMost(peak, 10 * 1024 * 1024 + 2.1 * 1024 * 1024)
      assert.isTrue(await dropping.flush())
      assert.isTrue(await blocking.flush())
      assert.strictEqual(dropping.records.length + dropping.getDropped(), 20)
      assert.strictEqual(blocking.records.length, 20)
      assert.strictEqual(blocking.getDropped(), 0)
      assert.strictEqual(getQueuedBytes(), 0)
      await Promise.all([dropping.close(), blocking.close()])
    } finally {
      setMaxQueuedBytes(64 * 1024 * 1024)
    }
  })

  it("under block a handler's queue holds at most 8 MiB (estimated), the caller writing the rest; drop keeps the process-wide limit", async () => {
    resetManager()
    const big = "x".repeat(1024 * 1024) // about 2 MiB as a JavaScript string
    const peakOf = async (policy: "block" | "drop") => {
      const handler = new CaptureHandler({ policy })
      const logger = getLogger(`mem.${policy}.queue`)
      logger.addHandler(handler)
      let peak = 0
      for (let i = 0; i < 20; i++) {
        logger.info(`${i} ${big}`)
        peak = Math.max(peak, getQueuedBytes())
      }
      assert.isTrue(await handler.flush())
      assert.deepStrictEqual([handler.records.length, handler.getDropped()], [20, 0])
      assert.deepStrictEqual(handler.records.map((r) => Number(r.message.slice(0, 2))), [...Array(20).keys()])
      await handler.close()
      return peak
    }
    assert.isAtMost(await peakOf("block"), 8 * 1024 * 1024)
    // 20 records of ~2 MiB fit the 64 MiB limit: a drop queue takes them all (a burst absorbed).
    assert.isAbove(await peakOf("drop"), 38 * 1024 * 1024)
    assert.strictEqual(getQueuedBytes(), 0)
  })

  it("nested fields and an error's properties count as their strings do", async () => {
    resetManager()
    const handler = new CaptureHandler({ policy: "drop" })
    const logger = getLogger("mem.nested")
    logger.addHandler(handler)
    const big = "y".repeat(512 * 1024) // about 1 MiB as a JavaScript string
    logger.info("top", { body: big })
    const top = getQueuedBytes()
    logger.info("nested", { req: { body: [big] } })
    const nested = getQueuedBytes() - top
    logger.error("error", Object.assign(new Error("e"), { response: { body: big } }))
    const props = getQueuedBytes() - top - nested
    assert.isAbove(top, 1024 * 1024)
    assert.isAbove(nested, 1024 * 1024)
    assert.isAbove(props, 1024 * 1024)
    // A long array: a bounded walk, the rest counted at the mean of what it saw (8 bytes a number).
    const before = getQueuedBytes()
    logger.info("array", { values: Array.from({ length: 1_000_000 }, (_, i) => i) })
    const array = getQueuedBytes() - before
    assert.isAbove(array, 4_000_000)
    assert.isBelow(array, 16_000_000)
    assert.isTrue(await handler.flush())
    assert.strictEqual(getQueuedBytes(), 0)
    await handler.close()
  })

  for (const executor of ["inline", "worker"] as const) {
    it(`the same for a file handler (${executor}): at most 8 MiB queued, every line written`, async () => {
      resetManager()
      const file = path.join(tempDir(), "big.log")
      const handler = new FemtoFileHandler(file, { executor, formatter: (r) => r.message })
      const logger = getLogger(`mem.file.${executor}`)
      logger.addHandler(handler)
      const big = "x".repeat(1024 * 1024)
      let peak = 0
      for (let i = 0; i < 20; i++) {
        logger.info(`${i} ${big}`)
        peak = Math.max(peak, getQueuedBytes())
      }
      await handler.close()
      assert.isAtMost(peak, 8 * 1024 * 1024)
      assert.deepStrictEqual(readLines(file), Array.from({ length: 20 }, (_, i) => `${i} ${big}`))
      assert.strictEqual(getQueuedBytes(), 0)
    }, 30_000)
  }
})

describe("Execution: FemtoWorkerHandler options", () => {
  it("refuses an unknown key, naming it and the kind, and checks the common options with their camelCase names", async () => {
    const module = sinkModule("slow-sink.mjs")
    configError(
      () => new FemtoWorkerHandler({ module, flush_interval: 2 } as unknown as WorkerHandlerOptions),
      "unknown option 'flush_interval' for WorkerHandler",
      "flush_interval"
    )
    configError(() => new FemtoWorkerHandler({ module, flushInterval: 0 }), "flushInterval must be greater than zero", "flushInterval")
    configError(
      () => new FemtoWorkerHandler({ module, executor: "inline" } as unknown as WorkerHandlerOptions),
      "a sink module runs on a worker thread",
      "executor"
    )
    configError(() => new FemtoWorkerHandler({ module, name: 3 } as unknown as WorkerHandlerOptions), "name must be a string (got 3)", "name")
    // A module path (or file: URL) with no file behind it: refused at once, naming where it looked.
    const missing = path.join(tempDir(), "no-such-sink.mjs")
    configError(() => new FemtoWorkerHandler({ module: missing }), `no sink module at ${missing}`, "module")
    configError(() => new FemtoWorkerHandler({ module: pathToFileURL(missing) }), `no sink module at ${missing}`, "module")
    // A file: URL that names no path is refused the same way, not thrown as a TypeError.
    configError(
      () => new FemtoWorkerHandler({ module: "file://elsewhere/sink.mjs" }),
      `no sink module at file://elsewhere/sink.mjs (File URL host must be "localhost" or empty on ${process.platform})`,
      "module"
    )
    // `executor: "worker"` says what it is: accepted.
    const file = path.join(tempDir(), "w.log")
    const handler = new FemtoWorkerHandler({ module, options: { path: file }, executor: "worker" } as WorkerHandlerOptions)
    await handler.close()
  })
})
