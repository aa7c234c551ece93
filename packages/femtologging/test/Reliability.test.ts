/**
 * Faults found by fault injection (the reliability issue), each reproduced here on real parts:
 * real files, real descriptor limits (`ulimit -n` in a child), a real tmpfs (mounted when the
 * test runs as root; those tests are skipped, and say so in their names, where mounting is not
 * permitted), real pipes (a FIFO whose reader is slow or stops reading) and real child
 * processes. The fixtures (`test/fixtures/reliability/*.mjs`) import the built package: run
 * `npx tsc -b` first. Each test names the item of the issue it covers.
 *
 * These run at the handler level, through the public API, in child processes. The same faults at
 * the sink level are in `test/internal/fileSink.test.ts` (tmpfs full disk, 4 processes on one
 * rotating file, EMFILE during compression, a stalled stdout, watch mode, a failed rotation); the
 * byte bound over all queues in one process, `timeout:50` and close accounting over a stalled
 * worker sink are in `test/Execution.test.ts`. Items 2, 3 and 4 and the watch test run for both
 * executors (inline and worker); item 10 has a worker case of its own.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as querystring from "node:querystring"
import * as zlib from "node:zlib"
import { getLogger, resetManager } from "../src/Facade.ts"
import { FemtoFileHandler } from "../src/FileHandler.ts"
import { Warner } from "../src/internal/warner.ts"
import { CaptureHandler } from "../src/Testing.ts"
import { fixturesDir, packageDir, repoRoot, runFixture } from "./utils/child.ts"
import { readLines, removeTempDirs, splitLines, tempDir } from "./utils/files.ts"

const mounted: Array<string> = []

afterAll(() => {
  for (const dir of mounted.splice(0)) {
    try {
      execFileSync("umount", ["-l", dir], { stdio: "ignore" })
    } catch {
      // already gone
    }
  }
  removeTempDirs()
})

/** A fresh tmpfs of `size` bytes, or `undefined` when mounting is not permitted. */
const mountTmpfs = (size: number): string | undefined => {
  const dir = tempDir()
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "ignore" })
  } catch {
    return undefined
  }
  mounted.push(dir)
  return dir
}

/** Unmounts a tmpfs of {@link mountTmpfs} (at the end of its test, so that an interrupted run leaks little). */
const unmount = (dir: string): void => {
  const i = mounted.indexOf(dir)
  if (i < 0) return
  mounted.splice(i, 1)
  try {
    execFileSync("umount", ["-l", dir], { stdio: "ignore" })
  } catch {
    // already gone
  }
}

/** Whether this run may mount a tmpfs (root on Linux); probed once. */
const canMount = ((): boolean => {
  if (process.platform !== "linux") return false
  const dir = mountTmpfs(64 * 1024)
  if (dir === undefined) return false
  unmount(dir)
  return true
})()
const needsTmpfs = canMount ? "" : " (SKIPPED: mounting a tmpfs is not permitted here; run as root)"

const isRoot = process.getuid?.() === 0
/** Who the read-only directory test runs as: root ignores directory permissions. */
const nobody = 65534

/** What a child process did. */
interface Ended {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

interface StartOptions {
  /** `ulimit -n` for the child (through `bash -c`). */
  readonly ulimit?: number | undefined
  /** Run the child as this user and group (root only). */
  readonly uid?: number | undefined
  /** A descriptor for the child's stdout (default: a pipe the test reads). */
  readonly stdout?: number | undefined
  /** A descriptor for the child's stderr (default: a pipe the test reads). */
  readonly stderr?: number | undefined
  /** Killed with SIGKILL after this long (the result then says so). */
  readonly timeoutMs?: number | undefined
  /** Added to the environment (`RELIABILITY_EXECUTOR=worker` runs a fixture's file sink on a worker thread). */
  readonly env?: Readonly<Record<string, string>> | undefined
}

/** Starts `test/fixtures/reliability/<name>` with the test's Node. */
const start = (name: string, args: ReadonlyArray<string>, options: StartOptions = {}): {
  readonly child: ChildProcess
  readonly ended: Promise<Ended>
} => {
  if (!fs.existsSync(path.join(packageDir, "dist", "index.js"))) {
    throw new Error("femtologging is not built: run `npx tsc -b` before these tests")
  }
  const argv = [path.join(fixturesDir, "reliability", name), ...args]
  const spawnOptions = {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", options.stdout ?? "pipe", options.stderr ?? "pipe"] as Array<"ignore" | "pipe" | number>,
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid })
  }
  const child = options.ulimit === undefined
    ? spawn(process.execPath, argv, spawnOptions)
    : spawn("bash", ["-c", `ulimit -n ${options.ulimit} && exec "$0" "$@"`, process.execPath, ...argv], spawnOptions)
  const out: Array<Buffer> = []
  const err: Array<Buffer> = []
  child.stdout?.on("data", (chunk: Buffer) => out.push(chunk))
  child.stderr?.on("data", (chunk: Buffer) => err.push(chunk))
  const ended = new Promise<Ended>((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000)
    child.on("error", reject)
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") })
    })
  })
  return { child, ended }
}

/** Runs a fixture to its end. */
const run = (name: string, args: ReadonlyArray<string>, options: StartOptions = {}): Promise<Ended> =>
  start(name, args, options).ended

const show = (result: Ended): string =>
  `code ${result.code}, signal ${result.signal}\nstdout: ${result.stdout.slice(0, 1_000)}\nstderr: ${
    result.stderr.slice(0, 3_000)
  }`

/** The JSON object a fixture printed on its last stdout line. */
const report = (result: Ended): any => {
  const last = splitLines(result.stdout).at(-1)
  assert.isDefined(last, `the fixture printed nothing; ${show(result)}`)
  return JSON.parse(last!)
}

/**
 * Every record a file handler left in `dir` under `base`: the live file, plain backups
 * `<base>.N` and gzip backups `<base>.N.gz` (each must be valid gzip of whole lines), oldest first
 * (highest N first). `others` lists any other name (temporary files, locks).
 */
