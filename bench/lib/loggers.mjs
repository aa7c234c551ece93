// The file loggers the file workloads compare (bench/cases/file.mjs). Each entry of `impls` is
// { lib, label, rotate?, hierarchy?, setup }: `setup(cfg)` opens the files and returns
// { log(message, i), close(), dropped() }, where
//
//   cfg.dirs    one folder per handler (file "bench.log" in it; a rotating handler's backups go
//               beside it), so cfg.dirs.length handlers, each writing a full copy of the log;
//   cfg.names   undefined: one logger with the handlers on it; else logger names (dotted, a
//               hierarchy), the handlers on the root logger, record i logged on names[i % n];
//   cfg.rotate  undefined, or { maxBytes, backups }: size-based rotation keeping every backup.
//
// Everything before the first record (opening files, starting worker threads) happens in setup,
// before the clock starts; `close()` resolves once every line is in its file and the files are
// closed (it may resolve to { endNs }: when, by process.hrtime.bigint(), the last byte was
// written, for a logger whose own signal of completion comes early). `dropped()` returns the drops each copy lost: a number (the same for every copy) or an
// array with one count per copy. `rotate: false` / `hierarchy: false` mark what a library has no
// equivalent of (run.mjs leaves those rows out with a note).
import { once } from "node:events"
import { hostname } from "node:os"
import { join } from "node:path"
import { Worker } from "node:worker_threads"
import { settleFiles } from "./common.mjs"

const FILE = "bench.log"

// Every proper prefix and the name itself: "a.b.c" -> "a", "a.b", "a.b.c".
const withAncestors = (names) => {
  const all = new Set()
  for (const n of names) {
    const parts = n.split(".")
    for (let k = 1; k <= parts.length; k++) all.add(parts.slice(0, k).join("."))
  }
  return [...all]
}

// A logger per name, made by `child(parent, segment, depth)` from its parent (`root` for the
// first segment): pino's and winston's child loggers, one binding per level of the hierarchy.
const childTree = (root, names, child) => {
  const made = new Map()
  const get = (name) => {
    let l = made.get(name)
    if (l !== undefined) return l
    const dot = name.lastIndexOf(".")
    const parent = dot < 0 ? root : get(name.slice(0, dot))
    l = child(parent, name.slice(dot + 1), name.split(".").length)
    made.set(name, l)
    return l
  }
  return names.map(get)
}

// log(m, i) over the loggers: one logger, or record i on loggers[i % n] (the same code for the
// 1-logger and the 100-logger hierarchy rows, so their ratio is that of the loggers alone).
const logOver = (loggers, hierarchy) => {
  if (!hierarchy) {
    const [l] = loggers
    return (m) => l.info(m)
  }
  const n = loggers.length
  return (m, i) => loggers[i % n].info(m)
}

// ---------------------------------------------------------------------------------------------
// femtologging
// ---------------------------------------------------------------------------------------------

const femto = ({ executor, formatter, pool } = {}) => async ({ dirs, names, rotate }) => {
  const F = await import("femtologging")
  const options = {
    // capacity 1024, flushInterval 1 and block are also the file handlers' defaults.
    capacity: 1024,
    flushInterval: 1,
    policy: "block",
    ...(executor === undefined ? {} : { executor }),
    ...(pool === undefined ? {} : { pool }),
    ...(formatter === undefined ? {} : { formatter: formatter(F) })
  }
  const handlers = dirs.map((d) =>
    rotate === undefined
      ? new F.FemtoFileHandler(join(d, FILE), options)
      : new F.FemtoRotatingFileHandler(join(d, FILE), { ...options, rotation: [rotate.maxBytes, rotate.backups] })
  )
  // A worker executor: not timed, the thread starts and opens its file (pino's transport setup
  // awaits 'ready' likewise).
  if (executor === "worker") {
    const up = await Promise.all(handlers.map((h) => h.flush()))
    if (up.some((u) => u !== true)) throw new Error("a worker handler did not come up (see stderr)")
  }
  const owner = names === undefined ? F.getLogger("bench") : F.getLogger()
  for (const h of handlers) owner.addHandler(h)
  const loggers = names === undefined ? [owner] : names.map((n) => F.getLogger(n))
  const everyLogger = names === undefined ? [owner] : [owner, ...withAncestors(names).map((n) => F.getLogger(n))]
  return {
    log: logOver(loggers, names !== undefined),
    close: () => Promise.all(handlers.map((h) => h.close())),
    dropped: () => {
      const atLoggers = everyLogger.reduce((n, l) => n + l.getDropped(), 0)
      return handlers.map((h) => atLoggers + h.getDropped())
    }
  }
}

