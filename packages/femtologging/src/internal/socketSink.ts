/**
 * The socket sink behind the socket handler: it writes batches of frames (the handler encodes
 * them: `[u32 big-endian length][MessagePack map]`) to a TCP, TLS or Unix stream socket, and
 * keeps them through an outage. The default export is a `SinkFactory`, so a worker thread (the
 * handler's default executor) loads it by URL; `makeSocketSink` is the inline form. Like the
 * file sink, it imports no `effect` and uses only erasable TypeScript.
 *
 * What it guarantees:
 * - `write` returns a promise resolved once the whole batch was written to the socket (handed to
 *   the kernel). While there is no connection it keeps the batch, reconnects, and writes it on
 *   the new connection: nothing queued is lost to an outage shorter than `deadlineMs`.
 * - Reconnection: at once after a connection is lost, then with exponential backoff and jitter
 *   (a delay in `[d/2, d]`, `d` doubling from `baseMs` to `capMs`); the doubling starts over once
 *   a connection stayed up `resetAfterMs`. Once `deadlineMs` passed without a connection, the
 *   write in hand and every later one fail at once (their records are counted as dropped) while
 *   it keeps trying every `capMs`, until a connection is back.
 * - At-least-once across a reconnect: the frames written during the last `writeTimeoutMs` before
 *   a connection failed (at most `replayBytes`, 256 KiB by default) may not have been read by the
 *   peer (they sat in the kernel's buffers); they are written again first on the new connection,
 *   so the receiver may get them twice. Records written earlier are taken as delivered. A frame
 *   is resent at most twice (then given up: reported, and the next `flush()` is false).
 * - A write that makes no progress for `writeTimeoutMs` (the peer stopped reading) fails the
 *   connection, which is then replaced as above. `connectTimeoutMs` bounds a connection attempt,
 *   TLS handshake included.
 * - TLS verifies the server's certificate (Node's CAs, plus `ca` when given) and host name
 *   (`domain`, else the host) unless `insecure`.
 * - Idle, the socket and the timers are unref'd: they never keep a process alive; a write under
 *   way refs the socket until it is done.
 * - `close()` fails the write it holds (counted as dropped), ends the connection gracefully
 *   (waiting at most `writeTimeoutMs`), and is idempotent.
 *
 * Problems are reported on stderr (`femtologging: <label>: ...`), each kind at most once per 5 s
 * with the count held back.
 *
 * @internal
 */
import { writeSync } from "node:fs"
import type * as Net from "node:net"
import type * as Tls from "node:tls"
import type { Sink } from "../Sink.ts"
import { reportDue } from "./reportDue.ts"

/** The backoff of reconnections, in milliseconds, as `BackoffConfig` holds it (public as `SocketHandler.BackoffOptions`). */
export interface BackoffOptions {
  readonly baseMs: number
  readonly capMs: number
  readonly resetAfterMs: number
  readonly deadlineMs: number
}

/** The options of a socket sink: plain data, so they cross to a worker thread. @internal */
export interface SocketSinkOptions {
  /** Names the sink in reports, e.g. `FemtoSocketHandler(tcp://localhost:9020)`. */
  readonly label: string
  /** TCP (or TLS): host and port. */
  readonly host?: string | undefined
  readonly port?: number | undefined
  /** A Unix socket instead. */
  readonly path?: string | undefined
  /** TLS over TCP: `domain` (default the host) is checked against the certificate; `ca` is PEM text. */
  readonly tls?: { readonly domain?: string | undefined; readonly insecure: boolean; readonly ca?: string | undefined } | undefined
  readonly connectTimeoutMs: number
  readonly writeTimeoutMs: number
  readonly backoff: BackoffOptions
  /** Bytes of recently written frames kept for resending after a failure; default 256 KiB. */
  readonly replayBytes?: number | undefined
}

/** What an inline sink (or a test) may take. @internal */
export interface SocketSinkHooks {
  /** Receives each report (rate-limited); default: a line on stderr. */
  readonly report?: ((message: string) => void) | undefined
  /** A number in [0, 1) for the jitter; default `Math.random`. */
  readonly random?: (() => number) | undefined
}

/** A socket sink. @internal */
export interface SocketSink extends Sink {
  readonly write: (batch: Uint8Array, ends: Uint32Array) => void | Promise<void>
  readonly close: () => Promise<void>
}

/**
 * The delay before reconnection attempt `attempt` (from 0): `d = min(capMs, baseMs · 2^attempt)`,
 * with jitter: somewhere in `[d/2, d]` (`random` in [0, 1)).
 *
 * @internal
 */
