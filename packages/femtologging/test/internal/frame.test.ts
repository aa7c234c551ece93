/**
 * The receiver's frame reader at its edges: a frame of exactly `maxFrameSize` bytes is taken, one
 * byte more is refused from its prefix alone (before its payload arrives). Found by mutation
 * testing: raising the limit by one left the receiver's tests passing.
 */
import { assert, describe, it } from "@effect/vitest"
import { encode } from "@msgpack/msgpack"
import { decodeRecord, FrameError, FrameReader } from "../../src/internal/frame.ts"

const prefix = (n: number): Uint8Array => {
  const bytes = new Uint8Array(4)
  new DataView(bytes.buffer).setUint32(0, n)
  return bytes
}

describe("FrameReader: maxFrameSize", () => {
  it("a frame of exactly maxFrameSize is taken; maxFrameSize + 1 is refused from its prefix", () => {
    const reader = new FrameReader(100)
    reader.push(prefix(100))
    assert.isUndefined(reader.next())
    reader.push(new Uint8Array(100).fill(7))
    const payload = reader.next()
    assert.strictEqual(payload?.length, 100)
    assert.strictEqual(payload?.[99], 7)
    assert.strictEqual(reader.buffered, 0)
    reader.push(prefix(101))
    assert.throws(() => reader.next(), FrameError, "a frame of 101 bytes, over the limit of 100")
  })
})

describe("decodeRecord: timestamp_ns as upstream sends it", () => {
  it("a big-endian bin of up to 16 bytes (a u128) is read as nanoseconds; 17 bytes are refused (found by mutation testing)", () => {
    const ns = 1_700_000_000_123_456_789n
    const bin = (length: number) => {
      const bytes = new Uint8Array(length)
      for (let i = 0, v = ns; i < length; i++, v >>= 8n) bytes[length - 1 - i] = Number(v & 0xffn)
      return bytes
    }
    const payload = (timestamp: Uint8Array) =>
      encode({ logger: "up", level: "INFO", message: "m", timestamp_ns: timestamp, key_values: {} })
    assert.strictEqual(decodeRecord(payload(bin(16))).timestampNs, Number(ns))
    assert.strictEqual(decodeRecord(payload(bin(9))).timestampNs, Number(ns))
    assert.throws(() => decodeRecord(payload(bin(17))), FrameError, "key 'timestamp_ns' must be an unsigned integer (got bin)")
  })
})

describe("decodeRecord: thread_id as upstream sends it", () => {
  it("a string holding a number (ThreadId(7)) gives that number; one without digits gives 0 (found by mutation testing)", () => {
    const payload = (threadId: unknown) =>
      encode({ logger: "up", level: "INFO", message: "m", timestamp_ns: 1, thread_id: threadId, key_values: {} })
    assert.strictEqual(decodeRecord(payload("ThreadId(7)")).threadId, 7)
    assert.strictEqual(decodeRecord(payload(12)).threadId, 12)
    assert.strictEqual(decodeRecord(payload("main")).threadId, 0)
  })
})
