import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Formatter from "../src/Formatter.ts"
import * as Handler from "../src/Handler.ts"
import { HandlerConfigError } from "../src/HandlerConfigError.ts"
import * as OverflowPolicy from "../src/OverflowPolicy.ts"
import * as StreamHandler from "../src/StreamHandler.ts"
import { FemtoStreamHandler, StreamHandlerBuilder } from "../src/StreamHandler.ts"
import { lines, runFixture, runModule } from "./utils/child.ts"
import { throwsExactly } from "./utils/errors.ts"
import { trackHandlers } from "./utils/track.ts"

const track = trackHandlers()

describe("FemtoStreamHandler with real streams", () => {
  it("the seed's quick start prints its line on stderr", async () => {
    const result = await runFixture("quickstart.mjs")
    assert.strictEqual(result.code, 0)
    assert.strictEqual(result.stderr, "demo.app [INFO] hello from femtologging\n")
    assert.strictEqual(result.stdout, "")
  })

  it("stderr() writes to stderr and flush() resolves true once the line is written", async () => {
    const result = await runModule(`
      import { FemtoStreamHandler, getLogger } from "femtologging"
      const handler = FemtoStreamHandler.stderr()
      const logger = getLogger("demo.app")
      logger.addHandler(handler)
      const returned = logger.log("INFO", "hello from femtologging")
      const flushed = await handler.flush()
      process.stderr.write("flushed " + flushed + "\\n")
      process.stdout.write(JSON.stringify({ returned, target: handler.target }))
    `)
    assert.strictEqual(result.code, 0)
    assert.deepStrictEqual(lines(result.stderr), ["demo.app [INFO] hello from femtologging", "flushed true"])
    assert.deepStrictEqual(JSON.parse(result.stdout), {
      returned: "demo.app [INFO] hello from femtologging",
      target: "stderr"
    })
  })

  it("stdout() writes to stdout", async () => {
    const result = await runModule(`
      import { FemtoStreamHandler, getLogger } from "femtologging"
      const handler = FemtoStreamHandler.stdout()
      const logger = getLogger("demo.out")
      logger.addHandler(handler)
      logger.info("to stdout")
      logger.warning("second", { n: 2 })
      await handler.close()
    `)
    assert.strictEqual(result.code, 0)
    assert.strictEqual(result.stdout, "demo.out [INFO] to stdout\ndemo.out [WARN] second n=2\n")
    assert.strictEqual(result.stderr, "")
  })

  it("the default constructor writes to stderr", async () => {
    const result = await runModule(`
      import { FemtoStreamHandler, getLogger } from "femtologging"
      getLogger().addHandler(new FemtoStreamHandler())
      getLogger().error("to the default stream")
    `)
    assert.strictEqual(result.code, 0)
    assert.strictEqual(result.stderr, "root [ERROR] to the default stream\n")
    assert.strictEqual(result.stdout, "")
  })

  it("a built handler honours capacity, drop policy, formatter and target", async () => {
    const result = await runModule(`
      import { StreamHandlerBuilder } from "femtologging"
      const handler = StreamHandlerBuilder.stdout()
        .withCapacity(4)
        .withFlushTimeoutMs(200)
        .withFormatter((r) => r.level + "|" + r.logger + "|" + r.message)
        .withOverflowPolicy("drop")
        .build()
      const refused = []
      for (let i = 0; i < 10; i++) {
        try {
          handler.handle("built", "INFO", "m" + i)
        } catch (error) {
          refused.push(error.message)
        }
      }
      const flushed = await handler.flush()
      process.stderr.write(JSON.stringify({ flushed, refused, dropped: handler.getDropped() }) + "\\n")
    `)
    assert.strictEqual(result.code, 0)
    assert.strictEqual(result.stdout, "INFO|built|m0\nINFO|built|m1\nINFO|built|m2\nINFO|built|m3\n")
    const report = lines(result.stderr).find((l) => l.startsWith("{"))
    assert.isDefined(report)
    assert.deepStrictEqual(JSON.parse(report!), {
      flushed: true,
      refused: ["queue full", "queue full", "queue full", "queue full", "queue full", "queue full"],
      dropped: 6
    })
    const reported = lines(result.stderr)
      .map((l) => /^femtologging: FemtoStreamHandler\(stdout\) dropped (\d+) records?/.exec(l))
      .filter((m) => m !== null)
      .reduce((n, m) => n + Number(m[1]), 0)
    assert.strictEqual(reported, 6)
  })

  it("a built handler with the default policy (block) writes every record of a burst beyond its capacity", async () => {
    const result = await runModule(`
      import { StreamHandlerBuilder } from "femtologging"
      const handler = StreamHandlerBuilder.stdout()
        .withCapacity(4)
        .withFormatter((r) => r.message)
        .build()
      for (let i = 0; i < 10; i++) handler.handle("built", "INFO", "m" + i)
      const flushed = await handler.flush()
      process.stderr.write(JSON.stringify({ flushed, dropped: handler.getDropped(), policy: handler.policy }) + "\\n")
    `)
    assert.strictEqual(result.code, 0, result.stderr)
    assert.deepStrictEqual(lines(result.stdout), Array.from({ length: 10 }, (_, i) => `m${i}`))
    assert.deepStrictEqual(JSON.parse(result.stderr), { flushed: true, dropped: 0, policy: { _tag: "Block" } })
  })
})