const logsIn = (
  dir: string,
  base: string
): { lines: Array<string>; others: Array<string>; gz: number; largest: number } => {
  const parts: Array<[number, string]> = []
  const others: Array<string> = []
  let gz = 0
  let largest = 0
  for (const name of fs.readdirSync(dir)) {
    const match = /^(?:\.(\d+))?(\.gz)?$/.exec(name.startsWith(base) ? name.slice(base.length) : "-")
    if (match === null || (match[1] === undefined && match[2] !== undefined)) {
      others.push(name)
      continue
    }
    const file = path.join(dir, name)
    let text: string
    if (match[2] === undefined) text = fs.readFileSync(file, "utf8")
    else {
      gz++
      text = zlib.gunzipSync(fs.readFileSync(file)).toString("utf8") // throws on a broken gzip file
      assert.isTrue(text.endsWith("\n"), `${name} does not end with a whole line`)
    }
    parts.push([match[1] === undefined ? 0 : Number(match[1]), text])
    largest = Math.max(largest, Buffer.byteLength(text))
  }
  parts.sort((a, b) => b[0] - a[0])
  return { lines: parts.flatMap(([, text]) => splitLines(text)), others, gz, largest }
}

/** A pipe (a FIFO) whose read end this process holds: it reads when and as fast as the test says. */
const makePipe = (): { readonly read: number; readonly write: number } => {
  const fifo = path.join(tempDir(), "stdout.fifo")
  execFileSync("mkfifo", [fifo])
  const read = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
  const write = fs.openSync(fifo, fs.constants.O_WRONLY)
  return { read, write }
}

/** Reads what the pipe holds now, at most `max` bytes; the bytes read. */
const readPipe = (fd: number, max: number, into?: Array<Buffer>): number => {
  const buffer = Buffer.alloc(Math.min(max, 1 << 20))
  let total = 0
  while (total < max) {
    let n: number
    try {
      n = fs.readSync(fd, buffer, 0, Math.min(buffer.length, max - total), null)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EAGAIN") break
      throw error
    }
    if (n === 0) break
    into?.push(Buffer.from(buffer.subarray(0, n)))
    total += n
  }
  return total
}

interface StdoutRun {
  /** When the fixture said it was done logging (ms after start), if it did before the deadline. */
  readonly doneAt: number | undefined
  readonly signal: NodeJS.Signals | null
  readonly code: number | null
  /** From SIGTERM to the end of the process. */
  readonly termToExitMs: number
  readonly stderr: string
  readonly result: { ticks: number; maxGap: number; logged: number; maxCall: number; dropped: number }
  readonly received: Buffer
}

/**
 * Runs `stalled-stdout.mjs` with its stdout on a pipe whose reader starts after `reader.afterMs`
 * (never when `reader` is undefined) and then reads `chunk` bytes every `everyMs`. Once the
 * fixture is done logging (or `ms` + 4 s passed) it gets SIGTERM.
 */
const runStdout = async (options: {
  readonly policy: string
  readonly ms: number
  readonly perTurn: number
  readonly recordBytes: number
  readonly reader?: { readonly afterMs: number; readonly chunk: number; readonly everyMs: number } | undefined
  readonly executor?: "inline" | "worker" | undefined
}): Promise<StdoutRun> => {
  const pipe = makePipe()
  const resultFile = path.join(tempDir(), "result.json")
  const started = performance.now()
  const { child, ended } = start(
    "stalled-stdout.mjs",
    [
      options.policy,
      String(options.ms),
      String(options.perTurn),
      String(options.recordBytes),
      resultFile,
      options.executor ?? "inline"
    ],
    { stdout: pipe.write, timeoutMs: options.ms + 25_000 }
  )
  fs.closeSync(pipe.write)
  const received: Array<Buffer> = []
  let reading: ReturnType<typeof setInterval> | undefined
  const reader = options.reader
  const readerStart = reader === undefined ? undefined : setTimeout(() => {
    reading = setInterval(() => readPipe(pipe.read, reader.chunk, received), reader.everyMs)
  }, reader.afterMs)
  let doneAt: number | undefined
  let termAt = 0
  const terminate = () => {
    if (termAt !== 0) return
    termAt = performance.now()
    child.kill("SIGTERM")
  }
  let stderr = ""
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString()
    if (doneAt === undefined && stderr.includes("done\n")) {
      doneAt = performance.now() - started
      terminate()
    }
  })
  const deadline = setTimeout(terminate, options.ms + 4_000)
  const end = await ended
  const termToExitMs = performance.now() - termAt
  clearTimeout(deadline)
  clearTimeout(readerStart)
  clearInterval(reading)
  if (reader !== undefined) readPipe(pipe.read, Number.POSITIVE_INFINITY, received)
  fs.closeSync(pipe.read)
  const result = fs.existsSync(resultFile)
    ? JSON.parse(fs.readFileSync(resultFile, "utf8"))
    : { ticks: 0, maxGap: Number.NaN, logged: 0, maxCall: Number.NaN, dropped: 0 }
  return { doneAt, signal: end.signal, code: end.code, termToExitMs, stderr, result, received: Buffer.concat(received) }
}

const describeRun = (r: StdoutRun): string =>
  `doneAt ${r.doneAt}, ${r.signal ?? r.code} ${Math.round(r.termToExitMs)} ms after SIGTERM, result ${
    JSON.stringify(r.result)
  }, stderr: ${r.stderr.slice(0, 500)}`

/** The exit drain's bound (runtime.ts `exitDeadlineMs`), and what a SIGTERM may take beyond it. */
const exitDrainMs = 5_000
const signalSlackMs = 2_000

