/**
 * The soak test of the reliability issue, in a child process (`test/fixtures/soak/soak.mjs`,
 * which imports the built package: run `npx tsc -b` first): 4 asynchronous producers interleaved
 * with `setImmediate`, one logger each, propagating to 3 handlers and a user handler object:
 *
 * - a rotating file handler, block, rotation at 256 KiB (about 500 rotations over 2,000,000
 *   records), `compress: true`, every backup kept;
 * - a file handler, policy drop, capacity 64;
 * - a stream handler on stdout, policy drop, where stdout is a pipe this test reads slowly
 *   (64 KiB every 20 ms: about half the records are dropped there);
 * - a user handler that throws on about 1% of the records.
 *
 * It asserts that the process survives; that its peak RSS stays under {@link maxRssBytes}; that
 * for every handler the lines written + `getDropped()` = the records offered, exactly; that every
 * line parses to its producer and sequence number, with no torn line and no line twice, each
 * producer's records in order (all of them for the block handler); and that every gz backup is
 * valid gzip of whole lines.
 *
 * Records: 2,000,000 by default (about 30 s of logging on this project's 2-core machine, under a
 * minute in all); 20,000,000 with `FEMTOLOGGING_SOAK=full` (rotation at 2 MiB then).
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { fixturesDir, packageDir, repoRoot } from "./utils/child.ts"
import { removeTempDirs, tempDir } from "./utils/files.ts"

afterAll(() => removeTempDirs())

const full = process.env.FEMTOLOGGING_SOAK === "full"
const records = full ? 20_000_000 : 2_000_000
const rotateBytes = full ? 2 * 1024 * 1024 : 256 * 1024

/**
 * The bound on the child's peak RSS. Measured on this project's 2-core machine (Node 22.23,
 * 2,000,000 records): 200–215 MiB; 200,000 records: about 170 MiB. Set with margin for other
 * machines and the full run.
 */
const maxRssBytes = 320 * 1024 * 1024

const producers = 4
const line = /^soak\.p(\d) \[INFO\] P(\d) (\d+) x{0,90}$/

/**
 * Checks lines as they stream in: each parses to producer and sequence number, and each
 * producer's sequence numbers increase (by exactly one when `complete`). Collects the first
 * problems instead of throwing (it runs in timers).
 */
class Lines {
  count = 0
  readonly next = Array.from({ length: producers }, () => 0)
  readonly problems: Array<string> = []
  private rest = ""

  constructor(readonly name: string, readonly complete: boolean) {}

  feed(chunk: Buffer | string): void {
    const text = this.rest + (typeof chunk === "string" ? chunk : chunk.toString("latin1"))
    const parts = text.split("\n")
    this.rest = parts.pop()!
    for (const part of parts) this.check(part)
  }

  /** The end of a whole file (or of the stream): nothing may be left without its newline. */
  end(where: string): void {
    if (this.rest !== "") this.problem(`${where} ends in the middle of a line: ${JSON.stringify(this.rest.slice(0, 80))}`)
    this.rest = ""
  }

  private check(text: string): void {
    const match = line.exec(text)
    if (match === null || match[1] !== match[2]) return this.problem(`not a whole record: ${JSON.stringify(text.slice(0, 120))}`)
    const id = Number(match[1])
    const seq = Number(match[3])
    const due = this.next[id]!
    if (this.complete ? seq !== due : seq < due) {
      this.problem(`producer ${id}: record ${seq} where ${this.complete ? "" : "at least "}${due} was due`)
    }
    this.next[id] = seq + 1
    this.count++
  }

  private problem(message: string): void {
    if (this.problems.length < 10) this.problems.push(`${this.name}: ${message}`)
  }
}

/** Feeds a file to `lines` in pieces. */
const feedFile = (file: string, lines: Lines): void => {
  const fd = fs.openSync(file, "r")
  try {
    const buffer = Buffer.alloc(1 << 20)
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, null)
      if (n === 0) break
      lines.feed(buffer.subarray(0, n))
    }
  } finally {
    fs.closeSync(fd)
  }
  lines.end(path.basename(file))
}

interface Counts {
  readonly dropped: number
  readonly written: number
}

interface Result {
  readonly records: number
  readonly producedMs: number
  readonly totalMs: number
  readonly maxRssBytes: number
  readonly rot: Counts
  readonly drop: Counts
  readonly stdout: Counts
  readonly thrower: { readonly handled: number; readonly thrown: number; readonly errors: number }
}

