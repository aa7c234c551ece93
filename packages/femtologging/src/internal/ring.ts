/**
 * The ring is the bounded hand-off between a handler on the main thread (the only producer) and
 * its sink on a worker thread (the only consumer): one SharedArrayBuffer holding control cells and
 * a power-of-two data area, after pino's thread-stream, plus what that lacks: a byte bound with
 * backpressure, acknowledgements, barriers, and counters that survive a worker's death.
 *
 * **Layout.** Bytes 0–63 are `Int32` {@link cell}s, bytes 64–127 `BigInt64` {@link counter}s
 * (they never overflow), bytes 128–639 the `reason` of a failed reopen, then `capacity` bytes
 * of data. Positions are unsigned 32-bit and wrap
 * (`capacity` divides 2^32); every frame is a multiple of 4 bytes, so a 4-byte word never wraps.
 *
 * **Frames.** A 12-byte header of three words `[type, a, b]`, then a body:
 * - `data`: `a` records, `b` bytes; the body is the `a` record ends (words, relative to the
 *   batch start), then the bytes, padded to 4. One frame per batch the handler wrote.
 * - `flush`: `a` is the flush's sequence number; no body. The worker calls `sink.flush()` once
 *   every earlier frame was written, then publishes `a` in `flushed`.
 * - `close`: flush, then `sink.close()`, then the state becomes `closed`.
 * - `rewind`: no body; the next frame starts at the next multiple of `capacity` (the start of
 *   the data area). See below.
 * - `reopen`: `a` is the request's sequence number; no body. Once every earlier frame was
 *   written, the worker calls the sink's `reopen()` (a file sink opens its path again); if it
 *   threw, it puts the error's message in `reason` and `a` in `reopenFailed`; then `a` in
 *   `reopened`.
 *
 * **Acknowledgement.** The worker advances `read` past a frame only once the sink's write of it
 * completed, and counts its records in `written` or `lost` first. A worker that replaces a dead
 * one starts at `read`, so frames its predecessor had not acknowledged are written again: their
 * records are counted once, and those of the write in flight (`inFlight`) as possible duplicates.
 *
 * **Frames larger than the ring** are streamed: the producer writes them in pieces as room
 * appears, and the worker copies the pieces out (releasing each at once, so `read` moves before
 * the write) and reassembles them before one `sink.write`. While it does, `streaming` holds the
 * frame's record count and `streamEnd` where the frame ends; its write is `inFlight` like any
 * other, and once it is counted the worker bumps `streamed`. The released pieces are gone from
 * the ring, so the producer keeps such a frame ({@link Producer.unacked}) until `streamed` counts
 * it. If the worker dies before, the producer, before a new thread starts, puts the frame back at
 * `read`, followed by the frames that were after it ({@link resend}): the new worker writes it
 * again whole and in order, as it would an ordinary frame left unacknowledged.
 *
 * **Rewinding.** A position only ever moves forward, so a ring written through once has had every
 * page of its data area touched: the whole `capacity` stays resident even when the backlog never
 * exceeded a few batches (measured: 4 handlers at 4 MiB each held 16 MiB, with at most 430 KiB
 * pending in any of them). So when the producer finds the ring empty, and the frame it puts fits
 * between the start of the data area and its position with {@link rewindAfter} bytes to spare, it
 * writes a `rewind` frame there and the frame at the start: the consumer, done with everything
 * before, jumps to it. The bytes skipped count as used until the consumer has read the `rewind`
 * frame, and the frame ends before it, so nothing unread is written over. What stays resident is
 * then about the largest backlog plus `rewindAfter`, not `capacity`.
 *
 * **Waiting.** The producer publishes `write`; the worker waits on it with `Atomics.waitAsync`,
 * polling a few milliseconds after each frame before it sleeps, so the producer notifies it only
 * when it sleeps ({@link cell.asleep}), a quarter of the ring waits, or the frame is a flush or
 * close (whose caller waits for it). The worker (and the main side, on a state change) bumps and
 * notifies `signal` after every change the producer may wait for: room, a flush, a state.
 *
 * Written with erasable TypeScript only: the worker loads it from `src/` through Node's type
 * stripping.
 *
 * @internal
 */

