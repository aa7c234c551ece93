import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { HandlerConfigError } from "../src/HandlerConfigError.ts"
import * as OverflowPolicy from "../src/OverflowPolicy.ts"
import * as RotatingFileHandler from "../src/RotatingFileHandler.ts"
import {
  FemtoRotatingFileHandler,
  HandlerOptions,
  ROTATION_VALIDATION_MSG,
  RotatingFileHandlerBuilder,
  type RotatingFileHandlerOptions
} from "../src/RotatingFileHandler.ts"
import { firstMismatch, listDir, readLines, readText, removeTempDirs, spyWriteSync, tempDir, tick } from "./utils/files.ts"
import { configError } from "./utils/errors.ts"
import { assertPlainCamelCase, refusedAlike, type Ways } from "./utils/options.ts"
import { trackHandlers } from "./utils/track.ts"
import { runModule } from "./utils/child.ts"

const track = trackHandlers()
afterAll(() => removeTempDirs())


/** Every file in `dir` with its content. */
const snapshot = (dir: string): Record<string, string> =>
  Object.fromEntries(listDir(dir).map((name) => [name, readText(path.join(dir, name))!]))

/**
 * How the records reach the writer: each flushed on its own, all in one batch written at close,
 * or each in its own batch but left buffered (flushInterval 1000) so the rule must count buffered
 * bytes. All three must rotate the same way.
 */
const modes = ["flush-each", "close-only", "buffered"] as const
type Mode = typeof modes[number]

const scenario = async (
  maxBytes: number,
  backupCount: number,
  messages: ReadonlyArray<string>,
  mode: Mode,
  form: "rotation" | "keys" = "rotation"
): Promise<Record<string, string>> => {
  const dir = tempDir()
  const h = track(
    new FemtoRotatingFileHandler(path.join(dir, "rotating.log"), {
      ...(form === "rotation" ? { rotation: [maxBytes, backupCount] } : { maxBytes, backupCount }),
      ...(mode === "buffered" ? { flushInterval: 1000 } : {})
    })
  )
  for (const message of messages) {
    h.handle("rotate", "INFO", message)
    if (mode === "flush-each") assert.isTrue(await h.flush())
    if (mode === "buffered") await tick()
  }
  await h.close()
  return snapshot(dir)
}

/** Runs the scenario in every mode and checks each gives `expected`. */
const expectFiles = async (
  maxBytes: number,
  backupCount: number,
  messages: ReadonlyArray<string>,
  expected: Record<string, string>
): Promise<void> => {
  for (const mode of modes) {
    assert.deepStrictEqual(await scenario(maxBytes, backupCount, messages, mode), expected, `mode ${mode}`)
  }
}

