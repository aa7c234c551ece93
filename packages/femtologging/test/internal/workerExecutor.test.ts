import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/testing/TestClock"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { threadId } from "node:worker_threads"
import type { Executor } from "../../src/internal/executor.ts"
import * as Ring from "../../src/internal/ring.ts"
import * as WorkerExecutor from "../../src/internal/workerExecutor.ts"
import { packageDir, repoRoot } from "../utils/child.ts"
import { readLines, readText, removeTempDirs, tempDir, waitUntil } from "../utils/files.ts"

afterAll(removeTempDirs)

const sink = (name: string): string => new URL(`../fixtures/sinks/${name}`, import.meta.url).href

const encoder = new TextEncoder()

/** One batch: the lines, each ending in `\n`, and their ends. */
const batch = (lines: ReadonlyArray<string>): { readonly bytes: Uint8Array; readonly ends: Uint32Array } => {
  const parts = lines.map((line) => encoder.encode(`${line}\n`))
  const bytes = new Uint8Array(parts.reduce((n, part) => n + part.length, 0))
  const ends = new Uint32Array(parts.length)
  let offset = 0
  parts.forEach((part, i) => {
    bytes.set(part, offset)
    offset += part.length
    ends[i] = offset
  })
  return { bytes, ends }
}

const range = (from: number, to: number, pad = ""): Array<string> =>
  Array.from({ length: to - from }, (_, i) => `record ${from + i}${pad}`)

/** Writes `count` records in batches of 1 to 37, waiting for room asynchronously (the event loop runs). */
const writeAll = (executor: Executor, count: number) =>
  Effect.promise(async () => {
    for (let n = 0; n < count;) {
      const { bytes, ends } = batch(range(n, Math.min(count, n + 1 + (n % 37))))
      while (!executor.ready()) await executor.wait()
      executor.write(bytes, ends)
      n += ends.length
    }
  })

const flush = (executor: Executor, timeoutMs = 20_000) => Effect.promise(() => executor.flush(timeoutMs))

/**
 * Writes "record 0" to an executor whose sink fails (its thread dies, or its open fails), waits
 * for the failure, checks that nothing restarts while Effect's test clock stands still (300 ms of
 * real time, longer than the first backoff), then moves the clock past the first backoff.
 */
const failThenPassBackoff = (executor: Executor, notFailed: string) =>
  Effect.gen(function*() {
    const { bytes, ends } = batch(["record 0"])
    executor.write(bytes, ends)
    assert.isTrue(yield* Effect.promise(() => waitUntil(() => !executor.ready(), 10_000)), notFailed)
    yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 300)))
    assert.isFalse(executor.ready())
    yield* TestClock.adjust("100 millis")
  })