/** Indices of the `Int32` control cells. @internal */
export const cell = {
  /** End of what the producer published (u32 position). */
  write: 0,
  /** End of what the worker is done with: acknowledged, or copied out of a streamed frame. */
  read: 1,
  /** A {@link state}. */
  state: 2,
  /** Records of the sink write in progress (0 when none): resent if the worker dies. */
  inFlight: 3,
  /** Records of the streamed frame being reassembled or written (0 when none). */
  streaming: 4,
  /** Where the streamed frame ends (u32 position). */
  streamEnd: 5,
  /** Sequence number of the last flush completed. */
  flushed: 6,
  /** Sequence number of the last flush that failed. */
  flushFailed: 7,
  /** 1 when records were lost since the last flush. */
  failedSinceFlush: 8,
  /** Bumped and notified on every change the producer may wait for. */
  signal: 9,
  /** Set by the producer when it gives up waiting: the worker stops after the write in progress. */
  stop: 10,
  /** 1 while the worker waits for frames without polling: only then does publishing notify it. */
  asleep: 11,
  /** Streamed frames written and counted (wraps): the producer may then let go of them. */
  streamed: 12,
  /** Sequence number of the last reopen done (or failed). */
  reopened: 13,
  /** Sequence number of the last reopen that failed. */
  reopenFailed: 14,
  /** Bytes of that failure's message in {@link Ring.reason}. */
  reopenReason: 15
} as const

/** Indices of the `BigInt64` counters. @internal */
export const counter = {
  written: 0,
  lost: 1,
  duplicates: 2
} as const

/** Values of the state cell. @internal */
export const state = {
  /** The thread is starting or the sink is opening. */
  starting: 0,
  /** The sink is open and the worker takes frames. */
  running: 1,
  /** The sink module failed to load or its factory threw (retried with backoff). */
  sinkFailed: 2,
  /** The sink was closed after a close frame. */
  closed: 3,
  /** No thread serves the ring: not created yet, or died (a new one is on its way). */
  dead: 4
} as const

/** Frame types. @internal */
export const frame = {
  data: 1,
  flush: 2,
  close: 3,
  rewind: 4,
  reopen: 5
} as const

/** Bytes of a frame header. @internal */
export const headerBytes = 12

/**
 * The producer rewinds (see the module's comment) only when this much room is left before the
 * `rewind` frame (so the producer rarely waits for the consumer to read it): the area in use is
 * then about the backlog plus this, and a ring that is always empty costs one `rewind` frame per
 * this many bytes.
 *
 * @internal
 */
export const rewindAfter = 64 * 1024

/** Bytes of the `reason` area: a failed reopen's message, UTF-8, cut to fit. @internal */
export const reasonBytes = 512
const controlBytes = 128 + reasonBytes
const minCapacity = 1024
const maxCapacity = 2 ** 30

/** @internal */
export interface Ring {
  readonly buffer: SharedArrayBuffer
  readonly capacity: number
  readonly cells: Int32Array
  readonly counters: BigInt64Array
  /** Where the worker puts a failed reopen's message (see `cell.reopenReason`). */
  readonly reason: Uint8Array
  readonly bytes: Uint8Array
  readonly words: Uint32Array
}

/** Views a ring's buffer (on either thread). @internal */
export const attach = (buffer: SharedArrayBuffer): Ring => ({
  buffer,
  capacity: buffer.byteLength - controlBytes,
  cells: new Int32Array(buffer, 0, 16),
  counters: new BigInt64Array(buffer, 64, 8),
  reason: new Uint8Array(buffer, 128, reasonBytes),
  bytes: new Uint8Array(buffer, controlBytes, buffer.byteLength - controlBytes),
  words: new Uint32Array(buffer, controlBytes, (buffer.byteLength - controlBytes) >>> 2)
})

