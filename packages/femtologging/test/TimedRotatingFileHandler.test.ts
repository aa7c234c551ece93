import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/testing/TestClock"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Handler from "../src/Handler.ts"
import { HandlerConfigError } from "../src/HandlerConfigError.ts"
import * as LogRecord from "../src/LogRecord.ts"
import * as TimedRotatingFileHandler from "../src/TimedRotatingFileHandler.ts"
import {
  FemtoTimedRotatingFileHandler,
  TimedRotatingFileHandlerBuilder,
  type TimedRotatingFileHandlerOptions
} from "../src/TimedRotatingFileHandler.ts"
import { listDir, readText, removeTempDirs, tempDir, thrown } from "./utils/files.ts"
import { assertPlainCamelCase, refusedAlike, type Ways } from "./utils/options.ts"
import { trackHandlers } from "./utils/track.ts"

const track = trackHandlers()

afterAll(() => removeTempDirs())

const rec = (message: string) => LogRecord.make({ logger: "timed", level: "INFO", message })

const configError = (f: () => unknown, message: string, field?: string): void => {
  const error = thrown(f)
  assert.instanceOf(error, HandlerConfigError)
  assert.strictEqual((error as HandlerConfigError).message, message)
  if (field !== undefined) assert.strictEqual((error as HandlerConfigError).field, field)
}

/** Logs one record and waits until it is written (so it is checked against the current time). */
const logNow = (h: Handler.HandlerLike, message: string) =>
  Effect.gen(function*() {
    yield* Handler.handle(h, rec(message))
    assert.isTrue(yield* Handler.flush(h))
  })