describe("FemtoRotatingFileHandler: configuration", () => {
  it("rotation is on when both values are > 0, off with [0, 0] and by default", () => {
    const dir = tempDir()
    const on = track(new FemtoRotatingFileHandler(path.join(dir, "on.log"), new HandlerOptions({ rotation: [30, 1] })))
    assert.strictEqual(on.maxBytes, 30)
    assert.strictEqual(on.backupCount, 1)
    const off = track(new FemtoRotatingFileHandler(path.join(dir, "off.log"), { rotation: [0, 0] }))
    assert.strictEqual(off.maxBytes, 0)
    assert.strictEqual(off.backupCount, 0)
    const plain = track(new FemtoRotatingFileHandler(path.join(dir, "plain.log")))
    assert.strictEqual(plain.maxBytes, 0)
    assert.strictEqual(plain.backupCount, 0)
    assert.deepStrictEqual(new HandlerOptions().rotation, [0, 0])
    assert.deepStrictEqual(new HandlerOptions({ rotation: [1 << 20, 5] }).rotation, [1048576, 5])
  })

  it("one value without the other is refused with ROTATION_VALIDATION_MSG", () => {
    const file = path.join(tempDir(), "app.log")
    assert.strictEqual(
      ROTATION_VALIDATION_MSG,
      "both maxBytes and backupCount must be > 0 to enable rotation; set both to 0 to disable"
    )
    configError(() => new HandlerOptions({ rotation: [100, 0] }), ROTATION_VALIDATION_MSG, "backupCount")
    configError(() => new HandlerOptions({ rotation: [0, 3] }), ROTATION_VALIDATION_MSG, "maxBytes")
    configError(() => new FemtoRotatingFileHandler(file, { rotation: [100, 0] }), ROTATION_VALIDATION_MSG, "backupCount")
    configError(() => new FemtoRotatingFileHandler(file, { rotation: [0, 3] }), ROTATION_VALIDATION_MSG, "maxBytes")
    configError(() => new FemtoRotatingFileHandler(file, { maxBytes: 100, backupCount: 0 }), ROTATION_VALIDATION_MSG, "backupCount")
    configError(() => new FemtoRotatingFileHandler(file, { maxBytes: 0, backupCount: 3 }), ROTATION_VALIDATION_MSG, "maxBytes")
    configError(() => new HandlerOptions({ capacity: 0 }), "capacity must be greater than zero", "capacity")
  })

  it("[0, 0] never rotates", async () => {
    const dir = tempDir()
    const h = track(new FemtoRotatingFileHandler(path.join(dir, "rotating.log"), { rotation: [0, 0] }))
    for (let i = 0; i < 100; i++) h.handle("rotate", "INFO", `message ${i}`)
    await h.close()
    assert.deepStrictEqual(listDir(dir), ["rotating.log"])
    assert.strictEqual(readLines(path.join(dir, "rotating.log")).length, 100)
  })

  it("the builder checks the pair at build() as the constructor does, with upstream's messages", () => {
    const file = path.join(tempDir(), "app.log")
    configError(
      () => new RotatingFileHandlerBuilder(file).withMaxBytes(100).build(),
      "backupCount must be provided when maxBytes is set",
      "backupCount"
    )
    configError(
      () => new FemtoRotatingFileHandler(file, { maxBytes: 100 }),
      "backupCount must be provided when maxBytes is set",
      "backupCount"
    )
    configError(
      () => new RotatingFileHandlerBuilder(file).withBackupCount(2).build(),
      "maxBytes must be provided when backupCount is set",
      "maxBytes"
    )
    configError(
      () => new FemtoRotatingFileHandler(file, { backupCount: 2 }),
      "maxBytes must be provided when backupCount is set",
      "maxBytes"
    )
    configError(() => new RotatingFileHandlerBuilder(file).withMaxBytes(0), "maxBytes must be greater than zero", "maxBytes")
    configError(
      () => new RotatingFileHandlerBuilder(file).withBackupCount(0),
      "backupCount must be greater than zero",
      "backupCount"
    )
    configError(
      () => new RotatingFileHandlerBuilder(file).withCapacity(0).build(),
      "capacity must be greater than zero"
    )
    const h = track(new RotatingFileHandlerBuilder(file).withMaxBytes(100).withBackupCount(2).build())
    assert.instanceOf(h, FemtoRotatingFileHandler)
    assert.strictEqual(h.maxBytes, 100)
    assert.strictEqual(h.backupCount, 2)
  })

  it.effect("the builder's make() fails with the same HandlerConfigError", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "app.log")
      const error = yield* Effect.flip(new RotatingFileHandlerBuilder(file).withMaxBytes(100).make())
      assert.instanceOf(error, HandlerConfigError)
      assert.strictEqual(error.message, "backupCount must be provided when maxBytes is set")
      const h = yield* RotatingFileHandler.make(file, { rotation: [100, 2] })
      assert.strictEqual(h.maxBytes, 100)
    }))

  it("asDict has class, filename, maxBytes and backupCount (0 when unset), and the options set", () => {
    const file = path.join(tempDir(), "app.log")
    assert.deepStrictEqual(new RotatingFileHandlerBuilder(file).asDict(), {
      class: "femtologging.RotatingFileHandler",
      filename: file,
      maxBytes: 0,
      backupCount: 0
    })
    assert.deepStrictEqual(
      new RotatingFileHandlerBuilder(file)
        .withCapacity(32)
        .withFlushAfterRecords(4)
        .withOverflowPolicy(OverflowPolicy.drop())
        .withMaxBytes(1024)
        .withBackupCount(3)
        .withCompression()
        .onWorkerThread()
        .asDict(),
      {
        class: "femtologging.RotatingFileHandler",
        filename: file,
        capacity: 32,
        flushInterval: 4,
        policy: "drop",
        executor: "worker",
        maxBytes: 1024,
        backupCount: 3,
        compress: true
      }
    )
  })
})