describe("Reliability 1: compress: true when file descriptors run out or the disk fills", () => {
  const checkCompressed = (dir: string, count: number, dropped: number, result: Ended): void => {
    const { lines, others } = logsIn(dir, "app.log")
    assert.deepStrictEqual(others, [], "temporary files or locks left behind")
    const seen = new Set<number>()
    for (const line of lines) {
      assert.match(line, /^\d+ x{50,62}$/, "a torn or glued line")
      const n = Number(line.split(" ")[0])
      assert.isFalse(seen.has(n), `record ${n} written twice`)
      seen.add(n)
    }
    assert.strictEqual(lines.length + dropped, count, `written ${lines.length} + dropped ${dropped}; ${show(result)}`)
    assert.notMatch(result.stderr, /EBADF|Unhandled|uncaught/i)
  }

  it("ulimit -n 256, rotation at 10 kB with gzip, 100,000 records in bursts of 8,000: no crash; every record once, in a plain or a valid gz backup", async () => {
    const dir = tempDir()
    const result = await run("compress-faults.mjs", [dir, "100000", "10000", "8000"], { ulimit: 256, timeoutMs: 90_000 })
    assert.strictEqual(result.code, 0, show(result))
    const { dropped } = report(result)
    assert.strictEqual(dropped, 0)
    checkCompressed(dir, 100_000, dropped, result)
  }, 120_000)

  it.skipIf(!canMount)(`a 1 MiB tmpfs that fills, rotation at 10 kB with gzip, 40,000 records: no crash; lines on disk + getDropped() = 40,000 exactly${needsTmpfs}`, async () => {
    const dir = mountTmpfs(1024 * 1024)!
    try {
      const result = await run("compress-faults.mjs", [dir, "40000", "10000", "200"], { timeoutMs: 60_000 })
      assert.strictEqual(result.code, 0, show(result))
      const { dropped } = report(result)
      assert.isAbove(dropped, 0, "the disk never filled")
      checkCompressed(dir, 40_000, dropped, result)
    } finally {
      unmount(dir)
    }
  }, 90_000)
})

describe("Reliability 2: a stdout reader that stops reading", () => {
  for (const executor of ["inline", "worker"] as const) {
    it(`drop (${executor}): the application keeps running (no call held, timers fire), drops are counted, and SIGTERM ends it within the exit drain's bound`, async () => {
      const r = await runStdout({ policy: "drop", ms: 1_500, perTurn: 100, recordBytes: 100, executor })
      assert.isDefined(r.doneAt, `the producer froze; ${describeRun(r)}`)
      assert.isAbove(r.result.dropped, 0, "the pipe never filled")
      assert.isBelow(r.result.maxCall, 250, describeRun(r))
      assert.isBelow(r.result.maxGap, 1_000, describeRun(r))
      assert.isAbove(r.result.ticks, 20, describeRun(r))
      assert.strictEqual(r.signal, "SIGTERM", describeRun(r))
      assert.isBelow(r.termToExitMs, exitDrainMs + signalSlackMs, describeRun(r))
    }, 60_000)

    it(`timeout:50 (${executor}), one record per event-loop turn: no call held more than about 50 ms, timers keep firing, SIGTERM ends it within the exit drain's bound`, async () => {
      const r = await runStdout({ policy: "timeout:50", ms: 1_500, perTurn: 1, recordBytes: 100, executor })
      assert.isDefined(r.doneAt, `the producer froze; ${describeRun(r)}`)
      assert.isAbove(r.result.dropped, 0, "the pipe never filled")
      assert.isBelow(r.result.maxCall, 50 + 150, describeRun(r))
      assert.isBelow(r.result.maxGap, 50 + 250, describeRun(r))
      assert.strictEqual(r.signal, "SIGTERM", describeRun(r))
      assert.isBelow(r.termToExitMs, exitDrainMs + signalSlackMs, describeRun(r))
    }, 60_000)
  }

  it("block, a reader that never reads: the caller is held (as documented), and SIGTERM still ends the process at once", async () => {
    const r = await runStdout({ policy: "block", ms: 1_000, perTurn: 100, recordBytes: 100 })
    assert.isUndefined(r.doneAt, `the caller was not held; ${describeRun(r)}`)
    assert.strictEqual(r.signal, "SIGTERM", describeRun(r))
    assert.isBelow(r.termToExitMs, signalSlackMs, describeRun(r))
  }, 60_000)

  it("block (unchanged, as documented): the caller is held while the reader stalls, then every record arrives, none dropped", async () => {
    const r = await runStdout({
      policy: "block",
      ms: 500,
      perTurn: 100,
      recordBytes: 100,
      reader: { afterMs: 1_000, chunk: 1 << 20, everyMs: 5 }
    })
    assert.isDefined(r.doneAt, describeRun(r))
    assert.isAbove(r.doneAt!, 1_000, "the caller was not held while nobody read")
    assert.strictEqual(r.result.dropped, 0)
    const lines = splitLines(r.received.toString("latin1"))
    assert.strictEqual(lines.length, r.result.logged)
    lines.forEach((line, i) => assert.isTrue(line.startsWith(`${i} y`), `line ${i}: ${line.slice(0, 20)}`))
  }, 60_000)
})

describe("Reliability 2c: close() while the stdout reader has stopped", () => {
  for (const executor of ["inline", "worker"] as const) {
    it(`${executor}: close() returns within its timeout, and the lines in the pipe + getDropped() = the records logged (none both in the pipe and counted dropped)`, async () => {
      const pipe = makePipe()
      const resultFile = path.join(tempDir(), "result.json")
      const { ended } = start("close-stalled-stdout.mjs", [executor, resultFile], { stdout: pipe.write, timeoutMs: 30_000 })
      fs.closeSync(pipe.write)
      const result = await ended
      const received: Array<Buffer> = []
      readPipe(pipe.read, Number.POSITIVE_INFINITY, received)
      fs.closeSync(pipe.read)
      assert.strictEqual(result.code, 0, show(result))
      const { dropped, closeMs } = JSON.parse(fs.readFileSync(resultFile, "utf8"))
      // Whole lines; a record cut by the close may have left its start after them (a pipe cannot
      // be truncated), and counts as dropped.
      const lines = Buffer.concat(received).toString("latin1").split("\n").slice(0, -1)
      assert.isAbove(lines.length, 0, "nothing reached the pipe")
      lines.forEach((line, i) => assert.isTrue(line.startsWith(`${i} y`) && line.length === 99, `line ${i}: ${line.slice(0, 20)}`))
      assert.strictEqual(lines.length + dropped, 20_000, `${lines.length} lines in the pipe, ${dropped} counted dropped`)
      assert.isBelow(closeMs, exitDrainMs + signalSlackMs, show(result))
    }, 60_000)
  }
})

