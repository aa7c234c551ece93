/**
 * Helpers for the socket handler and receiver tests: a raw collecting server (TCP, Unix or TLS)
 * that keeps every byte it gets, splitting frames, a refused port, TLS certificates made by
 * `openssl`, and Python's `msgpack` as an independent decoder.
 */
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import * as tls from "node:tls"
import { fixturesDir } from "./child.ts"

/** A server keeping what each connection sent. */
export interface Collector {
  readonly port: number
  readonly path: string | undefined
  /** Every byte received, all connections in order of arrival. */
  readonly bytes: () => Buffer
  /** The payloads of the whole frames received so far. */
  readonly frames: () => Array<Buffer>
  readonly connections: () => number
  readonly close: () => Promise<void>
}

/** Splits bytes into frame payloads (a partial last frame is left out). */
export const splitFrames = (bytes: Buffer): Array<Buffer> => {
  const out: Array<Buffer> = []
  let at = 0
  while (at + 4 <= bytes.length) {
    const length = bytes.readUInt32BE(at)
    if (at + 4 + length > bytes.length) break
    out.push(bytes.subarray(at + 4, at + 4 + length))
    at += 4 + length
  }
  return out
}

/** A raw server on 127.0.0.1 (port 0: a free one), a Unix path, or TLS with `key`/`cert`. */
export const collector = async (
  options: { readonly path?: string; readonly tls?: { readonly key: string; readonly cert: string } } = {}
): Promise<Collector> => {
  const chunks: Array<Buffer> = []
  const sockets = new Set<net.Socket>()
  let connections = 0
  const onConnection = (socket: net.Socket) => {
    connections++
    sockets.add(socket)
    socket.on("data", (chunk: Buffer) => chunks.push(chunk))
    socket.on("error", () => {})
    socket.on("close", () => sockets.delete(socket))
  }
  const server = options.tls === undefined
    ? net.createServer(onConnection)
    : tls.createServer({ key: options.tls.key, cert: options.tls.cert }, onConnection)
  server.on("tlsClientError", () => {})
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    if (options.path !== undefined) server.listen(options.path, resolve)
    else server.listen(0, "127.0.0.1", resolve)
  })
  const address = server.address()
  return {
    port: typeof address === "object" && address !== null ? address.port : 0,
    path: options.path,
    bytes: () => Buffer.concat(chunks),
    frames: () => splitFrames(Buffer.concat(chunks)),
    connections: () => connections,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}

/** A port on 127.0.0.1 where nothing listens (connections are refused). */
export const refusedPort = async (): Promise<number> => {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** PEM texts of a CA and of a certificate it signed for `localhost` and 127.0.0.1, with its key. */
export interface Certificates {
  readonly ca: string
  readonly key: string
  readonly cert: string
  readonly caPath: string
}

/** Makes a CA and a server certificate with Debian's `openssl`, in `dir`. */
export const makeCertificates = (dir: string): Certificates => {
  const file = (name: string) => path.join(dir, name)
  const openssl = (...args: Array<string>) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] })
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
  openssl("req", "-x509", ...ec, "-keyout", file("ca.key"), "-out", file("ca.pem"), "-days", "2", "-subj", "/CN=femtologging test CA")
  openssl("req", ...ec, "-keyout", file("server.key"), "-out", file("server.csr"), "-subj", "/CN=localhost")
  fs.writeFileSync(file("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
  openssl(
    "x509", "-req", "-in", file("server.csr"), "-CA", file("ca.pem"), "-CAkey", file("ca.key"), "-CAcreateserial",
    "-out", file("server.pem"), "-days", "2", "-extfile", file("ext.cnf")
  )
  return {
    ca: fs.readFileSync(file("ca.pem"), "utf8"),
    key: fs.readFileSync(file("server.key"), "utf8"),
    cert: fs.readFileSync(file("server.pem"), "utf8"),
    caPath: file("ca.pem")
  }
}

/** The Python with the `msgpack` module: Debian's (package python3-msgpack), or `FEMTOLOGGING_PYTHON`. */
export const python = (): string => {
  for (const candidate of [process.env.FEMTOLOGGING_PYTHON, "/usr/bin/python3", "python3"]) {
    if (candidate === undefined) continue
    if (spawnSync(candidate, ["-c", "import msgpack"], { stdio: "ignore" }).status === 0) return candidate
  }
  throw new Error("no python3 with the msgpack module: install Debian's python3-msgpack (.ci/run does)")
}

/** What Python's msgpack makes of each frame: the keys in order, each value's Python type, the values. */
export interface PythonRecord {
  readonly keys: Array<string>
  readonly types: Record<string, string>
  readonly kv_types: Record<string, string>
  readonly record: Record<string, unknown>
  readonly key_values: Record<string, unknown>
}

/** Decodes `bytes` (whole frames) with Python's msgpack (test/fixtures/socket/decode.py). */
export const decodeWithPython = (bytes: Buffer, dir: string): Array<PythonRecord> => {
  const file = path.join(dir, `frames-${Date.now()}-${Math.random().toString(36).slice(2)}.bin`)
  fs.writeFileSync(file, bytes)
  const out = execFileSync(python(), [path.join(fixturesDir, "socket", "decode.py"), file], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024
  })
  return JSON.parse(out)
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
