/**
 * `npm run demo`: a small app that logs through every handler femtologging has, with the
 * embedded defaults, and ends by itself. Files go to a fresh folder under the OS temp dir.
 */
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import {
  CaptureHandler,
  FemtoFileHandler,
  FemtoMemoryHandler,
  FemtoWorkerHandler,
  FemtoRotatingFileHandler,
  FemtoSocketHandler,
  FemtoStreamHandler,
  FemtoTimedRotatingFileHandler,
  FemtoWatchedFileHandler,
  getLogger,
  Handler,
  HandlerOptions,
  Logger,
  Manager,
  receive,
  StreamHandler
} from "femtologging"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "femtologging-demo-"))

// 1. The seed's quick start: a stream handler on stderr.
const app = getLogger("demo.app")
app.addHandler(FemtoStreamHandler.stderr())
app.log("INFO", "hello from femtologging")

// 2. Levels, structured fields, lazy messages and errors, propagating to root (on stdout).
// `demo.db`, not `demo.app.db`: that one would also reach demo.app's stderr handler, and every
// record would show twice on a terminal.
const root = getLogger()
const stdout = FemtoStreamHandler.stdout()
root.addHandler(stdout)
const db = getLogger("demo.db")
db.setLevel("DEBUG")
db.debug("connected", { host: "localhost", pool: 4 })
db.trace(() => "never built: TRACE is below DEBUG")
db.exception("query failed", new Error("timeout", { cause: new Error("socket closed") }))

// 3. Files: plain (block, the default: nothing may drop), size-rotating with gzip, and timed.
const file = new FemtoFileHandler(path.join(dir, "app.log"), { flushInterval: 100 })
const rotating = new FemtoRotatingFileHandler(
  path.join(dir, "rotating.log"),
  new HandlerOptions({ rotation: [4096, 3], compress: true })
)
const timed = new FemtoTimedRotatingFileHandler(path.join(dir, "timed.log"), { when: "S", backupCount: 5 })
const capture = new CaptureHandler()
const jobs = getLogger("demo.jobs")
jobs.setPropagate(false)
for (const h of [file, rotating, timed, capture]) jobs.addHandler(h)
for (let i = 0; i < 10_000; i++) jobs.info(`job ${i} done`, { job: i, ms: i % 97 })
await new Promise((resolve) => setTimeout(resolve, 1100)) // let the timed handler's second pass
jobs.warning("one more, after the timed handler's boundary")

// 4. Sinks on worker threads: a file written by a dedicated thread, and a custom sink module.
const worker = new FemtoFileHandler(path.join(dir, "worker.log"), { executor: "worker" })
const custom = new FemtoWorkerHandler({
  module: new URL("./upper-sink.mjs", import.meta.url),
  options: { path: path.join(dir, "custom.log") }
})
const audit = getLogger("demo.audit")
audit.setPropagate(false)
audit.addHandler(worker)
audit.addHandler(custom)
for (let i = 0; i < 1_000; i++) audit.info(`audit event ${i}`)
await Promise.all([worker.close(), custom.close()])

// 5. Fingers crossed (a memory handler hands its buffer to a file at the first error), a file
// that follows logrotate's rename, and records sent over TCP to a receiver writing them to a file.
const errors = new FemtoFileHandler(path.join(dir, "errors.log"))
const watched = new FemtoWatchedFileHandler(path.join(dir, "watched.log"))
const batch = getLogger("demo.batch")
batch.setPropagate(false)
batch.setLevel("DEBUG")
batch.addHandler(new FemtoMemoryHandler(errors, { capacity: 100, flushOnClose: false }))
batch.addHandler(watched)
batch.debug("fetched 10 rows")
batch.error("row 7 is invalid") // errors.log gets both lines, the debug line first
await watched.flush()
fs.renameSync(path.join(dir, "watched.log"), path.join(dir, "watched.log.1")) // as logrotate does
batch.info("after the rename") // the watched handler reopens watched.log
const collected = new FemtoFileHandler(path.join(dir, "collected.log"))
const server = await receive({ port: 0, handlers: [collected] })
const socket = new FemtoSocketHandler({ host: "127.0.0.1", port: server.address._tag === "Tcp" ? server.address.port : 0 })
const remote = getLogger("demo.remote")
remote.setPropagate(false)
remote.addHandler(socket)
for (let i = 0; i < 100; i++) remote.info(`sent ${i}`, { i })
await socket.close()
while (server.stats().records < 100) await new Promise((resolve) => setTimeout(resolve, 10))
await server.close()

// 6. The Effect face: a manager and a handler as scoped resources, closed with the scope.
await Effect.runPromise(
  Effect.gen(function*() {
    const handler = yield* StreamHandler.make({ target: "stderr" })
    const logger = yield* Manager.getLogger("demo.effect")
    logger.setPropagate(false) // its own handler only, not root's stdout too
    logger.addHandler(handler)
    yield* Logger.info(logger, "logged from a fiber", { fiber: "main" })
    yield* Handler.flush(handler)
  }).pipe(Effect.provide(Manager.layer()), Effect.scoped)
)

for (const h of [file, rotating, timed, capture, stdout, watched, errors, collected]) await h.close()
const count = (f: string) => fs.readFileSync(path.join(dir, f), "utf8").split("\n").length - 1
const lines = (n: number) => `${n} ${n === 1 ? "line" : "lines"}`
// What each file shows (the comments above say why).
const notes: ReadonlyArray<[RegExp, string]> = [
  [/^app\.log$/, "10,000 jobs and the warning: none dropped (block)"],
  [/^rotating\.log$/, "the newest lines: rotated at 4 KiB"],
  [/^rotating\.log\.\d\.gz$/, "a backup, compressed; 3 kept, older ones deleted"],
  [/^timed\.log$/, "the warning logged after the second ended"],
  [/^timed\.log\./, "jobs, in a backup named after the second they were written in"],
  [/^worker\.log$/, "the audit events, written by a worker thread"],
  [/^custom\.log$/, "the same, upper-cased by examples/upper-sink.mjs, then its close line"],
  [/^errors\.log$/, "the memory handler's buffer: the debug line, then the error"],
  [/^watched\.log\.1$/, "renamed away, as logrotate does"],
  [/^watched\.log$/, "reopened after the rename"],
  [/^collected\.log$/, "sent over TCP by the socket handler, written by the receiver"]
]
console.log(`\nfiles in ${dir}:`)
for (const f of fs.readdirSync(dir).sort()) {
  const note = notes.find(([name]) => name.test(f))?.[1] ?? ""
  console.log(`  ${f.padEnd(30)} ${(f.endsWith(".gz") ? "(gzip)" : lines(count(f))).padEnd(12)}  ${note}`)
}
console.log(`captured ${capture.records.length} records; dropped: app.log ${file.getDropped()}, ` +
  `worker.log ${worker.getDropped()}, custom.log ${custom.getDropped()}, socket ${socket.getDropped()}, ` +
  `logger ${jobs.getDropped()}`)