// pino's line shape, as a femtologging formatter callable: level, time, pid, hostname, msg.
const pinoShaped = () => {
  const tail = `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())},"msg":`
  return (r) => `{"level":30,"time":${Math.round(r.timestampNs / 1e6)}${tail}${JSON.stringify(r.message)}}`
}

// ---------------------------------------------------------------------------------------------
// pino
// ---------------------------------------------------------------------------------------------

// SonicBoom: end() writes what is buffered, then fsyncs and closes the fd, emitting 'close'.
export const endSonic = async (dest) => {
  if (dest.destroyed) return
  const closed = once(dest, "close")
  dest.end()
  await closed
}

// end() blocks until the worker has read everything; the worker then ends its destination and
// exits, and the stream emits 'close'.
export const endTransport = async (transport) => {
  const closed = once(transport, "close")
  transport.end()
  await closed
}

// mode: "sync" | "async" (pino.destination), "transport" (pino/file on pino's worker thread),
// "roll" (pino-roll's SonicBoom in this thread), "roll-transport" (pino-roll as a transport).
// Several handlers: pino.multistream over the destinations, or one transport with one target
// per file. The hierarchy: child loggers, one binding per level.
const pinoImpl = (mode) => async ({ dirs, names, rotate }) => {
  const { default: pino } = await import("pino")
  const rollOptions = (d) => ({
    file: join(d, "bench"),
    extension: ".log",
    ...(rotate === undefined ? {} : { size: `${Math.max(1, Math.round(rotate.maxBytes / 1024))}k` })
  })
  let stream
  let close
  if (mode === "transport" || mode === "roll-transport") {
    const target = (d) =>
      mode === "transport"
        ? { target: "pino/file", options: { destination: join(d, FILE) } }
        : { target: "pino-roll", options: rollOptions(d) }
    stream = pino.transport(dirs.length === 1 ? target(dirs[0]) : { targets: dirs.map(target) })
    await once(stream, "ready")
    close = () => endTransport(stream)
  } else {
    let dests
    if (mode === "roll") {
      const { default: build } = await import("pino-roll")
      dests = await Promise.all(dirs.map((d) => build(rollOptions(d))))
    } else {
      dests = dirs.map((d) => pino.destination({ dest: join(d, FILE), sync: mode === "sync" }))
      if (mode === "async") await Promise.all(dests.map((d) => once(d, "ready")))
    }
    stream = dests.length === 1 ? dests[0] : pino.multistream(dests.map((d) => ({ stream: d })))
    close = () => Promise.all(dests.map(endSonic))
  }
  const root = pino({ level: "info" }, stream)
  const loggers = names === undefined ? [root] : childTree(root, names, (p, seg, depth) => p.child({ [`l${depth}`]: seg }))
  return { log: logOver(loggers, names !== undefined), close }
}

// ---------------------------------------------------------------------------------------------
// winston
// ---------------------------------------------------------------------------------------------

