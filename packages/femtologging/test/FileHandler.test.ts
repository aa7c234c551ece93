import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/testing/TestClock"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { drainAll, getLogger } from "../src/Facade.ts"
import * as FileHandler from "../src/FileHandler.ts"
import { FemtoFileHandler, FileHandlerBuilder, type FileHandlerOptions, HandlerIOError } from "../src/FileHandler.ts"
import type { Formatter } from "../src/Formatter.ts"
import * as Handler from "../src/Handler.ts"
import { HandlerClosedError, HandlerError, OfferTimeoutError, QueueFullError } from "../src/Handler.ts"
import * as LogRecord from "../src/LogRecord.ts"
import { registry } from "../src/internal/runtime.ts"
import * as OverflowPolicy from "../src/OverflowPolicy.ts"
import type { Sink } from "../src/Sink.ts"
import {
  descriptorsOf,
  firstMismatch,
  readLines,
  readText,
  removeTempDirs,
  spyWriteSync,
  tempDir,
  thrown,
  tick,
  waitUntil
} from "./utils/files.ts"
import { configError } from "./utils/errors.ts"
import { runFixture, runModule } from "./utils/child.ts"
import { assertPlainCamelCase, refusedAlike, type Ways } from "./utils/options.ts"
import { decodeLines, messageOnly } from "./utils/heldSink.ts"
import { trackHandlers } from "./utils/track.ts"

const rec = (message: string) => LogRecord.make({ logger: "app", level: "INFO", message })

const track = trackHandlers()
afterAll(() => removeTempDirs())

const logFile = (name = "app.log") => path.join(tempDir(), name)


/** Every line matches `pattern` (no torn line) and its number grows strictly (no duplicate, in order). */
const assertIncreasing = (lines: ReadonlyArray<string>, pattern: RegExp): void => {
  let previous = -1
  for (const line of lines) {
    const match = pattern.exec(line)
    assert.isNotNull(match, `torn line: ${JSON.stringify(line)}`)
    const n = Number(match![1])
    assert.isAbove(n, previous, "lines out of order or duplicated")
    previous = n
  }
}

const numbered = (prefix: string, n: number): Array<string> => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

describe("FemtoFileHandler: writing", () => {
  it("appends to an existing file, keeping its content; each record is its formatted line + \\n", async () => {
    const file = logFile()
    fs.writeFileSync(file, "existing line\n")
    const h = track(new FemtoFileHandler(file))
    h.handle("app", "INFO", "one")
    h.handleRecord(LogRecord.make({ logger: "db", level: "WARN", message: "two", fields: { n: 1 } }))
    await h.close()
    assert.strictEqual(readText(file), "existing line\napp [INFO] one\ndb [WARN] two n=1\n")
  })

  it("creates missing parent folders", async () => {
    const dir = tempDir()
    const file = path.join(dir, "a", "b", "c", "app.log")
    const h = track(new FemtoFileHandler(file))
    assert.strictEqual(h.path, file)
    assert.isTrue(fs.existsSync(file))
    h.handle("app", "INFO", "deep")
    assert.isTrue(await h.flush())
    assert.strictEqual(readText(file), "app [INFO] deep\n")
  })

  it("writes records from a logger in order", async () => {
    const file = logFile()
    const h = track(new FemtoFileHandler(file))
    const logger = getLogger("file.order")
    logger.addHandler(h)
    for (let i = 0; i < 500; i++) logger.info(`record ${i}`)
    assert.isTrue(await h.flush())
    assert.strictEqual(firstMismatch(readLines(file), numbered("file.order [INFO] record ", 500)), undefined)
  })
})

