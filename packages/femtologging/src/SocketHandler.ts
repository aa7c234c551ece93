/**
 * The socket handler sends records to a collector over TCP, TLS or a Unix socket, each as a
 * MessagePack map behind a 4-byte big-endian length (the wire format is in the package README;
 * `receive()` and `npx femtologging receive` are the collector this package ships).
 *
 * Its sink runs on a worker thread by default (`executor: "inline"` to keep it on the main
 * thread), behind the handler's queue (capacity 10,000, policy `drop` by default: a collector
 * outage never stops the application; `block` and `timeout:N` hold callers as usual) and the
 * hand-off (`bufferBytes`, 256 KiB by default). A record leaves them only once it was written
 * whole to the socket: while the collector is down, records wait there and are sent when it is
 * back; beyond what they hold, records are dropped and counted. Reconnection backs off
 * exponentially with jitter ({@link BackoffConfig}); after `deadlineMs` without a connection the
 * records waiting are dropped and counted while it keeps trying. Delivery is at-least-once across
 * a reconnect: the frames written just before a connection failed are written again on the next.
 *
 * @since 0.2.0
 */
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import {
  checkOptions,
  classRule,
  type CommonDict,
  commonDict,
  type CommonOptions,
  commonMakeOptions,
  commonRules,
  FemtoHandler,
  HandlerBuilderBase,
  type Rules,
  sinkModule
} from "./FemtoHandler.ts"
import * as Formatter from "./Formatter.ts"
import * as Handler from "./Handler.ts"
import { booleanOption, checkKeys, HandlerConfigError, positiveInt, show, timerMs } from "./HandlerConfigError.ts"
import { defaultMaxFrameSize, maxPayloadBytes } from "./internal/frameLimits.ts"
import { frame, socketSink } from "./internal/lazyModules.ts"
import { facadeSpawner, type Spawner } from "./internal/runtime.ts"
import type { BackoffOptions, SocketSinkOptions } from "./internal/socketSink.ts"
import { writeStderr } from "./internal/warner.ts"

/**
 * The reconnection backoff in milliseconds, as `BackoffConfig` takes it (each key optional there)
 * and `toJSON()` returns it.
 *
 * @category models
 * @since 0.2.0
 */
export type { BackoffOptions }

/**
 * The reconnection backoff, all in milliseconds:
 * - `baseMs` (100): the first delay; each failed attempt doubles it, up to
 * - `capMs` (10,000);
 * - `resetAfterMs` (30,000): a connection that stayed up this long starts the doubling over;
 * - `deadlineMs` (120,000): after this long without a connection, the records waiting are
 *   dropped (and counted), and so is every later one until a connection is back; meanwhile it
 *   tries every `capMs`.
 *
 * Each delay is drawn in `[d/2, d]` (jitter). Each value must be an integer greater than zero
 * (`baseMs` and `capMs` at most 2,147,483,647, Node's longest timer);
 * an unknown key fails naming it (`unknown BackoffConfig key 'base'`).
 *
 * @category models
 * @since 0.2.0
 */
export class BackoffConfig {
  readonly baseMs: number
  readonly capMs: number
  readonly resetAfterMs: number
  readonly deadlineMs: number
  /** The keys given, as given (what `asDict()` shows). */
  readonly given: Readonly<Partial<BackoffOptions>>

  constructor(config: Partial<BackoffOptions> = {}) {
    if (typeof config !== "object" || config === null || Array.isArray(config)) {
      throw new HandlerConfigError({ field: "backoff", detail: `BackoffConfig takes an object (got ${show(config)})` })
    }
    const given: Record<string, number> = {}
    for (const key of Object.keys(config)) {
      if (!backoffKeys.includes(key as keyof BackoffOptions)) {
        throw new HandlerConfigError({ field: key, detail: `unknown BackoffConfig key '${key}'` })
      }
      const value = (config as Record<string, unknown>)[key]
      // The base and the cap become timers; the other two are only compared with the clock.
      if (value !== undefined) given[key] = key === "baseMs" || key === "capMs" ? timerMs(key, value) : positiveInt(key, value)
    }
    this.given = given
    this.baseMs = given.baseMs ?? 100
    this.capMs = given.capMs ?? 10_000
    this.resetAfterMs = given.resetAfterMs ?? 30_000
    this.deadlineMs = given.deadlineMs ?? 120_000
  }

