import { afterAll, assert, describe, it } from "@effect/vitest"
import * as path from "node:path"
import { getLogger } from "../src/Facade.ts"
import { CaptureHandler } from "../src/Testing.ts"
import { captureWarnings, capturing } from "../src/Warnings.ts"
import { runFixture } from "./utils/child.ts"
import { readLines, removeTempDirs, tempDir, tick } from "./utils/files.ts"

afterAll(() => removeTempDirs())

describe("captureWarnings in this process", () => {
  it("turns process.emitWarning into WARN records of node.warnings, instead of Node's printing", async () => {
    const capture = new CaptureHandler()
    const logger = getLogger("node.warnings")
    logger.addHandler(capture)
    const nodePrinters = process.listeners("warning").length
    try {
      captureWarnings()
      assert.deepStrictEqual(capturing(), { warnings: true, uncaught: false })
      // Node's own printer is set aside while warnings are captured.
      assert.strictEqual(process.listeners("warning").length, 1)
      process.emitWarning("cache is cold", { code: "APP001", detail: "warm it first" })
      process.emitWarning(new Error("custom"))
      await tick()
      assert.isTrue(await capture.flush())
      const [first, second] = capture.records
      assert.strictEqual(first!.level, "WARN")
      assert.strictEqual(first!.logger, "node.warnings")
      assert.strictEqual(first!.message, "cache is cold")
      assert.deepStrictEqual(first!.fields, { category: "Warning", code: "APP001", detail: "warm it first" })
      assert.isUndefined(first!.error)
      assert.deepStrictEqual(second!.fields, { category: "Error" })
    } finally {
      captureWarnings(false)
      logger.removeHandler(capture)
    }
    assert.deepStrictEqual(capturing(), { warnings: false, uncaught: false })
    assert.strictEqual(process.listeners("warning").length, nodePrinters)
  })

  it("keepDefault keeps Node's printing beside the records; uncaught installs a monitor only", () => {
    const listeners = process.listeners("warning").length
    const monitors = process.listeners("uncaughtExceptionMonitor").length
    const handlers = process.listeners("uncaughtException").length
    const rejections = process.listeners("unhandledRejection").length
    try {
      captureWarnings({ keepDefault: true, uncaught: true })
      assert.strictEqual(process.listeners("warning").length, listeners + 1)
      assert.strictEqual(process.listeners("uncaughtExceptionMonitor").length, monitors + 1)
      // No listener that would change how the process ends.
      assert.strictEqual(process.listeners("uncaughtException").length, handlers)
      assert.strictEqual(process.listeners("unhandledRejection").length, rejections)
      captureWarnings({ uncaught: true })
      assert.strictEqual(process.listeners("warning").length, 1)
      captureWarnings({ keepDefault: true, uncaught: true })
      assert.strictEqual(process.listeners("warning").length, listeners + 1)
    } finally {
      captureWarnings(false)
    }
    assert.strictEqual(process.listeners("warning").length, listeners)
    assert.strictEqual(process.listeners("uncaughtExceptionMonitor").length, monitors)
  })
})

describe.concurrent("captureWarnings in a child process (nothing calls close)", () => {
  const run = async (mode: string) => {
    const file = path.join(tempDir(), `${mode}.log`)
    const result = await runFixture("issue11/warnings.mjs", { args: [file, mode] })
    return { result, lines: readLines(file) }
  }

  it("a warning is a record, and Node does not print it", async () => {
    const { result, lines } = await run("warn")
    assert.strictEqual(result.code, 0)
    assert.deepStrictEqual(lines, [
      "node.warnings [WARN] cache is cold category=Warning code=APP001 detail=\"warm it first\""
    ])
    assert.notInclude(result.stderr, "cache is cold")
  })

  it("keepDefault: a record, and Node's line on stderr too", async () => {
    const { result, lines } = await run("keep")
    assert.strictEqual(lines.length, 1)
    assert.match(result.stderr, /\(node:\d+\) \[APP001\] Warning: cache is cold/)
  })

  it("an uncaught exception is a CRITICAL record written before the process ends as it would have", async () => {
    const { result, lines } = await run("throw")
    assert.strictEqual(result.code, 1)
    assert.match(result.stderr, /TypeError: crash/)
    assert.strictEqual(lines[0], "node.uncaught [CRITICAL] uncaught exception origin=uncaughtException")
    assert.match(lines[1]!, /^TypeError: crash$/)
    assert.include(lines, "Caused by: Error: why")
  })

  it("an unhandled rejection that ends the process is a CRITICAL record", async () => {
    const { result, lines } = await run("reject")
    assert.strictEqual(result.code, 1)
    assert.strictEqual(lines[0], "node.uncaught [CRITICAL] unhandled rejection origin=unhandledRejection")
    assert.match(lines[1]!, /^RangeError: nobody awaited me$/)
  })

  it("an exception the application handles is recorded and the process goes on", async () => {
    const { result, lines } = await run("handled")
    assert.strictEqual(result.code, 0)
    assert.strictEqual(result.stdout, "handled: survivable\nstill running\n")
    assert.strictEqual(lines[0], "node.uncaught [CRITICAL] uncaught exception origin=uncaughtException")
  })
})
