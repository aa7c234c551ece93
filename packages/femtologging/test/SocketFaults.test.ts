/**
 * Fault injection on the socket handler and the receiver, through the public API and real
 * sockets: peers that close at once, TLS clients that never finish their handshake.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as net from "node:net"
import * as tls from "node:tls"
import { getLogger, resetManager } from "../src/Facade.ts"
import { receive, type Rejection } from "../src/Receiver.ts"
import { BackoffConfig, FemtoSocketHandler } from "../src/SocketHandler.ts"
import { encodeRecord } from "../src/internal/frame.ts"
import * as LogRecord from "../src/LogRecord.ts"
import { CaptureHandler } from "../src/Testing.ts"
import { trackClosables } from "./utils/track.ts"
import { removeTempDirs, spyWriteSync, tempDir, waitUntil } from "./utils/files.ts"
import { makeCertificates, refusedPort, sleep } from "./utils/socket.ts"

/** Closes it after the test. */
const track = trackClosables()
afterAll(() => removeTempDirs())

/** A TCP server on 127.0.0.1 handing each connection (numbered from 1) to `serve`. */
const server = async (serve: (socket: net.Socket, n: number) => void) => {
  const state = { connections: 0 }
  const sockets = new Set<net.Socket>()
  const tcp = net.createServer((socket) => {
    sockets.add(socket)
    socket.on("error", () => {})
    socket.on("close", () => sockets.delete(socket))
    serve(socket, ++state.connections)
  })
  await new Promise<void>((resolve) => tcp.listen(0, "127.0.0.1", resolve))
  track({
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy()
        tcp.close(resolve)
      })
  })
  return { state, port: (tcp.address() as net.AddressInfo).port }
}

describe("SocketHandler: records given up are reported", () => {
  it("a peer that closes every connection: the records given up after two resends are reported at once, not replaced by a later 'connection lost' report", async () => {
    // Found with a collector that closed each connection as soon as it was made: the records
    // were written, resent twice and given up, and the report saying so shared its rate limit
    // with "connection lost", so the next loss within 5 s replaced it: stderr never said
    // records were given up (the handler counted them written, none dropped).
    resetManager()
    const { state, port } = await server((socket, n) => {
      if (n <= 3) socket.once("data", () => socket.destroy())
      else setTimeout(() => socket.destroy(), 20)
    })
    const lines: Array<string> = []
    await spyWriteSync((fd, data) => {
      if (fd === 2) lines.push(data)
    }, async () => {
      const handler = track(new FemtoSocketHandler({
        host: "127.0.0.1",
        port,
        executor: "inline",
        backoff: new BackoffConfig({ baseMs: 10, capMs: 50 })
      }))
      const logger = getLogger("faults.givenup")
      logger.addHandler(handler)
      for (let i = 0; i < 100; i++) logger.info(`g${i}`)
      assert.isTrue(await handler.flush())
      // Given up on the third connection; the later ones are lost again (more reports of that kind).
      assert.isTrue(await waitUntil(() => state.connections >= 6, 5_000), `${state.connections} connections`)
      await sleep(100)
      assert.isFalse(await handler.flush(), "the flush after a give-up is false")
      await handler.close()
    })
    const text = lines.join("")
    assert.match(text, /gave up 100 records already resent 2 times \(they may be lost\)/, text)
  }, 30_000)
})

describe("SocketHandler: reports of records it could not send", () => {
  it("close() giving up the record in hand and the deadline passing say so in one line each, without the sink's stack frames", async () => {
    // Found closing a handler whose collector was down: stderr showed "write failed: Error: the
    // sink closed before the batch was written" followed by eight lines of socketSink.js and
    // inlineExecutor.js frames, for a documented outcome that the drop count already holds.
    resetManager()
    const port = await refusedPort()
    const lines: Array<string> = []
    await spyWriteSync((fd, data) => {
      if (fd === 2) lines.push(data)
    }, async () => {
      const closing = track(new FemtoSocketHandler({ host: "127.0.0.1", port, executor: "inline", flushTimeoutMs: 100 }))
      closing.handle("report.close", "INFO", "never sent")
      await closing.close()
      assert.strictEqual(closing.getDropped(), 1)
      const past = track(new FemtoSocketHandler({
        host: "127.0.0.1",
        port,
        executor: "inline",
        backoff: new BackoffConfig({ baseMs: 10, capMs: 20, deadlineMs: 100 })
      }))
      past.handle("report.deadline", "INFO", "never sent")
      assert.isTrue(await waitUntil(() => past.getDropped() === 1, 3_000))
      await past.close()
    })
    const text = lines.join("")
    assert.match(text, /write failed: Error: the sink closed before the batch was written\n/, text)
    assert.match(text, /write failed: Error: no connection to 127\.0\.0\.1:\d+ for 100 ms\n/, text)
    assert.notMatch(text, /^\s+at /m, text)
  }, 30_000)
})

