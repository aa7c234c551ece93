// pino's peer of bench/lib/slow-sink.mjs: a pino transport target (its default export returns
// a Writable, run by pino.transport() on a worker thread). thread-stream's worker hands the
// stream everything it finds in its buffer as one write(), so one write() is one batch here,
// as one sink write() is for femtologging: each costs `delayMs` (Atomics.wait by default, or a
// setTimeout with `wait: "timer"`), then is appended to `path` with one write(2).
//
// Not pino-abstract-transport (installed): it splits the stream into lines and hands them on one
// by one, so "1 ms per batch" would become 1 ms per record.
import { closeSync, openSync } from "node:fs"
import { Writable } from "node:stream"
import { counting, sleepSync, writeAll } from "./slow-sink.mjs"

export default async ({ path, delayMs = 1, wait = "atomics", counter }) => {
  const fd = openSync(path, "a")
  const count = counting(counter)
  return new Writable({
    decodeStrings: true,
    write(chunk, _encoding, callback) {
      count()
      const done = () => {
        try {
          writeAll(fd, chunk)
          callback()
        } catch (error) {
          callback(error)
        }
      }
      if (wait === "timer") setTimeout(done, delayMs)
      else {
        sleepSync(delayMs)
        done()
      }
    },
    final(callback) {
      closeSync(fd)
      callback()
    }
  })
}