describe("Reliability 2e: flush() while the stdout reader has stopped", () => {
  for (const executor of ["inline", "worker"] as const) {
    it(`${executor}: with records held back by flushInterval, flush() resolves false within its timeouts instead of never`, async () => {
      const pipe = makePipe()
      const resultFile = path.join(tempDir(), "result.json")
      const { ended } = start("flush-stalled-stdout.mjs", [executor, resultFile], { stdout: pipe.write, timeoutMs: 30_000 })
      fs.closeSync(pipe.write)
      const result = await ended
      readPipe(pipe.read, Number.POSITIVE_INFINITY)
      fs.closeSync(pipe.read)
      assert.strictEqual(result.code, 0, show(result))
      const { ok, ms } = JSON.parse(fs.readFileSync(resultFile, "utf8"))
      assert.strictEqual(ok, false, `flush() gave ${ok} after ${Math.round(ms)} ms`)
      // flushTimeoutMs is 500: delivering what was accepted, then the sink's own flush.
      assert.isBelow(ms, 2 * 500 + 1_000, show(result))
    }, 60_000)
  }
})

// Concurrent: each child waits out the exit drain (5 s) with a stalled pipe, idle meanwhile.
describe.concurrent("Reliability 2d: the exit drain while the stdout reader has stopped", () => {
  for (const executor of ["inline", "worker"] as const) {
    for (const how of ["exit", "throw"] as const) {
      it(`${executor}, ${how === "exit" ? "process.exit()" : "an uncaught exception"}: the lines in the pipe are the records counted written, and written + dropped = the records logged`, async () => {
        const pipe = makePipe()
        const resultFile = path.join(tempDir(), "result.json")
        const { ended } = start("exit-stalled-stdout.mjs", [executor, how, resultFile], {
          stdout: pipe.write,
          timeoutMs: 30_000
        })
        fs.closeSync(pipe.write)
        const result = await ended
        const received: Array<Buffer> = []
        readPipe(pipe.read, Number.POSITIVE_INFINITY, received)
        fs.closeSync(pipe.read)
        assert.strictEqual(result.code, how === "exit" ? 0 : 1, show(result))
        const { counts: [{ written, dropped, pending }], drainMs } = JSON.parse(fs.readFileSync(resultFile, "utf8"))
        // Whole lines; the record the drain gave up in the middle of may have left its start after
        // them (a pipe cannot be truncated), and counts as dropped.
        const lines = Buffer.concat(received).toString("latin1").split("\n").slice(0, -1)
        assert.isAbove(lines.length, 0, "nothing reached the pipe")
        lines.forEach((line, i) => assert.isTrue(line.startsWith(`${i} y`) && line.length === 99, `line ${i}: ${line.slice(0, 20)}`))
        assert.strictEqual(pending, 0)
        assert.strictEqual(written + dropped, 80_000, `written ${written} + dropped ${dropped}`)
        assert.strictEqual(lines.length, written, `${lines.length} lines in the pipe, ${written} counted written, ${dropped} dropped`)
        // The bound is kept (what the drain gives up on is given up on within it).
        assert.isBelow(drainMs, exitDrainMs + 250, show(result))
      }, 60_000)
    }

    it(`${executor}, process.exit(), stdout and stderr both stalled: in each pipe, the lines are the records its handler counted written (the second handler given up on is counted as exactly as the first)`, async () => {
      const out = makePipe()
      const err = makePipe()
      const resultFile = path.join(tempDir(), "result.json")
      const { ended } = start("exit-stalled-stdout.mjs", [executor, "exit", resultFile, "both"], {
        stdout: out.write,
        stderr: err.write,
        timeoutMs: 30_000
      })
      fs.closeSync(out.write)
      fs.closeSync(err.write)
      const result = await ended
      const { counts, drainMs }: {
        counts: Array<{ written: number; dropped: number; pending: number }>
        drainMs: number
      } = JSON.parse(fs.readFileSync(resultFile, "utf8"))
      for (const [i, pipe] of [out, err].entries()) {
        const received: Array<Buffer> = []
        readPipe(pipe.read, Number.POSITIVE_INFINITY, received)
        fs.closeSync(pipe.read)
        // femtologging's own reports (a drop, once per 5 s) go to stderr as well: a report written
        // before the pipe filled is a line of its own there.
        const lines = Buffer.concat(received).toString("latin1").split("\n").slice(0, -1)
          .filter((line) => i === 0 || !line.startsWith("femtologging: "))
        assert.isAbove(lines.length, 0, `nothing reached pipe ${i}`)
        lines.forEach((line, n) => assert.isTrue(line.startsWith(`${n} y`) && line.length === 99, `pipe ${i}, line ${n}: ${line.slice(0, 20)}`))
        const { written, dropped, pending } = counts[i]!
        assert.strictEqual(pending, 0)
        assert.strictEqual(written + dropped, 80_000, `handler ${i}: written ${written} + dropped ${dropped}`)
        assert.strictEqual(lines.length, written, `handler ${i}: ${lines.length} lines in its pipe, ${written} counted written`)
      }
      assert.strictEqual(result.code, 0, show(result))
      assert.isBelow(drainMs, exitDrainMs + 250, show(result))
    }, 60_000)
  }
})

describe("Reliability 2b: SIGTERM while a caller is held by a busy sink", () => {
  it("block, a worker sink kept busy (4 KiB hand-off): SIGTERM during the short holds writes every record accepted before it", async () => {
    for (let round = 0; round < 3; round++) {
      const file = path.join(tempDir(), "busy.log")
      const { child, ended } = start("busy-sigterm.mjs", [file], { timeoutMs: 30_000 })
      child.stdout!.once("data", () => setTimeout(() => child.kill("SIGTERM"), 300))
      const result = await ended
      assert.strictEqual(result.signal, "SIGTERM", show(result))
      const accepted = Number(fs.readFileSync(`${file}.count`, "utf8"))
      const lines = readLines(file)
      assert.isAbove(accepted, 0)
      // Every record counted as accepted before the signal, in order (more may follow it).
      assert.isAtLeast(lines.length, accepted, `round ${round}: ${accepted - lines.length} accepted records lost; ${show(result)}`)
      lines.forEach((line, n) => {
        if (!line.startsWith(`${n} x`)) assert.fail(`round ${round}, line ${n}: ${line.slice(0, 20)}`)
      })
    }
  }, 90_000)
})