/** A plain TCP client of `port` that connects and then sends nothing (a TLS handshake never started). */
const silentClient = async (port: number): Promise<net.Socket> => {
  const socket = net.connect({ host: "127.0.0.1", port })
  socket.on("error", () => {})
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()))
  track({ close: async () => void socket.destroy() })
  return socket
}

const closedWithin = (socket: net.Socket, ms: number): Promise<boolean> =>
  Promise.race([
    new Promise<boolean>((resolve) => socket.once("close", () => resolve(true))),
    sleep(ms).then(() => false)
  ])

describe("Receiver: TLS clients that never finish their handshake", () => {
  const certs = () => makeCertificates(tempDir())

  it("close() returns at once with a client in its TLS handshake (it waited for Node's 120 s handshake timeout)", async () => {
    const { cert, key } = certs()
    const server = await receive({ port: 0, tls: { key, cert }, handlers: [new CaptureHandler()], onReject: () => {} })
    const client = await silentClient((server.address as { port: number }).port)
    await sleep(100)
    const t0 = performance.now()
    const closed = await Promise.race([server.close().then(() => true), sleep(5_000).then(() => false)])
    assert.isTrue(closed, "close() still waiting after 5 s")
    assert.isBelow(performance.now() - t0, 2_000)
    assert.isTrue(await closedWithin(client, 2_000), "the client's connection was left open")
  }, 30_000)

  it("a handshake is cut at stallTimeoutMs, reported, and counts against maxConnections meanwhile", async () => {
    const { ca, cert, key } = certs()
    const rejected: Array<Rejection> = []
    const capture = new CaptureHandler()
    const server = track(await receive({
      port: 0,
      tls: { key, cert },
      handlers: [capture],
      stallTimeoutMs: 500,
      maxConnections: 1,
      onReject: (r) => rejected.push(r)
    }))
    const port = (server.address as { port: number }).port
    const client = await silentClient(port)
    assert.isTrue(await waitUntil(() => server.stats().connections === 1, 2_000), JSON.stringify(server.stats()))
    // The only slot is taken by the handshake in progress: another connection is refused.
    const other = await silentClient(port)
    assert.isTrue(await closedWithin(other, 2_000), "a connection over maxConnections was kept")
    assert.isTrue(await closedWithin(client, 3_000), "the silent handshake was not cut")
    assert.isTrue(await waitUntil(() => rejected.length === 2, 2_000), JSON.stringify(rejected))
    assert.deepStrictEqual(rejected.map((r) => r.reason), [
      "too many connections (maxConnections 1)",
      "no TLS connection: TLS handshake timeout"
    ])
    // A sender that completes its handshake is served as before.
    resetManager()
    const handler = track(new FemtoSocketHandler({ host: "127.0.0.1", port, tls: { domain: "localhost", ca }, executor: "inline" }))
    handler.handle("tls.after", "INFO", "after the stall")
    assert.isTrue(await handler.flush())
    assert.isTrue(await waitUntil(() => capture.records.length === 1, 5_000))
    assert.strictEqual(capture.records[0]!.message, "after the stall")
  }, 30_000)

  it("requestCert: a client without a certificate, or with one the ca did not sign, is refused; one it signed delivers", async () => {
    const dir = tempDir()
    const { ca, cert, key } = makeCertificates(dir)
    const other = makeCertificates(tempDir())
    const capture = new CaptureHandler()
    const rejected: Array<Rejection> = []
    const server = track(await receive({
      port: 0,
      tls: { key, cert, ca, requestCert: true },
      handlers: [capture],
      onReject: (r) => rejected.push(r)
    }))
    const port = (server.address as { port: number }).port
    const payload = encodeRecord(LogRecord.make({ logger: "mtls", level: "INFO", message: "signed" }))
    const bytes = Buffer.concat([Buffer.from([0, 0, 0, 0]), payload])
    bytes.writeUInt32BE(payload.length, 0)
    /** Connects with `client` credentials, sends one frame; whether the connection was still open after 500 ms. */
    const attempt = (client: { key?: string; cert?: string }) =>
      new Promise<boolean>((resolve) => {
        const socket = tls.connect({ host: "127.0.0.1", port, servername: "localhost", ca, ...client }, () => socket.write(bytes))
        socket.on("error", () => {})
        socket.on("close", () => resolve(false))
        setTimeout(() => {
          resolve(!socket.destroyed)
          socket.destroy()
        }, 500)
      })
    assert.isFalse(await attempt({}))
    assert.isFalse(await attempt({ key: other.key, cert: other.cert }))
    assert.deepStrictEqual(capture.messages, [])
    assert.isTrue(await attempt({ key, cert }))
    assert.isTrue(await waitUntil(() => capture.messages.length === 1, 2_000))
    assert.deepStrictEqual(capture.messages, ["signed"])
    assert.isAtLeast(rejected.length, 2)
  }, 30_000)
})
