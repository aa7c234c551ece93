import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { FemtoFileHandler } from "../src/FileHandler.ts"
import * as Index from "../src/index.ts"
import * as WatchedFileHandler from "../src/WatchedFileHandler.ts"
import {
  FemtoWatchedFileHandler,
  WatchedFileHandlerBuilder,
  type WatchedFileHandlerOptions
} from "../src/WatchedFileHandler.ts"
import { listDir, readText, removeTempDirs, tempDir } from "./utils/files.ts"
import { assertPlainCamelCase, refusedAlike, type Ways } from "./utils/options.ts"
import { trackHandlers } from "./utils/track.ts"

const track = trackHandlers()
afterAll(() => removeTempDirs())

const message = (r: { readonly message: string }) => r.message

describe("FemtoWatchedFileHandler: following an external logrotate", () => {
  for (const executor of ["inline", "worker"] as const) {
    it(`${executor}: after the file is renamed away, the next records go to a new file at the path`, async () => {
      const dir = tempDir()
      const file = path.join(dir, "app.log")
      const h = track(new FemtoWatchedFileHandler(file, { executor, formatter: message }))
      h.handle("app", "INFO", "one")
      assert.isTrue(await h.flush())
      // What logrotate does without copytruncate: rename the live file, the application goes on.
      fs.renameSync(file, `${file}.1`)
      h.handle("app", "INFO", "two")
      assert.isTrue(await h.flush())
      fs.renameSync(file, `${file}.2`)
      h.handle("app", "INFO", "three")
      await h.close()
      assert.deepStrictEqual(listDir(dir), ["app.log", "app.log.1", "app.log.2"])
      assert.strictEqual(readText(`${file}.1`), "one\n")
      assert.strictEqual(readText(`${file}.2`), "two\n")
      assert.strictEqual(readText(file), "three\n")
      assert.strictEqual(h.getDropped(), 0)
    })
  }

  it("a deleted file is created again at the next write", async () => {
    const file = path.join(tempDir(), "app.log")
    const h = track(new FemtoWatchedFileHandler(file, { formatter: message }))
    h.handle("app", "INFO", "one")
    assert.isTrue(await h.flush())
    fs.unlinkSync(file)
    h.handle("app", "INFO", "two")
    await h.close()
    assert.strictEqual(readText(file), "two\n")
  })

  for (const executor of ["inline", "worker"] as const) {
    it(`${executor}: records for a deleted file that cannot be created again are dropped and counted, not written to the deleted file`, async () => {
      const file = path.join(tempDir(), "app.log")
      const h = track(new FemtoWatchedFileHandler(file, { executor, formatter: message }))
      h.handle("app", "INFO", "one")
      assert.isTrue(await h.flush())
      fs.unlinkSync(file)
      fs.mkdirSync(file) // the path cannot be opened as a file now (EISDIR), even by root
      h.handle("app", "INFO", "two")
      assert.isFalse(await h.flush())
      assert.strictEqual(h.getDropped(), 1)
      fs.rmdirSync(file)
      h.handle("app", "INFO", "three")
      await h.close()
      assert.strictEqual(readText(file), "three\n")
      assert.strictEqual(h.getWritten(), 2)
      assert.strictEqual(h.getDropped(), 1)
    })
  }

  it("a plain file handler does not follow: it keeps writing to the renamed file", async () => {
    const file = path.join(tempDir(), "app.log")
    const h = track(new FemtoFileHandler(file, { formatter: message }))
    h.handle("app", "INFO", "one")
    assert.isTrue(await h.flush())
    fs.renameSync(file, `${file}.1`)
    h.handle("app", "INFO", "two")
    await h.close()
    assert.isFalse(fs.existsSync(file))
    assert.strictEqual(readText(`${file}.1`), "one\ntwo\n")
  })

  it.effect("WatchedFileHandler.make creates one in the current scope, closed with it", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "app.log")
      const h = yield* Effect.scoped(Effect.gen(function*() {
        const h = yield* WatchedFileHandler.make(file, { formatter: message })
        assert.instanceOf(h, FemtoWatchedFileHandler)
        assert.strictEqual(h.label, `FemtoWatchedFileHandler(${file})`)
        const built = yield* new WatchedFileHandlerBuilder(path.join(path.dirname(file), "b.log")).make()
        assert.instanceOf(built, FemtoWatchedFileHandler)
        h.handle("app", "INFO", "x")
        return h
      }))
      assert.isTrue(h.closed)
      assert.strictEqual(readText(file), "x\n")
    }))

  it("is exported from the package index, flat and as a namespace", () => {
    assert.strictEqual(Index.FemtoWatchedFileHandler, FemtoWatchedFileHandler)
    assert.strictEqual(Index.WatchedFileHandlerBuilder, WatchedFileHandlerBuilder)
    assert.strictEqual(Index.WatchedFileHandler.make, WatchedFileHandler.make)
  })
})

describe("FemtoWatchedFileHandler: options", () => {
  const ways = (file: string): Ways<WatchedFileHandlerOptions> => ({
    construct: (options) => new FemtoWatchedFileHandler(file, options),
    build: (options) => new WatchedFileHandlerBuilder(file, options).build(),
    make: (options) => WatchedFileHandler.make(file, options)
  })

  it("refuses what a file handler refuses, alike everywhere, and watch other than true; unknown keys name the kind", async () => {
    const file = path.join(tempDir(), "never.log")
    const w = ways(file)
    const refused = (options: Record<string, unknown>, detail: string, field: string) =>
      refusedAlike(w, options as WatchedFileHandlerOptions, detail, field)
    await refused({ flushInterval: 0 }, "flushInterval must be greater than zero", "flushInterval")
    await refused({ mode: "r" }, "invalid mode: 'r'. Valid options are: a, w", "mode")
    await refused({ watch: false }, "watch must be true for WatchedFileHandler (got false)", "watch")
    await refused({ maxBytes: 10 }, "unknown option 'maxBytes' for WatchedFileHandler", "maxBytes")
    await refused(
      { class: "femtologging.FileHandler" },
      "class must be 'femtologging.WatchedFileHandler' for WatchedFileHandler (got 'femtologging.FileHandler')",
      "class"
    )
    assert.isFalse(fs.existsSync(file))
    track(new FemtoWatchedFileHandler(file, { watch: true }))
  })

  it("asDict round trip: class femtologging.WatchedFileHandler, filename, the options set (not watch)", () => {
    const file = path.join(tempDir(), "app.log")
    assert.deepStrictEqual(new WatchedFileHandlerBuilder(file).asDict(), {
      class: "femtologging.WatchedFileHandler",
      filename: file
    })
    const builder = new WatchedFileHandlerBuilder(file, { mode: "w", encoding: "utf8", watch: true })
      .withCapacity(16)
      .withFlushAfterMs(20)
      .withOverflowPolicy("drop")
    const dict = builder.asDict()
    assert.deepStrictEqual(dict, {
      class: "femtologging.WatchedFileHandler",
      filename: file,
      capacity: 16,
      flushAfterMs: 20,
      policy: "drop",
      mode: "w",
      encoding: "utf8"
    })
    assertPlainCamelCase(dict)
    assert.deepStrictEqual(new WatchedFileHandlerBuilder(dict.filename, dict).asDict(), dict)
    const h = track(new FemtoWatchedFileHandler(dict.filename, dict))
    assert.deepStrictEqual(h.policy, { _tag: "Drop" })
  })
})