describe("WorkerExecutor", () => {
  it.live("delivers 20,000 records written synchronously, in order, through a 64 KiB ring into a slow sink", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "out.log")
      const threadFile = path.join(dir, "thread")
      const executor = yield* WorkerExecutor.make({
        label: "order",
        module: sink("file.mjs"),
        options: { path: file, delayMs: 1, threadFile },
        bufferBytes: 64 * 1024
      })
      const pad = " ".padEnd(100, "-")
      const batches: Array<ReturnType<typeof batch>> = []
      for (let n = 0; n < 20_000; n += batches[batches.length - 1]!.ends.length) {
        batches.push(batch(range(n, Math.min(20_000, n + 1 + (n % 37)), pad)))
      }
      let waits = 0
      for (const { bytes, ends } of batches) {
        if (!executor.ready()) {
          waits++
          assert.isTrue(executor.waitSync(performance.now() + 10_000))
        }
        executor.write(bytes, ends)
      }
      assert.isAbove(waits, 0, "the ring never filled up")
      assert.isTrue(yield* flush(executor))
      assert.deepStrictEqual(readLines(file), range(0, 20_000, pad))
      assert.deepStrictEqual([executor.written(), executor.lost(), executor.pending()], [20_000, 0, 0])
      const sinkThread = Number(readText(threadFile))
      assert.isAbove(sinkThread, 0)
      assert.notStrictEqual(sinkThread, threadId)
    }))

  it.live("delivers a batch larger than the whole ring whole, in one sink write", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "out.log")
      const batchFile = path.join(dir, "batches")
      const executor = yield* WorkerExecutor.make({
        label: "big",
        module: sink("file.mjs"),
        options: { path: file, batchFile },
        bufferBytes: 16 * 1024
      })
      const long = ["x".repeat(40_000), "y".repeat(30_001), "z".repeat(50_002)]
      const batches = [batch(["before"]), batch(long), batch(range(0, 5_000)), batch(["after"])]
      for (const { bytes, ends } of batches) {
        while (!executor.ready()) yield* Effect.promise(() => executor.wait())
        executor.write(bytes, ends)
      }
      assert.isTrue(yield* flush(executor))
      assert.deepStrictEqual(readLines(file), ["before", ...long, ...range(0, 5_000), "after"])
      // The second has more record ends (20,000 bytes) than the ring has room.
      const writes = readLines(batchFile)
      assert.include(writes, `${batches[1]!.bytes.length} 3`)
      assert.include(writes, `${batches[2]!.bytes.length} 5000`)
      assert.deepStrictEqual([executor.written(), executor.lost()], [5_005, 0])
    }))

  for (const [exitAt, part] of [[2_550, "after writing part of it"], [2_501, "before writing any of it"]] as const) {
    it.live(`a worker that dies in the write of a batch larger than the ring, ${part}: the restart writes the batch again whole, its records counted as possible duplicates`, () =>
      Effect.gen(function*() {
        const dir = tempDir()
        const file = path.join(dir, "out.log")
        const ringBytes = 16 * 1024
        const executor = yield* WorkerExecutor.make({
          label: "crash-streamed",
          module: sink("file.mjs"),
          // Record `exitAt` (from 1) is in the batch of records 2,500 to 2,599: the sink writes
          // the records of it before that one, then ends its thread.
          options: { path: file, exitAt, marker: path.join(dir, "exited") },
          bufferBytes: ringBytes
        })
        const pad = " ".padEnd(200, "-")
        const batches: Array<ReturnType<typeof batch>> = []
        for (let n = 0; n < 5_000; n += 100) batches.push(batch(range(n, n + 100, pad)))
        // Every batch is larger than the ring: streamed through it in pieces, one sink write each.
        assert.isAbove(batches[0]!.bytes.length, ringBytes)
        for (const { bytes, ends } of batches) {
          while (!executor.ready()) yield* Effect.promise(() => executor.wait())
          executor.write(bytes, ends)
        }
        assert.isTrue(yield* flush(executor), "records were lost")
        assert.isTrue(fs.existsSync(path.join(dir, "exited")))
        const numbers = readLines(file).map((line) => Number(line.split(" ")[1]))
        // Every record at least once; lines repeat only where the batch in flight was written again.
        assert.deepStrictEqual([...new Set(numbers)].sort((a, b) => a - b), range(0, 5_000).map((_, i) => i))
        const back = numbers.flatMap((n, i) => (i > 0 && n <= numbers[i - 1]! ? [i] : []))
        assert.deepStrictEqual(back.map((i) => numbers[i]), exitAt > 2_501 ? [2_500] : [])
        assert.strictEqual(numbers.length - 5_000, exitAt - 2_501)
        // As for a batch that fits in the ring: the records of the write in flight, an upper bound.
        assert.strictEqual(executor.duplicates(), 100)
        assert.deepStrictEqual([executor.written(), executor.lost(), executor.pending()], [5_000, 0, 0])
      }))
  }

  it.live("flush is a barrier: it resolves true once every earlier record is in the file", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "out.log")
      const executor = yield* WorkerExecutor.make({
        label: "flush",
        module: sink("file.mjs"),
        options: { path: file, delayMs: 100 }
      })
      for (let i = 0; i < 10; i++) {
        const { bytes, ends } = batch(range(100 * i, 100 * (i + 1)))
        executor.write(bytes, ends)
      }
      assert.isBelow(readLines(file).length, 1_000)
      assert.isTrue(yield* flush(executor))
      assert.deepStrictEqual(readLines(file), range(0, 1_000))
      assert.strictEqual(executor.pending(), 0)
    }))

  it.live("close writes everything, closes the sink, and counts later writes as lost", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "out.log")
      const closedFile = path.join(dir, "closed")
      const executor = yield* WorkerExecutor.make({
        label: "close",
        module: sink("file.mjs"),
        options: { path: file, delayMs: 50, closedFile },
        bufferBytes: 64 * 1024
      })
      yield* writeAll(executor, 5_000)
      assert.isAbove(executor.pending(), 0)
      yield* Effect.promise(() => executor.close(10_000))
      assert.deepStrictEqual(readLines(file), range(0, 5_000))
      assert.strictEqual(readText(closedFile), "closed")
      // Closed: ready (nobody waits), and whatever is written counts as lost.
      assert.isTrue(executor.ready())
      const late = batch(["late"])
      executor.write(late.bytes, late.ends)
      assert.deepStrictEqual([executor.written(), executor.lost(), executor.pending()], [5_000, 1, 0])
    }))

  it.live("restarts a worker killed by process.exit() in its sink; every record arrives", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "out.log")
      const executor = yield* WorkerExecutor.make({
        label: "crash",
        module: sink("file.mjs"),
        options: { path: file, exitAt: 1_000, marker: path.join(dir, "exited") },
        bufferBytes: 64 * 1024
      })
      yield* writeAll(executor, 5_000)
      assert.isTrue(yield* flush(executor))
      assert.isTrue(fs.existsSync(path.join(dir, "exited")))
      const numbers = readLines(file).map((line) => Number(line.slice("record ".length)))
      assert.deepStrictEqual([...new Set(numbers)].sort((a, b) => a - b), range(0, 5_000).map((_, i) => i))
      // Lines repeat only where the new worker resent what the dead one had not acknowledged.
      const back = numbers.flatMap((n, i) => (i > 0 && n <= numbers[i - 1]! ? [i] : []))
      assert.strictEqual(back.length, 1)
      assert.isAtMost(numbers.length - 5_000, executor.duplicates())
      assert.isAbove(executor.duplicates(), 0)
      assert.deepStrictEqual([executor.written(), executor.lost(), executor.pending()], [5_000, 0, 0])
    }))

  it.live("while a record larger than the ring is being written, the ring still takes a ring's worth after it", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "out.log")
      const ring = 256 * 1024
      const executor = yield* WorkerExecutor.make({
        label: "streamed",
        module: sink("file.mjs"),
        options: { path: file, slowOverBytes: ring, slowMs: 2_000, slowMarker: path.join(dir, "slow") },
        bufferBytes: ring
      })
      const lines: Array<string> = []
      const put = (line: string): void => {
        const { bytes, ends } = batch([line])
        executor.write(bytes, ends)
        lines.push(line)
      }
      // 20 KiB written first: the large record starts 20 KiB into the ring and ends ~154 KiB in.
      for (let i = 0; i < 20; i++) put(`small ${i} ${"a".repeat(1000)}`)
      assert.isTrue(yield* flush(executor))
      put(`large ${"b".repeat(390 * 1024)}`)
      // The thread copies it out of the ring (releasing it) and holds its write for 2 s: wait
      // until that write started (a fixed 300 ms lost the race to a thread slow to copy it).
      assert.isTrue(yield* Effect.promise(() => waitUntil(() => fs.existsSync(path.join(dir, "slow")), 10_000)))
      let taken = 0
      for (let i = 0; executor.ready() && taken < 2 * ring; i++) {
        put(`after ${i} ${"c".repeat(1000)}`)
        taken += 1024
      }
      // A rewind under the pending write would leave only what lies before its end (~154 KiB).
      assert.isAbove(taken, 200 * 1024)
      assert.isTrue(yield* flush(executor, 30_000))
      assert.deepStrictEqual(readLines(file), lines)
    }))

  it.live("waitSync returns false promptly when the worker thread died, and the restart resends everything", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "out.log")
      const executor = yield* WorkerExecutor.make({
        label: "dies",
        module: sink("file.mjs"),
        options: { path: file, exitAt: 1, marker: path.join(dir, "exited") },
        bufferBytes: 1024
      })
      let n = 0
      for (; executor.ready(); n++) {
        const { bytes, ends } = batch([`record ${n}`])
        executor.write(bytes, ends)
      }
      // The event loop is blocked from here on: only the dead thread's own exit hook can tell.
      // Without it, waitSync would wait for its whole deadline: a third of it tells the two apart
      // even on a loaded machine, where the thread's end alone took 1.6 s.
      const start = performance.now()
      assert.isFalse(executor.waitSync(start + 15_000))
      assert.isBelow(performance.now() - start, 5_000)
      assert.isTrue(yield* flush(executor))
      assert.deepStrictEqual(readLines(file), range(0, n))
    }))

  it.effect("a dead thread is restarted after a backoff timed on Effect's clock", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "out.log")
      const executor = yield* WorkerExecutor.make({
        label: "test-clock",
        module: sink("file.mjs"),
        options: { path: file, exitAt: 1, marker: path.join(dir, "exited") }
      })
      yield* failThenPassBackoff(executor, "the thread did not die")
      assert.isTrue(yield* flush(executor))
      assert.deepStrictEqual(readLines(file), ["record 0"])
    }))

  it.effect("a sink that failed to open is opened again after a backoff timed on Effect's clock", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "out.log")
      const executor = yield* WorkerExecutor.make({
        label: "open-retry",
        module: sink("file.mjs"),
        options: { path: file, openMarker: path.join(dir, "opened once") }
      })
      yield* failThenPassBackoff(executor, "the open did not fail")
      // The state stays sinkFailed until the thread has opened the sink again (a flush before that
      // returns false at once).
      assert.isTrue(yield* Effect.promise(() => waitUntil(() => executor.ready(), 10_000)), "not opened again")
      assert.isTrue(yield* flush(executor))
      assert.deepStrictEqual(readLines(file), ["record 0"])
    }))

  it.live("close waits, within its timeout, for the retry of a sink that failed to open: its records are written", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "out.log")
      const executor = yield* WorkerExecutor.make({
        label: "open-retry-close",
        module: sink("file.mjs"),
        options: { path: file, openMarker: path.join(dir, "opened once") }
      })
      const { bytes, ends } = batch(range(0, 300))
      executor.write(bytes, ends)
      assert.isTrue(yield* Effect.promise(() => waitUntil(() => !executor.ready(), 10_000)), "the open did not fail")
      yield* Effect.promise(() => executor.close(5_000))
      assert.deepStrictEqual([executor.written(), executor.lost()], [300, 0])
      assert.deepStrictEqual(readLines(file), range(0, 300))
    }))

  it("backoff doubles from 100 ms up to 5 s, with jitter in its upper half", () => {
    assert.deepStrictEqual([0, 1, 2].map((n) => WorkerExecutor.backoff(n, 0)), [50, 100, 200])
    assert.deepStrictEqual([0, 1, 2].map((n) => WorkerExecutor.backoff(n, 0.999)), [100, 200, 400])
    assert.deepStrictEqual([6, 20].map((n) => WorkerExecutor.backoff(n, 0.5)), [3750, 3750])
  })

  it.live("a sink whose writes throw counts every record as lost, or as written as far as it says", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const failing = yield* WorkerExecutor.make({ label: "failing", module: sink("failing.mjs"), options: {} })
      yield* writeAll(failing, 1_000)
      assert.isFalse(yield* flush(failing))
      assert.deepStrictEqual([failing.written(), failing.lost(), failing.pending()], [0, 1_000, 0])
      assert.isTrue(yield* flush(failing), "a flush with no failure since the last one")

      const file = path.join(dir, "partial.log")
      const partial = yield* WorkerExecutor.make({
        label: "partial",
        module: sink("failing.mjs"),
        options: { path: file, recordsWritten: 1 }
      })
      yield* writeAll(partial, 1_000)
      assert.isFalse(yield* flush(partial))
      assert.isAbove(partial.written(), 0)
      assert.isAbove(partial.lost(), 0)
      assert.strictEqual(partial.written() + partial.lost(), 1_000)
      assert.strictEqual(readLines(file).length, partial.written())
    }))

  it.live("once the sink failed to open, waitSync returns false at once", () =>
    Effect.gen(function*() {
      const executor = yield* WorkerExecutor.make({
        label: "no-open",
        module: sink("failing.mjs"),
        options: { openFails: true }
      })
      assert.isTrue(yield* Effect.promise(() => waitUntil(() => !executor.ready(), 10_000)))
      const start = performance.now()
      assert.isFalse(executor.waitSync(start + 5_000))
      assert.isBelow(performance.now() - start, 1_000)
      assert.isFalse(yield* flush(executor, 5_000))
      assert.isBelow(performance.now() - start, 2_500)
    }))

  it("make never suspends, and records written before the sink opened are delivered", async () => {
    const file = path.join(tempDir(), "out.log")
    const scope = Scope.makeUnsafe()
    const fiber = Effect.runFork(Scope.provide(scope)(WorkerExecutor.make({
      label: "sync",
      module: sink("file.mjs"),
      options: { path: file }
    })))
    const exit = fiber.pollUnsafe()
    if (exit === undefined || !Exit.isSuccess(exit)) return assert.fail("make suspended or failed")
    const executor = exit.value
    // No turn of the event loop yet: the thread exists and opens the sink on its own.
    const { bytes, ends } = batch(range(0, 3))
    assert.isTrue(executor.ready())
    executor.write(bytes, ends)
    assert.isTrue(await executor.flush(10_000))
    assert.deepStrictEqual(readLines(file), range(0, 3))
    await Effect.runPromise(Scope.close(scope, Exit.void))
  })

  it.live("handlers of a pool share its threads, assigned round-robin", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      WorkerExecutor.setPoolSize("test-pool", 2)
      const executors: Array<Executor> = []
      for (let i = 0; i < 3; i++) {
        executors.push(
          yield* WorkerExecutor.make({
            label: `pooled ${i}`,
            module: sink("file.mjs"),
            options: { path: path.join(dir, `${i}.log`), threadFile: path.join(dir, `thread ${i}`) },
            pool: "test-pool"
          })
        )
      }
      for (const [i, executor] of executors.entries()) {
        const { bytes, ends } = batch(range(0, 100 * (i + 1)))
        executor.write(bytes, ends)
      }
      for (const executor of executors) assert.isTrue(yield* flush(executor))
      const threads = [0, 1, 2].map((i) => readText(path.join(dir, `thread ${i}`)))
      assert.strictEqual(threads[0], threads[2])
      assert.notStrictEqual(threads[0], threads[1])
      for (let i = 0; i < 3; i++) assert.deepStrictEqual(readLines(path.join(dir, `${i}.log`)), range(0, 100 * (i + 1)))
    }))

  for (const ending of ["process.exit()", "the end of the program"]) {
    it.live(`exitSync at the exit event after ${ending} delivers everything to the file`, () =>
      Effect.gen(function*() {
        const file = path.join(tempDir(), "out.log")
        const module = pathToFileURL(path.join(packageDir, "src/internal/workerExecutor.ts")).href
        const script = `
          import * as Effect from "effect/Effect"
          import * as Scope from "effect/Scope"
          import { writeSync } from "node:fs"
          import * as WorkerExecutor from ${JSON.stringify(module)}
          const executor = await Effect.runPromise(Scope.provide(Scope.makeUnsafe())(WorkerExecutor.make({
            label: "exit",
            module: ${JSON.stringify(sink("file.mjs"))},
            options: { path: ${JSON.stringify(file)}, delayPerRecordMs: 0.01 }
          })))
          process.on("exit", () => {
            executor.exitSync(performance.now() + 10_000)
            writeSync(1, JSON.stringify([executor.written(), executor.lost(), executor.pending()]))
          })
          const encoder = new TextEncoder()
          for (let n = 0; n < 50_000; n += 10) {
            const lines = Array.from({ length: 10 }, (_, i) => "record " + (n + i) + "\\n")
            const ends = new Uint32Array(10)
            let length = 0
            lines.forEach((line, i) => (ends[i] = length += line.length))
            if (!executor.ready() && !executor.waitSync(performance.now() + 10_000)) throw new Error("no room")
            executor.write(encoder.encode(lines.join("")), ends)
          }
          writeSync(1, String(executor.pending()) + " ")
          ${ending === "process.exit()" ? "process.exit()" : ""}
        `
        const result = yield* Effect.promise(() => run(["--input-type=module", "-e", script]))
        assert.strictEqual(result.code, 0, result.stderr)
        const [pendingAtExit, counts] = result.stdout.split(" ")
        assert.isAbove(Number(pendingAtExit), 1_000, "too little was left for exitSync to deliver")
        assert.strictEqual(counts, "[50000,0,0]")
        assert.deepStrictEqual(readLines(file), range(0, 50_000))
      }))
  }
})