describe("FemtoFileHandler: flush interval (records, not time)", () => {
  it("flushInterval 1: every record is on disk after one turn of the event loop", async () => {
    const file = logFile()
    const h = track(new FemtoFileHandler(file, { flushInterval: 1 }))
    for (let i = 0; i < 5; i++) h.handle("app", "INFO", `m${i}`)
    await tick()
    assert.deepStrictEqual(readLines(file), numbered("app [INFO] m", 5))
  })

  it("flushInterval 1: records queued together go out in one write(2), not one per record", async () => {
    const file = logFile()
    const h = track(new FemtoFileHandler(file, { flushInterval: 1 }))
    const fds = descriptorsOf(file)
    assert.lengthOf(fds, 1, "the handler holds the file open once")
    let writes = 0
    await spyWriteSync((fd) => {
      if (fd === fds[0]) writes++
    }, async () => {
      for (let i = 0; i < 5; i++) h.handle("app", "INFO", `m${i}`)
      await tick()
    })
    assert.deepStrictEqual(readLines(file), numbered("app [INFO] m", 5))
    assert.strictEqual(writes, 1)
  })

  it("flushInterval 10000: nothing is on disk before close (5 records), everything after", async () => {
    const file = logFile()
    const h = track(new FemtoFileHandler(file, { flushInterval: 10_000 }))
    for (let i = 0; i < 5; i++) h.handle("app", "INFO", `m${i}`)
    for (let i = 0; i < 5; i++) await tick()
    assert.strictEqual(readText(file), "")
    await h.close()
    assert.deepStrictEqual(readLines(file), numbered("app [INFO] m", 5))
  })

  it("flushInterval 2: a batch that reaches 2 is written whole; a record short of 2 waits for flush()", async () => {
    const file = logFile()
    const h = track(new FemtoFileHandler(file, { flushInterval: 2 }))
    // Three records taken together: the buffer reached 2, so the whole batch goes out.
    for (let i = 0; i < 3; i++) h.handle("app", "INFO", `m${i}`)
    await tick()
    assert.deepStrictEqual(readLines(file), numbered("app [INFO] m", 3))
    h.handle("app", "INFO", "m3")
    await tick()
    assert.deepStrictEqual(readLines(file), numbered("app [INFO] m", 3))
    assert.isTrue(await h.flush())
    assert.deepStrictEqual(readLines(file), numbered("app [INFO] m", 4))
  })

  it("flushInterval 2: the count runs across batches", async () => {
    const file = logFile()
    const h = track(new FemtoFileHandler(file, { flushInterval: 2 }))
    h.handle("app", "INFO", "m0")
    await tick()
    assert.deepStrictEqual(readLines(file), [])
    h.handle("app", "INFO", "m1")
    await tick()
    assert.deepStrictEqual(readLines(file), ["app [INFO] m0", "app [INFO] m1"])
  })

  it("flushInterval 2: an explicit flush() restarts the count", async () => {
    const file = logFile()
    const h = track(new FemtoFileHandler(file, { flushInterval: 2 }))
    h.handle("app", "INFO", "m0")
    assert.isTrue(await h.flush())
    assert.deepStrictEqual(readLines(file), ["app [INFO] m0"])
    h.handle("app", "INFO", "m1")
    await tick()
    assert.deepStrictEqual(readLines(file), ["app [INFO] m0"])
    h.handle("app", "INFO", "m2")
    await tick()
    assert.deepStrictEqual(readLines(file), numbered("app [INFO] m", 3))
  })

  it("flushAfterMs writes buffered records without flush()", async () => {
    const file = logFile()
    const h = track(new FemtoFileHandler(file, { flushInterval: 10_000, flushAfterMs: 20 }))
    for (let i = 0; i < 3; i++) h.handle("app", "INFO", `m${i}`)
    await tick()
    assert.strictEqual(readText(file), "")
    assert.isTrue(await waitUntil(() => readLines(file).length === 3, 2_000))
    assert.deepStrictEqual(readLines(file), numbered("app [INFO] m", 3))
  })

  it("drainAll() writes, synchronously, the records a flushInterval buffers", async () => {
    const file = logFile()
    const h = track(new FemtoFileHandler(file, { flushInterval: 10_000 }))
    for (let i = 0; i < 3; i++) h.handle("app", "INFO", `m${i}`)
    await tick()
    assert.strictEqual(readText(file), "")
    drainAll()
    assert.deepStrictEqual(readLines(file), numbered("app [INFO] m", 3))
  })

  it("flushAfterMs writes every later group of buffered records too, not only the first", async () => {
    const file = logFile()
    const h = track(new FemtoFileHandler(file, { flushInterval: 10_000, flushAfterMs: 20 }))
    for (let group = 1; group <= 3; group++) {
      h.handle("app", "INFO", `m${group}`)
      assert.isTrue(await waitUntil(() => readLines(file).length === group, 2_000), `group ${group} not written`)
    }
    assert.deepStrictEqual(readLines(file), ["app [INFO] m1", "app [INFO] m2", "app [INFO] m3"])
  })
})

describe("FemtoFileHandler: the output buffer (pending records, more than 1,024 ends, multi-byte lines)", () => {
  it("records buffered for flushInterval are pending (accepted, neither written nor dropped) until written", async () => {
    const file = logFile()
    const h = track(new FemtoFileHandler(file, { flushInterval: 10 }))
    for (let i = 0; i < 3; i++) h.handle("app", "INFO", `m${i}`)
    await tick()
    assert.strictEqual(readText(file), "")
    assert.deepStrictEqual([h.handler.getPending(), h.getWritten(), h.getDropped()], [3, 0, 0])
    assert.isTrue(await h.flush())
    assert.deepStrictEqual([h.handler.getPending(), h.getWritten(), h.getDropped()], [0, 3, 0])
  })

  it("a batch of more than 1,024 records (the output's first record ends) reaches the sink with every record's end", async () => {
    const records: Array<string> = []
    const sink: Sink = {
      write: (bytes, ends) => {
        for (let i = 0, start = 0; i < ends.length; start = ends[i++]!) {
          records.push(Buffer.from(bytes.subarray(start, ends[i]!)).toString("utf8"))
        }
      }
    }
    const h = track(Handler.makeUnsafe({ label: "ends", target: { _tag: "Sink", sink }, capacity: 4096, formatter: (r) => r.message }))
    for (let i = 0; i < 3_000; i++) Handler.handleUnsafe(h, rec(`m${i}`))
    assert.isTrue(await Effect.runPromise(Handler.flush(h)))
    assert.deepStrictEqual(records, numbered("m", 3_000).map((m) => `${m}\n`))
  })

  it("more than 1 MiB buffered is written without waiting for flushInterval records", async () => {
    const file = logFile()
    const h = track(new FemtoFileHandler(file, { flushInterval: 10_000, flushAfterMs: 60_000, formatter: (r) => r.message }))
    const big = (c: string) => c.repeat(400_000)
    for (const c of ["a", "b", "c"]) h.handle("app", "INFO", big(c))
    await tick()
    assert.deepStrictEqual(readLines(file), ["a", "b", "c"].map(big))
  })

  it("a frame of exactly maxFrameSize bytes is sent; one byte more is dropped and counted", async () => {
    const frames: Array<number> = []
    const sink: Sink = {
      write: (_bytes, ends) => {
        for (let i = 0, start = 0; i < ends.length; start = ends[i++]!) frames.push(ends[i]! - start)
      }
    }
    const h = track(Handler.makeUnsafe({
      label: "frames",
      target: { _tag: "Sink", sink },
      encoding: { _tag: "Frames", encode: (r) => new Uint8Array(Number(r.message)), maxFrameSize: 16 }
    }))
    for (const size of ["16", "17", "15"]) Handler.handleUnsafe(h, rec(size))
    assert.isTrue(await Effect.runPromise(Handler.flush(h)))
    // Each frame is its 4-byte length, then the payload.
    assert.deepStrictEqual(frames, [4 + 16, 4 + 15])
    assert.deepStrictEqual([h.getWritten(), h.getDropped()], [2, 1])
  })

  it("a formatter's line of 3-byte characters, larger than the output's buffer, is written whole", async () => {
    const file = logFile()
    const h = track(new FemtoFileHandler(file, { formatter: (r) => r.message }))
    const line = "\u20ac".repeat(40_000) // 120,000 bytes of UTF-8 from 40,000 characters
    h.handle("app", "INFO", line)
    assert.isTrue(await h.flush())
    assert.strictEqual(readText(file), `${line}\n`)
  })
})

