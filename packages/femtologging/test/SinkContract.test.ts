/**
 * The sink contract as a user writing sinks meets it: failures of a sink of one's own are
 * reported with the records they cost, while the process runs, on either executor; timeouts
 * bound what a broken sink costs a caller. Found by the review of user handlers and sink modules.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Path from "node:path"
import { getLogger, resetManager } from "../src/Facade.ts"
import * as Handler from "../src/Handler.ts"
import * as Logger from "../src/Logger.ts"
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

describe("Sink contract: a stalled sink costs a fiber under timeout:N the N ms once", () => {
  it("an inline sink whose write never settles: the fiber is held about 50 ms once, then refused at once until the queue moves", async () => {
    resetManager()
    const handler = Handler.makeUnsafe({
      label: "stalled",
      target: { _tag: "Sink", sink: { write: () => new Promise<void>(() => {}) } },
      policy: "timeout:50",
      capacity: 4,
      flushTimeoutMs: 100,
      formatter: (r) => r.message
    })
    const logger = getLogger("contract.stalled")
    logger.setPropagate(false)
    logger.addHandler(handler)
    const holds = await Effect.runPromise(Effect.gen(function*() {
      const held: Array<number> = []
      for (let i = 0; i < 30; i++) {
        const t0 = performance.now()
        yield* Logger.info(logger, `r${i}`)
        held.push(performance.now() - t0)
      }
      return held
    }))
    const first = holds.findIndex((ms) => ms >= 45)
    assert.isAtLeast(first, 0, `never held: ${holds.join(", ")}`)
    // After the first hold, every call returns at once (the longest, not the sum, so that a busy
    // machine's pauses do not add up); without the rule each call waited 50 ms again.
    const longest = Math.max(...holds.slice(first + 1))
    assert.isBelow(longest, 45, `held again: ${holds.map((ms) => ms.toFixed(0)).join(", ")}`)
    assert.strictEqual(handler.getDropped(), 30 - handler.getAccepted())
    await Effect.runPromise(Handler.close(handler))
    assert.strictEqual(handler.getWritten() + handler.getDropped(), 30)
  }, 20_000)
})

describe("Sink contract: a sink whose close() never finishes is given up on, and said so", () => {
  const hanging = Path.join(fixturesDir, "sinks", "hanging-close.mjs")
  it.each(["inline", "worker"])("%s: close() returns, every record counted written, one report names the handler", async (executor) => {
    const make = executor === "inline"
      ? `Handler.makeUnsafe({ label: "mine", target: { _tag: "Sink", sink: (await import(${JSON.stringify(hanging)})).default({}) }, flushTimeoutMs: 200, formatter: (r) => r.message })`
      : `new FemtoWorkerHandler({ name: "mine", module: ${JSON.stringify(hanging)}, options: {}, flushTimeoutMs: 200, formatter: (r) => r.message })`
    const result = await runModule(
      `import { Effect } from "effect"
import { FemtoWorkerHandler, getLogger, Handler } from "femtologging"
const handler = ${make}
const logger = getLogger("hang")
logger.addHandler(handler)
for (let i = 0; i < 10; i++) logger.info("r" + i)
const h = Handler.of(handler)
await (handler.close ? handler.close() : Effect.runPromise(Handler.close(h)))
console.log(h.getWritten(), h.getDropped())`,
      { timeoutMs: 30_000 }
    )
    assert.strictEqual(result.code, 0, result.stderr)
    assert.strictEqual(result.stdout.trim(), "10 0")
    // Before: nothing on stderr; close() just took its time.
    const reports = result.stderr.split("\n").filter((line) => /mine\S*: close failed: not finished after \d+ ms: given up on$/.test(line))
    assert.strictEqual(reports.length, 1, result.stderr)
  }, 40_000)
})

describe("Sink contract: a user handler object's own flush()", () => {
  it("a flush() that returns (synchronously) makes the flush true; one that throws makes it false", async () => {
    resetManager()
    const calls: Array<string> = []
    const logger = getLogger("own.flush")
    const own = { handle: (_l: string, _v: string, m: string) => void calls.push(m), flush: () => void calls.push("flush") }
    logger.addHandler(own)
    logger.warning("w1")
    assert.isTrue(await logger.flush())
    assert.deepStrictEqual(calls, ["w1", "flush"])
    const failing = getLogger("own.flush.throws")
    const throwing = {
      handle: () => {},
      flush: () => {
        throw new Error("cannot flush")
      }
    }
    failing.addHandler(throwing)
    failing.warning("w2")
    assert.isFalse(await failing.flush())
    resetManager()
  })

  it("is called after its records when the handler flushes or is removed, and at exit (CPython's shutdown flushes every handler); its close() never is", async () => {
    const result = await runModule(
      `import { writeSync } from "node:fs"
import { getLogger } from "femtologging"
const user = (name) => {
  const seen = []
  return {
    handle: (logger, level, message) => void seen.push(message),
    flush: () => void writeSync(1, name + " flushed after " + seen.length + "\\n"),
    close: () => void writeSync(1, name + " closed\\n")
  }
}
const removed = user("removed")
getLogger("a").addHandler(removed)
getLogger("a").warning("a1")
getLogger("a").warning("a2")
getLogger("a").removeHandler(removed)
await new Promise((r) => setTimeout(r, 50))
const kept = user("kept")
getLogger("b").addHandler(kept)
for (const m of ["b1", "b2", "b3"]) getLogger("b").warning(m)
writeSync(1, "end of the program\\n")`,
      { timeoutMs: 30_000 }
    )
    assert.strictEqual(result.code, 0, result.stderr)
    assert.strictEqual(result.stdout, "removed flushed after 2\nend of the program\nkept flushed after 3\n")
  }, 40_000)
})
