import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Formatter from "../src/Formatter.ts"
import * as Handler from "../src/Handler.ts"
import { HandlerConfigError } from "../src/HandlerConfigError.ts"
import * as OverflowPolicy from "../src/OverflowPolicy.ts"
import * as StreamHandler from "../src/StreamHandler.ts"
import { FemtoStreamHandler, StreamHandlerBuilder, type StreamHandlerOptions } from "../src/StreamHandler.ts"
import { lines, runFixture, runModule } from "./utils/child.ts"
import { configError, thrown, throwsExactly } from "./utils/errors.ts"
import { assertPlainCamelCase, refusedAlike, type Ways } from "./utils/options.ts"
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
  it("asDict shows class, stream and the options set, under the constructor's names", () => {
    const cls = "femtologging.StreamHandler"
    assert.deepStrictEqual(StreamHandlerBuilder.stderr().asDict(), { class: cls, stream: "stderr" })
    assert.deepStrictEqual(
      StreamHandlerBuilder.stdout().withCapacity(10).withFlushTimeoutMs(500).withFormatter("default").asDict(),
      { class: cls, stream: "stdout", capacity: 10, flushTimeoutMs: 500, formatter: "default" }
    )
    assert.deepStrictEqual(
      StreamHandlerBuilder.stderr().withFormatter((r) => r.message).withOverflowPolicy("Timeout:5").asDict(),
      { class: cls, stream: "stderr", policy: "timeout:5" }
    )
  })

  it("each step returns a new builder and leaves the old one unchanged", () => {
    const base = StreamHandlerBuilder.stdout()
    const sized = base.withCapacity(3)
    assert.notStrictEqual(sized, base)
    assert.deepStrictEqual(base.asDict(), { class: "femtologging.StreamHandler", stream: "stdout" })
    assert.deepStrictEqual(sized.asDict(), { class: "femtologging.StreamHandler", stream: "stdout", capacity: 3 })
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
      "flushTimeoutMs must be greater than zero"
    )
    const error = throwsExactly(
      () => StreamHandlerBuilder.stderr().withCapacity(0),
      HandlerConfigError,
      "capacity must be greater than zero"
    )
    assert.strictEqual(error.field, "capacity")
  })

  it("validates the formatter (an id at build(), as the constructor does) and the overflow policy", () => {
    // An id may name a ConfigBuilder's formatter, put in its place before build(): checked there.
    const named = StreamHandlerBuilder.stderr().withFormatter("fancy")
    assert.strictEqual(named.asDict().formatter, "fancy")
    for (const f of [() => named.build(), () => new FemtoStreamHandler({ formatter: "fancy" as "default" })]) {
      const error = thrown(f) as HandlerConfigError
      assert.instanceOf(error, HandlerConfigError)
      assert.strictEqual(error.field, "formatter")
      assert.match(error.message, /^unknown formatter id: fancy \(known: default, json/)
    }
    throwsExactly(
      () => StreamHandlerBuilder.stderr().withFormatter(""),
      HandlerConfigError,
      "formatter must be a non-empty id or a function"
    )
    throwsExactly(
      () => StreamHandlerBuilder.stderr().withFormatter(42 as unknown as "default"),
      HandlerConfigError,
      "invalid formatter: expected a string identifier or callable"
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
      "flushTimeoutMs must be greater than zero"
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

describe("FemtoStreamHandler(process.stdout), CPython's StreamHandler(sys.stdout)", () => {
  it("process.stdout or process.stderr in place of the options, or as stream/target, names that stream", () => {
    assert.strictEqual(track(new FemtoStreamHandler(process.stdout)).target, "stdout")
    assert.strictEqual(track(new FemtoStreamHandler(process.stderr)).target, "stderr")
    assert.strictEqual(track(new FemtoStreamHandler({ stream: process.stdout, capacity: 8 })).target, "stdout")
    assert.strictEqual(track(new FemtoStreamHandler({ target: process.stdout })).target, "stdout")
    assert.strictEqual(new StreamHandlerBuilder({ stream: process.stdout }).asDict().stream, "stdout")
    assert.strictEqual(track(new StreamHandlerBuilder({ stream: process.stdout }).build()).target, "stdout")
  })

  it("another stream object is refused saying what a stream handler writes to (it said: unknown option '_events')", async () => {
    const { PassThrough } = await import("node:stream")
    for (const make of [() => new FemtoStreamHandler(new PassThrough() as never), () => new FemtoStreamHandler({ stream: new PassThrough() as never })]) {
      const error = thrown(make)
      assert.instanceOf(error, HandlerConfigError)
      assert.strictEqual((error as HandlerConfigError).field, "stream")
      assert.match((error as HandlerConfigError).message, /writes to process\.stdout or process\.stderr/)
    }
  })

  it("writes to the stream given so", async () => {
    const result = await runModule(`
      import { FemtoStreamHandler, getLogger } from "femtologging"
      const handler = new FemtoStreamHandler(process.stdout)
      getLogger("py").addHandler(handler)
      getLogger("py").info("to stdout")
      await handler.close()
    `)
    assert.strictEqual(result.code, 0)
    assert.strictEqual(result.stdout, "py [INFO] to stdout\n")
  })
})

describe("FemtoStreamHandler: one options spec (stream, alias target)", () => {
  const ways: Ways<StreamHandlerOptions> = {
    construct: (options) => new FemtoStreamHandler(options),
    build: (options) => new StreamHandlerBuilder(options).build(),
    make: (options) => StreamHandler.make(options)
  }

  it("stream is CPython's name for target: either one, or both when they agree", () => {
    const out = track(new FemtoStreamHandler({ stream: "stdout" }))
    assert.strictEqual(out.target, "stdout")
    assert.strictEqual(out.stream, "stdout")
    assert.strictEqual(out.label, "FemtoStreamHandler(stdout)")
    assert.strictEqual(track(new FemtoStreamHandler({ target: "stdout" })).stream, "stdout")
    assert.strictEqual(track(new FemtoStreamHandler({ stream: "stderr", target: "stderr" })).target, "stderr")
    assert.strictEqual(track(new FemtoStreamHandler({})).stream, "stderr")
    assert.deepStrictEqual(new StreamHandlerBuilder({ target: "stdout" }).asDict(), {
      class: "femtologging.StreamHandler",
      stream: "stdout"
    })
    assert.deepStrictEqual(new StreamHandlerBuilder({ target: "stdout" }).options, { stream: "stdout" })
  })

  it("stream: \"stdout\" writes to stdout", async () => {
    const result = await runModule(`
      import { FemtoStreamHandler, getLogger } from "femtologging"
      const handler = new FemtoStreamHandler({ stream: "stdout" })
      getLogger("demo.stream").addHandler(handler)
      getLogger("demo.stream").info("via stream")
      await handler.close()
    `)
    assert.strictEqual(result.code, 0, result.stderr)
    assert.strictEqual(result.stdout, "demo.stream [INFO] via stream\n")
    assert.strictEqual(result.stderr, "")
  })

  it("refusals name the option in camelCase, alike from the constructor, build() and make()", async () => {
    const refused = (options: Record<string, unknown>, message: string, field: string) =>
      refusedAlike(ways, options as StreamHandlerOptions, message, field)
    await refused(
      { stream: "stdout", target: "stderr" },
      "stream and target name different streams ('stdout', 'stderr'); give one",
      "stream"
    )
    await refused({ stream: "ext://sys.stdout" }, "invalid stream: 'ext://sys.stdout'. Valid options are: stdout, stderr", "stream")
    await refused({ target: 1 }, "invalid target: '1'. Valid options are: stdout, stderr", "target")
    await refused({ flushTimeoutMs: 0 }, "flushTimeoutMs must be greater than zero", "flushTimeoutMs")
    await refused({ flushInterval: 1.5 }, "flushInterval must be a positive integer (got 1.5)", "flushInterval")
    await refused({ policy: "timeout:0" }, "timeout must be greater than zero", "policy")
    await refused({ executor: "thread" }, "invalid executor: 'thread'. Valid options are: inline, worker", "executor")
    await refused({ level: "loud" }, "invalid log level: loud", "level")
    await refused({ filename: "x.log" }, "unknown option 'filename' for StreamHandler", "filename")
    await refused({ flush_timeout_ms: 5 }, "unknown option 'flush_timeout_ms' for StreamHandler", "flush_timeout_ms")
    await refused(
      { class: "logging.StreamHandler" },
      "class must be 'femtologging.StreamHandler' for StreamHandler (got 'logging.StreamHandler')",
      "class"
    )
    configError(
      () => FemtoStreamHandler.stdout({ stream: "stderr" } as StreamHandlerOptions),
      "stream and target name different streams ('stderr', 'stdout'); give one",
      "stream"
    )
    configError(
      () => StreamHandlerBuilder.stderr().withFlushAfterRecords(0),
      "flushInterval must be greater than zero",
      "flushInterval"
    )
    configError(() => StreamHandlerBuilder.stderr().withFlushAfterMs(0), "flushAfterMs must be greater than zero", "flushAfterMs")
  })

  it("asDict round trip: builder -> asDict -> constructor options -> the same asDict", () => {
    const builder = new StreamHandlerBuilder({ stream: "stdout", level: "error", bufferBytes: 65536 })
      .withCapacity(5)
      .withFlushAfterRecords(3)
      .withFlushAfterMs(40)
      .withFlushTimeoutMs(300)
      .withOverflowPolicy(OverflowPolicy.timeout(20))
      .withFormatter("json")
    const dict = builder.asDict()
    assert.deepStrictEqual(dict, {
      class: "femtologging.StreamHandler",
      stream: "stdout",
      capacity: 5,
      flushInterval: 3,
      flushAfterMs: 40,
      flushTimeoutMs: 300,
      policy: "timeout:20",
      formatter: "json",
      level: "ERROR",
      bufferBytes: 65536
    })
    assertPlainCamelCase(dict)
    assert.deepStrictEqual(
      Object.keys(builder.options).sort(),
      Object.keys(dict).filter((k) => k !== "class").sort()
    )
    assert.deepStrictEqual(new StreamHandlerBuilder(dict).asDict(), dict)
    const h = track(new FemtoStreamHandler(dict))
    assert.strictEqual(h.target, "stdout")
    assert.deepStrictEqual(h.policy, { _tag: "Timeout", ms: 20 })
    assert.strictEqual(h.level, "ERROR")
    const worker = StreamHandlerBuilder.stderr().onWorkerThread("streams")
    assert.deepStrictEqual(worker.asDict(), {
      class: "femtologging.StreamHandler",
      stream: "stderr",
      executor: "worker",
      pool: "streams"
    })
    assert.deepStrictEqual(worker.onWorkerThread().asDict(), {
      class: "femtologging.StreamHandler",
      stream: "stderr",
      executor: "worker"
    })
  })
})