describe("Reliability 3: memory bounded overall, an idle logger holds nothing", () => {
  it("300,000 loggers that logged one record each: under 1 KiB of heap per logger once written (no queue, no fiber)", async () => {
    const file = path.join(tempDir(), "loggers.log")
    const result = await run("memory.mjs", ["loggers", "300000", file], { timeoutMs: 120_000 })
    assert.strictEqual(result.code, 0, show(result))
    const { heapPerLogger, dropped } = report(result)
    assert.strictEqual(dropped, 0)
    assert.isBelow(heapPerLogger, 1024, `${heapPerLogger} bytes per logger`)
    assert.strictEqual(readLines(file).length, 300_001)
  }, 150_000)

  // Measured (Node 22.23, 2 cores): inline about 190 MiB above the start, worker 390-470 MiB (the
  // record is copied into the hand-off and assembled again on the worker's heap); before the fix,
  // 670 MiB for these 60 records and 1.6 GB for 150, all of them dropped.
  for (const [executor, boundMiB] of [["inline", 300], ["worker", 600]] as const) {
    it(`60 records of 10 MiB (distinct strings) from a synchronous loop through a block file handler (${executor}): peak RSS under ${boundMiB} MiB above the start (the 64 MiB queue bound plus encoding), all written`, async () => {
      const result = await run("memory.mjs", ["big", "60", "10", "/dev/null"], {
        timeoutMs: 90_000,
        env: { RELIABILITY_EXECUTOR: executor }
      })
      assert.strictEqual(result.code, 0, show(result))
      const { baseRss, peakRss, dropped } = report(result)
      assert.strictEqual(dropped, 0, show(result))
      assert.isBelow(peakRss - baseRss, boundMiB * 1024 * 1024, `peak ${peakRss} from ${baseRss}`)
    }, 120_000)
  }
})

describe("Reliability: worker handlers made and closed over and over", () => {
  // Before: each hand-off (4 MiB) came from malloc; once glibc had freed one such block it served
  // the next ones from its heap, zero-filled (every page resident) and kept: RSS +47 MiB over
  // these 150 cycles (3 runs; +530 MiB over 900 with fewer collections). Now the hand-off is
  // mapped memory of its own (a growable SharedArrayBuffer), unmapped when the last thread lets
  // it go: +2-3 MiB.
  it("150 cycles of a worker file handler made, 100 records, closed: RSS grows by less than 20 MiB after the first 20, every record written", async () => {
    const file = path.join(tempDir(), "cycles.log")
    const result = await run("memory.mjs", ["cycles", "150", file], { timeoutMs: 90_000 })
    assert.strictEqual(result.code, 0, show(result))
    const { baseRss, peakRss, dropped } = report(result)
    assert.strictEqual(dropped, 0)
    assert.strictEqual(readLines(file).length, 150 * 100)
    assert.isBelow(peakRss - baseRss, 20 * 1024 * 1024, `peak ${peakRss} from ${baseRss}`)
  }, 120_000)
})

describe("Reliability 4: a short write on a full disk", () => {
  for (const executor of ["inline", "worker"]) {
    it.skipIf(!canMount)(`a block file handler (${executor}) on a full 64 KiB tmpfs: written + getDropped() = accepted exactly, no torn or glued line, the next records start on a clean line once there is room${needsTmpfs}`, async () => {
      const dir = mountTmpfs(64 * 1024)!
      try {
        const filler = path.join(dir, "filler")
        fs.writeFileSync(filler, Buffer.alloc(20 * 1024))
        const file = path.join(dir, "app.log")
        const result = await run("full-disk.mjs", [file, filler, "3000", "20"], {
          timeoutMs: 30_000,
          env: { RELIABILITY_EXECUTOR: executor }
        })
        assert.strictEqual(result.code, 0, show(result))
        const { dropped } = report(result)
        const lines = readLines(file)
        for (const line of lines) assert.match(line, /^(R\d+ z+|A\d+)$/, "a torn or glued line")
        const written = lines.filter((line) => line.startsWith("R"))
        assert.isAbove(written.length, 0)
        assert.isAbove(dropped, 0, "the disk never filled")
        // Records are written in order, each at most once, and each one written or counted.
        const numbers = written.map((line) => Number(line.slice(1).split(" ")[0]))
        for (let i = 1; i < numbers.length; i++) assert.isAbove(numbers[i]!, numbers[i - 1]!)
        assert.strictEqual(written.length + dropped, 3000, `written ${written.length} + dropped ${dropped}`)
        assert.deepStrictEqual(lines.slice(written.length), Array.from({ length: 20 }, (_, n) => `A${n}`))
      } finally {
        unmount(dir)
      }
    }, 60_000)
  }
})

describe("Reliability 5: a batch larger than 512 MiB of text", () => {
  it("1,100 records of 0.5 MiB from a synchronous loop through a block file handler: all 1,100 written whole, none dropped", async () => {
    const file = path.join(tempDir(), "big.log")
    const result = await run("memory.mjs", ["big", "1100", "0.5", file], { timeoutMs: 120_000 })
    assert.strictEqual(result.code, 0, show(result))
    assert.strictEqual(report(result).dropped, 0, show(result))
    // Read back in pieces: record n is "<n> " padded with x to 512 KiB.
    const size = 512 * 1024
    const fd = fs.openSync(file, "r")
    try {
      assert.strictEqual(fs.fstatSync(fd).size, 1100 * (size + 1))
      const line = Buffer.alloc(size + 1)
      for (let n = 0; n < 1100; n++) {
        assert.strictEqual(fs.readSync(fd, line, 0, line.length, n * line.length), line.length)
        const head = `${n} `
        assert.strictEqual(line.toString("latin1", 0, head.length), head, `record ${n}`)
        assert.strictEqual(line[size], 10, `record ${n} ends with a newline`)
        assert.strictEqual(line.indexOf(10), size, `record ${n} is whole`)
      }
    } finally {
      fs.closeSync(fd)
      fs.rmSync(file, { force: true }) // 577 MB
    }
  }, 150_000)
})