describe("FemtoRotatingFileHandler: when to rotate (UTF-8 bytes, buffered bytes counted)", () => {
  // "rotate [INFO] first message\n" is 28 bytes; "rotate [INFO] second message\n" is 29.
  it("max 30 / backup 1: live holds the second record, .1 the first", async () => {
    await expectFiles(30, 1, ["first message", "second message"], {
      "rotating.log": "rotate [INFO] second message\n",
      "rotating.log.1": "rotate [INFO] first message\n"
    })
  })

  it("max 48 / backup 2, four records: live=fourth, .1=third, .2=second", async () => {
    await expectFiles(48, 2, ["first message", "second message", "third message", "fourth message"], {
      "rotating.log": "rotate [INFO] fourth message\n",
      "rotating.log.1": "rotate [INFO] third message\n",
      "rotating.log.2": "rotate [INFO] second message\n"
    })
  })

  it("an exact fit does not rotate; one byte over rotates", async () => {
    await expectFiles(28, 1, ["first message"], { "rotating.log": "rotate [INFO] first message\n" })
    await expectFiles(57, 1, ["first message", "second message"], {
      "rotating.log": "rotate [INFO] first message\nrotate [INFO] second message\n"
    })
    await expectFiles(56, 1, ["first message", "second message"], {
      "rotating.log": "rotate [INFO] second message\n",
      "rotating.log.1": "rotate [INFO] first message\n"
    })
  })

  it("multibyte UTF-8 is counted in bytes (max 34, two emoji records)", async () => {
    await expectFiles(34, 1, ["emoji 😀", "emoji 😁"], {
      "rotating.log": "rotate [INFO] emoji 😁\n",
      "rotating.log.1": "rotate [INFO] emoji 😀\n"
    })
    // Each line is 25 bytes but 23 UTF-16 units: 50 bytes fit in 50, not in 48.
    await expectFiles(50, 1, ["emoji 😀", "emoji 😁"], {
      "rotating.log": "rotate [INFO] emoji 😀\nrotate [INFO] emoji 😁\n"
    })
    await expectFiles(48, 1, ["emoji 😀", "emoji 😁"], {
      "rotating.log": "rotate [INFO] emoji 😁\n",
      "rotating.log.1": "rotate [INFO] emoji 😀\n"
    })
  })

  it("a single record larger than max_bytes on an empty file still rotates first (empty .1)", async () => {
    await expectFiles(10, 1, ["overlong message"], {
      "rotating.log": "rotate [INFO] overlong message\n",
      "rotating.log.1": ""
    })
  })

  it("counts what the file already holds when it is opened", async () => {
    const dir = tempDir()
    const file = path.join(dir, "rotating.log")
    fs.writeFileSync(file, "x".repeat(20) + "\n")
    const h = track(new FemtoRotatingFileHandler(file, { rotation: [40, 1] }))
    h.handle("rotate", "INFO", "first message")
    await h.close()
    assert.deepStrictEqual(snapshot(dir), {
      "rotating.log": "rotate [INFO] first message\n",
      "rotating.log.1": "x".repeat(20) + "\n"
    })
  })
})