describe("FemtoTimedRotatingFileHandler: rotation under TestClock", () => {
  it.effect("when S: after one second the first record moves to <path>.1970-01-01_00-00-00", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "timed.log")
      const h = yield* TimedRotatingFileHandler.make(file, { when: "S", interval: 1, utc: true, backupCount: 2 })
      assert.strictEqual(h.rolloverAt, 1000)
      yield* logNow(h, "first")
      assert.deepStrictEqual(listDir(dir), ["timed.log"])
      yield* TestClock.adjust("1 second")
      yield* logNow(h, "second")
      assert.deepStrictEqual(listDir(dir), ["timed.log", "timed.log.1970-01-01_00-00-00"])
      assert.strictEqual(readText(`${file}.1970-01-01_00-00-00`), "timed [INFO] first\n")
      assert.strictEqual(readText(file), "timed [INFO] second\n")
      assert.strictEqual(h.rolloverAt, 2000)
    }))

  it.effect("no rotation before the boundary", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "timed.log")
      const h = yield* TimedRotatingFileHandler.make(file, { when: "S", utc: true })
      yield* logNow(h, "first")
      yield* TestClock.adjust(999)
      yield* logNow(h, "second")
      assert.deepStrictEqual(listDir(dir), ["timed.log"])
      assert.strictEqual(readText(file), "timed [INFO] first\ntimed [INFO] second\n")
    }))

  it.effect("several rotations with backupCount 2 keep the 2 newest backups", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "timed.log")
      const h = yield* TimedRotatingFileHandler.make(file, { when: "S", interval: 1, utc: true, backupCount: 2 })
      yield* logNow(h, "r0")
      for (let i = 1; i <= 4; i++) {
        yield* TestClock.adjust("1 second")
        yield* logNow(h, `r${i}`)
      }
      assert.deepStrictEqual(listDir(dir), [
        "timed.log",
        "timed.log.1970-01-01_00-00-02",
        "timed.log.1970-01-01_00-00-03"
      ])
      assert.strictEqual(readText(`${file}.1970-01-01_00-00-02`), "timed [INFO] r2\n")
      assert.strictEqual(readText(`${file}.1970-01-01_00-00-03`), "timed [INFO] r3\n")
      assert.strictEqual(readText(file), "timed [INFO] r4\n")
    }))

  it.effect("a path with a lone surrogate (written as U+FFFD): its old backups are still pruned", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const h = yield* TimedRotatingFileHandler.make(path.join(dir, "t\uD800.log"), { when: "S", utc: true, backupCount: 1 })
      yield* logNow(h, "r0")
      for (let i = 1; i <= 3; i++) {
        yield* TestClock.adjust("1 second")
        yield* logNow(h, `r${i}`)
      }
      assert.deepStrictEqual(listDir(dir), ["t\uFFFD.log", "t\uFFFD.log.1970-01-01_00-00-02"])
    }))

  it.effect("backupCount 0 keeps every backup", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "timed.log")
      const h = yield* TimedRotatingFileHandler.make(file, { when: "S", utc: true })
      yield* logNow(h, "r0")
      for (let i = 1; i <= 3; i++) {
        yield* TestClock.adjust("1 second")
        yield* logNow(h, `r${i}`)
      }
      assert.deepStrictEqual(listDir(dir), [
        "timed.log",
        "timed.log.1970-01-01_00-00-00",
        "timed.log.1970-01-01_00-00-01",
        "timed.log.1970-01-01_00-00-02"
      ])
    }))

  it.effect("interval 2 with when S rotates every two seconds", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "timed.log")
      const h = yield* TimedRotatingFileHandler.make(file, { when: "S", interval: 2, utc: true })
      yield* logNow(h, "a")
      yield* TestClock.adjust("1 second")
      yield* logNow(h, "b")
      assert.deepStrictEqual(listDir(dir), ["timed.log"])
      yield* TestClock.adjust("1 second")
      yield* logNow(h, "c")
      assert.deepStrictEqual(listDir(dir), ["timed.log", "timed.log.1970-01-01_00-00-00"])
      assert.strictEqual(readText(`${file}.1970-01-01_00-00-00`), "timed [INFO] a\ntimed [INFO] b\n")
      assert.strictEqual(readText(file), "timed [INFO] c\n")
    }))

  // CPython takes int(time.time()): a rotation at 1.4 s sets the next boundary at 2 s, not 2.4 s,
  // so a record at 2.1 s starts a new file (CPython 3.11 gives the same files).
  it.effect("boundaries fall on whole seconds, as CPython's int(time.time())", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "timed.log")
      const h = yield* TimedRotatingFileHandler.make(file, { when: "S", utc: true })
      yield* logNow(h, "a")
      yield* TestClock.adjust("1400 millis")
      yield* logNow(h, "b")
      assert.strictEqual(h.rolloverAt, 2000)
      yield* TestClock.adjust("700 millis")
      yield* logNow(h, "c")
      assert.deepStrictEqual(listDir(dir), [
        "timed.log",
        "timed.log.1970-01-01_00-00-00",
        "timed.log.1970-01-01_00-00-01"
      ])
      assert.strictEqual(readText(`${file}.1970-01-01_00-00-01`), "timed [INFO] b\n")
      assert.strictEqual(readText(file), "timed [INFO] c\n")
    }))

  for (
    const [when, step, suffix] of [
      ["M", "1 minute", "1970-01-01_00-00"],
      ["H", "1 hour", "1970-01-01_00"],
      ["D", "1 day", "1970-01-01"],
      ["MIDNIGHT", "1 day", "1970-01-01"]
    ] as const
  ) {
    it.effect(`when ${when}: the backup is named <path>.${suffix}`, () =>
      Effect.gen(function*() {
        const dir = tempDir()
        const file = path.join(dir, "timed.log")
        const h = yield* TimedRotatingFileHandler.make(file, { when, utc: true })
        yield* logNow(h, "first")
        yield* TestClock.adjust(step)
        yield* logNow(h, "second")
        assert.deepStrictEqual(listDir(dir), ["timed.log", `timed.log.${suffix}`])
        assert.strictEqual(readText(`${file}.${suffix}`), "timed [INFO] first\n")
        assert.strictEqual(readText(file), "timed [INFO] second\n")
      }))
  }
})