export const backoffDelay = (attempt: number, backoff: BackoffOptions, random: number): number => {
  const ceiling = Math.min(backoff.capMs, backoff.baseMs * 2 ** Math.min(attempt, 40))
  return Math.round(ceiling / 2 + (random * ceiling) / 2)
}

const reportIntervalMs = 5_000
const defaultReplayBytes = 256 * 1024

const messageOf = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error)
  if (error.message !== "") return error.message
  // A connection tried on several addresses fails with an AggregateError without a message.
  const inner = (error as { readonly errors?: ReadonlyArray<unknown> }).errors
  if (Array.isArray(inner) && inner.length > 0) return inner.map(messageOf).join("; ")
  return String((error as NodeJS.ErrnoException).code ?? error.name)
}

const writeStderr = (line: string): void => {
  try {
    writeSync(2, `${line}\n`)
  } catch {
    // stderr is gone
  }
}

/** Reports of one kind: the first at once, later ones at most once per interval, with the count. */
const limited = (emit: (message: string) => void): (message: string) => void => {
  let last = Number.NEGATIVE_INFINITY
  let held = 0
  let latest = ""
  let timer: ReturnType<typeof setTimeout> | undefined
  const out = (): void => {
    last = Date.now()
    emit(held > 1 ? `${latest} (${held} times since the last report)` : latest)
    held = 0
  }
  return (message) => {
    latest = message
    held++
    if (reportDue(Date.now(), last, reportIntervalMs)) return out()
    timer ??= setTimeout(() => {
      timer = undefined
      if (held > 0) out()
    }, last + reportIntervalMs - Date.now())
    timer.unref()
  }
}

/**
 * Records given up, reported apart from the other kinds (a later "connection lost" must not
 * replace the count): the first at once, later ones at most once per interval with the sum since
 * the last report; `flush` says what is held at once (the sink closing: the timer is unref'd).
 */
const tally = (emit: (records: number) => void): { readonly add: (records: number) => void; readonly flush: () => void } => {
  let last = Number.NEGATIVE_INFINITY
  let held = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  const flush = (): void => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    if (held === 0) return
    last = Date.now()
    const records = held
    held = 0
    emit(records)
  }
  return {
    add: (records) => {
      held += records
      if (reportDue(Date.now(), last, reportIntervalMs)) return flush()
      timer ??= setTimeout(flush, last + reportIntervalMs - Date.now())
      timer.unref()
    },
    flush
  }
}

/**
 * The error a failed write rejects with: `recordsWritten` of its records were written. Its stack
 * is its message alone: the report of an outage or a close that gave up is that line, not this
 * module's stack frames.
 */
const failure = (message: string, recordsWritten: number): Error =>
  Object.assign(new Error(message), { recordsWritten, stack: `Error: ${message}` })

interface Written {
  /** When it was written (`performance.now()`). */
  readonly at: number
  readonly length: number
  readonly records: number
  /**
   * Where its bytes are in the replay log (a count of the bytes ever put in it), or -1 when they
   * are in `bytes` (larger than the log, or taken out of it for a resend) or no longer needed.
   */
  readonly start: number
  readonly bytes?: Uint8Array | undefined
  /**
   * How many times it was resent after a failure: at most {@link maxResends} (a frame the peer
   * rejects cannot loop); past that it is given up, and said so.
   */
  readonly resends?: number
}

/**
 * How many times a frame is resent: more than once, so that a frame resent on a connection that
 * broke again at once (a collector restarting, a flapping link) is not lost.
 */
const maxResends = 2

interface Waiter {
  readonly resolve: (socket: Net.Socket) => void
  readonly reject: (error: Error) => void
}

/** Resolves after `ms` (an unref'd timer), or when `cancel` is called. */
const sleep = (ms: number, onCancel: (cancel: () => void) => void): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    timer.unref()
    onCancel(() => {
      clearTimeout(timer)
      resolve()
    })
  })

/**
 * Returns the sink writing to the socket `options` name.
 *
 * @internal
 */