describe("FemtoRotatingFileHandler: backups", () => {
  const line = (i: number) => `line-${String(i).padStart(2, "0")}`
  const message = (h: FemtoRotatingFileHandler, i: number) => h.handle("r", "INFO", line(i))
  // "r [INFO] line-01\n" is 17 bytes: with max 17 every record gets a file of its own.

  it("lowering backupCount prunes the backups beyond it at the next rotation", async () => {
    const dir = tempDir()
    const file = path.join(dir, "rotating.log")
    const first = track(new FemtoRotatingFileHandler(file, { rotation: [17, 5] }))
    for (let i = 1; i <= 5; i++) message(first, i)
    await first.close()
    assert.deepStrictEqual(listDir(dir), [
      "rotating.log",
      "rotating.log.1",
      "rotating.log.2",
      "rotating.log.3",
      "rotating.log.4"
    ])
    const second = track(new FemtoRotatingFileHandler(file, { rotation: [17, 2] }))
    message(second, 6)
    await second.close()
    assert.deepStrictEqual(snapshot(dir), {
      "rotating.log": "r [INFO] line-06\n",
      "rotating.log.1": "r [INFO] line-05\n",
      "rotating.log.2": "r [INFO] line-04\n"
    })
  })

  // A lone surrogate cannot be encoded: the name on disk has U+FFFD there, as the directory lists it.
  it("a path with a lone surrogate (written as U+FFFD) still shifts its backups: none is renamed over", async () => {
    const dir = tempDir()
    const h = track(new FemtoRotatingFileHandler(path.join(dir, "rot\uD800.log"), { rotation: [17, 3] }))
    for (let i = 1; i <= 4; i++) message(h, i)
    await h.close()
    assert.deepStrictEqual(snapshot(dir), {
      "rot\uFFFD.log": "r [INFO] line-04\n",
      "rot\uFFFD.log.1": "r [INFO] line-03\n",
      "rot\uFFFD.log.2": "r [INFO] line-02\n",
      "rot\uFFFD.log.3": "r [INFO] line-01\n"
    })
  })

  // Only <path>.N as rotation names it (N without leading zeros) is a backup: CPython leaves
  // rotating.log.03 alone, and so must the pruning of backups beyond the count.
  it("files like <path>.03 or <path>.0 are not backups: never pruned nor shifted", async () => {
    const dir = tempDir()
    const file = path.join(dir, "rotating.log")
    for (const name of ["rotating.log.03", "rotating.log.007.gz", "rotating.log.0"]) fs.writeFileSync(path.join(dir, name), name)
    const h = track(new FemtoRotatingFileHandler(file, { rotation: [17, 2] }))
    for (let i = 1; i <= 4; i++) message(h, i)
    await h.close()
    assert.deepStrictEqual(snapshot(dir), {
      "rotating.log": "r [INFO] line-04\n",
      "rotating.log.0": "rotating.log.0",
      "rotating.log.007.gz": "rotating.log.007.gz",
      "rotating.log.03": "rotating.log.03",
      "rotating.log.1": "r [INFO] line-03\n",
      "rotating.log.2": "r [INFO] line-02\n"
    })
  })

  it("no record is lost or duplicated across many rotations (1,000 records, max 200 bytes)", async () => {
    const dir = tempDir()
    const file = path.join(dir, "rotating.log")
    const h = track(new FemtoRotatingFileHandler(file, { rotation: [200, 1000] }))
    const expected: Array<string> = []
    for (let i = 0; i < 1000; i++) {
      h.handle("rotate", "INFO", `record ${i}`)
      expected.push(`rotate [INFO] record ${i}`)
      if (i % 50 === 49) await tick()
    }
    await h.close()
    const names = listDir(dir)
    const backups = names.filter((n) => n !== "rotating.log").map((n) => Number(n.slice("rotating.log.".length)))
    backups.sort((a, b) => b - a)
    assert.isAbove(backups.length, 100)
    assert.deepStrictEqual(backups, Array.from({ length: backups.length }, (_, i) => backups.length - i))
    const all: Array<string> = []
    for (const n of backups) {
      const text = readText(`${file}.${n}`)!
      assert.isAtMost(Buffer.byteLength(text), 200, `${file}.${n}`)
      all.push(...readLines(`${file}.${n}`))
    }
    assert.isAtMost(Buffer.byteLength(readText(file)!), 200)
    all.push(...readLines(file))
    assert.strictEqual(firstMismatch(all, expected), undefined)
  })

  it("compress: true gzips each backup to .N.gz (checked after close)", async () => {
    const dir = tempDir()
    const file = path.join(dir, "rotating.log")
    const h = track(new FemtoRotatingFileHandler(file, { rotation: [28, 2], compress: true }))
    h.handle("rotate", "INFO", "first message")
    assert.isTrue(await h.flush())
    h.handle("rotate", "INFO", "second message")
    h.handle("rotate", "INFO", "third message")
    await h.close()
    assert.deepStrictEqual(listDir(dir), ["rotating.log", "rotating.log.1.gz", "rotating.log.2.gz"])
    assert.strictEqual(readText(file), "rotate [INFO] third message\n")
    const gunzip = (name: string) => zlib.gunzipSync(fs.readFileSync(path.join(dir, name))).toString("utf8")
    assert.strictEqual(gunzip("rotating.log.1.gz"), "rotate [INFO] second message\n")
    assert.strictEqual(gunzip("rotating.log.2.gz"), "rotate [INFO] first message\n")
  })
})