/**
 * A new ring of at least `bytes` bytes of data (rounded up to a power of two, 1 KiB to 1 GiB).
 *
 * Growable (though it never grows) for where its memory comes from: V8 maps a growable buffer's
 * pages itself and unmaps them when the last thread lets go, where a plain one comes from malloc.
 * glibc, once it has freed one such 4 MiB block, serves the next ones from its heap, zero-filled
 * (every page resident at once) and kept after free: worker handlers made and closed over and over
 * grew RSS without bound (+530 MiB over 900 cycles).
 *
 * @internal
 */
export const make = (bytes: number): Ring => {
  let capacity = minCapacity
  while (capacity < bytes && capacity < maxCapacity) capacity *= 2
  return attach(new SharedArrayBuffer(controlBytes + capacity, { maxByteLength: controlBytes + capacity }))
}

/** Bytes of a frame with `records` ends and `length` bytes. @internal */
export const frameBytes = (records: number, length: number): number => headerBytes + 4 * records + ((length + 3) & ~3)

/** Reads a cell holding a position. @internal */
export const position = (ring: Ring, index: number): number => Atomics.load(ring.cells, index) >>> 0

/** The word at `pos`. @internal */
export const word = (ring: Ring, pos: number): number => ring.words[((pos >>> 0) & (ring.capacity - 1)) >>> 2]!

/** Copies `length` bytes of `src` from `start` into the ring at `pos`, wrapping. @internal */
export const copyIn = (ring: Ring, pos: number, src: Uint8Array, start: number, length: number): void => {
  const at = (pos >>> 0) & (ring.capacity - 1)
  const first = Math.min(length, ring.capacity - at)
  ring.bytes.set(src.subarray(start, start + first), at)
  if (first < length) ring.bytes.set(src.subarray(start + first, start + length), 0)
}

/** Copies `length` bytes from the ring at `pos` into `dst` at `start`, wrapping. @internal */
export const copyOut = (ring: Ring, pos: number, dst: Uint8Array, start: number, length: number): void => {
  const at = (pos >>> 0) & (ring.capacity - 1)
  const first = Math.min(length, ring.capacity - at)
  dst.set(ring.bytes.subarray(at, at + first), start)
  if (first < length) dst.set(ring.bytes.subarray(0, length - first), start + first)
}

interface WaitAsync {
  readonly waitAsync: (
    cells: Int32Array,
    index: number,
    value: number,
    timeout?: number
  ) => { readonly async: false } | { readonly async: true; readonly value: Promise<unknown> }
}

/**
 * Resolves once cell `index` may no longer hold `value` (woken by a notify, or at once when it
 * already differs), or after `timeoutMs`, with `Atomics.waitAsync`: the thread's event loop stays
 * free meanwhile, and a pending wait does not keep the process alive.
 *
 * @internal
 */
export const waitAsync = (ring: Ring, index: number, value: number, timeoutMs = Infinity): Promise<unknown> => {
  const wait = (Atomics as unknown as WaitAsync).waitAsync(ring.cells, index, value | 0, timeoutMs)
  return wait.async ? wait.value : Promise.resolve()
}

/** Bumps and notifies the signal cell. @internal */
export const signal = (ring: Ring): void => {
  Atomics.add(ring.cells, cell.signal, 1)
  Atomics.notify(ring.cells, cell.signal)
}

/** Sets the state cell and signals. @internal */
export const setState = (ring: Ring, value: number): void => {
  Atomics.store(ring.cells, cell.state, value)
  signal(ring)
}

/** Adds `n` to a counter. @internal */
export const count = (ring: Ring, index: number, n: number): void => {
  if (n > 0) Atomics.add(ring.counters, index, BigInt(n))
}

/** Reads a counter. @internal */
export const total = (ring: Ring, index: number): number => Number(Atomics.load(ring.counters, index))

/**
 * The producer's side: frames that do not fit yet wait in an outbox (copied), ahead of which
 * nothing else goes, and are moved into the ring piece by piece by {@link pump} as the worker
 * releases room. So the memory held is the ring plus at most what was written while it was full,
 * and a frame larger than the ring until the worker wrote it.
 *
 * @internal
 */