// winston's File transport, JSON format (its default). Rotation: maxsize (files bench.log,
// bench1.log, ...; no maxFiles, so every file is kept). close(): logger.end(), then every
// transport's 'finish' (winston >= 3.13 waits for the file stream to finish before emitting it);
// with rotation winston goes on creating and writing files after 'finish', so close() then waits
// until the files stop changing for 100 ms and reports the time of the last change as the end.
const winstonImpl = () => async ({ dirs, names, rotate }) => {
  const { default: winston } = await import("winston")
  const transports = dirs.map((d) =>
    new winston.transports.File({
      filename: join(d, FILE),
      ...(rotate === undefined ? {} : { maxsize: rotate.maxBytes })
    })
  )
  const root = winston.createLogger({ level: "info", format: winston.format.json(), transports })
  await Promise.all(transports.map((t) => (t._opening === false ? undefined : once(t, "open"))))
  const loggers = names === undefined ? [root] : childTree(root, names, (p, seg, depth) => p.child({ [`l${depth}`]: seg }))
  return {
    log: logOver(loggers, names !== undefined),
    close: async () => {
      // end() runs the logger's _final, which ends the transports at once, while records the
      // transports had pushed back on (backpressure: large messages) still sit in the logger's
      // readable buffer: they are then written after end and winston throws "write after end".
      // Likewise a File transport holding a record until its stream drains (`_drain`) loses it
      // when ended. So first wait until the logger's buffers are empty and no transport waits.
      while (root._readableState.length > 0 || root._writableState.length > 0 || transports.some((t) => t._drain)) {
        await new Promise((resolve) => setTimeout(resolve, 1))
      }
      const finished = transports.map((t) => once(t, "finish"))
      root.end()
      await Promise.all(finished)
      if (rotate !== undefined) return { endNs: await settleFiles(dirs) }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// LogTape
// ---------------------------------------------------------------------------------------------

// sink: "stream" (getStreamFileSink, a Node WriteStream), "nonblocking" (getFileSink with
// nonBlocking: true: buffered, flushed off the caller), "fsync" (getFileSink's defaults: a
// record < 200 B that finds the buffer empty is written and fsynced at once, so nearly every
// record costs an fsync). Rotation: getRotatingFileSink (nonBlocking). The hierarchy: categories
// (the dotted name split), the sinks on the root category [].
const logtapeImpl = (sink) => async ({ dirs, names, rotate }) => {
  const { configure, dispose, getLogger } = await import("@logtape/logtape")
  const { getFileSink, getRotatingFileSink, getStreamFileSink } = await import("@logtape/file")
  const make = (path) =>
    rotate !== undefined
      ? getRotatingFileSink(path, { maxSize: rotate.maxBytes, maxFiles: rotate.backups + 1, nonBlocking: true })
      : sink === "stream"
      ? getStreamFileSink(path)
      : sink === "nonblocking"
      ? getFileSink(path, { nonBlocking: true })
      : getFileSink(path)
  const sinks = Object.fromEntries(dirs.map((d, k) => [`file${k}`, make(join(d, FILE))]))
  await configure({
    reset: true,
    sinks,
    loggers: [
      { category: names === undefined ? ["bench"] : [], lowestLevel: "info", sinks: Object.keys(sinks) },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [], parentSinks: "override" }
    ]
  })
  const loggers = names === undefined ? [getLogger(["bench"])] : names.map((n) => getLogger(n.split(".")))
  return { log: logOver(loggers, names !== undefined), close: () => dispose() }
}

// ---------------------------------------------------------------------------------------------
// Effect
// ---------------------------------------------------------------------------------------------

// Effect's Logger.toFile (batches lines and writes each batch with the platform FileSystem,
// NodeFileSystem here; default batch window 1 s) over Logger.formatJson, one per file, in a
// scope closed by close() (which writes the last batch). Each record is
// Effect.runSyncWith(context)(Effect.logInfo(m)), the context holding the file loggers: what a
// synchronous caller outside a fiber does. No rotation and no logger hierarchy in Effect.
const effectImpl = () => async ({ dirs }) => {
  const { Context, Effect, Exit, Logger, Scope } = await import("effect")
  const { NodeFileSystem } = await import("@effect/platform-node")
  const scope = Effect.runSync(Scope.make())
  const fileLoggers = await Effect.runPromise(
    Effect.forEach(dirs, (d) => Logger.toFile(Logger.formatJson, join(d, FILE))).pipe(
      Scope.provide(scope),
      Effect.provide(NodeFileSystem.layer)
    )
  )
  const run = Effect.runSyncWith(Context.make(Logger.CurrentLoggers, new Set(fileLoggers)))
  return {
    log: (m) => run(Effect.logInfo(m)),
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

// Effect.logInfo through femtologging (EffectLogger.make) to FemtoFileHandlers on the logger
// "bench" (the default logger of the Effect logger), the same synchronous caller as `effectImpl`:
// the Effect.log path beside Effect's own Logger.toFile.
const femtoEffectLog = () => async ({ dirs }) => {
  // In the order an Effect program's static imports load them.
  const { Context, Effect, Logger } = await import("effect")
  const F = await import("femtologging")
  const handlers = dirs.map((d) => new F.FemtoFileHandler(join(d, FILE), { capacity: 1024, policy: "block" }))
  const owner = F.getLogger("bench")
  for (const h of handlers) owner.addHandler(h)
  const effectLogger = F.EffectLogger.make({ defaultLogger: "bench" })
  const run = Effect.runSyncWith(Context.make(Logger.CurrentLoggers, new Set([effectLogger])))
  return {
    log: (m) => run(Effect.logInfo(m)),
    close: () => Promise.all(handlers.map((h) => h.close())),
    dropped: () => handlers.map((h) => owner.getDropped() + h.getDropped())
  }
}

// The floor under a row that gives each of H handlers a thread of its own, with no femtologging
// in it: pino's synchronous multistream does the logging, beside H threads that run nothing and
// the Effect modules femtologging's worker executor loads (its threads are spawned through
// `effect/workers`, issue 6). Its peak RSS is what the threads and modules cost before any
// femtologging code runs; run.mjs cites it beside a femto row over the RSS line.
const floorImpl = () => async (cfg) => {
  await import("effect")
  await import("effect/workers/Worker")
  await import("@effect/platform-node/NodeWorker")
  await Promise.all(cfg.dirs.map(() =>
    new Promise((resolve, reject) => {
      const thread = new Worker("require('node:worker_threads').parentPort.on('message', () => {})", { eval: true })
      thread.once("online", () => resolve(thread.unref())).once("error", reject)
    })
  ))
  return pinoImpl("sync")(cfg)
}

// ---------------------------------------------------------------------------------------------

export const impls = {
  "femto-effectlog": {
    lib: "femto",
    label: "Effect.logInfo through EffectLogger.make to a FemtoFileHandler",
    setup: femtoEffectLog()
  },
  femto: { lib: "femto", label: "femto FemtoFileHandler (inline, block, cap 1024)", setup: femto() },
  "femto-worker": { lib: "femto", label: "femto FemtoFileHandler, executor: worker", setup: femto({ executor: "worker" }) },
  "femto-pool": {
    lib: "femto",
    label: "femto FemtoFileHandler, executor: worker, every handler on one shared thread (pool, as pino's transport with several targets)",
    setup: femto({ executor: "worker", pool: "bench" })
  },
  "femto-json": {
    lib: "femto",
    label: "femto FemtoFileHandler, formatter: Formatter.json",
    setup: femto({ formatter: (F) => F.Formatter.json })
  },
  "femto-pinojson": {
    lib: "femto",
    label: "femto FemtoFileHandler, formatter: a callable writing pino's line shape",
    setup: femto({ formatter: pinoShaped })
  },
  "pino-sync": { lib: "pino", label: "pino destination(sync: true)", setup: pinoImpl("sync") },
  "pino-async": { lib: "pino", label: "pino destination(sync: false)", setup: pinoImpl("async") },
  "pino-transport": { lib: "pino", label: "pino transport(pino/file)", setup: pinoImpl("transport") },
  "pino-roll": { lib: "pino", label: "pino + pino-roll's SonicBoom in-thread (async)", setup: pinoImpl("roll") },
  "pino-roll-transport": { lib: "pino", label: "pino transport(pino-roll)", setup: pinoImpl("roll-transport") },
  winston: { lib: "winston", label: "winston File transport, json", setup: winstonImpl() },
  "logtape-stream": { lib: "logtape", label: "LogTape getStreamFileSink", setup: logtapeImpl("stream") },
  "logtape-nonblocking": {
    lib: "logtape",
    label: "LogTape getFileSink(nonBlocking: true)",
    setup: logtapeImpl("nonblocking")
  },
  "logtape-fsync": {
    lib: "logtape",
    label: "LogTape getFileSink (defaults: fsync per short record)",
    setup: logtapeImpl("fsync")
  },
  "logtape-rotating": {
    lib: "logtape",
    label: "LogTape getRotatingFileSink(nonBlocking: true)",
    setup: logtapeImpl("nonblocking")
  },
  effect: { lib: "effect", label: "Effect Logger.toFile(formatJson) + NodeFileSystem", setup: effectImpl() },
  "floor-threads": {
    lib: "floor",
    label: "no femtologging: pino destination(sync: true) beside one idle thread per handler and Effect's worker modules (a memory floor, not a peer)",
    setup: floorImpl()
  }
}