describe("FemtoFileHandler: reopen", () => {
  it.each(["inline", "worker"] as const)("after an external rename (logrotate), queued records go to the old file, later ones to a new one (%s)", async (executor) => {
    const file = logFile()
    const rotated = `${file}.1`
    const h = track(new FemtoFileHandler(file, { executor }))
    h.handle("app", "INFO", "a")
    assert.isTrue(await h.flush())
    fs.renameSync(file, rotated)
    h.handle("app", "INFO", "b")
    h.reopen()
    assert.isTrue(fs.existsSync(file))
    h.handle("app", "INFO", "c")
    await h.close()
    assert.strictEqual(readText(rotated), "app [INFO] a\napp [INFO] b\n")
    assert.strictEqual(readText(file), "app [INFO] c\n")
  })

  it("on a worker: the thread reopens after a backlog it was handed, and a path it cannot open throws HandlerIOError with the system's reason; it keeps the old file", async () => {
    const dir = tempDir()
    const logs = path.join(dir, "logs")
    const file = path.join(logs, "app.log")
    // reopen() waits for the thread at most flushTimeoutMs: ample here, so a loaded machine does
    // not turn the wait into "not yet" (no throw).
    const h = track(new FemtoFileHandler(file, { executor: "worker", flushTimeoutMs: 20_000 }))
    assert.isTrue(await h.flush())
    for (let i = 0; i < 5_000; i++) h.handle("app", "INFO", `a${i}`)
    fs.renameSync(logs, `${logs}.old`)
    fs.writeFileSync(logs, "not a folder")
    const error = thrown(() => h.reopen())
    assert.instanceOf(error, HandlerIOError)
    assert.strictEqual((error as HandlerIOError).path, file)
    assert.strictEqual((error as HandlerIOError).reason, `${logs} is not a directory`)
    h.handle("app", "INFO", "after")
    assert.isTrue(await h.flush())
    await h.close()
    const lines = readLines(path.join(`${logs}.old`, "app.log"))
    assert.strictEqual(lines.length, 5_001)
    assert.strictEqual(lines.at(-1), "app [INFO] after")
    assert.strictEqual(readText(logs), "not a folder")
  })

  it("on a worker, from an exit listener of the app's: HandlerIOError saying the exit drain closed it (it said only 'closed')", async () => {
    const result = await runModule(`
      import * as fs from "node:fs"
      import * as path from "node:path"
      import { FemtoFileHandler } from "femtologging"
      const h = new FemtoFileHandler(path.join(fs.mkdtempSync("/tmp/exit-reopen-"), "a.log"), { executor: "worker" })
      await h.flush()
      process.on("exit", () => {
        try { h.reopen(); process.stdout.write("no error") } catch (e) { process.stdout.write(e._tag + ": " + e.reason) }
      })
    `)
    assert.strictEqual(result.stdout, "HandlerIOError: the process is exiting: the exit drain closed the handler")
  })

  it("on a worker, after close(): HandlerIOError, the handler is closed", async () => {
    const file = logFile()
    const h = track(new FemtoFileHandler(file, { executor: "worker" }))
    await h.close()
    const error = thrown(() => h.reopen())
    assert.instanceOf(error, HandlerIOError)
    assert.strictEqual((error as HandlerIOError).reason, "the handler is closed")
  })
})

