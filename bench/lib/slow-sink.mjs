// A slow sink for the slow-sink-lag workload: every batch first costs `delayMs` (default 1 ms),
// then is appended to `path` with one write(2), so the run can check every line afterwards.
//
// As a femtologging sink module (FemtoWorkerHandler({ module: this file, options })), on a worker
// thread: the default export is the SinkFactory. The same factory serves the inline case on the
// main thread, where the delay must be synchronous: `wait: "atomics"` (Atomics.wait, which
// blocks the thread like a busy wait without burning the CPU) is the default; `wait: "timer"`
// (await a setTimeout) is only for a worker, where it makes write() return a promise. With
// `counter` (a SharedArrayBuffer; structured clone shares it with the worker) it counts batches.
import { closeSync, openSync, writeSync } from "node:fs"

const cell = new Int32Array(new SharedArrayBuffer(4))

/** Blocks the calling thread for `ms` milliseconds (nobody ever notifies `cell`). */
export const sleepSync = (ms) => {
  if (ms > 0) Atomics.wait(cell, 0, 0, ms)
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Writes all of `bytes` to `fd` (write(2) may write less than asked). */
export const writeAll = (fd, bytes) => {
  for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off)
}

/** Counts a batch in `counter` (an Int32Array over a SharedArrayBuffer the options carried), if any. */
export const counting = (counter) => {
  const cells = counter instanceof SharedArrayBuffer ? new Int32Array(counter) : undefined
  return () => {
    if (cells !== undefined) Atomics.add(cells, 0, 1)
  }
}

export default ({ path, delayMs = 1, wait = "atomics", counter }) => {
  const fd = openSync(path, "a")
  const count = counting(counter)
  return {
    write: wait === "timer"
      ? async (batch) => {
        count()
        await sleep(delayMs)
        writeAll(fd, batch)
      }
      : (batch) => {
        count()
        sleepSync(delayMs)
        writeAll(fd, batch)
      },
    close: () => closeSync(fd)
  }
}
