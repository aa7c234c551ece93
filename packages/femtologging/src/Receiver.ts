/**
 * The receiver is the other end of the socket handler: a server (TCP, Unix socket, optional TLS;
 * Effect's `SocketServer` on the Node platform layer) that decodes frames back into records and
 * hands them to local handlers. It is the Node equivalent of CPython's socket-listener recipe:
 * each record goes to the logger of the process-wide manager (or `manager`) named by its
 * `logger`, so the local configuration applies (its handlers, their levels and filters; as in
 * CPython, the logger's own level does not, since the sender applied its own), or straight to
 * `handlers` when given.
 *
 * Three faces: {@link make} and {@link layer} (Effect), {@link receive} (a promise of a closable
 * server), and the CLI `npx femtologging receive --port 9020 [--unix path] [--file out.log]
 * [--config logging.yaml]`.
 *
 * **Hostile input.** A connection that sends a bad length (zero, or over `maxFrameSize`), bad
 * MessagePack, a map whose keys have the wrong types, that stops mid-frame for
 * `stallTimeoutMs`, or whose TLS handshake fails or does not end within `stallTimeoutMs`, is
 * closed with the reason reported (`onReject`, else stderr, rate-limited); the records it sent
 * before are kept, and no other connection is affected. At most `maxConnections` connections are
 * served at once, those in their TLS handshake included (more are closed at once, reported).
 *
 * @since 0.2.0
 */
import { Effect, Exit, Layer, loadSocketServer, Scope, Service, TaggedError } from "./internal/lazyEffect.ts"
import type * as Socket from "effect/socket/Socket"
import type * as SocketServer from "effect/socket/SocketServer"
import * as fs from "node:fs"
import type * as Net from "node:net"
import * as Handler from "./Handler.ts"
import type { FrameReader } from "./internal/frame.ts"
import { defaultMaxFrameSize } from "./internal/frameLimits.ts"
import { frame } from "./internal/lazyModules.ts"
import { labelledReporter } from "./internal/warner.ts"
import type { Logger } from "./Logger.ts"
import * as LogRecord from "./LogRecord.ts"
import { type LoggerManager, Manager, processWide } from "./Manager.ts"

/**
 * TLS for the receiver: its key and certificate (PEM text, or paths of PEM files), and, to ask
 * clients for certificates signed by it, a `ca` with `requestCert: true`.
 *
 * @category models
 * @since 0.2.0
 */
export interface ReceiverTlsOptions {
  readonly key: string
  readonly cert: string
  readonly ca?: string | undefined
  readonly requestCert?: boolean | undefined
}

/**
 * Options of a receiver.
 *
 * @category models
 * @since 0.2.0
 */
export interface ReceiverOptions {
  /** The address to listen on, default `"127.0.0.1"` (`"0.0.0.0"` or `"::"` for every interface). */
  readonly host?: string | undefined
  /** The TCP port, default 9020; 0 picks a free one (see `address`). */
  readonly port?: number | undefined
  /** A Unix socket path to listen on instead of TCP (a stale socket file there is replaced). */
  readonly unixPath?: string | undefined
  /** TLS over TCP. */
  readonly tls?: ReceiverTlsOptions | undefined
  /** Hand records straight to these handlers instead of the manager's loggers. */
  readonly handlers?: ReadonlyArray<Handler.HandlerLike> | undefined
  /** The manager whose loggers get the records; default the `Manager` service (Effect) or the process-wide one. */
  readonly manager?: LoggerManager | undefined
  /** Connections served at once, default 256. */
  readonly maxConnections?: number | undefined
  /** The largest payload accepted, default 1 MiB (the handler's default). */
  readonly maxFrameSize?: number | undefined
  /**
   * A frame must arrive whole within this long from its first byte, and a TLS handshake must end
   * within this long, default 10,000 ms (else the connection is closed).
   */
  readonly stallTimeoutMs?: number | undefined
  /** A connection that sends nothing this long is closed (a sender reconnects at its next record), default 60,000 ms. */
  readonly idleTimeoutMs?: number | undefined
  /**
   * Loggers the manager may hold before names received stop creating new ones (records with new
   * names then go to their nearest existing ancestor, else root), default 10,000: a peer cannot
   * grow memory by inventing names. A name that would create more than 64 loggers (itself and
   * its missing ancestors) goes to its nearest existing ancestor as well.
   */
  readonly maxLoggers?: number | undefined
  /** Told of every connection closed for bad input; default: a line on stderr (rate-limited). */
  readonly onReject?: ((rejection: Rejection) => void) | undefined
}

