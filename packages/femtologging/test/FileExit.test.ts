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

describe("File handler: process.exit() inside its own formatter", () => {
  for (const executor of ["inline", "worker"] as const) {
    it(`${executor}: the rest of the batch being formatted is written, the record that exited counted; exit code 5`, async () => {
      const file = path.join(tempDir(), "formatter-exit.log")
      const result = await runFixture("file-exit-in-formatter.mjs", { args: [file, executor] })
      assert.strictEqual(result.code, 5, result.stderr)
      const match = /^offered (\d+) dropped (\d+)$/m.exec(result.stdout)
      assert.isNotNull(match, `stdout: ${result.stdout}\nstderr: ${result.stderr}`)
      const offered = Number(match![1])
      assert.isAbove(offered, 3_001, "the batch being formatted must hold records after r3000")
      // Every record offered but the one whose formatter exited is in the file, in order; that one is counted.
      const expected = Array.from({ length: offered }, (_, i) => `r${i}`).filter((line) => line !== "r3000")
      assert.strictEqual(firstMismatch(readLines(file), expected), undefined, `stderr: ${result.stderr}`)
      assert.strictEqual(Number(match![2]), 1)
    })
  }
})
