import { afterAll, assert, describe, it } from "@effect/vitest"
import * as path from "node:path"
import { runFixture } from "./utils/child.ts"
import { firstMismatch, readLines, removeTempDirs, tempDir } from "./utils/files.ts"

afterAll(() => removeTempDirs())

const expected = Array.from({ length: 20_050 }, (_, i) => `exit [INFO] record ${i}`)

/** Runs the fixture; checks records were still pending after the loop and all of them reached the file. */
const runExit = async (mode: string) => {
  const file = path.join(tempDir(), "exit.log")
  const result = await runFixture("file-exit.mjs", { args: [file, mode] })
  const match = /^on disk after the loop: (\d+)$/m.exec(result.stdout)
  assert.isNotNull(match, `stdout: ${result.stdout}\nstderr: ${result.stderr}`)
  assert.isBelow(Number(match![1]), 20_050, "the fixture must end with records still queued or buffered")
  assert.strictEqual(firstMismatch(readLines(file), expected), undefined, `stderr: ${result.stderr}`)
  return result
}

describe("File handler: records pending at exit are written without close()", () => {
  it("the script ends normally: all 20,050 lines, in order; exit code 0", async () => {
    const result = await runExit("normal")
    assert.strictEqual(result.code, 0)
    assert.strictEqual(result.signal, null)
  })

  it("process.exit(3) right after the loop: all 20,050 lines, in order; exit code 3", async () => {
    const result = await runExit("exit")
    assert.strictEqual(result.code, 3)
    assert.strictEqual(result.signal, null)
  })

  it("SIGTERM sent to itself after the loop: all 20,050 lines, in order; the process ends by SIGTERM", async () => {
    const result = await runExit("SIGTERM")
    assert.strictEqual(result.signal, "SIGTERM")
    assert.strictEqual(result.code, null)
  })

  it("SIGINT sent to itself after the loop: all 20,050 lines, in order; the process ends by SIGINT", async () => {
    const result = await runExit("SIGINT")
    assert.strictEqual(result.signal, "SIGINT")
    assert.strictEqual(result.code, null)
  })
})
