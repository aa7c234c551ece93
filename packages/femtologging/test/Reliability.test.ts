/**
 * Faults found by fault injection (the reliability issue), each reproduced here on real parts.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as path from "node:path"
import * as querystring from "node:querystring"
import { getLogger, resetManager } from "../src/Facade.ts"
import { FemtoFileHandler } from "../src/FileHandler.ts"
import { CaptureHandler } from "../src/Testing.ts"
import { runFixture } from "./utils/child.ts"
import { readLines, removeTempDirs, tempDir } from "./utils/files.ts"

afterAll(() => removeTempDirs())

describe("Reliability: a log call never throws", () => {
  it("odd messages and fields are logged, not thrown at the caller; function fields never print their source", async () => {
    resetManager()
    const file = path.join(tempDir(), "odd.log")
    const handler = new FemtoFileHandler(file)
    const json = new CaptureHandler()
    const logger = getLogger("odd")
    logger.addHandler(handler)
    logger.addHandler(json)
    const throwingToString = { toString: () => { throw new Error("no text") } }
    const proxy = new Proxy({}, { ownKeys: () => { throw new Error("no keys") } })
    const errorGetter = Object.defineProperty({}, "error", { enumerable: true, get: () => { throw new Error("no error") } })
    const badMessage = new Error("x")
    Object.defineProperty(badMessage, "message", { get: () => { throw new Error("no message") } })
    const secret = function secretSource() {
      return "SOURCE-CODE-MUST-NOT-PRINT"
    }
    const calls: Array<() => unknown> = [
      () => logger.info(querystring.parse("a=1&b=2") as never),
      () => logger.info(throwingToString as never),
      () => logger.info("proxy fields", proxy as never),
      () => logger.info("error getter", errorGetter as never),
      () => logger.info(badMessage),
      () => logger.error("with error", badMessage),
      () => logger.info("function field", { fn: secret }),
      () => logger.info("bigint and cycle", { n: 10n, self: (() => { const o: Record<string, unknown> = {}; o.self = o; return o })() })
    ]
    for (const call of calls) assert.doesNotThrow(call)
    await handler.close()
    await json.close()
    const text = readLines(file).join("\n")
    assert.notInclude(text, "SOURCE-CODE-MUST-NOT-PRINT")
    assert.include(text, "fn=\"[Function secretSource]\"")
    assert.strictEqual(json.records.length, calls.length)
    assert.strictEqual(handler.getDropped() + json.getDropped(), 0)
  })
})

describe("Reliability: a failing user handler does not flood stderr", () => {
  it("20,000 records through a handler that always throws: the first failure with its stack, then counts, a few lines in all", async () => {
    const result = await runFixture("reliability/throwing-flood.mjs", { args: ["20000"], timeoutMs: 30_000 })
    assert.strictEqual(result.code, 0, result.stderr.slice(0, 2_000))
    const lines = result.stderr.split("\n").filter((line) => line !== "")
    assert.include(result.stderr, "Error: handler failure")
    assert.isBelow(lines.length, 40, result.stderr.slice(0, 2_000))
    assert.deepStrictEqual(JSON.parse(result.stdout), { errors: 20_000 })
  }, 60_000)
})
