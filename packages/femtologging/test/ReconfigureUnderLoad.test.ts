/**
 * Reconfiguration while records flow: a synchronous loop, async producers yielding with
 * setImmediate, Effect fibers through the Effect face, and handlers on worker threads, while
 * handlers are added, removed, closed and flushed, formatters, levels and filters change,
 * configurations are applied and released. Real files, read back line by line: every record
 * accepted is written or counted (written + dropped = accepted), none twice, in order per
 * producer, and no log call throws or hangs.
 */
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as path from "node:path"
import { basicConfig } from "../src/BasicConfig.ts"
import { dictConfig } from "../src/Config.ts"
import { getLogger, resetManager, shutdown } from "../src/Facade.ts"
import { FemtoFileHandler } from "../src/FileHandler.ts"
import * as Formatter from "../src/Formatter.ts"
import type * as LogRecord from "../src/LogRecord.ts"
import { detachRoot, resetConfiguration } from "./utils/configured.ts"
import { readLines, removeTempDirs, tempDir, tick } from "./utils/files.ts"
import { trackHandlers } from "./utils/track.ts"

const track = trackHandlers()
const executors = ["inline", "worker"] as const

beforeEach(async () => {
  await detachRoot()
  resetManager()
})
afterEach(async () => {
  await detachRoot()
  await resetConfiguration()
  removeTempDirs()
})

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