describe("Soak", () => {
  it(`${records.toLocaleString("en")} records${full ? " (FEMTOLOGGING_SOAK=full)" : " (CI size; FEMTOLOGGING_SOAK=full runs 20,000,000)"}: 4 producers, rotating gzip block file + drop file + stdout piped to a slow reader + a user handler throwing on ~1%; the process survives, peak RSS < ${maxRssBytes / 1024 / 1024} MiB, written + dropped = offered for every handler, no torn or duplicated line, valid gz backups`, async () => {
    if (!fs.existsSync(path.join(packageDir, "dist", "index.js"))) {
      throw new Error("femtologging is not built: run `npx tsc -b` before these tests")
    }
    const dir = tempDir()
    const fifo = path.join(dir, "stdout.fifo")
    execFileSync("mkfifo", [fifo])
    const read = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
    const write = fs.openSync(fifo, fs.constants.O_WRONLY)
    const resultFile = path.join(dir, "result.json")
    const logs = path.join(dir, "logs")
    fs.mkdirSync(logs)
    const child = spawn(
      process.execPath,
      [path.join(fixturesDir, "soak", "soak.mjs"), logs, String(records), String(rotateBytes), resultFile],
      { cwd: repoRoot, stdio: ["ignore", write, "pipe"] }
    )
    fs.closeSync(write)
    // The slow reader: 64 KiB every 20 ms (about 3 MB/s), checked as it arrives.
    const stdout = new Lines("stdout", false)
    const chunk = Buffer.alloc(64 * 1024)
    const readSome = (max: number): void => {
      for (let total = 0; total < max;) {
        let n: number
        try {
          n = fs.readSync(read, chunk, 0, Math.min(chunk.length, max - total), null)
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === "EAGAIN") return
          throw error
        }
        if (n === 0) return
        stdout.feed(chunk.subarray(0, n))
        total += n
      }
    }
    const reader = setInterval(() => readSome(chunk.length), 20)
    let stderr = ""
    child.stderr!.on("data", (data: Buffer) => {
      if (stderr.length < 100_000) stderr += data.toString()
    })
    const started = performance.now()
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), full ? 1_800_000 : 240_000)
      child.on("error", reject)
      child.on("close", (c, s) => {
        clearTimeout(timer)
        resolve([c, s])
      })
    })
    const childMs = performance.now() - started
    clearInterval(reader)
    readSome(Number.POSITIVE_INFINITY)
    fs.closeSync(read)
    stdout.end("stdout")

    // The process survived, within its memory bound.
    assert.strictEqual(code, 0, `signal ${signal}; stderr: ${stderr.slice(0, 3_000)}`)
    const result = JSON.parse(fs.readFileSync(resultFile, "utf8")) as Result
    console.log(
      `soak: ${records} records, logged in ${(result.producedMs / 1000).toFixed(1)} s, closed at ${
        (result.totalMs / 1000).toFixed(1)
      } s, child ran ${(childMs / 1000).toFixed(1)} s, peak RSS ${(result.maxRssBytes / 1024 / 1024).toFixed(0)} MiB; dropped: drop ${result.drop.dropped}, stdout ${result.stdout.dropped}; user handler errors ${result.thrower.errors}`
    )
    assert.strictEqual(result.records, records)
    assert.isBelow(result.maxRssBytes, maxRssBytes, `peak RSS ${(result.maxRssBytes / 1024 / 1024).toFixed(0)} MiB`)

    // The rotating block handler: every record, each producer's in order, across plain and gz backups.
    const rot = new Lines("rot", true)
    const names = fs.readdirSync(logs)
    const unexpected = names.filter((name) => !/^(rot\.log(\.\d+(\.gz)?)?|drop\.log)$/.test(name))
    assert.deepStrictEqual(unexpected, [], "temporary files or locks left behind")
    const backups = names
      .map((name) => /^rot\.log\.(\d+)(\.gz)?$/.exec(name))
      .filter((match) => match !== null)
      .sort((a, b) => Number(b![1]) - Number(a![1]))
    assert.isAbove(backups.length, full ? 100 : 200, "rotation did not happen often")
    let gz = 0
    for (const match of backups) {
      const file = path.join(logs, match![0])
      if (match![2] === undefined) feedFile(file, rot)
      else {
        gz++
        rot.feed(zlib.gunzipSync(fs.readFileSync(file))) // throws on a broken gzip file
        rot.end(match![0])
      }
    }
    feedFile(path.join(logs, "rot.log"), rot)
    assert.isAbove(gz, backups.length / 2, "most backups were not compressed")
    assert.deepStrictEqual(rot.problems, [])
    assert.strictEqual(result.rot.dropped, 0)
    assert.strictEqual(rot.count + result.rot.dropped, records)
    assert.strictEqual(rot.count, result.rot.written)

    // The drop file handler and stdout: what they wrote is in order, and written + dropped = offered.
    const drop = new Lines("drop", false)
    feedFile(path.join(logs, "drop.log"), drop)
    assert.deepStrictEqual(drop.problems, [])
    assert.strictEqual(drop.count + result.drop.dropped, records)
    assert.strictEqual(drop.count, result.drop.written)
    assert.deepStrictEqual(stdout.problems, [])
    assert.isAbove(result.stdout.dropped, 0, "the slow reader never held stdout back")
    assert.strictEqual(stdout.count + result.stdout.dropped, records)
    assert.strictEqual(stdout.count, result.stdout.written)

    // The user handler: every record handled or counted as an error (about 1%).
    assert.strictEqual(result.thrower.handled + result.thrower.errors, records)
    assert.strictEqual(result.thrower.thrown, result.thrower.errors)
    assert.isAbove(result.thrower.thrown, records / 200)
    // Its failures are reported rate-limited (every 5 s), not once per throw. Loosely: a late timer
    // can add a report (see "Reliability 7: reports at most once per interval").
    const reports = stderr.split("\n").filter((l) => l.includes("threw while handling")).length
    assert.isAtMost(reports, 2 * Math.ceil(childMs / 5_000) + 2, `${reports} reports in ${Math.round(childMs)} ms`)
    fs.rmSync(logs, { recursive: true, force: true }) // 140 MB (1.4 GB for the full run): freed at once
  }, full ? 2_000_000 : 300_000)
})