export interface Producer {
  readonly ring: Ring
  /** The next position to write (only the producer moves it). */
  position: number
  readonly outbox: Array<Uint8Array>
  /** Bytes of `outbox[0]` already in the ring. */
  offset: number
  /**
   * Frames larger than the ring wholly moved into it but not yet counted by the worker
   * ({@link cell.streamed} below `seq`): what {@link resend} puts back if the worker dies. At most
   * one in practice: the next such frame cannot be wholly in the ring before the worker wrote it.
   */
  readonly unacked: Array<{ readonly bytes: Uint8Array; readonly seq: number }>
  /** Frames larger than the ring wholly moved into it (wraps, like `cell.streamed`). */
  streamed: number
}

/** @internal */
export const producer = (ring: Ring): Producer => ({
  ring,
  position: position(ring, cell.write),
  outbox: [],
  offset: 0,
  unacked: [],
  streamed: Atomics.load(ring.cells, cell.streamed)
})

/** Bytes the producer may write now. @internal */
export const room = (p: Producer): number => p.ring.capacity - ((p.position - position(p.ring, cell.read)) >>> 0)

/**
 * Publishes the producer's position. The worker is woken only when it sleeps ({@link cell.asleep})
 * or a quarter of the ring waits for it: a wake costs the producer's thread 30-40 µs on a 2-core
 * VM (a futex wake of an idle CPU), while a worker that was busy a moment ago polls and finds the
 * frame within a few milliseconds, unless the producer fills the ring faster than that.
 * Sequentially consistent: either this load sees the worker's `asleep`, or the worker's wait
 * sees this position.
 */
const publish = (p: Producer, urgent = false): void => {
  const { ring } = p
  Atomics.store(ring.cells, cell.write, p.position | 0)
  const waiting = (p.position - position(ring, cell.read)) >>> 0
  if (urgent || Atomics.load(ring.cells, cell.asleep) !== 0 || waiting >= ring.capacity >>> 2) {
    Atomics.notify(ring.cells, cell.write)
  }
}

/**
 * Where the frame after a `rewind` frame at `pos` starts: the start of the data area, one lap on.
 * The producer moves there after writing the `rewind` frame, the worker when it reads it.
 *
 * @internal
 */
export const afterRewind = (ring: Ring, pos: number): number => (pos + ring.capacity - (pos & (ring.capacity - 1))) >>> 0

/**
 * Whether the ring is empty and a frame of `size` bytes fits before the producer's position (at
 * offset `at` of the data area) with `rewindAfter` to spare: then it writes a `rewind` frame there
 * (not wrapping) and the frame at the start of the data area.
 */
const rewinds = (p: Producer, at: number, size: number): boolean =>
  at - size >= rewindAfter && at + headerBytes <= p.ring.capacity && position(p.ring, cell.read) === p.position &&
  // Empty is not idle while a streamed frame is being written (its pieces are released before
  // the write) or while a thread starts: the bytes skipped would stay used until then.
  Atomics.load(p.ring.cells, cell.streaming) === 0 && Atomics.load(p.ring.cells, cell.state) === state.running

/** Writes a frame into the ring at once when nothing waits and it fits, else into the outbox. @internal */
export const put = (p: Producer, type: number, a: number, bytes?: Uint8Array, ends?: Uint32Array): void => {
  if (p.unacked.length > 0) acknowledged(p)
  const length = bytes?.length ?? 0
  const size = frameBytes(ends?.length ?? 0, length)
  if (p.outbox.length === 0 && room(p) >= size) {
    const { ring } = p
    const mask = ring.capacity - 1
    const at = p.position & mask
    if (rewinds(p, at, size)) {
      ring.words[at >>> 2] = frame.rewind
      ring.words[(at + 4) >>> 2] = 0
      ring.words[(at + 8) >>> 2] = 0
      p.position = afterRewind(ring, p.position)
    }
    let pos = p.position
    ring.words[(pos & mask) >>> 2] = type
    ring.words[((pos + 4) & mask) >>> 2] = a
    ring.words[((pos + 8) & mask) >>> 2] = length
    pos += headerBytes
    if (ends !== undefined) {
      for (let i = 0; i < ends.length; i++, pos += 4) ring.words[(pos & mask) >>> 2] = ends[i]!
    }
    if (bytes !== undefined) copyIn(ring, pos, bytes, 0, length)
    p.position = (p.position + size) >>> 0
    // A flush or close has a caller waiting for it: not left for the worker's next poll.
    publish(p, type !== frame.data)
    return
  }
  const out = new Uint8Array(size)
  const head = new Uint32Array(out.buffer, 0, 3 + (ends?.length ?? 0))
  head[0] = type
  head[1] = a
  head[2] = length
  if (ends !== undefined) head.set(ends, 3)
  if (bytes !== undefined) out.set(bytes, headerBytes + 4 * (ends?.length ?? 0))
  p.outbox.push(out)
  pump(p)
}

