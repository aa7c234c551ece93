/**
 * The entry of a sink worker thread: it hosts one or more sinks (a pool thread hosts several
 * handlers), each fed by its own {@link Ring}. The thread opens the sinks listed in its
 * `workerData` at once, and later ones when told by message (Effect's worker protocol, which the
 * main side's `Worker` speaks); records only ever travel through the rings.
 *
 * For each sink it loads the module with `import()`, calls its default export (a
 * {@link SinkFactory}) with the options, then loops: take every complete frame there is (several
 * batches become one `sink.write`), write, acknowledge, count. A failed write counts its records
 * as lost (or `recordsWritten` of them as written) and is reported on stderr, rate-limited; the
 * loop goes on. A sink that cannot be opened is reported, its state becomes `sinkFailed`, and the
 * main side asks again later. When the thread dies, an `exit` listener marks its rings `dead` so
 * a main thread blocked on one notices (except after `terminate()` or running out of memory,
 * where no JavaScript runs).
 *
 * Written with erasable TypeScript only: Node runs it from `src/` through type stripping.
 *
 * @internal
 */
import type * as Worker from "effect/workers/Worker"
import type * as WorkerRunner from "effect/workers/WorkerRunner"
import { writeSync } from "node:fs"
import { parentPort, workerData } from "node:worker_threads"
import type { Sink, SinkFactory } from "../Sink.ts"
import { reportDue } from "./reportDue.ts"
import * as Ring from "./ring.ts"
import { isThenable, recordsWrittenOf } from "./sinkResult.ts"

/** Asks the thread to open a sink on a ring (idempotent per `id`; retried after a failure). @internal */
export interface Open {
  readonly _tag: "Open"
  readonly id: number
  readonly label: string
  /** URL of the sink module. */
  readonly module: string
  readonly options: unknown
  readonly buffer: SharedArrayBuffer
}

/** What the thread tells the main side about a sink. @internal */
export interface Opened {
  readonly _tag: "Opened" | "Failed"
  readonly id: number
}

/** The `workerData` of a sink thread. @internal */
export interface SinkWorkerData {
  readonly open: ReadonlyArray<Open>
}

const reportIntervalMs = 5_000