describe("FemtoFileHandler: open failures", () => {
  it("a path that is a directory fails with HandlerIOError whose message starts with the path", () => {
    const dir = tempDir()
    const error = thrown(() => new FemtoFileHandler(dir))
    assert.instanceOf(error, HandlerIOError)
    assert.strictEqual((error as HandlerIOError)._tag, "HandlerIOError")
    assert.strictEqual((error as HandlerIOError).path, dir)
    assert.isTrue((error as HandlerIOError).message.startsWith(`${dir}: `), (error as HandlerIOError).message)
  })

  it.each(["inline", "worker"] as const)("a FIFO that no process reads fails with HandlerIOError, without waiting for a reader (%s)", (executor) => {
    const fifo = path.join(tempDir(), "pipe")
    execFileSync("mkfifo", [fifo])
    const error = thrown(() => new FemtoFileHandler(fifo, { executor }))
    assert.instanceOf(error, HandlerIOError)
    assert.strictEqual((error as HandlerIOError).message, `${fifo}: a FIFO (named pipe) that no process has open for reading`)
  })

  it("a Unix socket fails with HandlerIOError saying what open said, not that it is a FIFO", async () => {
    const socket = path.join(tempDir(), "s.sock")
    const server = net.createServer().listen(socket)
    await new Promise((resolve) => server.once("listening", resolve))
    try {
      const error = thrown(() => new FemtoFileHandler(socket))
      assert.instanceOf(error, HandlerIOError)
      assert.strictEqual((error as HandlerIOError).message, `${socket}: ENXIO: no such device or address, open '${socket}'`)
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it("a FIFO that a process reads is written to", async () => {
    const fifo = path.join(tempDir(), "pipe")
    execFileSync("mkfifo", [fifo])
    const read = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
    const h = new FemtoFileHandler(fifo)
    h.handle("app", "INFO", "through the pipe")
    await h.close()
    const buffer = Buffer.alloc(100)
    const n = fs.readSync(read, buffer, 0, 100, null)
    fs.closeSync(read)
    assert.strictEqual(buffer.toString("utf8", 0, n), "app [INFO] through the pipe\n")
  })

  it("a FIFO read by a process that ends at its end of file is opened without leaving it writerless", async () => {
    // 30 rounds: opening the FIFO without a reader waiting, then closing that descriptor before the
    // usual open, let `cat` see an end of file about one time in five, and the open then hung.
    const result = await runFixture("fifo-reader-eof.mjs", { args: [tempDir(), "inline"], timeoutMs: 30_000 })
    assert.strictEqual(result.code, 0, result.stderr)
    assert.match(result.stdout, /^ok 30$/m)
  }, 40_000)

  it("a FIFO read by a process that ends at its end of file, on a worker: the check keeps it open until the thread has", async () => {
    // The main thread's check opened the FIFO and closed it before the worker opened it: `cat`
    // saw the end of file and ended, the worker found nobody reading, and every record was lost.
    const result = await runFixture("fifo-reader-eof.mjs", { args: [tempDir(), "worker", "5"], timeoutMs: 30_000 })
    assert.strictEqual(result.code, 0, result.stderr)
    assert.match(result.stdout, /^ok 5$/m)
  }, 40_000)

  it("a parent that is a file fails with HandlerIOError whose message starts with the path", () => {
    const parent = path.join(tempDir(), "not-a-dir")
    fs.writeFileSync(parent, "")
    const file = path.join(parent, "app.log")
    const error = thrown(() => new FemtoFileHandler(file))
    assert.instanceOf(error, HandlerIOError)
    assert.isTrue((error as HandlerIOError).message.startsWith(`${file}: `), (error as HandlerIOError).message)
  })

  it.effect("FileHandler.make fails with HandlerIOError", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const error = yield* Effect.flip(FileHandler.make(dir))
      assert.instanceOf(error, HandlerIOError)
      assert.isTrue(error.message.startsWith(`${dir}: `), error.message)
    }))
})

describe("FemtoFileHandler: validation", () => {
  it("refuses bad options with exact messages", () => {
    const file = logFile()
    configError(() => new FemtoFileHandler(file, { capacity: 0 }), "capacity must be greater than zero", "capacity")
    configError(
      () => new FemtoFileHandler(file, { policy: "x" }),
      "invalid overflow policy: 'x'. Valid options are: drop, block, timeout:N"
    )
    configError(() => new FemtoFileHandler(file, { policy: "timeout:0" }), "timeout must be greater than zero")
    configError(
      () => new FemtoFileHandler(file, { flushInterval: 0 }),
      "flushInterval must be greater than zero",
      "flushInterval"
    )
    configError(() => OverflowPolicy.timeout(0), "timeout must be greater than zero")
  })

  it("accepts policy strings trimmed and case-insensitive", () => {
    const file = logFile()
    assert.deepStrictEqual(track(new FemtoFileHandler(file, { policy: " Drop " })).policy, { _tag: "Drop" })
    assert.deepStrictEqual(track(new FemtoFileHandler(file, { policy: "timeout:250" })).policy, {
      _tag: "Timeout",
      ms: 250
    })
    assert.deepStrictEqual(track(new FemtoFileHandler(file, { policy: "BLOCK" })).policy, { _tag: "Block" })
    // The default loses nothing: block.
    assert.deepStrictEqual(track(new FemtoFileHandler(file)).policy, { _tag: "Block" })
  })
})

describe("FileHandlerBuilder", () => {
  const upper: Formatter = (r) => `${r.logger.toUpperCase()}|${r.level}|${r.message}`

  it("asDict reports the options set, under the constructor's names, with class and filename", () => {
    const file = logFile()
    assert.deepStrictEqual(new FileHandlerBuilder(file).asDict(), { class: "femtologging.FileHandler", filename: file })
    assert.deepStrictEqual(
      new FileHandlerBuilder(file)
        .withCapacity(8)
        .withFlushAfterRecords(3)
        .withOverflowPolicy(OverflowPolicy.timeout(250))
        .withFormatter(upper)
        .asDict(),
      {
        class: "femtologging.FileHandler",
        filename: file,
        capacity: 8,
        flushInterval: 3,
        policy: "timeout:250"
      }
    )
    assert.deepStrictEqual(
      new FileHandlerBuilder(file).withOverflowPolicy(OverflowPolicy.block()).withFormatter("default").asDict(),
      { class: "femtologging.FileHandler", filename: file, formatter: "default", policy: "block" }
    )
    assert.deepStrictEqual(new FileHandlerBuilder(file).withOverflowPolicy(OverflowPolicy.drop()).asDict(), {
      class: "femtologging.FileHandler",
      filename: file,
      policy: "drop"
    })
    assert.deepStrictEqual(new FileHandlerBuilder(file).onWorkerThread().asDict(), {
      class: "femtologging.FileHandler",
      filename: file,
      executor: "worker"
    })
  })

  it("build() makes a handler with those options", async () => {
    const file = logFile()
    const h = track(
      new FileHandlerBuilder(file)
        .withCapacity(8)
        .withFlushAfterRecords(3)
        .withOverflowPolicy(OverflowPolicy.timeout(250))
        .withFormatter(upper)
        .build()
    )
    assert.instanceOf(h, FemtoFileHandler)
    assert.strictEqual(h.path, file)
    assert.deepStrictEqual(h.policy, { _tag: "Timeout", ms: 250 })
    h.handle("app", "INFO", "m0")
    h.handle("app", "INFO", "m1")
    await tick()
    assert.strictEqual(readText(file), "")
    h.handle("app", "INFO", "m2")
    await tick()
    assert.strictEqual(readText(file), "APP|INFO|m0\nAPP|INFO|m1\nAPP|INFO|m2\n")
  })

  it("refuses bad values with exact messages", () => {
    const file = logFile()
    configError(
      () => new FileHandlerBuilder(file).withFlushAfterRecords(0),
      "flushInterval must be greater than zero",
      "flushInterval"
    )
    configError(() => new FileHandlerBuilder(file).withCapacity(0).build(), "capacity must be greater than zero")
    configError(
      () => new FileHandlerBuilder(file).withOverflowPolicy("x"),
      "invalid overflow policy: 'x'. Valid options are: drop, block, timeout:N"
    )
    configError(
      () => new FileHandlerBuilder(file).withOverflowPolicy(OverflowPolicy.timeout(0)),
      "timeout must be greater than zero"
    )
  })

  it.effect("make() builds the handler in the current scope", () =>
    Effect.gen(function*() {
      const file = logFile()
      const h = yield* new FileHandlerBuilder(file).withOverflowPolicy(OverflowPolicy.block()).make()
      assert.instanceOf(h, FemtoFileHandler)
      yield* Handler.handle(h, rec("scoped"))
      assert.isTrue(yield* Handler.flush(h))
      assert.strictEqual(readText(file), "app [INFO] scoped\n")
    }))
})

describe("FemtoFileHandler: overflow policies from the Effect face (capacity 1)", () => {
  it.effect("drop: the second offer fails with `queue full` and is counted; the first is written", () =>
    Effect.gen(function*() {
      const file = logFile()
      const h = yield* FileHandler.make(file, { capacity: 1, policy: "drop" })
      yield* Handler.handle(h, rec("r1"))
      const error = yield* Effect.flip(Handler.handle(h, rec("r2")))
      assert.instanceOf(error, HandlerError)
      assert.instanceOf(error.reason, QueueFullError)
      assert.strictEqual(error.message, "queue full")
      assert.strictEqual(h.getDropped(), 1)
      assert.isTrue(yield* Handler.flush(h))
      assert.strictEqual(readText(file), "app [INFO] r1\n")
    }))

  it.effect("block: the offering fibers suspend until the worker makes room; all are written in order", () =>
    Effect.gen(function*() {
      const file = logFile()
      const h = yield* FileHandler.make(file, { capacity: 1, policy: "block" })
      yield* Handler.handle(h, rec("r1"))
      const f2 = yield* Effect.forkChild(Handler.handle(h, rec("r2")), { startImmediately: true })
      const f3 = yield* Effect.forkChild(Handler.handle(h, rec("r3")), { startImmediately: true })
      assert.strictEqual(f2.pollUnsafe(), undefined)
      assert.strictEqual(f3.pollUnsafe(), undefined)
      assert.strictEqual(readText(file), "")
      yield* Fiber.join(f2)
      yield* Fiber.join(f3)
      assert.isTrue(yield* Handler.flush(h))
      assert.strictEqual(readText(file), "app [INFO] r1\napp [INFO] r2\napp [INFO] r3\n")
      assert.strictEqual(h.getDropped(), 0)
    }))

  it.effect("timeout: an offer that gets room before N ms succeeds", () =>
    Effect.gen(function*() {
      const file = logFile()
      const h = yield* FileHandler.make(file, { capacity: 1, policy: "timeout:50" })
      yield* Handler.handle(h, rec("r1"))
      const f2 = yield* Effect.forkChild(Handler.handle(h, rec("r2")), { startImmediately: true })
      assert.strictEqual(f2.pollUnsafe(), undefined)
      yield* Fiber.join(f2)
      assert.isTrue(yield* Handler.flush(h))
      assert.strictEqual(readText(file), "app [INFO] r1\napp [INFO] r2\n")
      assert.strictEqual(h.getDropped(), 0)
    }))

  it.effect("timeout (same Handler code over a held asynchronous sink: a synchronous file sink cannot be held): the third offer fails `timed out after 50 ms`; queued ones written on release", () =>
    Effect.gen(function*() {
      const file = logFile()
      const gate = yield* Deferred.make<void>()
      const started = yield* Deferred.make<void>()
      const sink: Sink = {
        write: (batch) => {
          const lines = decodeLines(batch)
          return Effect.runPromise(Effect.gen(function*() {
            yield* Effect.promise(() => Promise.resolve())
            yield* Deferred.succeed(started, undefined)
            yield* Deferred.await(gate)
            fs.appendFileSync(file, lines.map((line) => `${line}\n`).join(""))
          }))
        }
      }
      const h = yield* Handler.make({
        label: "held",
        target: { _tag: "Sink", sink },
        formatter: messageOnly,
        capacity: 1,
        policy: OverflowPolicy.timeout(50)
      })
      yield* Handler.handle(h, rec("r1"))
      yield* Deferred.await(started)
      yield* Handler.handle(h, rec("r2"))
      const f3 = yield* Effect.forkChild(Effect.flip(Handler.handle(h, rec("r3"))), { startImmediately: true })
      yield* TestClock.adjust(49)
      assert.strictEqual(f3.pollUnsafe(), undefined)
      yield* TestClock.adjust(1)
      const error = yield* Fiber.join(f3)
      assert.instanceOf(error, HandlerError)
      assert.instanceOf(error.reason, OfferTimeoutError)
      assert.strictEqual(error.message, "timed out after 50 ms")
      assert.strictEqual(h.getDropped(), 1)
      assert.strictEqual(readText(file), undefined)
      yield* Deferred.succeed(gate, undefined)
      assert.isTrue(yield* Handler.flush(h))
      assert.strictEqual(readText(file), "r1\nr2\n")
    }))
})

describe("FemtoFileHandler: the facade under load", () => {
  const loadTest = (policy: string) => async () => {
    const file = logFile()
    const name = `file.load.${policy.replace(":", "-")}`
    const logger = getLogger(name)
    logger.setCapacity(8)
    const h = track(new FemtoFileHandler(file, { capacity: 8, policy }))
    logger.addHandler(h)
    for (let i = 0; i < 100_000; i++) logger.info(`record ${i}`)
    // The caller was held back: all but the handler queue's contents are on disk already (the
    // logger holds nothing).
    assert.isAtLeast(readLines(file).length, 100_000 - 8)
    await h.close()
    assert.strictEqual(logger.getDropped(), 0)
    assert.strictEqual(h.getDropped(), 0)
    assert.strictEqual(firstMismatch(readLines(file), numbered(`${name} [INFO] record `, 100_000)), undefined)
  }

  it("block, capacity 8: 100,000 records from a plain loop, zero drops, all in order", loadTest("block"))

  it("timeout:1000, capacity 8: 100,000 records from a plain loop, zero drops, all in order", loadTest("timeout:1000"))

  it("drop: lines + handler drops === 10,000, the logger drops nothing, no torn or duplicated lines", async () => {
    const file = logFile()
    const logger = getLogger("file.drops")
    logger.setCapacity(16)
    const h = track(new FemtoFileHandler(file, { capacity: 4, policy: "drop" }))
    logger.addHandler(h)
    for (let i = 0; i < 10_000; i++) {
      logger.info(`record ${i}`)
      if (i % 100 === 99) await tick()
    }
    await h.close()
    const lines = readLines(file)
    assert.strictEqual(lines.length + h.getDropped(), 10_000)
    assert.isAbove(lines.length, 0)
    assert.isAbove(h.getDropped(), 0)
    // The policy is the handler's: the logger hands every record on.
    assert.strictEqual(logger.getDropped(), 0)
    assertIncreasing(lines, /^file\.drops \[INFO\] record (\d+)$/)
  })

  it("each handler's policy at its own queue: beside a block handler, a drop handler neither holds nor is drained by the caller", async () => {
    const blockFile = logFile("block.log")
    const dropFile = logFile("drop.log")
    const logger = getLogger("file.mixed")
    logger.setCapacity(4)
    const dropping = track(new FemtoFileHandler(dropFile, { capacity: 2, policy: "drop" }))
    const blocking = track(new FemtoFileHandler(blockFile, { capacity: 4, policy: "block" }))
    logger.addHandler(dropping)
    logger.addHandler(blocking)
    for (let i = 0; i < 10_000; i++) logger.info(`record ${i}`)
    // The loop never yielded: the block handler's caller wrote its records, the drop handler
    // kept its first 2 and dropped the rest.
    assert.isAtLeast(readLines(blockFile).length, 10_000 - 4)
    assert.strictEqual(dropping.getDropped(), 10_000 - 2)
    await blocking.close()
    await dropping.close()
    assert.strictEqual(logger.getDropped(), 0)
    assert.strictEqual(blocking.getDropped(), 0)
    assert.strictEqual(firstMismatch(readLines(blockFile), numbered("file.mixed [INFO] record ", 10_000)), undefined)
    assert.deepStrictEqual(readLines(dropFile), ["file.mixed [INFO] record 0", "file.mixed [INFO] record 1"])
    assert.strictEqual(dropping.getDropped(), 10_000 - 2)
  })

  it("the default policy loses nothing: a 5,000-record loop that never yields writes 5,000 lines", async () => {
    const file = logFile()
    const h = track(new FemtoFileHandler(file))
    const logger = getLogger("file.default")
    logger.addHandler(h)
    for (let i = 0; i < 5_000; i++) logger.info(`record ${i}`)
    await h.close()
    assert.strictEqual(h.getDropped(), 0)
    assert.strictEqual(firstMismatch(readLines(file), numbered("file.default [INFO] record ", 5_000)), undefined)
  })
})

describe("FemtoFileHandler: closed", () => {
  it("handle() when closed throws HandlerError `handler is closed`; flush() is false; close idempotent", async () => {
    const file = logFile()
    const h = new FemtoFileHandler(file)
    h.handle("x", "INFO", "before")
    await h.close()
    assert.isTrue(h.closed)
    const error = thrown(() => h.handle("x", "INFO", "m"))
    assert.instanceOf(error, HandlerError)
    assert.instanceOf((error as HandlerError).reason, HandlerClosedError)
    assert.strictEqual((error as HandlerError).message, "handler is closed")
    assert.strictEqual(h.getDropped(), 1)
    assert.isFalse(await h.flush())
    await h.close()
    await Promise.all([h.close(), h.close()])
    assert.strictEqual(readText(file), "x [INFO] before\n")
  })
})

describe("FemtoFileHandler: one options spec (constructor, builder, asDict, make)", () => {
  const ways = (file: string): Ways<FileHandlerOptions> => ({
    construct: (options) => new FemtoFileHandler(file, options),
    build: (options) => new FileHandlerBuilder(file, options).build(),
    make: (options) => FileHandler.make(file, options)
  })

  it("every refusal names the option in camelCase, alike from the constructor, build() and make(); no file is opened", async () => {
    const file = logFile("never.log")
    const w = ways(file)
    const refused = (options: Record<string, unknown>, message: string, field: string) =>
      refusedAlike(w, options as FileHandlerOptions, message, field)
    await refused({ capacity: 0 }, "capacity must be greater than zero", "capacity")
    await refused({ capacity: "8" }, "capacity must be a positive integer (got 8)", "capacity")
    await refused({ flushInterval: 0 }, "flushInterval must be greater than zero", "flushInterval")
    await refused({ flushAfterMs: 0 }, "flushAfterMs must be greater than zero", "flushAfterMs")
    await refused({ flushTimeoutMs: -1 }, "flushTimeoutMs must be greater than zero", "flushTimeoutMs")
    await refused({ policy: "timeout:0" }, "timeout must be greater than zero", "policy")
    await refused({ policy: "x" }, "invalid overflow policy: 'x'. Valid options are: drop, block, timeout:N", "policy")
    await refused({ executor: "thread" }, "invalid executor: 'thread'. Valid options are: inline, worker", "executor")
    await refused({ pool: "" }, "pool must be a non-empty string (got )", "pool")
    await refused({ bufferBytes: 0 }, "bufferBytes must be greater than zero", "bufferBytes")
    await refused({ level: "loud" }, "invalid log level: loud", "level")
    await refused({ filters: [42] }, "a filter must be a function or have a filter method", "filters")
    await refused({ filters: "name" }, "filters must be an array (got name)", "filters")
    await refused({ encoding: "latin-1" }, "encoding: only utf-8 is supported (got latin-1)", "encoding")

    await refused({ mode: "x" }, "invalid mode: 'x'. Valid options are: a, w", "mode")
    await refused({ delay: "yes" }, "delay must be true or false (got yes)", "delay")
    await refused(
      { errors: "xmlcharrefreplace" },
      "invalid errors: 'xmlcharrefreplace'. Valid options are: strict, replace, backslashreplace, surrogateescape, ignore",
      "errors"
    )
    await refused({ watch: 1 }, "watch must be true or false (got 1)", "watch")
    await refused(
      { class: "logging.FileHandler" },
      "class must be 'femtologging.FileHandler' for FileHandler (got 'logging.FileHandler')",
      "class"
    )
    await refused(
      { filename: "/elsewhere.log" },
      `filename must be the path argument, '${file}' (got '/elsewhere.log')`,
      "filename"
    )
    const formatter = thrown(() => new FemtoFileHandler(file, { formatter: "fancy" as "default" }))
    assert.strictEqual((formatter as { field?: string }).field, "formatter")
    assert.isFalse(fs.existsSync(file))
    const empty = ways("")
    await refusedAlike(empty, {}, "path must not be empty", "path")
    await refusedAlike(ways(42 as unknown as string), {}, "path must be a string, got number", "path")
  })

  it("takes UTF-8 by the names Python's codecs know it by", async () => {
    for (const encoding of ["utf_8", "U8", "utf", "UTF-8"]) {
      const h = new FemtoFileHandler(logFile("utf8-names.log"), { encoding: encoding as "utf-8" })
      await h.close()
    }
  })

  it("an unknown key is refused, naming it and the kind (CPython's lower-case and snake_case spellings too)", async () => {
    const file = logFile("never.log")
    const w = ways(file)
    for (const key of ["maxbytes", "flush_interval", "overflow_policy", "backupCount", "stream"]) {
      await refusedAlike(w, { [key]: 1 } as FileHandlerOptions, `unknown option '${key}' for FileHandler`, key)
    }
    configError(
      () => new FemtoFileHandler(file, null as unknown as FileHandlerOptions),
      "options of FileHandler must be an object (got null)",
      "options"
    )
    // A key set to undefined counts as not set only when it is a known one.
    configError(
      () => new FemtoFileHandler(file, { maxBytes: undefined } as FileHandlerOptions),
      "unknown option 'maxBytes' for FileHandler",
      "maxBytes"
    )
    assert.isFalse(fs.existsSync(file))
  })

  it("asDict round trip: builder -> asDict -> constructor options -> the same asDict; builder state uses the same names", async () => {
    const file = logFile()
    const builder = new FileHandlerBuilder(file, {
      mode: "w",
      encoding: "UTF-8",
      delay: true,
      errors: "replace",
      level: "warning",
      watch: false
    })
      .withCapacity(64)
      .withFlushAfterRecords(2)
      .withFlushAfterMs(50)
      .withFlushTimeoutMs(900)
      .withOverflowPolicy("Timeout:250")
      .withFormatter("json")
    const dict = builder.asDict()
    assert.deepStrictEqual(dict, {
      class: "femtologging.FileHandler",
      filename: file,
      capacity: 64,
      flushInterval: 2,
      flushAfterMs: 50,
      flushTimeoutMs: 900,
      policy: "timeout:250",
      formatter: "json",
      level: "WARN",
      mode: "w",
      encoding: "UTF-8",
      delay: true,
      errors: "replace",
      watch: false
    })
    assertPlainCamelCase(dict)
    assert.deepStrictEqual(
      Object.keys(builder.options).sort(),
      Object.keys(dict).filter((k) => k !== "class" && k !== "filename").sort()
    )
    assert.deepStrictEqual(new FileHandlerBuilder(dict.filename, dict).asDict(), dict)
    const h = track(new FemtoFileHandler(dict.filename, dict))
    assert.deepStrictEqual(h.policy, { _tag: "Timeout", ms: 250 })
    assert.strictEqual(h.level, "WARN")
    assert.strictEqual(h.flushTimeoutMs, 900)
    const fromJson = track(new FemtoFileHandler(file, JSON.parse(JSON.stringify(dict))))
    assert.strictEqual(fromJson.flushTimeoutMs, 900)
    await Effect.runPromise(Effect.scoped(FileHandler.make(dict.filename, dict)))

    const worker = new FileHandlerBuilder(file).onWorkerThread("files").withOverflowPolicy("drop")
    assert.deepStrictEqual(worker.asDict(), {
      class: "femtologging.FileHandler",
      filename: file,
      executor: "worker",
      pool: "files",
      policy: "drop"
    })
    assert.deepStrictEqual(new FileHandlerBuilder(file, worker.asDict()).asDict(), worker.asDict())
    // A function formatter and filters are not data: left out, with nothing in their place.
    const withFunctions = new FileHandlerBuilder(file, { filters: [() => true] }).withFormatter((r) => r.message)
    assert.deepStrictEqual(withFunctions.asDict(), { class: "femtologging.FileHandler", filename: file })
  })

  it("mode: \"w\" truncates the file when the handler opens it; \"a\" (the default) appends", async () => {
    for (const executor of ["inline", "worker"] as const) {
      const file = logFile(`${executor}.log`)
      fs.writeFileSync(file, "old line\n")
      const h = track(new FemtoFileHandler(file, { mode: "w", executor }))
      if (executor === "inline") assert.strictEqual(readText(file), "")
      h.handle("app", "INFO", "new")
      await h.close()
      assert.strictEqual(readText(file), "app [INFO] new\n", executor)
      const appending = track(new FemtoFileHandler(file, { mode: "a", executor }))
      appending.handle("app", "INFO", "more")
      await appending.close()
      assert.strictEqual(readText(file), "app [INFO] new\napp [INFO] more\n", executor)
    }
  })

  it("mode: \"w\" on a worker truncates once: a restarted worker thread appends (nothing written before is lost)", async () => {
    const file = logFile()
    fs.writeFileSync(file, "old line\n")
    const pool = "mode-w-restart"
    const h = track(new FemtoFileHandler(file, { mode: "w", executor: "worker", pool, formatter: (r) => r.message }))
    h.handle("app", "INFO", "before")
    assert.isTrue(await h.flush())
    assert.strictEqual(readText(file), "before\n")
    const host = (registry.workers.pools.get(pool) as { hosts: Array<{ thread?: { terminate(): Promise<number> } }> })
      .hosts[0]!
    await host.thread!.terminate()
    h.handle("app", "INFO", "after")
    await h.close()
    assert.strictEqual(readText(file), "before\nafter\n")
  })

  it("delay with mode \"w\" on a worker truncates at the first record, as CPython (a handler that never writes leaves the file), once: a restarted worker appends", async () => {
    const dir = tempDir()
    const file = path.join(dir, "w.log")
    fs.writeFileSync(file, "old line\n")
    const pool = "delay-w-restart"
    const options = { delay: true, mode: "w", executor: "worker", pool, formatter: (r: LogRecord.LogRecord) => r.message } as const
    await track(new FemtoFileHandler(file, options)).close()
    assert.strictEqual(readText(file), "old line\n", "never written: left as it was")
    const h = track(new FemtoFileHandler(file, options))
    assert.isTrue(await h.flush())
    const host = () => (registry.workers.pools.get(pool) as { hosts: Array<{ thread?: { terminate(): Promise<number> } }> }).hosts[0]!
    await host().thread!.terminate() // before the first record: the first open still truncates
    h.handle("app", "INFO", "before")
    assert.isTrue(await h.flush())
    assert.strictEqual(readText(file), "before\n")
    await host().thread!.terminate()
    h.handle("app", "INFO", "after")
    await h.close()
    assert.strictEqual(readText(file), "before\nafter\n")
  })

  it("CPython's encoding and errors are accepted; a lone surrogate is written as U+FFFD", async () => {
    const dir = tempDir()
    for (const encoding of ["utf-8", "UTF8", "Utf-8"]) {
      track(new FemtoFileHandler(path.join(dir, "e.log"), { encoding: encoding as "utf-8" }))
    }
    for (const errors of ["strict", "replace", "backslashreplace", "surrogateescape", "ignore"] as const) {
      const file = path.join(dir, `${errors}.log`)
      const h = track(new FemtoFileHandler(file, { errors, formatter: (r) => r.message }))
      h.handle("app", "INFO", "a\ud800b")
      await h.close()
      assert.strictEqual(readText(file), "a\ufffdb\n", errors)
    }
  })

  for (const executor of ["inline", "worker"] as const) {
    it(`delay: true (CPython's) opens and creates the file at the first record, not before (${executor})`, async () => {
      const dir = tempDir()
      const file = path.join(dir, "sub", "delayed.log")
      const h = track(new FemtoFileHandler(file, { delay: true, executor }))
      assert.isFalse(fs.existsSync(path.join(dir, "sub")), "nothing created at construction")
      h.handle("app", "INFO", "first")
      assert.isTrue(await h.flush())
      assert.strictEqual(readText(file), "app [INFO] first\n")
      await h.close()
      // A handler that never writes leaves no file.
      const never = path.join(dir, "never.log")
      await track(new FemtoFileHandler(never, { delay: true, executor })).close()
      assert.isFalse(fs.existsSync(never))
      // A bad path fails at the first write: reported, its records counted, nothing thrown.
      const bad = path.join(dir, "not-a-dir")
      fs.writeFileSync(bad, "")
      assert.instanceOf(thrown(() => new FemtoFileHandler(path.join(bad, "x.log"), { executor })), HandlerIOError)
      const failing = track(new FemtoFileHandler(path.join(bad, "x.log"), { delay: true, executor }))
      failing.handle("app", "INFO", "lost 1")
      failing.handle("app", "INFO", "lost 2")
      assert.isFalse(await failing.flush())
      await failing.close()
      assert.strictEqual(failing.getDropped(), 2)
    })

    it(`delay: true with mode "w" truncates what was there, and creates nothing (${executor})`, async () => {
      const dir = tempDir()
      const file = path.join(dir, "w.log")
      fs.writeFileSync(file, "old\n")
      const h = track(new FemtoFileHandler(file, { delay: true, mode: "w", executor }))
      h.handle("app", "INFO", "new")
      await h.close()
      assert.strictEqual(readText(file), "app [INFO] new\n")
      const absent = path.join(dir, "absent.log")
      await track(new FemtoFileHandler(absent, { delay: true, mode: "w", executor })).close()
      assert.isFalse(fs.existsSync(absent))
    })
  }
})