describe("FemtoRotatingFileHandler: compress and the end of the process", () => {
  it("once close() returned, no timer of a compression is left to keep the process alive (its 200 ms tail grace)", async () => {
    const dir = tempDir()
    const result = await runModule(`
      import { FemtoRotatingFileHandler, getLogger } from "femtologging"
      const handler = new FemtoRotatingFileHandler(${JSON.stringify(path.join(dir, "app.log"))}, { maxBytes: 2000, backupCount: 3, compress: true })
      getLogger("gz").addHandler(handler)
      for (let i = 0; i < 200; i++) getLogger("gz").info("id=" + i)
      await handler.close()
      console.log(JSON.stringify(process.getActiveResourcesInfo().filter((r) => r === "Timeout")))
    `, { timeoutMs: 10_000 })
    assert.strictEqual(result.code, 0, result.stderr)
    assert.strictEqual(result.stdout.trim(), "[]")
    const live = readLines(path.join(dir, "app.log"))
    const backup = zlib.gunzipSync(fs.readFileSync(path.join(dir, "app.log.1.gz"))).toString("utf8").split("\n").filter((l) => l !== "")
    assert.strictEqual(backup.length + live.length, 200)
  })
})

describe("FemtoRotatingFileHandler: a rotation that cannot happen", () => {
  it("keeps appending to the live file when the backups cannot be moved, losing nothing", async () => {
    const dir = tempDir()
    const file = path.join(dir, "app.log")
    // A non-empty folder where the backup goes: removing `.1` fails, so the rotation fails.
    fs.mkdirSync(path.join(dir, "app.log.1"))
    fs.writeFileSync(path.join(dir, "app.log.1", "keep"), "x")
    const handler = track(new FemtoRotatingFileHandler(file, { rotation: [40, 1] }))
    const messages = Array.from({ length: 6 }, (_, i) => `message number ${i}`)
    let stderr = ""
    await spyWriteSync((fd, data) => {
      if (fd === 2) stderr += data
    }, async () => {
      for (const m of messages) {
        handler.handle("a", "INFO", m)
        assert.isTrue(await handler.flush())
      }
    })
    // Reported once (rate-limited), saying why and what it does instead.
    assert.strictEqual(stderr.split("\n").filter(Boolean).length, 1)
    assert.match(stderr, /rotation of .*app\.log failed \(.*\); appending to the live file/)
    await handler.close()
    assert.deepStrictEqual(readLines(file), messages.map((m) => `a [INFO] ${m}`))
    assert.strictEqual(handler.getDropped(), 0)
    assert.isTrue(fs.statSync(path.join(dir, "app.log.1")).isDirectory())
  })

  it("keeps writing where it was when the fresh live file cannot be created", async () => {
    const dir = tempDir()
    const logs = path.join(dir, "logs")
    const file = path.join(logs, "app.log")
    const handler = track(new FemtoRotatingFileHandler(file, { rotation: [40, 2] }))
    handler.handle("a", "INFO", "first message here")
    assert.isTrue(await handler.flush())
    // The folder becomes unusable: the live file is moved away by the rotation, and no fresh
    // file can be created in a path whose parent is now a regular file.
    fs.renameSync(logs, path.join(dir, "moved"))
    fs.writeFileSync(logs, "not a folder")
    handler.handle("a", "INFO", "second message here")
    handler.handle("a", "INFO", "third message here")
    await handler.close()
    assert.strictEqual(handler.getDropped(), 0)
    assert.strictEqual(fs.readFileSync(logs, "utf8"), "not a folder")
    assert.deepStrictEqual(readLines(path.join(dir, "moved", "app.log")), [
      "a [INFO] first message here",
      "a [INFO] second message here",
      "a [INFO] third message here"
    ])
  })
})