export const makeSocketSink = (options: SocketSinkOptions, hooks: SocketSinkHooks = {}): SocketSink => {
  const { backoff, connectTimeoutMs, writeTimeoutMs } = options
  const replayBytes = options.replayBytes ?? defaultReplayBytes
  const random = hooks.random ?? Math.random
  const base = hooks.report ?? ((message: string) => writeStderr(`femtologging: ${options.label}: ${message}`))
  const reportConnect = limited(base)
  const reportLost = limited(base)
  const reportState = limited(base)
  const reportGivenUp = tally((records) =>
    base(`gave up ${records} records already resent ${maxResends} times (they may be lost)`)
  )
  const address = options.path !== undefined
    ? options.path
    : `${options.host}:${options.port}`

  let socket: Net.Socket | undefined
  let reconnecting = false
  let waiters: Array<Waiter> = []
  let attempt = 0
  /** The last connection failed soon after it opened: wait before the next attempt. */
  let backOffFirst = false
  let connectedAt = 0
  /** When the connection went missing (`performance.now()`); undefined while connected (or never tried). */
  let failingSince: number | undefined
  let pastDeadline = false
  /** Records the sink refused since the deadline passed, for the report when it is back. */
  let refused = 0
  let closed = false
  let closing: Promise<void> | undefined
  let cancelSleep: (() => void) | undefined
  /** Ends the connection attempt under way (its socket would otherwise hold the process until `connectTimeoutMs`). */
  let cancelOpen: (() => void) | undefined
  /** Frames written on the current connection recently (for resending after a failure), oldest first. */
  let recent: Array<Written> = []
  /**
   * The bytes of `recent`, one after another in a circular buffer of `replayBytes` (made at the
   * first write), so that keeping them allocates nothing per batch: a copy per batch left the
   * worker thread holding dead copies until its rare garbage collections (8 MiB more peak RSS
   * in the socket benchmark).
   * `recent` holds at most `replayBytes` of them (but its newest frame), so none is overwritten
   * while listed there.
   */
  let log: Uint8Array | undefined
  /** Bytes ever put in the log: the next goes at `logEnd % replayBytes`. */
  let logEnd = 0
  let recentBytes = 0
  /** Frames to write first on the next connection. */
  let resend: Array<Written> = []
  /** Records given up since the last flush (resent {@link maxResends} times): `flush()` says so. */
  let givenUp = 0
  /** Rejects the write in flight when `close()` gives it up. */
  let abandon: ((error: Error) => void) | undefined

  /** Keeps a copy of frames just written (`bytes` may be reused once this returns). */
  const remember = (bytes: Uint8Array, records: number): void => {
    const now = performance.now()
    const length = bytes.length
    if (length > replayBytes) {
      // One record larger than the log: a copy of its own (a Buffer's `slice` would be a view).
      recent.push({ at: now, length, records, start: -1, bytes: Uint8Array.prototype.slice.call(bytes) })
    } else {
      log ??= new Uint8Array(replayBytes)
      const at = logEnd % replayBytes
      const first = Math.min(length, replayBytes - at)
      log.set(bytes.subarray(0, first), at)
      if (first < length) log.set(bytes.subarray(first), 0)
      recent.push({ at: now, length, records, start: logEnd })
      logEnd += length
    }
    recentBytes += length
    while (recent.length > 1 && (recentBytes > replayBytes || recent[0]!.at < now - writeTimeoutMs)) {
      recentBytes -= recent.shift()!.length
    }
  }

  /** A copy of a kept frame's bytes, for a resend (the log is written over by later batches). */
  const bytesOf = (w: Written): Uint8Array => {
    if (w.bytes !== undefined) return w.bytes
    const out = new Uint8Array(w.length)
    const at = w.start % replayBytes
    const first = Math.min(w.length, replayBytes - at)
    out.set(log!.subarray(at, at + first), 0)
    if (first < w.length) out.set(log!.subarray(0, w.length - first), first)
    return out
  }

  const settleWaiters = (outcome: { readonly socket: Net.Socket } | { readonly error: Error }): void => {
    const pending = waiters
    waiters = []
    for (const w of pending) "socket" in outcome ? w.resolve(outcome.socket) : w.reject(outcome.error)
  }

  /** The connection was lost (or found broken by a write): keep what may not have arrived, reconnect. */
  const lost = (s: Net.Socket, error: unknown): void => {
    if (socket !== s) return
    socket = undefined
    s.destroy()
    const now = performance.now()
    // A connection that did not stay up `resetAfterMs` failed: the next attempt backs off.
    if (now - connectedAt >= backoff.resetAfterMs) attempt = 0
    else backOffFirst = true
    failingSince ??= now
    const cutoff = now - writeTimeoutMs
    let abandoned = 0
    for (const w of recent) {
      if (w.at < cutoff) continue
      if ((w.resends ?? 0) >= maxResends) abandoned += w.records
      else resend.push({ ...w, start: -1, bytes: bytesOf(w) })
    }
    recent = []
    recentBytes = 0
    givenUp += abandoned
    if (abandoned > 0) reportGivenUp.add(abandoned)
    if (closed) return
    reportLost(`connection to ${address} lost (${messageOf(error)}); reconnecting`)
    reconnect()
  }

  // Loaded here, not at import: most processes never open a socket (TLS alone costs ~20 ms to load).
  const net = (): typeof Net => process.getBuiltinModule("node:net")
  const tls = (): typeof Tls => process.getBuiltinModule("node:tls")
  /** Opens a connection (TLS handshake included), within `connectTimeoutMs`. */
  const open = (): Promise<Net.Socket> =>
    new Promise((resolve, reject) => {
      const secure = options.tls
      let s: Net.Socket
      if (options.path !== undefined) s = net().connect({ path: options.path })
      else if (secure === undefined) s = net().connect({ host: options.host!, port: options.port! })
      else {
        const name = secure.domain ?? options.host!
        s = tls().connect({
          host: options.host!,
          port: options.port!,
          ...(net().isIP(name) === 0 ? { servername: name } : {}),
          ...(secure.ca === undefined ? {} : { ca: [...tls().rootCertificates, secure.ca] }),
          rejectUnauthorized: !secure.insecure,
          checkServerIdentity: secure.insecure ? () => undefined : (_host, cert) => tls().checkServerIdentity(name, cert)
        })
      }
      const timer = setTimeout(() => {
        cancelOpen = undefined
        s.destroy()
        reject(new Error(`timed out after ${connectTimeoutMs} ms`))
      }, connectTimeoutMs)
      timer.unref()
      const onError = (error: Error): void => {
        cancelOpen = undefined
        clearTimeout(timer)
        s.destroy()
        reject(error)
      }
      cancelOpen = () => onError(new Error("the sink closed"))
      s.once("error", onError)
      s.once(secure === undefined || options.path !== undefined ? "connect" : "secureConnect", () => {
        cancelOpen = undefined
        clearTimeout(timer)
        s.off("error", onError)
        resolve(s)
      })
    })

  /** Writes `bytes` on `s`; rejects when the connection fails first or makes no progress for `writeTimeoutMs`. */
  const send = (s: Net.Socket, bytes: Uint8Array): Promise<void> =>
    new Promise((resolve, reject) => {
      let done = false
      const finish = (error?: unknown): void => {
        if (done) return
        done = true
        clearInterval(watch)
        s.off("close", onClose)
        abandon = undefined
        if (socket === s && !s.destroyed) s.unref()
        if (error === undefined) resolve()
        else reject(error)
      }
      const onClose = (): void => finish(new Error("the connection closed"))
      if (s.destroyed) return finish(new Error("the connection closed"))
      let seen = -1
      const watch = setInterval(() => {
        const left = s.writableLength
        if (left > 0 && left === seen) {
          const error = new Error(`a write made no progress for ${writeTimeoutMs} ms`)
          lost(s, error)
          finish(error)
        }
        seen = left
      }, writeTimeoutMs)
      watch.unref()
      abandon = (error) => finish(error)
      s.once("close", onClose)
      s.ref()
      s.write(bytes, (error) => finish(error ?? undefined))
    })

  /**
   * Takes a new connection into use: first writes what may have been lost with the last one
   * (throws when that fails: the caller drops the connection).
   */
  const establish = async (s: Net.Socket): Promise<void> => {
    s.setNoDelay(true)
    s.setKeepAlive(true, 30_000)
    // The peer sends nothing; read (and discard) so that its end of the stream is seen.
    s.on("data", () => {})
    s.on("end", () => lost(s, new Error("closed by the peer")))
    s.on("error", (error) => lost(s, error))
    s.on("close", () => lost(s, new Error("the connection closed")))
    const again = resend
    if (again.length > 0) {
      let total = 0
      for (const w of again) total += w.length
      const joined = new Uint8Array(total)
      let at = 0
      for (const w of again) {
        joined.set(w.bytes!, at)
        at += w.length
      }
      await send(s, joined)
      resend = []
      // Kept as written now (the peer may not read them either: this connection may break at
      // once), with their bytes and how often they were resent.
      const now = performance.now()
      for (const w of again) {
        recent.push({ at: now, length: w.length, records: w.records, start: -1, bytes: w.bytes, resends: (w.resends ?? 0) + 1 })
        recentBytes += w.length
      }
    }
    if (s.destroyed) throw new Error("the connection closed")
    socket = s
    const before = connectedAt
    connectedAt = performance.now()
    if (failingSince !== undefined) {
      const down = Math.round(connectedAt - failingSince)
      const records = again.reduce((n, w) => n + w.records, 0)
      reportState(
        `connected to ${address}${before > 0 ? " again" : ""} after ${down} ms` +
          (records > 0 ? `; resent the last ${records} records written before the failure (they may arrive twice)` : "") +
          (refused > 0 ? `; ${refused} records were dropped meanwhile` : "")
      )
    }
    failingSince = undefined
    pastDeadline = false
    refused = 0
    s.unref()
  }

  /** Connects until it succeeds or the sink closes, with backoff; settles the writes waiting for it. */
  const reconnect = (): void => {
    if (reconnecting || closed) return
    reconnecting = true
    void (async () => {
      if (backOffFirst) {
        backOffFirst = false
        const delay = backoffDelay(attempt++, backoff, random())
        await sleep(delay, (cancel) => (cancelSleep = cancel))
        cancelSleep = undefined
      }
      while (!closed) {
        let s: Net.Socket | undefined
        try {
          s = await open()
          if (closed) {
            s.destroy()
            break
          }
          await establish(s)
          settleWaiters({ socket: s })
          break
        } catch (error) {
          s?.destroy()
          if (closed) break
          const now = performance.now()
          failingSince ??= now
          if (!pastDeadline && now - failingSince >= backoff.deadlineMs) {
            pastDeadline = true
            reportState(
              `no connection to ${address} for ${Math.round(now - failingSince)} ms: dropping queued records ` +
                `until it is back (retrying every ${backoff.capMs} ms)`
            )
            settleWaiters({ error: failure(`no connection to ${address} for ${backoff.deadlineMs} ms`, 0) })
          }
          const delay = pastDeadline
            ? backoffDelay(Number.POSITIVE_INFINITY, backoff, random())
            : backoffDelay(attempt++, backoff, random())
          reportConnect(`cannot connect to ${address}: ${messageOf(error)}; retrying in ${delay} ms`)
          await sleep(delay, (cancel) => (cancelSleep = cancel))
          cancelSleep = undefined
        }
      }
      reconnecting = false
    })()
  }

  /** The connection, once there is one; rejects once the deadline passed or the sink closed. */
  const connection = (): Promise<Net.Socket> => {
    if (socket !== undefined) return Promise.resolve(socket)
    return new Promise((resolve, reject) => {
      waiters.push({ resolve, reject })
      reconnect()
    })
  }

  /**
   * Writes a batch, waiting for a connection. `keep` is where the frames worth keeping for a
   * resend start (the last `replayBytes` of the batch, whole frames), and how many records they are.
   */
  const deliver = async (bytes: Uint8Array, records: number, keep: { readonly at: number; readonly records: number }): Promise<void> => {
    for (;;) {
      if (closed) throw failure("the sink closed before the batch was written", 0)
      if (pastDeadline && socket === undefined) {
        refused += records
        throw failure(`no connection to ${address} for over ${backoff.deadlineMs} ms`, 0)
      }
      let s: Net.Socket
      try {
        s = await connection()
      } catch (error) {
        refused += records
        throw error
      }
      try {
        await send(s, bytes)
        remember(bytes.subarray(keep.at), keep.records)
        return
      } catch (error) {
        lost(s, error)
      }
    }
  }

  return {
    write: (batch, ends) => {
      const records = ends.length
      if (records === 0) return
      if (closed) throw failure("the sink is closed", 0)
      const total = ends[records - 1]!
      // The first record kept for a resend: the batch's last `replayBytes`, at least its last record.
      let first = records - 1
      while (first > 0 && total - (first === 1 ? 0 : ends[first - 2]!) <= replayBytes) first--
      const at = first === 0 ? 0 : ends[first - 1]!
      return deliver(batch.subarray(0, total), records, { at, records: records - first })
    },
    flush: () => {
      const ok = givenUp === 0
      givenUp = 0
      return ok
    },
    close: () =>
      closing ??= (async () => {
        closed = true
        reportGivenUp.flush()
        cancelSleep?.()
        cancelOpen?.()
        const error = failure("the sink closed before the batch was written", 0)
        abandon?.(error)
        settleWaiters({ error })
        const s = socket
        socket = undefined
        if (s === undefined) return
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            s.destroy()
            resolve()
          }, writeTimeoutMs)
          s.once("close", () => {
            clearTimeout(timer)
            resolve()
          })
          s.end()
        })
      })()
  }
}

/**
 * The factory a worker thread calls.
 *
 * @internal
 */
const socketSink = (options: SocketSinkOptions): Sink => makeSocketSink(options)

export default socketSink