describe("StreamHandlerBuilder", () => {
  it("asDict shows the options with the seed's keys", () => {
    assert.deepStrictEqual(StreamHandlerBuilder.stderr().asDict(), { target: "stderr" })
    assert.deepStrictEqual(
      StreamHandlerBuilder.stdout().withCapacity(10).withFlushTimeoutMs(500).withFormatter("default").asDict(),
      { target: "stdout", capacity: 10, flush_timeout_ms: 500, formatter: "default" }
    )
    assert.deepStrictEqual(
      StreamHandlerBuilder.stderr().withFormatter((r) => r.message).withOverflowPolicy("Timeout:5").asDict(),
      { target: "stderr", formatter: { kind: "instance" }, overflow_policy: "timeout:5" }
    )
  })

  it("each step returns a new builder and leaves the old one unchanged", () => {
    const base = StreamHandlerBuilder.stdout()
    const sized = base.withCapacity(3)
    assert.notStrictEqual(sized, base)
    assert.deepStrictEqual(base.asDict(), { target: "stdout" })
    assert.deepStrictEqual(sized.asDict(), { target: "stdout", capacity: 3 })
  })

  it("validates capacity and flush timeout", () => {
    throwsExactly(() => StreamHandlerBuilder.stderr().withCapacity(0), HandlerConfigError, "capacity must be greater than zero")
    throwsExactly(() => StreamHandlerBuilder.stderr().withCapacity(-4), HandlerConfigError, "capacity must be greater than zero")
    throwsExactly(
      () => StreamHandlerBuilder.stderr().withCapacity(2.5),
      HandlerConfigError,
      "capacity must be a positive integer (got 2.5)"
    )
    throwsExactly(
      () => StreamHandlerBuilder.stderr().withFlushTimeoutMs(0),
      HandlerConfigError,
      "flush_timeout_ms must be greater than zero"
    )
    const error = throwsExactly(
      () => StreamHandlerBuilder.stderr().withCapacity(0),
      HandlerConfigError,
      "capacity must be greater than zero"
    )
    assert.strictEqual(error.field, "capacity")
  })

  it("validates the formatter and the overflow policy", () => {
    throwsExactly(
      () => StreamHandlerBuilder.stderr().withFormatter("fancy" as "default"),
      HandlerConfigError,
      "unknown formatter id: fancy (known: default, json)"
    )
    throwsExactly(
      () => StreamHandlerBuilder.stderr().withOverflowPolicy("sometimes"),
      HandlerConfigError,
      "invalid overflow policy: 'sometimes'. Valid options are: drop, block, timeout:N"
    )
  })

  it("build() creates a FemtoStreamHandler with the options", () => {
    const format: Formatter.Formatter = (r) => r.message
    const handler = track(
      StreamHandlerBuilder.stdout().withCapacity(8).withFlushTimeoutMs(250).withFormatter(format)
        .withOverflowPolicy("block").build()
    )
    assert.instanceOf(handler, FemtoStreamHandler)
    assert.strictEqual(handler.target, "stdout")
    assert.strictEqual(handler.label, "FemtoStreamHandler(stdout)")
    assert.strictEqual(handler.flushTimeoutMs, 250)
    assert.strictEqual(handler.formatter, format)
    assert.deepStrictEqual(handler.policy, OverflowPolicy.block())
    const defaults = track(StreamHandlerBuilder.stderr().build())
    assert.strictEqual(defaults.target, "stderr")
    assert.strictEqual(defaults.flushTimeoutMs, 1000)
    assert.strictEqual(defaults.formatter, Formatter.defaultFormatter)
    assert.deepStrictEqual(defaults.policy, OverflowPolicy.block())
  })
})

describe("FemtoStreamHandler options", () => {
  it("rejects invalid options", () => {
    throwsExactly(() => new FemtoStreamHandler({ capacity: 0 }), HandlerConfigError, "capacity must be greater than zero")
    throwsExactly(
      () => FemtoStreamHandler.stderr({ flushTimeoutMs: 0 }),
      HandlerConfigError,
      "flush_timeout_ms must be greater than zero"
    )
    throwsExactly(
      () => FemtoStreamHandler.stdout({ policy: "x" }),
      HandlerConfigError,
      "invalid overflow policy: 'x'. Valid options are: drop, block, timeout:N"
    )
  })

  it("accepts a policy string", () => {
    const handler = track(FemtoStreamHandler.stderr({ policy: "timeout:30" }))
    assert.deepStrictEqual(handler.policy, { _tag: "Timeout", ms: 30 })
  })

  it.effect("StreamHandler.make creates one in the current scope (Effect face), closed with it", () =>
    Effect.gen(function*() {
      const [handler, built] = yield* Effect.scoped(Effect.gen(function*() {
        const handler = yield* StreamHandler.make({ target: "stdout", capacity: 2 })
        assert.instanceOf(handler, FemtoStreamHandler)
        assert.isTrue(Handler.isHandler(handler.handler))
        assert.strictEqual(handler.label, "FemtoStreamHandler(stdout)")
        assert.strictEqual(handler.executor, "inline")
        const built = yield* StreamHandlerBuilder.stderr().make()
        assert.strictEqual(built.label, "FemtoStreamHandler(stderr)")
        assert.isFalse(handler.closed || built.closed)
        return [handler, built] as const
      }))
      assert.isTrue(handler.closed)
      assert.isTrue(built.closed)
    }))
})