describe("FemtoRotatingFileHandler: one options spec (maxBytes/backupCount or rotation)", () => {
  const ways = (file: string): Ways<RotatingFileHandlerOptions> => ({
    construct: (options) => new FemtoRotatingFileHandler(file, options),
    build: (options) => new RotatingFileHandlerBuilder(file, options).build(),
    make: (options) => RotatingFileHandler.make(file, options)
  })

  it("maxBytes and backupCount rotate exactly as rotation: [maxBytes, backupCount] does", async () => {
    const messages = ["first message", "second message", "third message", "fourth message"]
    for (const mode of modes) {
      const keys = await scenario(48, 2, messages, mode, "keys")
      assert.deepStrictEqual(keys, await scenario(48, 2, messages, mode, "rotation"), mode)
      assert.deepStrictEqual(Object.keys(keys), ["rotating.log", "rotating.log.1", "rotating.log.2"], mode)
    }
    const dir = tempDir()
    const a = track(new FemtoRotatingFileHandler(path.join(dir, "a.log"), { maxBytes: 100, backupCount: 2 }))
    const b = track(new FemtoRotatingFileHandler(path.join(dir, "b.log"), { rotation: [100, 2] }))
    assert.deepStrictEqual([a.maxBytes, a.backupCount], [b.maxBytes, b.backupCount])
    assert.deepStrictEqual(new HandlerOptions({ maxBytes: 100, backupCount: 2 }).rotation, [100, 2])
    const file = path.join(dir, "c.log")
    assert.deepStrictEqual(
      new RotatingFileHandlerBuilder(file, { rotation: [100, 2] }).asDict(),
      new RotatingFileHandlerBuilder(file, { maxBytes: 100, backupCount: 2 }).asDict()
    )
    assert.deepStrictEqual(
      new RotatingFileHandlerBuilder(file, { rotation: [100, 2] }).options,
      { maxBytes: 100, backupCount: 2 }
    )
  })

  it("refusals name the option in camelCase, alike from the constructor, build() and make()", async () => {
    const file = path.join(tempDir(), "never.log")
    const w = ways(file)
    const refused = (options: Record<string, unknown>, message: string, field: string) =>
      refusedAlike(w, options as RotatingFileHandlerOptions, message, field)
    await refused(
      { rotation: [100, 2], maxBytes: 100 },
      "rotation cannot be combined with maxBytes or backupCount; give one form",
      "rotation"
    )
    await refused(
      { rotation: [100, 2], backupCount: 2 },
      "rotation cannot be combined with maxBytes or backupCount; give one form",
      "rotation"
    )
    await refused({ rotation: 100 }, "rotation must be [maxBytes, backupCount] (got 100)", "rotation")
    await refused({ rotation: [1, 2, 3] }, "rotation must be [maxBytes, backupCount] (got [1, 2, 3])", "rotation")
    await refused({ maxBytes: -1, backupCount: 1 }, "maxBytes must be a non-negative integer (got -1)", "maxBytes")
    await refused({ rotation: [10, 1.5] }, "backupCount must be a non-negative integer (got 1.5)", "backupCount")
    await refused({ maxBytes: 10 }, "backupCount must be provided when maxBytes is set", "backupCount")
    await refused({ maxBytes: 10, backupCount: 0 }, ROTATION_VALIDATION_MSG, "backupCount")
    await refused({ compress: "yes" }, "compress must be true or false (got yes)", "compress")
    await refused({ rolloverRule: "python" }, "invalid rolloverRule: 'python'. Valid options are: exceed, cpython", "rolloverRule")
    await refused({ flushAfterMs: 0 }, "flushAfterMs must be greater than zero", "flushAfterMs")
    await refused({ max_bytes: 10 }, "unknown option 'max_bytes' for RotatingFileHandler", "max_bytes")
    await refused({ when: "H" }, "unknown option 'when' for RotatingFileHandler", "when")
    await refused(
      { class: "femtologging.FileHandler" },
      "class must be 'femtologging.RotatingFileHandler' for RotatingFileHandler (got 'femtologging.FileHandler')",
      "class"
    )
    configError(() => new HandlerOptions({ backup_count: 1 } as RotatingFileHandlerOptions), "unknown option 'backup_count' for RotatingFileHandler")
    configError(
      () => new HandlerOptions({ filename: "x.log" }),
      "unknown option 'filename' for RotatingFileHandler",
      "filename"
    )
    assert.isFalse(fs.existsSync(file))
  })

  it("asDict round trip: builder -> asDict -> constructor options -> the same asDict", async () => {
    const file = path.join(tempDir(), "app.log")
    const builder = new RotatingFileHandlerBuilder(file, { mode: "w", level: 20 })
      .withMaxBytes(4096)
      .withBackupCount(3)
      .withCompression()
      .withFlushAfterRecords(8)
      .withOverflowPolicy("timeout:100")
    const dict = builder.asDict()
    assert.deepStrictEqual(dict, {
      class: "femtologging.RotatingFileHandler",
      filename: file,
      flushInterval: 8,
      policy: "timeout:100",
      level: "INFO",
      mode: "w",
      maxBytes: 4096,
      backupCount: 3,
      compress: true
    })
    assertPlainCamelCase(dict)
    assert.deepStrictEqual(
      Object.keys(builder.options).sort(),
      Object.keys(dict).filter((k) => k !== "class" && k !== "filename").sort()
    )
    assert.deepStrictEqual(new RotatingFileHandlerBuilder(dict.filename, dict).asDict(), dict)
    const h = track(new FemtoRotatingFileHandler(dict.filename, dict))
    assert.deepStrictEqual([h.maxBytes, h.backupCount, h.level], [4096, 3, "INFO"])
    const off = new RotatingFileHandlerBuilder(file).asDict()
    track(new FemtoRotatingFileHandler(off.filename, off))
  })
})

