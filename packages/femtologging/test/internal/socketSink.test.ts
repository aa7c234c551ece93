/**
 * The socket sink's reconnection delay, as a function: exponential from `baseMs`, capped at
 * `capMs`, with jitter in `[d/2, d]`. Found by mutation testing: dropping the jitter or shifting
 * the exponent by one left every socket test passing.
 */
import { assert, describe, it } from "@effect/vitest"
import * as net from "node:net"
import { backoffDelay, makeSocketSink } from "../../src/internal/socketSink.ts"
import { waitUntil } from "../utils/files.ts"
import { refusedPort } from "../utils/socket.ts"

const backoff = { baseMs: 100, capMs: 5000, resetAfterMs: 30_000, deadlineMs: 120_000 }

describe("socketSink: backoffDelay", () => {
  it("attempt 0 waits between baseMs/2 and baseMs; each attempt doubles; capMs bounds it; jitter spans [d/2, d]", () => {
    assert.strictEqual(backoffDelay(0, backoff, 0), 50)
    assert.strictEqual(backoffDelay(0, backoff, 0.999999), 100)
    assert.strictEqual(backoffDelay(0, backoff, 0.5), 75)
    assert.strictEqual(backoffDelay(1, backoff, 0), 100)
    assert.strictEqual(backoffDelay(3, backoff, 0.999999), 800)
    assert.strictEqual(backoffDelay(5, backoff, 0.999999), 3200)
    assert.strictEqual(backoffDelay(6, backoff, 0.999999), 5000)
    assert.strictEqual(backoffDelay(6, backoff, 0), 2500)
    assert.strictEqual(backoffDelay(Number.POSITIVE_INFINITY, backoff, 0), 2500)
    assert.strictEqual(backoffDelay(1e9, backoff, 0.999999), 5000)
  })
})

describe("socketSink: write timeout", () => {
  it("a peer that accepts and never reads: after writeTimeoutMs without progress the connection is dropped and made again (found by mutation testing)", async () => {
    const sockets: Array<net.Socket> = []
    const server = net.createServer((socket) => {
      socket.pause()
      socket.on("error", () => {})
      sockets.push(socket)
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const reports: Array<string> = []
    const sink = makeSocketSink({
      label: "stalled",
      host: "127.0.0.1",
      port: (server.address() as net.AddressInfo).port,
      connectTimeoutMs: 1000,
      writeTimeoutMs: 100,
      backoff
    }, { report: (message) => reports.push(message), random: () => 0 })
    try {
      // 32 MB: more than the kernel's buffers take, so the write stalls.
      const size = 32 * 1024 * 1024
      const pending = Promise.resolve(sink.write(new Uint8Array(size), Uint32Array.of(size))).catch(() => {})
      assert.isTrue(await waitUntil(() => reports.some((r) => r.includes("a write made no progress for 100 ms")), 10_000), reports.join("\n"))
      assert.isTrue(await waitUntil(() => sockets.length >= 2, 10_000), `${sockets.length} connections`)
      await sink.close()
      await pending
    } finally {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }, 30_000)
})

describe("socketSink: deadline", () => {
  it("with nothing listening, the deadline report comes once deadlineMs has passed, not later; the waiting write is refused (found by mutation testing)", async () => {
    const reports: Array<string> = []
    const sink = makeSocketSink({
      label: "down",
      host: "127.0.0.1",
      port: await refusedPort(),
      connectTimeoutMs: 1000,
      writeTimeoutMs: 1000,
      backoff: { baseMs: 20, capMs: 40, resetAfterMs: 30_000, deadlineMs: 1000 }
    }, { report: (message) => reports.push(message), random: () => 0 })
    try {
      const error = await Promise.resolve(sink.write(new Uint8Array(4), Uint32Array.of(4))).then(() => undefined, (e: Error) => e)
      assert.match(String(error?.message), /^no connection to 127\.0\.0\.1:\d+ for 1000 ms$/)
      const report = reports.find((r) => r.startsWith("no connection to"))
      assert.isDefined(report, reports.join("\n"))
      const ms = Number(/for (\d+) ms/.exec(report!)![1])
      // Below twice the deadline (the mutant's), with room for a loaded machine's timer lag.
      assert.isAtLeast(ms, 1000)
      assert.isBelow(ms, 1900, report)
    } finally {
      await sink.close()
    }
  }, 30_000)
})

describe("socketSink: what is resent after a failure", () => {
  it("records written more than writeTimeoutMs before the connection broke are taken as delivered, not resent (found by mutation testing)", async () => {
    const sockets: Array<net.Socket> = []
    const chunks: Array<Buffer> = []
    const server = net.createServer((socket) => {
      sockets.push(socket)
      socket.on("data", (chunk: Buffer) => chunks.push(chunk))
      socket.on("error", () => {})
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const reports: Array<string> = []
    const sink = makeSocketSink({
      label: "resend",
      host: "127.0.0.1",
      port: (server.address() as net.AddressInfo).port,
      connectTimeoutMs: 1000,
      writeTimeoutMs: 100,
      backoff
    }, { report: (message) => reports.push(message), random: () => 0 })
    const text = () => Buffer.concat(chunks).toString()
    try {
      await sink.write(Buffer.from("AAAA"), Uint32Array.of(4))
      assert.isTrue(await waitUntil(() => text() === "AAAA"))
      // The socket sink reads performance.now(): no clock to move, so real time passes here.
      const written = performance.now()
      assert.isTrue(await waitUntil(() => performance.now() - written > 300, 2_000))
      sockets[0]!.destroy()
      assert.isTrue(await waitUntil(() => reports.some((r) => r.includes("lost"))), reports.join("\n"))
      await sink.write(Buffer.from("BBBB"), Uint32Array.of(4))
      assert.isTrue(await waitUntil(() => text().endsWith("BBBB")), text())
      assert.strictEqual(text(), "AAAABBBB")
      assert.strictEqual(sockets.length, 2)
    } finally {
      await sink.close()
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }, 30_000)
})