/** Moves what fits of the outbox into the ring; `true` when the outbox is empty. @internal */
export const pump = (p: Producer): boolean => {
  // Also here: a caller looping on `pump` without the event loop (`waitSync`) keeps nothing.
  if (p.unacked.length > 0) acknowledged(p)
  const before = p.position
  let urgent = false
  while (p.outbox.length > 0) {
    const free = room(p)
    if (free === 0) break
    const next = p.outbox[0]!
    const take = Math.min(free, next.length - p.offset)
    copyIn(p.ring, p.position, next, p.offset, take)
    p.position = (p.position + take) >>> 0
    p.offset += take
    if (p.offset === next.length) {
      // A flush or close, whole in the ring now: its caller waits (as in `put`).
      urgent ||= new Uint32Array(next.buffer, next.byteOffset, 1)[0] !== frame.data
      // A frame larger than the ring: the worker has released part of it already.
      if (next.length > p.ring.capacity) p.unacked.push({ bytes: next, seq: p.streamed = (p.streamed + 1) | 0 })
      p.outbox.shift()
      p.offset = 0
    }
  }
  if (p.position !== before) publish(p, urgent)
  return p.outbox.length === 0
}

/** Lets go of the frames in `unacked` that the worker wrote; `true` when none is left. @internal */
export const acknowledged = (p: Producer): boolean => {
  const done = Atomics.load(p.ring.cells, cell.streamed)
  while (p.unacked.length > 0 && ((done - p.unacked[0]!.seq) | 0) >= 0) p.unacked.shift()
  return p.unacked.length === 0
}

/**
 * Before a new thread takes over the ring of a dead one: if it died in a streamed frame (reading
 * its pieces or writing it), whose released pieces are gone, puts that frame back into the outbox,
 * followed by the frames after it in the ring (copied out), and rewinds the producer to `read`,
 * where the new thread starts. Only while no thread serves the ring.
 *
 * @internal
 */
export const resend = (p: Producer): void => {
  const { ring } = p
  acknowledged(p)
  if (Atomics.load(ring.cells, cell.streaming) === 0) return
  const read = position(ring, cell.read)
  // Wholly in the ring, the frame is in `unacked`, and what follows it up to the part of
  // `outbox[0]` already moved in are whole frames (no `rewind`: the ring was never idle since).
  // Else it is `outbox[0]` itself, and nothing follows it.
  const streamed = p.unacked.shift()
  if (streamed !== undefined) {
    const frames = [streamed.bytes]
    const end = (p.position - p.offset) >>> 0
    for (let at = position(ring, cell.streamEnd); ((end - at) | 0) > 0;) {
      const type = word(ring, at)
      if (type === frame.rewind) {
        at = afterRewind(ring, at)
        continue
      }
      const size = type === frame.data ? frameBytes(word(ring, at + 4), word(ring, at + 8)) : headerBytes
      const copy = new Uint8Array(size)
      copyOut(ring, at, copy, 0, size)
      frames.push(copy)
      at = (at + size) >>> 0
    }
    p.outbox.unshift(...frames)
  }
  p.unacked.length = 0
  p.streamed = Atomics.load(ring.cells, cell.streamed)
  p.offset = 0
  p.position = read
  Atomics.store(ring.cells, cell.write, read | 0)
  Atomics.store(ring.cells, cell.streaming, 0)
  pump(p)
}