  /** The four values, as plain data. */
  toJSON(): BackoffOptions {
    return { baseMs: this.baseMs, capMs: this.capMs, resetAfterMs: this.resetAfterMs, deadlineMs: this.deadlineMs }
  }
}

const backoffKeys: ReadonlyArray<keyof BackoffOptions> = ["baseMs", "capMs", "resetAfterMs", "deadlineMs"]

/**
 * TLS settings of a socket handler.
 *
 * @category models
 * @since 0.2.0
 */
export interface SocketTlsOptions {
  /** The name the server's certificate must hold (and sent as SNI); default the host. */
  readonly domain?: string | undefined
  /** Turns certificate and host name verification off (said once on stderr); default false. */
  readonly insecure?: boolean | undefined
  /** A CA certificate to trust besides Node's: PEM text, or the path of a PEM file. */
  readonly ca?: string | undefined
}

/**
 * Options of a socket handler: the {@link CommonOptions} (but `formatter`: records are sent as
 * data), where to connect, and the socket's own.
 *
 * @category models
 * @since 0.2.0
 */
export interface SocketHandlerOptions extends Omit<CommonOptions, "formatter"> {
  /** TCP host, default `"localhost"`. */
  readonly host?: string | undefined
  /** TCP port, default 9020. */
  readonly port?: number | undefined
  /** A Unix socket path instead of TCP. */
  readonly unixPath?: string | undefined
  /** How long a connection attempt (TLS handshake included) may take, default 5000 ms. */
  readonly connectTimeoutMs?: number | undefined
  /**
   * A write that makes no progress this long fails the connection, default 1000 ms; also the
   * default `flushTimeoutMs` and how long the exit drain waits for this handler.
   */
  readonly writeTimeoutMs?: number | undefined
  /** Payloads (the prefix not counted) larger than this are dropped and counted; default 1 MiB. */
  readonly maxFrameSize?: number | undefined
  /** TLS over TCP: `true` (verify against Node's CAs and the host) or {@link SocketTlsOptions}. */
  readonly tls?: boolean | SocketTlsOptions | undefined
  /** Reconnection backoff: a {@link BackoffConfig} or its keys. */
  readonly backoff?: BackoffConfig | Partial<BackoffOptions> | undefined
  /**
   * Capture the caller's location (`filename`, `line_number`, `module_path` in the frame) for
   * every record this handler gets: about 10 µs per record. Default false (those keys are nil).
   */
  readonly includeCaller?: boolean | undefined
}

/**
 * What a socket builder's `asDict()` returns: valid options for the constructor as they are.
 *
 * @category models
 * @since 0.2.0
 */
export interface SocketDict extends CommonDict {
  readonly class: string
  readonly host?: string
  readonly port?: number
  readonly unixPath?: string
  readonly connectTimeoutMs?: number
  readonly writeTimeoutMs?: number
  readonly maxFrameSize?: number
  readonly tls?: boolean | { readonly domain?: string; readonly insecure?: boolean; readonly ca?: string }
  readonly backoff?: Partial<BackoffOptions>
  readonly includeCaller?: boolean
}

/** The defaults that differ from other handlers'. */
const defaults = {
  host: "localhost",
  port: 9020,
  connectTimeoutMs: 5_000,
  writeTimeoutMs: 1_000,
  capacity: 10_000,
  policy: "drop",
  executor: "worker",
  bufferBytes: 256 * 1024
} as const

const nonEmpty = (field: string, what: string) => (value: unknown): string => {
  if (typeof value !== "string" || value === "") {
    throw new HandlerConfigError({ field, detail: `${what} must not be empty (got ${show(value)})` })
  }
  return value
}

const checkTls = (value: unknown): boolean | SocketTlsOptions => {
  if (typeof value === "boolean") return value
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HandlerConfigError({ field: "tls", detail: `tls must be true, false or { domain, insecure, ca } (got ${show(value)})` })
  }
  checkKeys("tls", value, new Set(["domain", "insecure", "ca"]))
  const o = value as SocketTlsOptions
  const out: { domain?: string; insecure?: boolean; ca?: string } = {}
  if (o.domain !== undefined) out.domain = nonEmpty("domain", "tls domain")(o.domain)
  if (o.insecure !== undefined) out.insecure = booleanOption("insecure", o.insecure)
  if (o.ca !== undefined) out.ca = nonEmpty("ca", "tls ca")(o.ca)
  return out
}