/**
 * A connection the receiver closed, and why.
 *
 * @category models
 * @since 0.2.0
 */
export interface Rejection {
  /** The peer: `127.0.0.1:53124`, or `unix` for a Unix socket. */
  readonly peer: string
  /** Why: `bad MessagePack: ...`, `a frame of 2000000 bytes, over the limit of 1048576`, ... */
  readonly reason: string
}

/**
 * What a receiver counted so far.
 *
 * @category models
 * @since 0.2.0
 */
export interface ReceiverStats {
  /** Connections open now. */
  readonly connections: number
  /** Connections accepted in all. */
  readonly accepted: number
  /** Records decoded and handed on. */
  readonly records: number
  /** Connections closed for bad input (or over `maxConnections`). */
  readonly rejected: number
}

/**
 * A running receiver.
 *
 * @category models
 * @since 0.2.0
 */
export interface ReceiverServer {
  /** Where it listens. */
  readonly address:
    | { readonly _tag: "Tcp"; readonly host: string; readonly port: number; readonly tls: boolean }
    | { readonly _tag: "Unix"; readonly path: string }
  readonly stats: () => ReceiverStats
}

/**
 * The receiver as a service ({@link layer}).
 *
 * @category services
 * @since 0.2.0
 */
export class Receiver extends Service<Receiver, ReceiverServer>()("femtologging/Receiver") {}

/**
 * The receiver could not start (the address is in use, a TLS file cannot be read, ...).
 *
 * @category errors
 * @since 0.2.0
 */
export class ReceiverError extends TaggedError("ReceiverError")<{
  readonly address: string
  readonly detail: string
}> {
  override get message(): string {
    return `cannot listen on ${this.address}: ${this.detail}`
  }
}


const readPem = (value: string): string => {
  if (value.includes("-----BEGIN")) return value
  return fs.readFileSync(value, "utf8")
}

const addressText = (o: ReceiverOptions): string =>
  o.unixPath !== undefined ? `unix:${o.unixPath}` : `${o.tls === undefined ? "tcp" : "tls"}://${o.host ?? "127.0.0.1"}:${o.port ?? 9020}`

/**
 * A TCP port: an integer from 0 (a free one) to 65535; default 9020. A string of one, as Node's
 * `listen` takes it (`port: process.env.PORT` from JavaScript), is that number.
 */
const portOf = (value: number | undefined): number => {
  if (value === undefined) return 9020
  const port: unknown = typeof value === "string" && /^\s*\d+\s*$/.test(value) ? Number(value) : value
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`port must be an integer from 0 to 65535 (got ${typeof value === "string" ? JSON.stringify(value) : String(value)})`)
  }
  return port
}