describe("rolloverRule", () => {
  it("\"cpython\" rotates on an exact fit (CPython's rule), \"exceed\" keeps it; by option, HandlerOptions and builder", async () => {
    // "rotate [INFO] " + 5 characters + newline = 20 bytes: two records make exactly 40.
    const files = async (options: RotatingFileHandlerOptions | HandlerOptions) => {
      const dir = tempDir()
      const h = track(new FemtoRotatingFileHandler(path.join(dir, "r.log"), options))
      h.handle("rotate", "INFO", "aaaaa")
      h.handle("rotate", "INFO", "bbbbb")
      await h.close()
      return snapshot(dir)
    }
    assert.deepStrictEqual(await files({ rotation: [40, 2] }), { "r.log": "rotate [INFO] aaaaa\nrotate [INFO] bbbbb\n" })
    assert.deepStrictEqual(await files({ rotation: [40, 2], rolloverRule: "exceed" }), { "r.log": "rotate [INFO] aaaaa\nrotate [INFO] bbbbb\n" })
    const cpython = { "r.log": "rotate [INFO] bbbbb\n", "r.log.1": "rotate [INFO] aaaaa\n" }
    assert.deepStrictEqual(await files({ rotation: [40, 2], rolloverRule: "cpython" }), cpython)
    assert.deepStrictEqual(await files(new HandlerOptions({ rotation: [40, 2], rolloverRule: "cpython" })), cpython)
    const builder = new RotatingFileHandlerBuilder("x.log").withMaxBytes(40).withBackupCount(2).withRolloverRule("cpython")
    assert.strictEqual(builder.asDict().rolloverRule, "cpython")
    assert.deepStrictEqual(await files(builder.options), cpython)
    configError(() => new RotatingFileHandlerBuilder("x.log").withRolloverRule("reach" as never), "invalid rolloverRule: 'reach'. Valid options are: exceed, cpython")
  })
})