const checkBackoff = (value: unknown): BackoffConfig =>
  value instanceof BackoffConfig ? value : new BackoffConfig(value as Partial<BackoffOptions>)

// Records are sent as data: no formatter.
const { formatter: _formatter, ...sharedRules } = commonRules

const socketRules: Rules = {
  ...sharedRules,
  class: classRule("SocketHandler"),
  host: nonEmpty("host", "tcp host"),
  port: (value: unknown) => {
    const port = positiveInt("port", value)
    if (port > 65535) throw new HandlerConfigError({ field: "port", detail: `port must be at most 65535 (got ${port})` })
    return port
  },
  unixPath: nonEmpty("unixPath", "unixPath"),
  connectTimeoutMs: (value: unknown) => timerMs("connectTimeoutMs", value),
  writeTimeoutMs: (value: unknown) => timerMs("writeTimeoutMs", value),
  maxFrameSize: (value: unknown) => {
    const size = positiveInt("maxFrameSize", value)
    if (size > maxPayloadBytes) {
      throw new HandlerConfigError({ field: "maxFrameSize", detail: `maxFrameSize must be at most ${maxPayloadBytes} (got ${size})` })
    }
    return size
  },
  tls: checkTls,
  backoff: checkBackoff,
  includeCaller: (value: unknown) => booleanOption("includeCaller", value)
}

/**
 * Checks a socket handler's options, as its constructor, its builder's `build()` and
 * `SocketHandler.make` do: throws `HandlerConfigError` naming the option (an unknown key, a size
 * or timeout that is not greater than zero, TLS with a Unix path: `tls is only supported for tcp
 * transports`), or returns them with `undefined` values left out, the policy parsed and `backoff`
 * a {@link BackoffConfig}.
 *
 * @category validation
 * @since 0.2.0
 */
export const checkSocketOptions = (options: SocketHandlerOptions = {}): SocketHandlerOptions => {
  const checked = checkOptions("SocketHandler", options, socketRules)
  if (checked.unixPath !== undefined) {
    if (checked.host !== undefined || checked.port !== undefined) {
      throw new HandlerConfigError({ field: "unixPath", detail: "give host and port, or unixPath, not both" })
    }
    if (checked.tls !== undefined && checked.tls !== false) {
      throw new HandlerConfigError({ field: "tls", detail: "tls is only supported for tcp transports" })
    }
  }
  return checked
}

/** The address a handler connects to, as its label shows it. */
const addressOf = (o: SocketHandlerOptions): string =>
  o.unixPath !== undefined
    ? `unix:${o.unixPath}`
    : `${o.tls !== undefined && o.tls !== false ? "tls" : "tcp"}://${o.host ?? defaults.host}:${o.port ?? defaults.port}`

const readCa = (ca: string): string => {
  const pem = readCaText(ca)
  // Checked now, not at the first connection (which would fail and retry forever).
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
  try {
    if (blocks.length === 0) throw new Error("no certificate in it")
    for (const block of blocks) new (process.getBuiltinModule("node:crypto").X509Certificate)(block)
  } catch (error) {
    throw new HandlerConfigError({ field: "ca", detail: `the tls ca is not a PEM certificate: ${(error as Error).message}` })
  }
  return pem
}

const readCaText = (ca: string): string => {
  if (ca.includes("-----BEGIN")) return ca
  try {
    return fs.readFileSync(ca, "utf8")
  } catch (error) {
    throw new HandlerConfigError({ field: "ca", detail: `cannot read the tls ca file ${ca}: ${(error as Error).message}` })
  }
}

/** A formatter that is never called (records are encoded as frames), marked to capture the caller when asked. */
const unused: Formatter.Formatter = (record) => Formatter.line(record.logger, record.level, record.message)
const unusedWithCaller = Formatter.withCaller(unused)

