// The file loggers the file workloads (file-e2e, one-per-turn) compare. Each setup opens `path`
// and returns { log, close, dropped }: everything before the first record (opening the file,
// starting a worker thread) happens before the clock starts; `close()` resolves once every
// line is in the file and the file is closed.
import { once } from "node:events"
import { hostname } from "node:os"

const femtoFile = (options) => async (path) => {
  const { FemtoFileHandler, getLogger } = await import("femtologging")
  if (typeof FemtoFileHandler !== "function") throw new Error("FemtoFileHandler is not exported by femtologging")
  const logger = getLogger("bench")
  const handler = new FemtoFileHandler(path, options())
  logger.addHandler(handler)
  return {
    log: (m) => logger.info(m),
    close: () => handler.close(),
    dropped: () => logger.getDropped() + handler.getDropped()
  }
}

// SonicBoom: end() writes what is buffered, then fsyncs and closes the fd, emitting 'close'.
const endSonic = async (dest) => {
  const closed = once(dest, "close")
  dest.end()
  await closed
}

export const fileImpls = {
  // capacity 1024, flushInterval 1 and block are also FemtoFileHandler's defaults.
  femto: femtoFile(() => ({ capacity: 1024, flushInterval: 1, policy: "block" })),
  // The same, with the file sink on a worker thread behind the SharedArrayBuffer hand-off;
  // close() resolves once the worker wrote everything and closed the file.
  "femto-worker": femtoFile(() => ({ capacity: 1024, flushInterval: 1, policy: "block", executor: "worker" })),
  // The same work as pino's lines: one JSON object per record with pino's keys (level, time, pid,
  // hostname, msg), so bytes per line and serialising are comparable.
  "femto-json": femtoFile(() => {
    const tail = `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())},"msg":`
    return {
      capacity: 1024,
      flushInterval: 1,
      policy: "block",
      formatter: (r) => `{"level":30,"time":${Math.round(r.timestampNs / 1e6)}${tail}${JSON.stringify(r.message)}}`
    }
  }),
  async "pino-async"(path) {
    const { default: pino } = await import("pino")
    const dest = pino.destination({ dest: path, sync: false })
    await once(dest, "ready")
    const logger = pino({ level: "info" }, dest)
    return { log: (m) => logger.info(m), close: () => endSonic(dest) }
  },
  async "pino-sync"(path) {
    const { default: pino } = await import("pino")
    const dest = pino.destination({ dest: path, sync: true })
    const logger = pino({ level: "info" }, dest)
    return { log: (m) => logger.info(m), close: () => endSonic(dest) }
  },
  async "pino-transport"(path) {
    const { default: pino } = await import("pino")
    const transport = pino.transport({ target: "pino/file", options: { destination: path } })
    await once(transport, "ready")
    const logger = pino({ level: "info" }, transport)
    return { log: (m) => logger.info(m), close: () => endTransport(transport) }
  }
}

// end() blocks until the worker has read everything; the worker then ends its destination and
// exits, and the stream emits 'close'.
export const endTransport = async (transport) => {
  const closed = once(transport, "close")
  transport.end()
  await closed
}