describe("FemtoTimedRotatingFileHandler: which backups backupCount deletes", () => {
  const others = ["timed.log.1", "timed.log.1969-12-29.gz", "timed.log.1969-12-30.bak", "timed.log.bak", "timed.1969-12-28.log"]

  // CPython 3.13's getFilesToDelete takes `<base>.<suffix>` only (extMatch.fullmatch): a `.gz`, a
  // `.bak`, another handler's `.1` are kept. With backupCount 2, the two dated backups stay too.
  it.effect("without compression, only <path>.<date>: a .gz, .bak or .1 beside it is kept and not counted", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "timed.log")
      for (const name of [...others, "timed.log.1969-12-31"]) fs.writeFileSync(path.join(dir, name), "old\n")
      const h = yield* TimedRotatingFileHandler.make(file, { when: "D", utc: true, backupCount: 2 })
      yield* logNow(h, "first")
      yield* TestClock.adjust("1 day")
      yield* logNow(h, "second")
      assert.deepStrictEqual(listDir(dir), [...others, "timed.log", "timed.log.1969-12-31", "timed.log.1970-01-01"].sort())
    }))

  it.effect("with compression, <path>.<date>.gz backups count and the oldest go", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "timed.log")
      for (const name of [...others, "timed.log.1969-12-31"]) fs.writeFileSync(path.join(dir, name), "old\n")
      const h = yield* TimedRotatingFileHandler.make(file, { when: "D", utc: true, backupCount: 2, compress: true })
      yield* logNow(h, "first")
      yield* TestClock.adjust("1 day")
      yield* logNow(h, "second")
      yield* Handler.close(h)
      const kept = others.filter((name) => name !== "timed.log.1969-12-29.gz")
      assert.deepStrictEqual(listDir(dir), [...kept, "timed.log", "timed.log.1969-12-31", "timed.log.1970-01-01.gz"].sort())
    }))
})

describe("FemtoTimedRotatingFileHandler: local time (America/New_York)", () => {
  const saved = process.env["TZ"]
  beforeAll(() => {
    process.env["TZ"] = "America/New_York"
  })
  afterAll(() => {
    if (saved === undefined) delete process.env["TZ"]
    else process.env["TZ"] = saved
  })

  // 2024-11-03 01:00-02:00 happens twice (EDT, then EST). Started at 01:00:13 EST, the trigger
  // 01:30 comes at 01:30 EST, as CPython's computeRollover says (now plus 30 minutes): the 01:30
  // EDT of an hour before is past, and was taken, so the first record rotated the file at once.
  it.effect("a MIDNIGHT atTime in the repeated fall-back hour, started between its two occurrences: next is the second", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "timed.log")
      yield* TestClock.setTime(Date.UTC(2024, 10, 3, 6, 0, 13)) // 01:00:13 EST
      const h = yield* TimedRotatingFileHandler.make(file, { when: "MIDNIGHT", atTime: "01:30" })
      assert.strictEqual(h.rolloverAt, Date.UTC(2024, 10, 3, 6, 30)) // 01:30 EST
      yield* logNow(h, "first")
      assert.deepStrictEqual(listDir(dir), ["timed.log"])
      yield* TestClock.setTime(Date.UTC(2024, 10, 3, 6, 30))
      yield* logNow(h, "second")
      assert.deepStrictEqual(listDir(dir), ["timed.log", "timed.log.2024-11-02"])
      assert.strictEqual(readText(`${file}.2024-11-02`), "timed [INFO] first\n")
      assert.strictEqual(h.rolloverAt, Date.UTC(2024, 10, 4, 6, 30)) // Mon 01:30 EST
    }))
})