const makeOptions = (options: SocketHandlerOptions): { readonly made: Handler.MakeOptions; readonly address: string } => {
  const checked = checkSocketOptions(options)
  const address = addressOf(checked)
  const label = `FemtoSocketHandler(${address})`
  const tls = checked.tls === undefined || checked.tls === false
    ? undefined
    : checked.tls === true
    ? { insecure: false }
    : { ...checked.tls, insecure: checked.tls.insecure ?? false, ...(checked.tls.ca === undefined ? {} : { ca: readCa(checked.tls.ca) }) }
  const writeTimeoutMs = checked.writeTimeoutMs ?? defaults.writeTimeoutMs
  const sinkOptions: SocketSinkOptions = {
    label,
    ...(checked.unixPath !== undefined
      ? { path: checked.unixPath }
      : { host: checked.host ?? defaults.host, port: checked.port ?? defaults.port }),
    ...(tls === undefined ? {} : { tls }),
    connectTimeoutMs: checked.connectTimeoutMs ?? defaults.connectTimeoutMs,
    writeTimeoutMs,
    backoff: (checked.backoff as BackoffConfig | undefined ?? new BackoffConfig()).toJSON()
  }
  const common = {
    ...checked,
    capacity: checked.capacity ?? defaults.capacity,
    policy: checked.policy ?? defaults.policy,
    executor: checked.executor ?? defaults.executor,
    bufferBytes: checked.bufferBytes ?? defaults.bufferBytes,
    flushTimeoutMs: checked.flushTimeoutMs ?? writeTimeoutMs
  }
  const made = commonMakeOptions(
    label,
    common,
    () => ({ _tag: "Sink", sink: () => socketSink().makeSocketSink(sinkOptions) }),
    { module: sinkModule("socketSink"), options: sinkOptions }
  )
  const { encodeRecord } = frame()
  if (tls?.insecure === true) {
    writeStderr(
      `femtologging: ${label}: TLS certificate verification is off (insecure): the connection is encrypted, ` +
        "but the server is not authenticated\n"
    )
  }
  return {
    address,
    made: {
      ...made,
      formatter: checked.includeCaller === true ? unusedWithCaller : unused,
      encoding: { _tag: "Frames", encode: encodeRecord, maxFrameSize: checked.maxFrameSize ?? defaultMaxFrameSize },
      exitTimeoutMs: writeTimeoutMs
    }
  }
}

/**
 * A handler sending records to a collector as MessagePack frames.
 *
 * **Example** (To a collector on this machine)
 *
 * ```ts
 * import { FemtoSocketHandler, getLogger } from "femtologging"
 * const handler = new FemtoSocketHandler({ host: "127.0.0.1", port: 9020 })
 * getLogger().addHandler(handler)
 * getLogger("app").info("started", { pid: process.pid })
 * await handler.flush() // => true once written to the socket
 * ```
 *
 * @category constructors
 * @since 0.2.0
 */
export class FemtoSocketHandler extends FemtoHandler {
  /** Where it connects: `tcp://host:port`, `tls://host:port` or `unix:/path`. */
  readonly address: string

  /** Throws `HandlerConfigError` (see {@link checkSocketOptions}). */
  constructor(options: SocketHandlerOptions = {}, spawn: Spawner = facadeSpawner()) {
    const { made, address } = makeOptions(options)
    super(Handler.makeUnsafe(made, spawn))
    this.address = address
  }
}

/**
 * Creates a socket handler in the current scope (Effect face); closing the scope sends what was
 * accepted (bounded by the write timeout) and closes the connection.
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = (
  options: SocketHandlerOptions = {}
): Effect.Effect<FemtoSocketHandler, HandlerConfigError, Scope.Scope> =>
  Handler.makeIn<FemtoSocketHandler, HandlerConfigError>((spawn) => new FemtoSocketHandler(options, spawn))

/**
 * Fluent construction of a {@link FemtoSocketHandler}, as in the seed:
 * `new SocketHandlerBuilder().withTcp("127.0.0.1", 9020).withCapacity(2048).withTls("logs.example.com")
 * .withBackoff(new BackoffConfig({ baseMs: 100, capMs: 5000 })).build()`. Each value is checked
 * as it is set; TLS with a Unix path fails at `build()`.
 *
 * @category builders
 * @since 0.2.0
 */
export class SocketHandlerBuilder extends HandlerBuilderBase<SocketHandlerBuilder, SocketHandlerOptions> {
  constructor(options: SocketHandlerOptions = {}) {
    super(options)
  }