describe("Reliability 6: a log call never throws", () => {
  it("odd messages and fields are logged, not thrown at the caller; function fields never print their source", async () => {
    resetManager()
    const file = path.join(tempDir(), "odd.log")
    const handler = new FemtoFileHandler(file)
    const json = new CaptureHandler()
    const logger = getLogger("odd")
    logger.addHandler(handler)
    logger.addHandler(json)
    const throwingToString = { toString: () => { throw new Error("no text") } }
    const proxy = new Proxy({}, { ownKeys: () => { throw new Error("no keys") } })
    const errorGetter = Object.defineProperty({}, "error", { enumerable: true, get: () => { throw new Error("no error") } })
    const badMessage = new Error("x")
    Object.defineProperty(badMessage, "message", { get: () => { throw new Error("no message") } })
    const secret = function secretSource() {
      return "SOURCE-CODE-MUST-NOT-PRINT"
    }
    const calls: Array<() => unknown> = [
      () => logger.info(querystring.parse("a=1&b=2") as never),
      () => logger.info(throwingToString as never),
      () => logger.info("proxy fields", proxy as never),
      () => logger.info("error getter", errorGetter as never),
      () => logger.info(badMessage),
      () => logger.error("with error", badMessage),
      () => logger.info("function field", { fn: secret }),
      () => logger.info("bigint and cycle", { n: 10n, self: (() => { const o: Record<string, unknown> = {}; o.self = o; return o })() })
    ]
    for (const call of calls) assert.doesNotThrow(call)
    await handler.close()
    await json.close()
    const text = readLines(file).join("\n")
    assert.notInclude(text, "SOURCE-CODE-MUST-NOT-PRINT")
    assert.include(text, "fn=\"[Function secretSource]\"")
    assert.strictEqual(json.records.length, calls.length)
    assert.strictEqual(handler.getDropped() + json.getDropped(), 0)
  })
})

describe("Reliability 7: a failing user handler does not flood stderr", () => {
  it("20,000 records through a handler that always throws: the first failure with its stack, then counts, a few lines in all", async () => {
    const result = await runFixture("reliability/throwing-flood.mjs", { args: ["20000"], timeoutMs: 30_000 })
    assert.strictEqual(result.code, 0, result.stderr.slice(0, 2_000))
    const lines = result.stderr.split("\n").filter((line) => line !== "")
    assert.include(result.stderr, "Error: handler failure")
    assert.isBelow(lines.length, 40, result.stderr.slice(0, 2_000))
    assert.deepStrictEqual(JSON.parse(result.stdout), { errors: 20_000 })
  }, 60_000)
})

describe("Reliability 7: reports at most once per interval, even when the event loop is busy", () => {
  it("a timer that fires late (the event loop was busy past the end of the interval) does not report again right after a report", async () => {
    let now = 1_000_000
    const lines: Array<string> = []
    const warner = new Warner("handler h", 100, () => now, (line) => lines.push(line))
    warner.add(1) // the first: reported at once
    now += 10
    warner.add(1) // held back; a timer is set for the end of the interval
    now += 140 // the event loop was busy past that end (the timer has not run) ...
    warner.add(1) // ... so this call reports the 2 held back
    warner.add(1) // held back until now + 100
    await new Promise((resolve) => setTimeout(resolve, 150)) // the late timer runs (the clock stays at now)
    assert.strictEqual(lines.length, 2, `two reports at the same instant: ${lines.join("")}`)
    now += 100
    warner.flush()
    assert.deepStrictEqual(lines.map((line) => Number(/dropped (\d+)/.exec(line)?.[1])), [1, 2, 1])
  })
})

describe("Reliability 8: timeout:50 and a synchronous caller", () => {
  it("a burst of 3,000 records of 1,000 bytes to stdout read at 640 KB/s: no call held more than about 50 ms, and the timeout really refused records", async () => {
    const r = await runStdout({
      policy: "timeout:50",
      ms: 1_500,
      perTurn: 3_000,
      recordBytes: 1_000,
      reader: { afterMs: 0, chunk: 64 * 1024, everyMs: 100 }
    })
    assert.isDefined(r.doneAt, describeRun(r))
    assert.isAbove(r.result.dropped, 0, `the timeout never refused a record; ${describeRun(r)}`)
    assert.isBelow(r.result.maxCall, 50 + 150, describeRun(r))
  }, 60_000)
})

describe("Reliability 9: several processes rotating one file", () => {
  // With gzip, a process that has not yet seen another's rotation may append to the backup while
  // it is compressed, or even after it was removed (a write under way): the compression's
  // catch-up must bring those records into the .gz.
  for (const compress of [false, true]) {
    it(`a Node cluster of 4 workers, 25,000 records each, rotation at 64 KiB${compress ? " with gzip" : ""}: every record exactly once, whole lines, each worker's in order, no file far past 64 KiB`, async () => {
      const dir = tempDir()
      const result = await run("cluster-rotate.mjs", [path.join(dir, "app.log"), "4", "25000", "65536", compress ? "1" : "0"], {
        timeoutMs: 90_000
      })
      assert.strictEqual(result.code, 0, show(result))
      assert.deepStrictEqual(report(result).dropped, [0, 0, 0, 0])
      const { gz, largest, lines, others } = logsIn(dir, "app.log")
      assert.deepStrictEqual(others, [])
      if (compress) assert.isAbove(gz, 0)
      // Sizes are read before each write, so what the other workers append meanwhile (a batch
      // each) can take a file past maxBytes: inline, batches are at most 100 records (~67 KB
      // measured); a sink thread may take a whole file's worth at once (up to 4 x 64 KiB, 128 KiB
      // measured). A rotation that found the lock taken used to write the rest of its batch where
      // it was, often into a backup: 140-250 KB inline, up to 1.2 MB on worker threads.
      const bound = (process.env.RELIABILITY_EXECUTOR === "worker" ? 4.5 : 1.5) * 65_536
      assert.isAtMost(largest, bound, "a file grew far past maxBytes")
      const next = [0, 0, 0, 0]
      for (const line of lines) {
        const match = /^P(\d)-(\d+) p*$/.exec(line)
        assert.isNotNull(match, `a torn or glued line: ${line.slice(0, 80)}`)
        const [id, n] = [Number(match![1]), Number(match![2])]
        assert.strictEqual(n, next[id], `worker ${id}: record ${n} where ${next[id]} was due (lost, repeated or out of order)`)
        next[id]!++
      }
      assert.deepStrictEqual(next, [25_000, 25_000, 25_000, 25_000])
    }, 120_000)
  }
})

