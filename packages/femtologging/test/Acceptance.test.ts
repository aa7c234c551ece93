/**
 * Acceptance points of the foundation and file-handler issues that no module's own tests cover.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/testing/TestClock"
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { getLogger } from "../src/Facade.ts"
import { FemtoFileHandler } from "../src/FileHandler.ts"
import * as Handler from "../src/Handler.ts"
import { HandlerConfigError } from "../src/HandlerConfigError.ts"
import { FemtoRotatingFileHandler } from "../src/RotatingFileHandler.ts"
import { CaptureHandler } from "../src/Testing.ts"
import * as TimedRotatingFileHandler from "../src/TimedRotatingFileHandler.ts"
import { runFixture } from "./utils/child.ts"
import { listDir, readLines, removeTempDirs, tempDir, thrown } from "./utils/files.ts"

afterAll(() => removeTempDirs())

describe("defaults and options", () => {
  it("a logger hands every record of a synchronous burst on: 1030 records, none dropped by the logger", async () => {
    const capture = new CaptureHandler({ capacity: 2048 })
    const logger = getLogger("acceptance.burst")
    logger.addHandler(capture)
    for (let i = 0; i < 1030; i++) logger.info(`r${i}`)
    assert.strictEqual(logger.getDropped(), 0)
    assert.isTrue(await capture.flush())
    assert.strictEqual(capture.records.length, 1030)
    await capture.close()
  })

  it("a logger's own queue holds 1024 records by default: 1030 logged from inside its hand-off drop exactly 6", async () => {
    const logger = getLogger("acceptance.capacity")
    const capture = new CaptureHandler({ capacity: 2048 })
    // A handler of capacity 1 whose function logs 1030 records when it meets "burst": run by the
    // logger's hand-off of the next record, it logs while the logger is handing that one on.
    const reentrant = Handler.makeUnsafe({
      label: "reentrant",
      capacity: 1,
      target: {
        _tag: "Records",
        handle: (record) => {
          if (record.message === "burst") for (let i = 0; i < 1030; i++) logger.info(`r${i}`)
        }
      }
    })
    logger.addHandler(reentrant)
    logger.addHandler(capture)
    logger.info("burst")
    logger.info("next")
    assert.strictEqual(logger.getDropped(), 6)
    assert.isTrue(await Effect.runPromise(Handler.flush(reentrant)))
    assert.isTrue(await capture.flush())
    assert.deepStrictEqual(capture.messages, ["burst", "next", ...Array.from({ length: 1024 }, (_, i) => `r${i}`)])
    await Effect.runPromise(Handler.close(reentrant))
    await capture.close()
  })

  it("file handlers write UTF-8 and refuse any other encoding, naming the field", () => {
    const dir = tempDir()
    const error = thrown(() =>
      new FemtoFileHandler(path.join(dir, "a.log"), { encoding: "latin1" as "utf-8" })
    ) as HandlerConfigError
    assert.instanceOf(error, HandlerConfigError)
    assert.strictEqual(error.field, "encoding")
    assert.strictEqual(error.message, "encoding: only utf-8 is supported (got latin1)")
    assert.isFalse(fs.existsSync(path.join(dir, "a.log")))
  })
})

describe("signals", () => {
  it("SIGHUP with no listener of the application: every record written, then the process ends by SIGHUP", async () => {
    const file = path.join(tempDir(), "hup.log")
    const result = await runFixture("sighup.mjs", { args: [file] })
    assert.strictEqual(result.signal, "SIGHUP", result.stderr)
    assert.deepStrictEqual(readLines(file), Array.from({ length: 10 }, (_, i) => `hup [INFO] r${i}`))
  })
})

describe("rotation end to end", () => {
  it.effect("MIDNIGHT at 02:30 UTC with gzip: the day's file becomes <path>.<date>.gz, the next day's records stay live", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "day.log")
      yield* TestClock.setTime(Date.UTC(2026, 0, 5, 12, 0, 0))
      const h = yield* TimedRotatingFileHandler.make(file, {
        when: "midnight",
        atTime: "02:30",
        utc: true,
        compress: true,
        backupCount: 3
      })
      assert.strictEqual(h.rolloverAt, Date.UTC(2026, 0, 6, 2, 30, 0))
      yield* Handler.handle(h, record("monday"))
      assert.isTrue(yield* Handler.flush(h))
      yield* TestClock.setTime(Date.UTC(2026, 0, 6, 2, 30, 0))
      yield* Handler.handle(h, record("tuesday"))
      yield* Handler.close(h)
      assert.deepStrictEqual(listDir(dir), ["day.log", "day.log.2026-01-05.gz"])
      assert.strictEqual(zlib.gunzipSync(fs.readFileSync(path.join(dir, "day.log.2026-01-05.gz"))).toString(), "t [INFO] monday\n")
      assert.deepStrictEqual(readLines(file), ["t [INFO] tuesday"])
    }))

  it.effect("W0 (Mondays) rotates at the next Monday, not before", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "week.log")
      yield* TestClock.setTime(Date.UTC(2026, 0, 7, 10, 0, 0)) // a Wednesday
      const h = yield* TimedRotatingFileHandler.make(file, { when: "W0", utc: true })
      assert.strictEqual(h.rolloverAt, Date.UTC(2026, 0, 12, 0, 0, 0))
      yield* Handler.handle(h, record("wednesday"))
      yield* TestClock.setTime(Date.UTC(2026, 0, 11, 23, 59, 59))
      yield* Handler.handle(h, record("sunday"))
      yield* TestClock.setTime(Date.UTC(2026, 0, 12, 0, 0, 0))
      yield* Handler.handle(h, record("monday"))
      yield* Handler.close(h)
      assert.deepStrictEqual(listDir(dir), ["week.log", "week.log.2026-01-05"])
      assert.deepStrictEqual(readLines(path.join(dir, "week.log.2026-01-05")), ["t [INFO] wednesday", "t [INFO] sunday"])
      assert.deepStrictEqual(readLines(file), ["t [INFO] monday"])
    }))

  it("drop policy across rotations: lines in all files + drops of the logger and the handler = records emitted", async () => {
    const dir = tempDir()
    const file = path.join(dir, "app.log")
    const handler = new FemtoRotatingFileHandler(file, { capacity: 16, policy: "drop", rotation: [300, 1000] })
    const logger = getLogger("acceptance.rotation.drops")
    logger.setCapacity(16)
    logger.addHandler(handler)
    const emitted = 5_000
    for (let i = 0; i < emitted; i++) {
      logger.info(`record ${i}`)
      if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    await handler.close()
    const lines = listDir(dir).flatMap((name) => readLines(path.join(dir, name)))
    const dropped = logger.getDropped() + handler.getDropped()
    assert.isAbove(dropped, 0, "the burst must overflow the queues for this test to mean anything")
    assert.strictEqual(logger.getDropped(), 0, "the drops are the handler's")
    assert.isAbove(listDir(dir).length, 10)
    assert.strictEqual(lines.length + dropped, emitted)
    assert.strictEqual(new Set(lines).size, lines.length, "no duplicated line")
    assert.isTrue(lines.every((l) => /^acceptance\.rotation\.drops \[INFO\] record \d+$/.test(l)), "no torn line")
  })
})

const record = (message: string) =>
  ({
    logger: "t",
    level: "INFO",
    message,
    timestampNs: 0,
    threadId: 0,
    threadName: "main",
    fiberId: undefined,
    fields: undefined,
    error: undefined,
    filename: undefined,
    lineNumber: undefined,
    modulePath: undefined
  }) as const