  protected with(options: SocketHandlerOptions): SocketHandlerBuilder {
    return new SocketHandlerBuilder(options)
  }

  /** TCP to `host:port` (the default transport, to `localhost:9020`). */
  withTcp(host: string, port: number): SocketHandlerBuilder {
    const { unixPath: _, ...rest } = this.options
    return this.with({ ...rest, host: socketRules.host!(host) as string, port: socketRules.port!(port) as number })
  }

  /** A Unix socket at `path`. */
  withUnixPath(path: string): SocketHandlerBuilder {
    const { host: _h, port: _p, ...rest } = this.options
    return this.with({ ...rest, unixPath: socketRules.unixPath!(path) as string })
  }

  /** How long a connection attempt may take (TLS handshake included); must be greater than zero. */
  withConnectTimeoutMs(ms: number): SocketHandlerBuilder {
    return this.with({ ...this.options, connectTimeoutMs: timerMs("connectTimeoutMs", ms) })
  }

  /** How long a write may make no progress before the connection is replaced; must be greater than zero. */
  withWriteTimeoutMs(ms: number): SocketHandlerBuilder {
    return this.with({ ...this.options, writeTimeoutMs: timerMs("writeTimeoutMs", ms) })
  }

  /** The largest payload sent; larger records are dropped and counted. Must be greater than zero. */
  withMaxFrameSize(bytes: number): SocketHandlerBuilder {
    return this.with({ ...this.options, maxFrameSize: socketRules.maxFrameSize!(bytes) as number })
  }

  /**
   * TLS: the server's certificate must be valid (Node's CAs, plus `ca`: PEM text or a file) for
   * `domain` (default the host), unless `insecure`.
   */
  withTls(domain?: string, options: { readonly insecure?: boolean; readonly ca?: string } = {}): SocketHandlerBuilder {
    const tls = checkTls({
      ...(domain === undefined ? {} : { domain }),
      insecure: options.insecure ?? false,
      ...(options.ca === undefined ? {} : { ca: options.ca })
    })
    return this.with({ ...this.options, tls })
  }

  /** The reconnection backoff. */
  withBackoff(backoff: BackoffConfig): SocketHandlerBuilder {
    return this.with({ ...this.options, backoff: checkBackoff(backoff) })
  }

  /** Capture the caller's location for the frame's `filename`, `line_number`, `module_path` (about 10 µs a record). */
  withCaller(include = true): SocketHandlerBuilder {
    return this.with({ ...this.options, includeCaller: booleanOption("includeCaller", include) })
  }

  /**
   * The options as plain data under the constructor's names, with `class`
   * (`femtologging.SocketHandler`) and the transport (`host` and `port`, or `unixPath`); valid
   * options for the constructor as they are.
   */
  asDict(): SocketDict {
    const o = this.options
    const transport = o.unixPath !== undefined
      ? { unixPath: o.unixPath }
      : { host: o.host ?? defaults.host, port: o.port ?? defaults.port }
    const backoff = o.backoff === undefined ? undefined : checkBackoff(o.backoff).given
    return {
      class: "femtologging.SocketHandler",
      ...transport,
      ...commonDict(o),
      ...(o.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: o.connectTimeoutMs }),
      ...(o.writeTimeoutMs === undefined ? {} : { writeTimeoutMs: o.writeTimeoutMs }),
      ...(o.maxFrameSize === undefined ? {} : { maxFrameSize: o.maxFrameSize }),
      ...(o.tls === undefined ? {} : { tls: typeof o.tls === "boolean" ? o.tls : { ...o.tls } as SocketDict["tls"] & object }),
      ...(backoff === undefined ? {} : { backoff: { ...backoff } }),
      ...(o.includeCaller === undefined ? {} : { includeCaller: o.includeCaller })
    }
  }

  /** Builds the handler (facade). Throws `HandlerConfigError`. */
  build(): FemtoSocketHandler {
    return new FemtoSocketHandler(this.options)
  }

  /** Builds the handler in the current scope (Effect face). */
  make(): Effect.Effect<FemtoSocketHandler, HandlerConfigError, Scope.Scope> {
    return make(this.options)
  }
}