describe("Reliability 10: closing an Effect scope whose asynchronous sink never completes", () => {
  it("with the application still running: close returns within its timeouts, with written + dropped = accepted (32)", async () => {
    const result = await run("effect-close.mjs", ["keepalive"], { timeoutMs: 60_000 })
    assert.strictEqual(result.code, 0, show(result))
    const { accepted, closeMs, dropped, written } = report(result)
    assert.strictEqual(accepted, 32)
    assert.strictEqual(written + dropped, accepted)
    assert.isBelow(closeMs, 3_000)
  }, 90_000)

  it("when nothing else keeps the process alive: the close still completes (the process does not end in the middle of it)", async () => {
    const result = await run("effect-close.mjs", [], { timeoutMs: 60_000 })
    assert.strictEqual(result.code, 0, show(result))
    const { accepted, closeMs, dropped, written } = report(result)
    assert.strictEqual(written + dropped, accepted)
    assert.isBelow(closeMs, 3_000)
  }, 90_000)
})

describe("Reliability 10 (worker executor): close() while the sink's thread lags behind", () => {
  it("a rotating gzip handler on a worker thread, 100,000 records, closed while its thread is still rotating: lines on disk + getDropped() = 100,000 exactly (none both written and counted), no lock or temporary file left", async () => {
    const dir = tempDir()
    const result = await run("compress-faults.mjs", [dir, "100000", "10000", "200"], {
      timeoutMs: 90_000,
      env: { RELIABILITY_EXECUTOR: "worker" }
    })
    assert.strictEqual(result.code, 0, show(result))
    const { lines, others } = logsIn(dir, "app.log")
    const { dropped } = report(result)
    const unique = new Set(lines.map((line) => line.split(" ")[0]))
    assert.strictEqual(unique.size, lines.length, "records written twice")
    assert.strictEqual(lines.length + dropped, 100_000, `${lines.length} on disk + ${dropped} counted dropped`)
    assert.deepStrictEqual(others, [], "a lock or temporary file left behind (the thread was stopped mid-rotation)")
  }, 120_000)
})

describe("Reliability: a fiber held by block while a worker thread drains", () => {
  it("1,500 records of 16 KiB from one fiber through a worker file handler (capacity 64): the program runs to its end, every line on disk in order", async () => {
    const dir = tempDir()
    const file = path.join(dir, "fiber.log")
    const result = await run("fiber-block-worker.mjs", [file, "1500", "16384", "64"], { timeoutMs: 60_000 })
    // Before the fix Node ended the program in the middle of the fiber (exit code 13, unsettled
    // top-level await): nothing kept the event loop alive while the fiber waited for room.
    assert.strictEqual(result.code, 0, show(result))
    assert.deepStrictEqual(report(result), { flushed: true, dropped: 0 })
    const ids = readLines(file).map((line) => Number(/\[INFO\] (\d+) /.exec(line)?.[1]))
    assert.deepStrictEqual(ids, Array.from({ length: 1500 }, (_, i) => i))
  }, 90_000)
})

describe("Reliability: close() then process.exit() while compressions are still running", () => {
  for (const executor of ["inline", "worker"]) {
    it(`${executor}: when close() returns no compression is left running: no temporary file, every record in a whole line, backups left uncompressed`, async () => {
      const dir = tempDir()
      const result = await run("compress-close-exit.mjs", [dir, executor], { timeoutMs: 60_000 })
      assert.strictEqual(result.code, 0, show(result))
      const { closeMs, dropped } = report(result)
      const { lines, others } = logsIn(dir, "app.log")
      assert.deepStrictEqual(others, [], "a temporary file left behind")
      assert.strictEqual(dropped, 0)
      assert.deepStrictEqual(lines.map((line) => Number(line.split(" ")[0])).sort((a, b) => a - b), Array.from({ length: 2_000 }, (_, i) => i))
      assert.isBelow(closeMs, 5_000)
      assert.match(result.stderr, /left uncompressed/) // reports are rate-limited: which one comes first varies
    }, 90_000)
  }
})