/**
 * Reads every frame the producer has from `read`, as a new worker would (pumping the producer as
 * room appears, so a frame larger than the ring comes through in pieces): each data frame's
 * records, and `flush` for a flush frame.
 */
const drain = (producer: Ring.Producer): Array<string> => {
  const { ring } = producer
  const decoder = new TextDecoder()
  const out: Array<string> = []
  let pos = Ring.position(ring, Ring.cell.read)
  const take = (n: number): Uint8Array => {
    const bytes = new Uint8Array(n)
    for (let got = 0; got < n;) {
      const available = Math.min((Ring.position(ring, Ring.cell.write) - pos) >>> 0, n - got)
      assert.isAbove(available, 0, "the producer has nothing more")
      Ring.copyOut(ring, pos, bytes, got, available)
      got += available
      pos = (pos + available) >>> 0
      Atomics.store(ring.cells, Ring.cell.read, pos | 0)
      Ring.pump(producer)
    }
    return bytes
  }
  while (Ring.position(ring, Ring.cell.write) !== pos) {
    const [type, records, length] = new Uint32Array(take(Ring.headerBytes).buffer)
    if (type === Ring.frame.flush) out.push("flush")
    else if (type === Ring.frame.data) {
      const ends = new Uint32Array(take(4 * records!).buffer)
      const bytes = take((length! + 3) & ~3)
      ends.forEach((end, i) => out.push(decoder.decode(bytes.subarray(i === 0 ? 0 : ends[i - 1], end - 1))))
    } else assert.fail(`unexpected frame type ${type}`)
  }
  return out
}