const writeStderr = (line: string): void => {
  try {
    writeSync(2, line)
  } catch {
    // stderr is gone
  }
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** Reports a sink's failures; `flush` says at once what it holds back. */
interface Reporter {
  (what: string, error: unknown): void
  /** Reports what is held back now: the sink closed, or the thread ends (no timer fires then). */
  readonly flush: () => void
}

/** The first failure with its stack, then at most one line per interval with how many there were. */
const reporter = (label: string): Reporter => {
  let last = Number.NEGATIVE_INFINITY
  let held = 0
  let latest = ""
  let timer: ReturnType<typeof setTimeout> | undefined
  const emit = (): void => {
    last = Date.now()
    writeStderr(`femtologging: ${label}: ${latest}${held > 1 ? ` (${held} failures since the last report)` : ""}\n`)
    held = 0
  }
  const report = (what: string, error: unknown): void => {
    const first = last === Number.NEGATIVE_INFINITY
    latest = `sink ${what} failed: ${first && error instanceof Error && error.stack ? error.stack : describe(error)}`
    held++
    if (reportDue(Date.now(), last, reportIntervalMs)) return emit()
    timer ??= setTimeout(() => {
      timer = undefined
      if (held > 0) emit()
    }, last + reportIntervalMs - Date.now())
    timer.unref()
  }
  const flush = (): void => {
    if (held === 0) return
    clearTimeout(timer)
    timer = undefined
    emit()
  }
  return Object.assign(report, { flush })
}

interface Slot {
  readonly ring: Ring.Ring
  readonly report: Reporter
  status: "opening" | "open" | "failed"
  /** A sink write is under way. */
  writing: boolean
  /** `sink.close()`, once called. */
  closing: Promise<void> | undefined
}

const slots = new Map<number, Slot>()

/** How long the worker polls for the next frame before it sleeps until notified (15 ms in all). */
const pollsMs = [1, 2, 4, 8]

/** Whether the producer gave up waiting (a close that timed out): the worker stops after the write under way. */
const stopped = (ring: Ring.Ring): boolean => Atomics.load(ring.cells, Ring.cell.stop) === 1

/** How often a sleeping worker looks at `stop` (a stop set just before it went to sleep has no wake left). */
const stopCheckMs = 1_000

/** Waits until the producer publishes past `seen`, or notifies, or gave up (`stop`). */
const published = async (ring: Ring.Ring, seen: number): Promise<void> => {
  // Polls first (a producer logging steadily then never pays for a wake), then sleeps until woken.
  for (const ms of pollsMs) {
    if (stopped(ring) || (await Ring.waitAsync(ring, Ring.cell.write, seen, ms)) !== "timed-out") return
  }
  Atomics.store(ring.cells, Ring.cell.asleep, 1)
  while (!stopped(ring) && (await Ring.waitAsync(ring, Ring.cell.write, seen, stopCheckMs)) === "timed-out");
  Atomics.store(ring.cells, Ring.cell.asleep, 0)
}

/** Releases the ring up to `pos` and signals the producer. */
const release = (ring: Ring.Ring, pos: number): void => {
  Atomics.store(ring.cells, Ring.cell.read, pos | 0)
  Ring.signal(ring)
}

/** Calls `sink.flush()`; `false` when it failed or records were lost since the last flush. */
const flushSink = async (slot: Slot, sink: Sink): Promise<boolean> => {
  let ok = true
  try {
    const result = sink.flush?.()
    if ((isThenable(result) ? await result : result) === false) ok = false
  } catch (error) {
    slot.report("flush", error)
    ok = false
  }
  return Atomics.exchange(slot.ring.cells, Ring.cell.failedSinceFlush, 0) === 0 && ok
}

/**
 * Calls the sink's `reopen()` (a file sink's: it opens its path again), if it has one. Returns
 * whether it did; if not, the error's message is in the ring's `reason` for the producer waiting
 * for it to throw, and reported here too (the producer may have stopped waiting).
 */
const reopenSink = (slot: Slot, sink: Sink): boolean => {
  try {
    ;(sink as { readonly reopen?: () => void }).reopen?.()
    return true
  } catch (error) {
    slot.report("reopen", error)
    slot.report.flush()
    const { written } = encoder.encodeInto(describe(error), slot.ring.reason)
    Atomics.store(slot.ring.cells, Ring.cell.reopenReason, written)
    return false
  }
}

const encoder = new TextEncoder()

/** Writes one batch; resolves to how many of its records were written (the rest are lost). */
const writeBatch = async (slot: Slot, sink: Sink, bytes: Uint8Array, ends: Uint32Array): Promise<number> => {
  try {
    slot.writing = true
    const result = sink.write(bytes, ends)
    if (isThenable(result)) await result
    return ends.length
  } catch (error) {
    slot.report("write", error)
    return recordsWrittenOf(error, ends.length)
  } finally {
    slot.writing = false
  }
}

/** Calls `sink.close()` once (a close frame, or the producer giving up). */
const closeSink = (slot: Slot, sink: Sink): Promise<void> =>
  slot.closing ??= (async () => {
    try {
      const closed = sink.close?.()
      if (isThenable(closed)) await closed
    } catch (error) {
      slot.report("close", error)
    }
    slot.report.flush()
  })()

/**
 * When the producer gives up waiting (`stop`, a close that timed out) while a write is under way,
 * closes the sink at once: that ends the write it holds (a socket sink waiting for a connection
 * gives up its batch, counted as lost), as the inline executor does on a close timeout.
 */
const watchStop = async (slot: Slot, sink: Sink): Promise<void> => {
  while (!stopped(slot.ring)) await Ring.waitAsync(slot.ring, Ring.cell.stop, 0)
  if (slot.writing) void closeSink(slot, sink)
}

/**
 * Counts a batch's records. Runs in one synchronous step with what acknowledges the batch, so a
 * thread dying in between (`process.exit()` from another sink of the thread) cannot count it twice.
 */
const tally = (ring: Ring.Ring, records: number, written: number): void => {
  Ring.count(ring, Ring.counter.written, written)
  Ring.count(ring, Ring.counter.lost, records - written)
  if (written < records) Atomics.store(ring.cells, Ring.cell.failedSinceFlush, 1)
}

/**
 * Takes over a ring from a dead worker: counts what it left behind. It starts at `read`: frames
 * the dead one had not acknowledged are written again, a streamed one too (the main side put it
 * back whole before this thread started: see `Ring.resend`).
 */
const recover = (ring: Ring.Ring): void => {
  // A thread that died asleep left the flag set: the producer would notify every frame.
  Atomics.store(ring.cells, Ring.cell.asleep, 0)
  const inFlight = Atomics.exchange(ring.cells, Ring.cell.inFlight, 0)
  Ring.count(ring, Ring.counter.duplicates, inFlight)
}

/**
 * Reusable batch buffers of a slot, grown as needed and kept (see `keepBytes`): a buffer made
 * per batch stays allocated until the thread's next garbage collection, which a thread
 * allocating little else runs seldom (measured: 32 MiB of dead buffers per thread when every
 * batch was larger than the ring).
 */
interface Scratch {
  bytes: Uint8Array
  ends: Uint32Array
}

/** Batch buffers larger than this and than the ring are given back after the batch. */
const keepBytes = 4 * 1024 * 1024

const reserve = (scratch: Scratch, bytes: number, records: number): void => {
  if (scratch.bytes.length < bytes) scratch.bytes = new Uint8Array(Math.max(bytes, scratch.bytes.length * 2))
  if (scratch.ends.length < records) scratch.ends = new Uint32Array(Math.max(records, scratch.ends.length * 2))
}

/**
 * Reassembles a frame larger than the ring from `pos`, releasing each piece once copied, and
 * writes it; returns the position after it. The main side keeps the frame until `streamed`
 * counts it, and puts it back if this thread dies before.
 */
const stream = async (slot: Slot, sink: Sink, scratch: Scratch, pos: number): Promise<number> => {
  const { ring } = slot
  const records = Ring.word(ring, pos + 4)
  const length = Ring.word(ring, pos + 8)
  const end = (pos + Ring.frameBytes(records, length)) >>> 0
  Atomics.store(ring.cells, Ring.cell.streamEnd, end | 0)
  Atomics.store(ring.cells, Ring.cell.streaming, records)
  reserve(scratch, length, records)
  // The body is the ends, then the bytes, then padding; `at` is where `pos` is in it.
  const endsBytes = new Uint8Array(scratch.ends.buffer, 0, 4 * records)
  const bodyStart = (pos + Ring.headerBytes) >>> 0
  pos = bodyStart
  release(ring, pos)
  while (pos !== end) {
    const write = Ring.position(ring, Ring.cell.write)
    const available = Math.min((write - pos) >>> 0, (end - pos) >>> 0)
    if (available === 0) {
      // The producer gave up (the rest of the frame never comes): `serve` closes the sink.
      if (stopped(ring)) return pos
      await published(ring, write)
      continue
    }
    const at = (pos - bodyStart) >>> 0
    const endsPart = Math.max(0, Math.min(available, 4 * records - at))
    if (endsPart > 0) Ring.copyOut(ring, pos, endsBytes, at, endsPart)
    const byteAt = at + endsPart - 4 * records
    const bytesPart = Math.max(0, Math.min(available - endsPart, length - byteAt))
    if (bytesPart > 0) Ring.copyOut(ring, pos + endsPart, scratch.bytes, byteAt, bytesPart)
    pos = (pos + available) >>> 0
    release(ring, pos)
  }
  Atomics.store(ring.cells, Ring.cell.inFlight, records)
  const written = await writeBatch(slot, sink, scratch.bytes.subarray(0, length), scratch.ends.subarray(0, records))
  tally(ring, records, written)
  Atomics.add(ring.cells, Ring.cell.streamed, 1)
  Atomics.store(ring.cells, Ring.cell.inFlight, 0)
  Atomics.store(ring.cells, Ring.cell.streaming, 0)
  Ring.signal(ring)
  // Kept for the next streamed frame, unless it is huge: a ring smaller than the handler's
  // batches streams every batch, and a buffer given back each time is one made each time.
  const keep = Math.max(ring.capacity, keepBytes)
  if (scratch.bytes.length > keep) scratch.bytes = new Uint8Array(4096)
  if (4 * scratch.ends.length > keep) scratch.ends = new Uint32Array(256)
  return end
}

/** Takes frames from the ring and writes them until a close frame. */
const serve = async (slot: Slot, sink: Sink): Promise<void> => {
  const { ring } = slot
  const scratch: Scratch = { bytes: new Uint8Array(4096), ends: new Uint32Array(256) }
  let pos = Ring.position(ring, Ring.cell.read)
  for (;;) {
    if (stopped(ring)) {
      // The producer gave up waiting: what was written is counted; close the sink and stop here.
      await flushSink(slot, sink)
      await closeSink(slot, sink)
      Ring.setState(ring, Ring.state.closed)
      return
    }
    const write = Ring.position(ring, Ring.cell.write)
    const available = (write - pos) >>> 0
    if (available < Ring.headerBytes) {
      await published(ring, write)
      continue
    }
    const type = Ring.word(ring, pos)
    if (type === Ring.frame.data) {
      const first = Ring.frameBytes(Ring.word(ring, pos + 4), Ring.word(ring, pos + 8))
      if (first > ring.capacity) {
        pos = await stream(slot, sink, scratch, pos)
        continue
      }
      if (available < first) {
        await published(ring, write)
        continue
      }
      // Every complete data frame there is becomes one batch.
      let end = pos
      let records = 0
      let length = 0
      while (((write - end) >>> 0) >= Ring.headerBytes && Ring.word(ring, end) === Ring.frame.data) {
        const n = Ring.word(ring, end + 4)
        const bytes = Ring.word(ring, end + 8)
        const size = Ring.frameBytes(n, bytes)
        if (size > ((write - end) >>> 0)) break
        records += n
        length += bytes
        end = (end + size) >>> 0
      }
      reserve(scratch, length, records)
      let offset = 0
      let record = 0
      for (let at = pos; at !== end;) {
        const n = Ring.word(ring, at + 4)
        const bytes = Ring.word(ring, at + 8)
        for (let i = 0; i < n; i++) scratch.ends[record++] = offset + Ring.word(ring, at + Ring.headerBytes + 4 * i)
        Ring.copyOut(ring, at + Ring.headerBytes + 4 * n, scratch.bytes, offset, bytes)
        offset += bytes
        at = (at + Ring.frameBytes(n, bytes)) >>> 0
      }
      Atomics.store(ring.cells, Ring.cell.inFlight, records)
      const written = await writeBatch(slot, sink, scratch.bytes.subarray(0, length), scratch.ends.subarray(0, records))
      tally(ring, records, written)
      pos = end
      Atomics.store(ring.cells, Ring.cell.read, pos | 0)
      Atomics.store(ring.cells, Ring.cell.inFlight, 0)
      Ring.signal(ring)
    } else if (type === Ring.frame.flush) {
      const sequence = Ring.word(ring, pos + 4)
      if (!(await flushSink(slot, sink))) Atomics.store(ring.cells, Ring.cell.flushFailed, sequence | 0)
      pos = (pos + Ring.headerBytes) >>> 0
      Atomics.store(ring.cells, Ring.cell.read, pos | 0)
      Atomics.store(ring.cells, Ring.cell.flushed, sequence | 0)
      Ring.signal(ring)
    } else if (type === Ring.frame.reopen) {
      const sequence = Ring.word(ring, pos + 4)
      if (!reopenSink(slot, sink)) Atomics.store(ring.cells, Ring.cell.reopenFailed, sequence | 0)
      pos = (pos + Ring.headerBytes) >>> 0
      Atomics.store(ring.cells, Ring.cell.read, pos | 0)
      Atomics.store(ring.cells, Ring.cell.reopened, sequence | 0)
      Ring.signal(ring)
    } else if (type === Ring.frame.rewind) {
      // The producer found the ring empty and went on at the start of the data area.
      pos = Ring.afterRewind(ring, pos)
      release(ring, pos)
    } else if (type === Ring.frame.close) {
      await flushSink(slot, sink)
      await closeSink(slot, sink)
      release(ring, (pos + Ring.headerBytes) >>> 0)
      Ring.setState(ring, Ring.state.closed)
      return
    } else {
      throw new Error(`femtologging: corrupt ring frame type ${type}`)
    }
  }
}

/**
 * A module's default export function: `default` itself, or, for an ES module compiled to CommonJS
 * (a bundler's `cjs` output, `__esModule` set), whose `import()` gives `module.exports` as
 * `default`, the `default` it exports.
 */
const defaultExport = (value: unknown): SinkFactory | undefined => {
  if (typeof value === "function") return value as SinkFactory
  if (typeof value !== "object" || value === null || (value as { __esModule?: unknown }).__esModule !== true) return undefined
  const inner = (value as { readonly default?: unknown }).default
  return typeof inner === "function" ? inner as SinkFactory : undefined
}

/** Opens (or retries) a sink and serves its ring until closed. */
const open = async (message: Open, tell: (message: Opened) => void): Promise<void> => {
  const existing = slots.get(message.id)
  if (existing !== undefined && existing.status !== "failed") return
  const slot: Slot = existing ??
    { ring: Ring.attach(message.buffer), report: reporter(message.label), status: "opening", writing: false, closing: undefined }
  if (Atomics.load(slot.ring.cells, Ring.cell.state) === Ring.state.closed) return
  slot.status = "opening"
  slots.set(message.id, slot)
  let sink: Sink
  try {
    const module = (await import(message.module)) as { readonly default?: unknown }
    const factory = defaultExport(module.default)
    if (factory === undefined) throw new TypeError(`${message.module} has no default export function`)
    sink = await factory(message.options)
    if (typeof sink?.write !== "function") throw new TypeError(`the factory of ${message.module} returned no sink`)
  } catch (error) {
    slot.status = "failed"
    slot.report("open", error)
    Ring.setState(slot.ring, Ring.state.sinkFailed)
    tell({ _tag: "Failed", id: message.id })
    return
  }
  slot.status = "open"
  recover(slot.ring)
  Ring.setState(slot.ring, Ring.state.running)
  tell({ _tag: "Opened", id: message.id })
  void watchStop(slot, sink)
  await serve(slot, sink)
  slots.delete(message.id)
}

// A thread that ends with sinks still open died (`process.exit()` in a sink, an uncaught
// exception): say so in their rings, so that a main thread blocked in `Atomics.wait` sees it.
process.on("exit", () => {
  for (const slot of slots.values()) {
    slot.report.flush()
    const current = Atomics.load(slot.ring.cells, Ring.cell.state)
    if (current !== Ring.state.closed) Ring.setState(slot.ring, Ring.state.dead)
  }
})

// Effect's worker protocol, spoken directly (`NodeWorkerRunner` would load Effect into every
// thread: about 0.4 s more per start, measured): `[0]` once ready, `[1, message]` out;
// `[0, message]` in, and `[1]` to stop listening.
const port = parentPort!
const tell = (message: Opened): void => port.postMessage([1, message] satisfies Worker.PlatformMessage)
port.on("message", (message: WorkerRunner.PlatformMessage<Open>) => {
  if (message[0] === 0) void open(message[1], tell)
  else port.close()
})
port.postMessage([0] satisfies Worker.PlatformMessage)
for (const message of (workerData as SinkWorkerData).open) void open(message, tell)