const positive = (field: string, value: number | undefined, fallback: number): number => {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${field} must be a positive integer (got ${String(value)})`)
  return value
}

/** Whether something listens at a Unix socket path (a stale file left by a dead receiver does not). */
const listening = (path: string): Promise<boolean> =>
  new Promise((resolve) => {
    const probe = process.getBuiltinModule("node:net").connect({ path })
    probe.once("connect", () => {
      probe.destroy()
      resolve(true)
    })
    probe.once("error", () => resolve(false))
  })

/** Loggers one name received may create (itself and its missing ancestors); a deeper name goes to its nearest existing ancestor. */
const maxNewLoggers = 64

/** How much a connection reads ahead (its stream's high-water mark). */
const readBytes = 1024 * 1024

/** Bytes a string chunk (never sent by a net socket) stands for. */
const bytesOf = (chunk: Uint8Array | string): Uint8Array => (typeof chunk === "string" ? Buffer.from(chunk) : chunk)

/**
 * Starts a receiver in the current scope; closing the scope closes the connections and stops
 * listening. Fails with {@link ReceiverError} when it cannot listen.
 *
 * **Example** (Records from the network to a local file)
 *
 * ```ts
 * import { Effect } from "effect"
 * import { FileHandler, Receiver } from "femtologging"
 * const program = Effect.gen(function*() {
 *   const file = yield* FileHandler.make("collected.log")
 *   const server = yield* Receiver.make({ port: 9020, handlers: [file] })
 *   return server.address // => { _tag: "Tcp", host: "127.0.0.1", port: 9020, tls: false }
 * })
 * ```
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = (options: ReceiverOptions = {}): Effect.Effect<ReceiverServer, ReceiverError, Scope.Scope> =>
  Effect.gen(function*() {
    const where = addressText(options)
    const settings = yield* Effect.try({
      try: () => ({
        port: portOf(options.port),
        maxConnections: positive("maxConnections", options.maxConnections, 256),
        maxFrameSize: positive("maxFrameSize", options.maxFrameSize, defaultMaxFrameSize),
        stallTimeoutMs: positive("stallTimeoutMs", options.stallTimeoutMs, 10_000),
        idleTimeoutMs: positive("idleTimeoutMs", options.idleTimeoutMs, 60_000),
        maxLoggers: positive("maxLoggers", options.maxLoggers, 10_000),
        tls: options.tls === undefined ? undefined : {
          key: readPem(options.tls.key),
          cert: readPem(options.tls.cert),
          ...(options.tls.ca === undefined ? {} : { ca: readPem(options.tls.ca) }),
          ...(options.tls.requestCert === undefined ? {} : { requestCert: options.tls.requestCert })
        }
      }),
      catch: (error) => new ReceiverError({ address: where, detail: (error as Error).message })
    })
    const { decodeRecord, FrameError, FrameReader } = yield* Effect.try({
      try: () => {
        const loaded = frame()
        loaded.loadDecoder()
        return loaded
      },
      catch: (error) => new ReceiverError({ address: where, detail: (error as Error).message })
    })
    if (options.unixPath !== undefined && settings.tls !== undefined) {
      return yield* new ReceiverError({ address: where, detail: "tls is only supported for tcp transports" })
    }
    const manager = options.manager ?? Option(yield* Effect.serviceOption(Manager)) ?? processWide()
    const handlers: Array<Handler.Handler> = []
    for (const [i, like] of (options.handlers ?? []).entries()) {
      const handler = Handler.of(like)
      if (handler === undefined) {
        return yield* new ReceiverError({
          address: where,
          detail: `handlers[${i}] is not a femtologging handler (FemtoFileHandler, CaptureHandler, a Handler, ...)`
        })
      }
      handlers.push(handler)
    }
    const report = options.onReject ?? (() => {
      const write = labelledReporter(`receiver ${where}`)
      return (r: Rejection) => write(`closed the connection from ${r.peer}: ${r.reason}`)
    })()
    const counts = { connections: 0, accepted: 0, records: 0, rejected: 0 }

    const deliver = options.handlers !== undefined
      ? (record: LogRecord.LogRecord) => {
        for (const h of handlers) h.offerUnsafe(record)
      }
      : (record: LogRecord.LogRecord) => {
        // A new logger per name received (its missing ancestors included), up to `maxLoggers`
        // in the manager and `maxNewLoggers` per name; past that (a peer inventing names), the
        // nearest existing ancestor handles it (the record keeps its name).
        const name = record.logger
        let logger = manager.findLogger(name)
        if (logger === undefined) {
          // The ancestors of a logger all exist (made as its parents): the existing ones are the
          // shortest prefixes, found from the top (not one slice per dot: a name with 100,000
          // dots would cost seconds).
          let ancestor: Logger | undefined
          let dot = name.indexOf(".")
          while (dot > 0) {
            const found = manager.findLogger(name.slice(0, dot))
            if (found === undefined) break
            ancestor = found
            dot = name.indexOf(".", dot + 1)
          }
          let missing = 1
          for (let at = dot < 0 ? -1 : name.indexOf(".", dot); at >= 0; at = name.indexOf(".", at + 1)) {
            if (++missing > maxNewLoggers) break
          }
          if (missing <= maxNewLoggers && manager.size + missing <= settings.maxLoggers) {
            try {
              logger = manager.getLogger(name)
            } catch {
              logger = manager.getLogger()
            }
          } else logger = ancestor ?? manager.getLogger()
        }
        logger.handle(record)
      }

    /** Decodes every whole frame `frames` holds and hands the records on; the reason to close, if any. */
    const drain = (frames: FrameReader): string | undefined => {
      try {
        for (let payload = frames.next(); payload !== undefined; payload = frames.next()) {
          const decoded = decodeRecord(payload)
          const record = LogRecord.make({ ...decoded, error: undefined })
          deliver(decoded.error === undefined ? record : { ...record, error: decoded.error })
          counts.records++
        }
        return undefined
      } catch (error) {
        if (error instanceof FrameError) return error.message
        throw error
      }
    }

    const { NodeSocketServer, NodeSocket } = loadSocketServer()

    // TLS: the server listens on plain TCP and each connection is handed to a TLS server that
    // never listens (its handshake, certificate checks and errors are Node's). Listening with a
    // TLS server instead, a connection still in its handshake was seen by nobody here: close()
    // waited for it up to Node's 120 s handshake timeout, and such connections escaped
    // `maxConnections`. Here each is a connection like any other, and its handshake must end
    // within `stallTimeoutMs`.
    const tlsServer = settings.tls === undefined ? undefined : yield* Effect.try({
      try: () => process.getBuiltinModule("node:tls").createServer({ ...settings.tls, handshakeTimeout: settings.stallTimeoutMs }),
      catch: (error) => new ReceiverError({ address: where, detail: (error as Error).message })
    })
    const secure = tlsServer === undefined ? undefined : ((server) => {
      const keyOf = (s: Net.Socket) => `${s.remoteAddress}:${s.remotePort}`
      const waiting = new Map<string, (secured: Net.Socket) => void>()
      const failures = new Map<string, string>()
      server.on("secureConnection", (secured: Net.Socket) => {
        const done = waiting.get(keyOf(secured))
        if (done === undefined) secured.destroy()
        else done(secured)
      })
      server.on("tlsClientError", (error: Error, secured: Net.Socket) => {
        // OpenSSL's message names its source file; its reason alone is clearer.
        const reason = (error as { readonly reason?: unknown }).reason
        if (secured.remotePort !== undefined) failures.set(keyOf(secured), typeof reason === "string" ? reason : error.message)
        secured.destroy()
      })
      /** The TLS socket over `raw` once its handshake is done; fails with the reason when it is not. */
      return (raw: Net.Socket) =>
        Effect.callback<Net.Socket, string>((resume) => {
          const key = keyOf(raw)
          const onClose = () => {
            waiting.delete(key)
            const failure = failures.get(key)
            failures.delete(key)
            resume(Effect.fail(`no TLS connection: ${failure ?? "closed before the TLS handshake finished"}`))
          }
          waiting.set(key, (secured) => {
            waiting.delete(key)
            raw.off("close", onClose)
            resume(Effect.succeed(secured))
          })
          raw.once("close", onClose)
          server.emit("connection", raw)
          return Effect.sync(() => {
            waiting.delete(key)
            raw.off("close", onClose)
            raw.destroy()
          })
        })
    })(tlsServer)

    const connection = (socket: Socket.Socket) =>
      Effect.scoped(Effect.gen(function*() {
        // The server provides each connection's Node socket.
        const conn = Option(yield* Effect.serviceOption(NodeSocket.NetSocket))
        const peer = conn?.remoteAddress === undefined ? "unix" : `${conn.remoteAddress}:${conn.remotePort}`
        const reject = (reason: string) =>
          Effect.sync(() => {
            counts.rejected++
            report({ peer, reason })
          })
        if (counts.connections >= settings.maxConnections) {
          conn?.destroy()
          return yield* reject(`too many connections (maxConnections ${settings.maxConnections})`)
        }
        counts.connections++
        counts.accepted++
        yield* Effect.addFinalizer(() => Effect.sync(() => counts.connections--))
        let source = socket
        if (secure !== undefined && conn !== undefined) {
          const handshake = yield* Effect.exit(secure(conn))
          if (Exit.isFailure(handshake)) {
            const failure = handshake.cause.reasons.find((r) => r._tag === "Fail")
            return yield* reject(failure !== undefined && failure._tag === "Fail" ? failure.error : "no TLS connection")
          }
          const secured = handshake.value
          source = yield* NodeSocket.fromDuplex(
            Effect.acquireRelease(Effect.succeed(secured), (s) => Effect.sync(() => s.destroy()))
          )
        }
        const reader = yield* source.reader
        const frames = new FrameReader(settings.maxFrameSize)
        /** When the frame in progress began (a frame must arrive whole within `stallTimeoutMs`). */
        let frameStartedAt = 0
        for (;;) {
          const midFrame = frames.buffered > 0
          const wait = midFrame
            ? settings.stallTimeoutMs - (performance.now() - frameStartedAt)
            : settings.idleTimeoutMs
          const pulled = wait > 0
            ? yield* Effect.timeoutOption(Effect.exit(reader.pull), wait)
            : { _tag: "None" as const }
          if (pulled._tag === "None") {
            // An idle sender reconnects at its next record; a frame that trickles is an attack.
            if (!midFrame) return
            return yield* reject(
              `a frame did not arrive whole within ${settings.stallTimeoutMs} ms (${frames.buffered} bytes of it)`
            )
          }
          const exit = pulled.value
          if (Exit.isFailure(exit)) {
            // The peer closed (or the connection failed): what it sent whole was handed on.
            if (frames.buffered > 0) {
              return yield* reject(`closed in the middle of a frame (${frames.buffered} bytes of it)`)
            }
            return
          }
          for (const chunk of exit.value) frames.push(bytesOf(chunk))
          const before = counts.records
          const reason = drain(frames)
          if (reason !== undefined) return yield* reject(reason)
          // A new frame began: with this chunk (none was in progress, or the one in progress ended).
          if (frames.buffered > 0 && (!midFrame || counts.records > before)) frameStartedAt = performance.now()
        }
      }))

    const server = yield* Effect.gen(function*() {
      if (options.unixPath !== undefined) {
        const path = options.unixPath
        const stale = yield* Effect.promise(async () => {
          try {
            return fs.statSync(path).isSocket() && !(await listening(path))
          } catch {
            return false
          }
        })
        if (stale) fs.rmSync(path, { force: true })
        return yield* NodeSocketServer.make({ path, highWaterMark: readBytes })
      }
      // Larger reads than Node's default 64 KiB: fewer pulls per record under load.
      const listen = { host: options.host ?? "127.0.0.1", port: settings.port, highWaterMark: readBytes }
      return yield* NodeSocketServer.make(listen)
    }).pipe(
      Effect.mapError((error: SocketServer.SocketServerError) => {
        const cause = error.reason.cause
        return new ReceiverError({ address: where, detail: cause instanceof Error ? cause.message : String(cause) })
      })
    )
    yield* Effect.forkScoped(server.run(connection))
    const bound = server.address
    const address: ReceiverServer["address"] = bound._tag === "UnixPathAddress"
      ? { _tag: "Unix", path: bound.path }
      : { _tag: "Tcp", host: options.host ?? "127.0.0.1", port: bound.port, tls: settings.tls !== undefined }
    return { address, stats: () => ({ ...counts }) }
  })

const Option = <A>(o: { readonly _tag: "Some"; readonly value: A } | { readonly _tag: "None" }): A | undefined =>
  o._tag === "Some" ? o.value : undefined

/**
 * The receiver as a layer: it listens while the layer is in use.
 *
 * @category layers
 * @since 0.2.0
 */
export const layer = (options: ReceiverOptions = {}): Layer.Layer<Receiver, ReceiverError> =>
  Layer.effect(Receiver, make(options))

/**
 * A running receiver of the facade: `close()` closes its connections and stops listening
 * (idempotent).
 *
 * @category models
 * @since 0.2.0
 */
export interface ClosableReceiver extends ReceiverServer {
  readonly close: () => Promise<void>
}

/**
 * Starts a receiver (facade): resolves once it listens, rejects with {@link ReceiverError}
 * when it cannot.
 *
 * **Example** (Records from the network to stdout)
 *
 * ```ts
 * import { FemtoStreamHandler, receive } from "femtologging"
 * const server = await receive({ port: 9020, handlers: [FemtoStreamHandler.stdout()] })
 * // ... later
 * await server.close()
 * ```
 *
 * @category constructors
 * @since 0.2.0
 */
export const receive = async (options: ReceiverOptions = {}): Promise<ClosableReceiver> => {
  const scope = Effect.runSync(Scope.make())
  const exit = await Effect.runPromiseExit(Scope.provide(scope)(make(options)))
  if (Exit.isFailure(exit)) {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
    if (failure !== undefined && failure._tag === "Fail") throw failure.error
    const defect = exit.cause.reasons.find((r) => r._tag === "Die")
    throw defect !== undefined && defect._tag === "Die" ? defect.defect : new Error("the receiver was interrupted")
  }
  let closing: Promise<void> | undefined
  return {
    ...exit.value,
    close: () => (closing ??= Effect.runPromise(Scope.close(scope, Exit.void)))
  }
}