describe("FemtoTimedRotatingFileHandler: validation", () => {
  it("refuses bad schedules with upstream's messages and the field name", () => {
    const file = path.join(tempDir(), "timed.log")
    configError(
      () => new FemtoTimedRotatingFileHandler(file, { when: "fortnight" }),
      "when must be one of: S, M, H, D, MIDNIGHT, or W0-W6 (got fortnight)",
      "when"
    )
    configError(
      () => new FemtoTimedRotatingFileHandler(file, { interval: 0 }),
      "interval must be greater than zero",
      "interval"
    )
    configError(
      () => new FemtoTimedRotatingFileHandler(file, { when: "H", atTime: "12:00" }),
      "atTime is only supported for daily, midnight, and weekday rotation (got H)",
      "atTime"
    )
    configError(
      () => new FemtoTimedRotatingFileHandler(file, { when: "W0", interval: 2 }),
      "weekday rotation only supports interval = 1"
    )
    configError(
      () => new TimedRotatingFileHandlerBuilder(file).withWhen("fortnight"),
      "when must be one of: S, M, H, D, MIDNIGHT, or W0-W6 (got fortnight)",
      "when"
    )
    configError(
      () => new TimedRotatingFileHandlerBuilder(file).withInterval(0),
      "interval must be greater than zero",
      "interval"
    )
    configError(
      () => new TimedRotatingFileHandlerBuilder(file).withWhen("H").withAtTime("12:00"),
      "atTime is only supported for daily, midnight, and weekday rotation (got H)",
      "atTime"
    )
  })

  it("defaults: H, interval 1, backupCount 0, local time, no atTime", () => {
    const file = path.join(tempDir(), "timed.log")
    const h = new FemtoTimedRotatingFileHandler(file)
    assert.deepStrictEqual(h.schedule, { when: "H", interval: 1, utc: false, atTime: undefined })
    assert.strictEqual(h.backupCount, 0)
    return h.close()
  })
})

describe("TimedRotatingFileHandlerBuilder", () => {
  it("asDict has class, filename, when, interval, backupCount, utc, and atTime when set", () => {
    const file = path.join(tempDir(), "timed.log")
    assert.deepStrictEqual(new TimedRotatingFileHandlerBuilder(file).asDict(), {
      class: "femtologging.TimedRotatingFileHandler",
      filename: file,
      when: "H",
      interval: 1,
      backupCount: 0,
      utc: false
    })
    assert.deepStrictEqual(
      new TimedRotatingFileHandlerBuilder(file)
        .withCapacity(16)
        .withFlushAfterRecords(4)
        .withWhen("midnight")
        .withInterval(2)
        .withBackupCount(7)
        .withUtc()
        .withAtTime("03:30")
        .asDict(),
      {
        class: "femtologging.TimedRotatingFileHandler",
        filename: file,
        capacity: 16,
        flushInterval: 4,
        when: "MIDNIGHT",
        interval: 2,
        backupCount: 7,
        utc: true,
        atTime: "03:30:00"
      }
    )
  })

  it.effect("make() builds a handler on the scope's clock", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "timed.log")
      const h = yield* new TimedRotatingFileHandlerBuilder(file).withWhen("S").withUtc().withBackupCount(1).make()
      assert.instanceOf(h, FemtoTimedRotatingFileHandler)
      yield* logNow(h, "first")
      yield* TestClock.adjust("1 second")
      yield* logNow(h, "second")
      assert.deepStrictEqual(listDir(dir), ["timed.log", "timed.log.1970-01-01_00-00-00"])
    }))
})