/**
 * A ring of 1 KiB whose worker took "first" and started on a batch of 30 records larger than the
 * ring: what `stream` in `sinkWorker.ts` records (`streaming`, `streamEnd`), with the pieces
 * released up to `releaseTo` bytes into the batch (the producer pumping more as they are).
 */
const streaming = (releaseTo: (frameBytes: number) => number) => {
  const ring = Ring.make(1024)
  const producer = Ring.producer(ring)
  const first = batch(["first"])
  Ring.put(producer, Ring.frame.data, 1, first.bytes, first.ends)
  const start = producer.position
  Atomics.store(ring.cells, Ring.cell.read, start | 0)
  const big = range(0, 30, " ".padEnd(100, "-"))
  const { bytes, ends } = batch(big)
  Ring.put(producer, Ring.frame.data, 30, bytes, ends)
  const size = Ring.frameBytes(30, bytes.length)
  assert.isAbove(size, ring.capacity)
  Atomics.store(ring.cells, Ring.cell.streamEnd, (start + size) | 0)
  Atomics.store(ring.cells, Ring.cell.streaming, 30)
  for (let read = start; read !== start + releaseTo(size);) {
    read = Math.min(Ring.position(ring, Ring.cell.write), start + releaseTo(size))
    Atomics.store(ring.cells, Ring.cell.read, read)
    Ring.pump(producer)
  }
  return { ring, producer, big }
}

