/**
 * The hand-off ring's wake rule, on the producer's side: a worker that polls is left to find data
 * at its next poll, but a flush or close frame (a caller waits for it) wakes it at once, whether
 * `put` writes it or `pump` moves it in from the outbox. A wake is seen as `Atomics.notify`'s count:
 * after the producer's step, a waiter it woke is no longer there to be woken again. Then what the
 * producer writes, read back from the ring: frame order behind the outbox, bytes that wrap, and a
 * frame of exactly the ring's size.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Ring from "../../src/internal/ring.ts"

/** A ring of 1 KiB holding one data frame of 1,000 bytes (8 bytes left), and a frame of `type` waiting in the outbox. */
const fullRingThen = (type: number) => {
  const ring = Ring.make(1024)
  const producer = Ring.producer(ring)
  Ring.put(producer, Ring.frame.data, 1, new Uint8Array(1000), Uint32Array.of(1000))
  if (type === Ring.frame.data) Ring.put(producer, type, 1, new Uint8Array(8), Uint32Array.of(8))
  else Ring.put(producer, type, 1)
  assert.strictEqual(producer.outbox.length, 1)
  return { ring, producer }
}

/** The worker takes what is in the ring and waits (polling, not asleep); then the producer pumps. */
const pumpWithWorkerWaiting = ({ ring, producer }: ReturnType<typeof fullRingThen>): number => {
  Atomics.store(ring.cells, Ring.cell.read, producer.position | 0)
  void Ring.waitAsync(ring, Ring.cell.write, Atomics.load(ring.cells, Ring.cell.write))
  assert.isTrue(Ring.pump(producer))
  // 1: the waiter was still there (pump did not wake it); 0: pump woke it.
  return Atomics.notify(ring.cells, Ring.cell.write)
}

describe("Ring: waking the worker", () => {
  it("pump leaves a small data frame to the worker's next poll", () => {
    assert.strictEqual(pumpWithWorkerWaiting(fullRingThen(Ring.frame.data)), 1)
  })

  it("pump wakes the worker for a flush or close frame it moves into the ring", () => {
    assert.strictEqual(pumpWithWorkerWaiting(fullRingThen(Ring.frame.flush)), 0, "flush left to the next poll")
    assert.strictEqual(pumpWithWorkerWaiting(fullRingThen(Ring.frame.close)), 0, "close left to the next poll")
  })

  it("put wakes a waiting worker for a flush frame, not for a small data frame", () => {
    for (const [type, expected] of [[Ring.frame.data, 1], [Ring.frame.flush, 0]] as const) {
      const ring = Ring.make(1024)
      const producer = Ring.producer(ring)
      void Ring.waitAsync(ring, Ring.cell.write, 0)
      Ring.put(producer, type, 1, new Uint8Array(8), Uint32Array.of(8))
      assert.strictEqual(Atomics.notify(ring.cells, Ring.cell.write), expected, `frame type ${type}`)
    }
  })
})

/** The frames in the ring from `from` to the producer's position, as `[type, a, bytes]` (no `rewind` expected). */
const framesIn = (ring: Ring.Ring, from: number, to: number): Array<[number, number, string]> => {
  const out: Array<[number, number, string]> = []
  for (let at = from; at !== to;) {
    const [type, a, length] = [Ring.word(ring, at), Ring.word(ring, at + 4), Ring.word(ring, at + 8)]
    const records = type === Ring.frame.data ? a : 0
    const bytes = new Uint8Array(length)
    Ring.copyOut(ring, at + Ring.headerBytes + 4 * records, bytes, 0, length)
    out.push([type, a, new TextDecoder().decode(bytes)])
    at = (at + Ring.frameBytes(records, type === Ring.frame.data ? length : 0)) >>> 0
  }
  return out
}

describe("Ring: what the producer writes", () => {
  it("a frame put while others wait in the outbox goes in after them, though it would fit now", () => {
    const ring = Ring.make(1024)
    const producer = Ring.producer(ring)
    const text = (n: number, c: string) => new TextEncoder().encode(c.repeat(n))
    Ring.put(producer, Ring.frame.data, 1, text(1000, "a"), Uint32Array.of(1000))
    Ring.put(producer, Ring.frame.data, 1, text(100, "b"), Uint32Array.of(100))
    // The second frame waits in the outbox, its first 8 bytes in the ring after the first frame.
    assert.strictEqual(producer.outbox.length, 1)
    const from = Ring.frameBytes(1, 1000)
    // The worker took the first frame; before anything pumps the outbox, a flush is put.
    Atomics.store(ring.cells, Ring.cell.read, from)
    Ring.put(producer, Ring.frame.flush, 7)
    assert.isTrue(Ring.pump(producer))
    assert.deepStrictEqual(framesIn(ring, from, producer.position), [[Ring.frame.data, 1, "b".repeat(100)], [Ring.frame.flush, 7, ""]])
  })

  it("a record's bytes that cross the end of the data area by one byte are written whole", () => {
    const ring = Ring.make(1024)
    const producer = Ring.producer(ring)
    // A first frame of 1,004 bytes: the next frame's header and end take 16, its bytes start 4 before the end.
    Ring.put(producer, Ring.frame.data, 1, new Uint8Array(988), Uint32Array.of(988))
    assert.strictEqual(producer.position, 1004)
    Atomics.store(ring.cells, Ring.cell.read, producer.position | 0)
    Ring.put(producer, Ring.frame.data, 1, new TextEncoder().encode("abcd\n"), Uint32Array.of(5))
    assert.deepStrictEqual(framesIn(ring, 1004, producer.position), [[Ring.frame.data, 1, "abcd\n"]])
  })
  it("a frame of exactly the ring's size is not taken for a streamed one: nothing is kept for a resend once it is in", () => {
    const ring = Ring.make(1024)
    const producer = Ring.producer(ring)
    Ring.put(producer, Ring.frame.data, 1, new Uint8Array(100), Uint32Array.of(100))
    // 12 + 4 + 1,008 bytes: the whole ring, written by the worker as an ordinary frame (sinkWorker's
    // `serve` streams only frames larger than the ring, and counts only those in `streamed`).
    Ring.put(producer, Ring.frame.data, 1, new Uint8Array(1008), Uint32Array.of(1008))
    assert.strictEqual(Ring.frameBytes(1, 1008), ring.capacity)
    Atomics.store(ring.cells, Ring.cell.read, Ring.frameBytes(1, 100))
    assert.isTrue(Ring.pump(producer))
    assert.isTrue(Ring.acknowledged(producer))
    assert.deepStrictEqual(producer.unacked, [])
  })
})
