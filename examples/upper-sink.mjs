// A custom sink module for FemtoWorkerHandler: its default export takes the handler's `options`
// (structured-clone data) and returns a sink. `write(batch)` receives whole records as UTF-8
// bytes, each ending in "\n"; it runs on a worker thread, so it may take its time.
import { appendFileSync } from "node:fs"
import { threadId } from "node:worker_threads"

export default (options) => ({
  write(batch) {
    appendFileSync(options.path, Buffer.from(batch).toString("utf8").toUpperCase())
  },
  close() {
    appendFileSync(options.path, `(closed by thread ${threadId})\n`)
  }
})
