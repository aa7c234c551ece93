/**
 * The hand-off ring's wake rule, on the producer's side: a worker that polls is left to find data
 * at its next poll, but a flush or close frame (a caller waits for it) wakes it at once, whether
 * `put` writes it or `pump` moves it in from the outbox. A wake is seen as `Atomics.notify`'s count:
 * after the producer's step, a waiter it woke is no longer there to be woken again.
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
