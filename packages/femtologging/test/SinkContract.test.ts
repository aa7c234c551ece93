/**
 * The sink contract as a user writing sinks meets it: failures of a sink of one's own are
 * reported with the records they cost, while the process runs, on either executor; timeouts
 * bound what a broken sink costs a caller. Found by the review of user handlers and sink modules.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Path from "node:path"
import { fixturesDir, runModule } from "./utils/child.ts"

const failingSink = Path.join(fixturesDir, "sinks", "failing.mjs")
const dropLine = /dropped (\d+) records?; queue full or closed, or not written by the sink$/gm

/** The drop counts reported on stderr before and after `marker`. */
const dropsAround = (stderr: string, marker: string): { before: number; after: number } => {
  const at = stderr.indexOf(marker)
  assert.isAtLeast(at, 0, stderr)
  const sum = (text: string) => [...text.matchAll(dropLine)].reduce((n, m) => n + Number(m[1]), 0)
  return { before: sum(stderr.slice(0, at)), after: sum(stderr.slice(at)) }
}

describe("Sink contract: records a failing sink loses are reported as drops, with their count", () => {
  it.each(["inline", "worker"])("%s: while the process runs, and the total at close equals getDropped()", async (executor) => {
    const make = executor === "inline"
      ? `(await import(${JSON.stringify(failingSink)})).default({})
const handler = Handler.makeUnsafe({ label: "mine", target: { _tag: "Sink", sink }, formatter: (r) => r.message })`
      : `null
const handler = new FemtoWorkerHandler({ name: "mine", module: ${JSON.stringify(failingSink)}, options: {}, formatter: (r) => r.message })`
    const result = await runModule(
      `import { FemtoWorkerHandler, getLogger, Handler } from "femtologging"
const sink = ${make}
const logger = getLogger("lost")
logger.addHandler(handler)
for (let i = 0; i < 10; i++) logger.info("r" + i)
const h = Handler.of(handler)
while (h.getDropped() < 10) await new Promise((r) => setTimeout(r, 20))
// A later delivery, well after the failed write, when the reports of the loss are due.
await new Promise((r) => setTimeout(r, 100))
logger.info("r10")
await new Promise((r) => setTimeout(r, 200))
process.stderr.write("--- closing\\n")
await (handler.close ? handler.close() : Effect.runPromise(Handler.close(h)))
console.log(h.getWritten(), h.getDropped())`.replace("import {", `import { Effect } from "effect"\nimport {`),
      { timeoutMs: 30_000 }
    )
    assert.strictEqual(result.code, 0, result.stderr)
    assert.strictEqual(result.stdout.trim(), "0 11")
    const { after, before } = dropsAround(result.stderr, "--- closing")
    // The first loss is reported at once (the rate limit lets the first report through).
    assert.isAtLeast(before, 10, result.stderr)
    assert.strictEqual(before + after, 11, result.stderr)
  }, 40_000)
})