describe("Ring.resend: what a dead worker had taken of a batch larger than the ring is put back", () => {
  it("died copying out its pieces: the batch, partly moved into the ring, comes whole from read", () => {
    const { ring, producer, big } = streaming(() => 500)
    assert.strictEqual(producer.outbox.length, 1, "the batch is still being moved in")
    const after = batch(["after"])
    Ring.put(producer, Ring.frame.data, 1, after.bytes, after.ends)
    Ring.resend(producer)
    assert.strictEqual(Atomics.load(ring.cells, Ring.cell.streaming), 0)
    assert.deepStrictEqual(drain(producer), [...big, "after"])
  })

  it("died writing it: the batch comes whole, then the frames that followed it, the one half moved in too", () => {
    const { ring, producer, big } = streaming((size) => size)
    // Wholly in the ring now, and kept until the worker counts it written.
    assert.deepStrictEqual([producer.outbox.length, producer.unacked.length], [0, 1])
    Atomics.store(ring.cells, Ring.cell.inFlight, 30)
    const x = batch(["x"])
    const y = batch(["y"])
    const z = batch(["z".repeat(1000)])
    Ring.put(producer, Ring.frame.data, 1, x.bytes, x.ends)
    Ring.put(producer, Ring.frame.flush, 1)
    Ring.put(producer, Ring.frame.data, 1, y.bytes, y.ends)
    Ring.put(producer, Ring.frame.data, 1, z.bytes, z.ends)
    assert.isAbove(producer.offset, 0, "z is not partly in the ring")
    Ring.resend(producer)
    // The in-flight count is left for the new worker to count as possible duplicates.
    assert.strictEqual(Atomics.load(ring.cells, Ring.cell.inFlight), 30)
    assert.deepStrictEqual(drain(producer), [...big, "x", "flush", "y", "z".repeat(1000)])
  })

  it("lets go of the batch once the worker counted it, and then resends nothing", () => {
    const { ring, producer } = streaming((size) => size)
    assert.isFalse(Ring.acknowledged(producer))
    Atomics.add(ring.cells, Ring.cell.streamed, 1)
    Atomics.store(ring.cells, Ring.cell.streaming, 0)
    assert.isTrue(Ring.acknowledged(producer))
    const position = producer.position
    Ring.resend(producer)
    assert.deepStrictEqual([producer.position, producer.outbox.length], [position, 0])
  })
})

/** Runs Node with `args` from the monorepo root; a child still running after 20 s is killed. */
const run = (args: ReadonlyArray<string>) =>
  new Promise<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }>((resolve, reject) => {
    const child = spawn(path.join(repoRoot, "node_modules/.bin/node"), args, { cwd: repoRoot })
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000)
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("error", reject)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
