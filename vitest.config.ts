import { defineConfig } from "vitest/config"
import type { Reporter } from "vitest/reporters"
import { projects } from "./vitest.workspace.ts"

/** Prints the plain `N passed, N failed, N skipped` line that CI logs are read for. */
const summary: Reporter = {
  onTestRunEnd(testModules) {
    const count = { passed: 0, failed: 0, skipped: 0 }
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === "passed") count.passed++
        else if (state === "failed") count.failed++
        else count.skipped++
      }
    }
    process.stdout.write(`\nvitest: ${count.passed} passed, ${count.failed} failed, ${count.skipped} skipped\n`)
  }
}

export default defineConfig({
  test: {
    projects,
    reporters: ["default", summary]
  }
})
