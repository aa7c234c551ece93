/**
 * Fault injection on the socket handler and the receiver, through the public API and real
 * sockets: peers that close at once, TLS clients that never finish their handshake.
 */
import { afterAll, afterEach, assert, describe, it } from "@effect/vitest"
import * as net from "node:net"
import { getLogger, resetManager } from "../src/Facade.ts"
import { BackoffConfig, FemtoSocketHandler } from "../src/SocketHandler.ts"
import { removeTempDirs, spyWriteSync, waitUntil } from "./utils/files.ts"
import { sleep } from "./utils/socket.ts"

const open: Array<{ close: () => Promise<unknown> }> = []
/** Closes it after the test. */
const track = <A extends { close: () => Promise<unknown> }>(a: A): A => {
  open.push(a)
  return a
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((a) => a.close()))
})
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