describe("FemtoTimedRotatingFileHandler: one options spec", () => {
  const ways = (file: string): Ways<TimedRotatingFileHandlerOptions> => ({
    construct: (options) => new FemtoTimedRotatingFileHandler(file, options),
    build: (options) => new TimedRotatingFileHandlerBuilder(file, options).build(),
    make: (options) => TimedRotatingFileHandler.make(file, options)
  })

  it("refusals name the option in camelCase, alike from the constructor, build() and make()", async () => {
    const file = path.join(tempDir(), "never.log")
    const w = ways(file)
    const refused = (options: Record<string, unknown>, message: string, field: string) =>
      refusedAlike(w, options as TimedRotatingFileHandlerOptions, message, field)
    await refused({ when: "fortnight" }, "when must be one of: S, M, H, D, MIDNIGHT, or W0-W6 (got fortnight)", "when")
    await refused({ when: 7 }, "when must be one of: S, M, H, D, MIDNIGHT, or W0-W6 (got 7)", "when")
    // CPython raises ValueError naming the value for these: "Invalid day specified for weekly rollover: W7".
    await refused({ when: "W7" }, "when must be one of: S, M, H, D, MIDNIGHT, or W0-W6 (got W7)", "when")
    await refused({ when: "W" }, "when must be one of: S, M, H, D, MIDNIGHT, or W0-W6 (got W)", "when")
    await refused({ interval: 0 }, "interval must be greater than zero", "interval")
    await refused({ interval: "2" }, "interval must be greater than zero", "interval")
    await refused({ when: "W0", interval: 2 }, "weekday rotation only supports interval = 1", "interval")
    await refused(
      { when: "H", atTime: "12:00" },
      "atTime is only supported for daily, midnight, and weekday rotation (got H)",
      "atTime"
    )
    await refused({ when: "D", atTime: "25:00" }, "invalid atTime: '25:00'", "atTime")
    await refused({ when: "D", atTime: null }, "invalid atTime: 'null'", "atTime")
    await refused({ backupCount: -1 }, "backupCount must be a non-negative integer (got -1)", "backupCount")
    await refused({ utc: "yes" }, "utc must be true or false (got yes)", "utc")
    await refused({ compress: 1 }, "compress must be true or false (got 1)", "compress")
    await refused({ capacity: 0 }, "capacity must be greater than zero", "capacity")
    await refused({ backup_count: 1 }, "unknown option 'backup_count' for TimedRotatingFileHandler", "backup_count")
    await refused({ at_time: "12:00" }, "unknown option 'at_time' for TimedRotatingFileHandler", "at_time")
    await refused({ maxBytes: 1 }, "unknown option 'maxBytes' for TimedRotatingFileHandler", "maxBytes")
    configError(
      () => new TimedRotatingFileHandlerBuilder(file).withBackupCount(-2),
      "backupCount must be a non-negative integer (got -2)",
      "backupCount"
    )
  })

  it("asDict round trip: builder -> asDict -> constructor options -> the same asDict", () => {
    const file = path.join(tempDir(), "timed.log")
    const builder = new TimedRotatingFileHandlerBuilder(file, { encoding: "utf-8", errors: "strict", delay: false })
      .withWhen("w2")
      .withBackupCount(4)
      .withUtc()
      .withAtTime({ hour: 4, minute: 5 })
      .withCompression(false)
      .withFormatter("json")
    const dict = builder.asDict()
    assert.deepStrictEqual(dict, {
      class: "femtologging.TimedRotatingFileHandler",
      filename: file,
      formatter: "json",
      encoding: "utf-8",
      errors: "strict",
      delay: false,
      when: "W2",
      interval: 1,
      backupCount: 4,
      utc: true,
      atTime: "04:05:00",
      compress: false
    })
    assertPlainCamelCase(dict)
    assert.deepStrictEqual(new TimedRotatingFileHandlerBuilder(dict.filename, dict).asDict(), dict)
    const h = track(new FemtoTimedRotatingFileHandler(dict.filename, dict))
    assert.deepStrictEqual(h.schedule, { when: "W2", interval: 1, utc: true, atTime: { hour: 4, minute: 5, second: 0 } })
    assert.strictEqual(h.backupCount, 4)
    const plain = new TimedRotatingFileHandlerBuilder(file).asDict()
    track(new FemtoTimedRotatingFileHandler(plain.filename, plain))
  })
})