describe("Reliability: rotation that cannot happen (a read-only directory) backs off", () => {
  it(`20,000 records, rotation at 10 kB, in a directory the process cannot write${isRoot ? " (the child runs as nobody)" : ""}: at most one attempt per 10 kB written, reported rate-limited, no slower than 3x a plain file`, async () => {
    const ro = tempDir()
    const plain = tempDir()
    const file = path.join(ro, "app.log")
    fs.writeFileSync(file, "")
    if (isRoot) for (const p of [ro, plain, file]) fs.chownSync(p, nobody, nobody)
    fs.chmodSync(ro, 0o555)
    let result: Ended
    try {
      result = await run("readonly-rotate.mjs", [file, path.join(plain, "app.log"), "20000", "10000"], {
        uid: isRoot ? nobody : undefined,
        timeoutMs: 60_000
      })
    } finally {
      fs.chmodSync(ro, 0o755)
    }
    assert.strictEqual(result.code, 0, show(result))
    const { dropped, plainMs, rotatingMs } = report(result)
    assert.strictEqual(dropped, 0)
    assert.deepStrictEqual(fs.readdirSync(ro), ["app.log"])
    const size = fs.statSync(file).size
    assert.strictEqual(readLines(file).length, 20_000)
    // Each report line counts the attempts it stands for: "(N times since the last report)".
    const reports = result.stderr.split("\n").filter((line) => line.includes("rotation of"))
    assert.isAbove(reports.length, 0, show(result))
    assert.isAtMost(reports.length, 5, show(result))
    const attempts = reports.reduce((sum, line) => sum + Number(/\((\d+) times/.exec(line)?.[1] ?? 1), 0)
    assert.isAtMost(attempts, Math.ceil(size / 10_000) + 1, `${attempts} attempts for ${size} bytes`)
    assert.isBelow(rotatingMs, 3 * plainMs + 200, `rotating ${rotatingMs} ms, plain ${plainMs} ms`)
  }, 90_000)
})

describe("Reliability: a deleted or renamed log file is detected with watch: true", () => {
  for (const executor of ["inline", "worker"]) {
    it(`${executor}: records after an unlink go to a new file at the path, records after a rename to the next one; none lost`, async () => {
      const file = path.join(tempDir(), "app.log")
      const result = await run("watch.mjs", [file, executor], { timeoutMs: 30_000 })
      assert.strictEqual(result.code, 0, show(result))
      assert.strictEqual(report(result).dropped, 0)
      assert.deepStrictEqual(readLines(`${file}.moved`), Array.from({ length: 10 }, (_, i) => `r${i + 10}`))
      assert.deepStrictEqual(readLines(file), Array.from({ length: 10 }, (_, i) => `r${i + 20}`))
    }, 60_000)
  }
})

describe("Reliability: a log file truncated from outside (logrotate copytruncate, `: > app.log`)", () => {
  for (const executor of ["inline", "worker"]) {
    for (const [mode, delay] of [["a", "now"], ["w", "now"], ["w", "delay"]]) {
      it(`${executor}, mode ${mode}${delay === "delay" ? ", delay" : ""}: the next records land at the start of the emptied file, with no hole of zeros before them`, async () => {
        const file = path.join(tempDir(), "app.log")
        const result = await run("truncated.mjs", [file, executor, mode, delay], { timeoutMs: 30_000 })
        assert.strictEqual(result.code, 0, show(result))
        assert.strictEqual(report(result).dropped, 0)
        const bytes = fs.readFileSync(file)
        assert.strictEqual(bytes.indexOf(0), -1, `${bytes.length} bytes, a hole of zeros before the new lines`)
        assert.strictEqual(bytes.toString(), "after 0\nafter 1\nafter 2\n")
      }, 60_000)
    }
  }
})

describe("Reliability: a user handler that logs, for every record, a record that reaches it (a logging loop)", () => {
  /** The JSON lines the fixture printed (one per 50 ms tick). */
  const ticks = (stdout: string): Array<{ tick: number; rss: number; calls: number; dropped: number }> =>
    splitLines(stdout).map((line) => JSON.parse(line))
  const loopWarnings = (stderr: string): Array<string> => stderr.split("\n").filter((line) => line.includes("logging loop"))

  it("the loop is cut off: a timer keeps ticking, RSS stays bounded, one warning names the handler; SIGTERM ends the process at once", async () => {
    // Before: the delivery never returned (no tick, RSS +170 MiB in 5 s, SIGTERM ignored).
    const { child, ended } = start("logging-loop.mjs", ["loop"], { timeoutMs: 15_000 })
    let seen = 0
    let signalled = 0
    child.stdout!.on("data", (chunk: Buffer) => {
      seen += splitLines(chunk.toString("utf8")).length
      if (seen >= 5 && signalled === 0) {
        signalled = performance.now()
        child.kill("SIGTERM")
      }
    })
    const result = await ended
    const tookMs = performance.now() - signalled
    assert.isAbove(signalled, 0, `the timer never ticked; ${show(result)}`)
    assert.strictEqual(result.signal, "SIGTERM", show(result))
    assert.isBelow(tookMs, 3_000, `${tookMs} ms from SIGTERM to the end; ${show(result)}`)
    const lines = ticks(result.stdout)
    const last = lines.at(-1)!
    // Cut off within a few generations (one round of the delivery each, a turn of the event loop
    // apart), and for good: no record reached the handler between the last two ticks.
    assert.isAtLeast(last.calls, 2)
    assert.isAtMost(last.calls, 32)
    assert.strictEqual(lines.at(-2)!.calls, last.calls, show(result))
    assert.isAtLeast(last.dropped, 1)
    const peak = Math.max(...lines.map((l) => l.rss))
    assert.isBelow(peak, 200 * 1024 * 1024, `peak RSS ${peak}`)
    const warnings = loopWarnings(result.stderr)
    assert.strictEqual(warnings.length, 1, show(result))
    assert.include(warnings[0], "looper")
  }, 30_000)

  it("beside the loop, a handler that logs once per record to a logger that does not reach it, and one that logs once to its own logger, write every record", async () => {
    const dir = tempDir()
    const result = await run("logging-loop.mjs", ["beside", dir], { timeoutMs: 15_000 })
    assert.strictEqual(result.code, 0, show(result))
    const n = 100
    const sent = Array.from({ length: n }, (_, i) => `r${i}`)
    assert.deepStrictEqual(readLines(path.join(dir, "app2.log")), sent.map((m) => `app2 ${m}`))
    assert.deepStrictEqual(readLines(path.join(dir, "audit.log")), sent.map((m) => `audit handled ${m}`))
    const once = readLines(path.join(dir, "once.log"))
    assert.deepStrictEqual([...once].sort(), [...sent.map((m) => `once ${m}`), ...sent.map((m) => `once handled ${m}`)].sort())
    for (const m of sent) assert.isBelow(once.indexOf(`once ${m}`), once.indexOf(`once handled ${m}`), m)
    // Only the loop was cut off, and said so once.
    assert.isAtLeast(report(result).dropped, 1)
    const warnings = loopWarnings(result.stderr)
    assert.strictEqual(warnings.length, 1, show(result))
    assert.include(warnings[0], "looper")
    assert.deepStrictEqual(result.stderr.split("\n").filter((line) => line.includes("dropped")), warnings)
  }, 30_000)
})

describe("Reliability: a filter or formatter that logs, for every record, a record that reaches it (a logging loop)", () => {
  for (const kind of ["handler-filter", "logger-filter", "logger-filter-effect", "formatter", "encoder"] as const) {
    it(`the loop through a ${kind} is cut off within a few generations, counted and said once; timers keep firing`, async () => {
      // Before: a handler's filter never returned (55 GB written in 10 minutes, no timer fired).
      const file = path.join(tempDir(), "loop.log")
      const result = await run("piece-loop.mjs", [kind, file], { timeoutMs: 15_000 })
      assert.strictEqual(result.code, 0, show(result))
      const { ticks, calls, dropped } = JSON.parse(splitLines(result.stdout).at(-1)!)
      assert.strictEqual(ticks, 5)
      assert.isAtLeast(calls, 2)
      assert.isAtMost(calls, 16, show(result))
      assert.isAtLeast(dropped, 1)
      // (A logger's filter runs before its record is handed on: what it logs is written first.)
      const lines = readLines(file)
      assert.include(lines, "app hello")
      assert.isAtMost(lines.length, 16)
      assert.strictEqual(result.stderr.split("\n").filter((line) => line.includes("logging loop")).length, 1, show(result))
    }, 30_000)
  }
})
