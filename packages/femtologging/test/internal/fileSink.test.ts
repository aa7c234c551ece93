/**
 * The file sink and the stream sink, on real files, pipes, worker threads and child processes.
 * The full-disk tests mount a 64 KiB tmpfs; they are skipped (and say so in their names) when
 * mounting is not permitted (not root).
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { execFileSync, spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { Worker } from "node:worker_threads"
import * as zlib from "node:zlib"
import { makeFileSink } from "../../src/internal/fileSink.ts"
import { makeStreamSink } from "../../src/internal/streamSink.ts"

const fileSinkUrl = new URL("../../src/internal/fileSink.ts", import.meta.url).href
const streamSinkUrl = new URL("../../src/internal/streamSink.ts", import.meta.url).href

const created: Array<string> = []
const mounted: Array<string> = []

afterAll(() => {
  for (const dir of mounted.splice(0)) {
    try {
      execFileSync("umount", ["-l", dir], { stdio: "ignore" })
    } catch {
      // already gone
    }
  }
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

const tempDir = (): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "femto-sink-"))
  created.push(dir)
  return dir
}

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

/** Whether this run may mount a tmpfs (root on Linux); probed once. */
const canMount = ((): boolean => {
  if (process.platform !== "linux") return false
  const dir = mountTmpfs(64 * 1024)
  if (dir === undefined) return false
  execFileSync("umount", ["-l", dir], { stdio: "ignore" })
  mounted.splice(mounted.indexOf(dir), 1)
  return true
})()
const needsTmpfs = canMount ? "" : " (SKIPPED: mounting a tmpfs is not permitted here)"

const encoder = new TextEncoder()

/** One batch as the handler builds it: the records (each given a final newline) and their ends. */
const batchOf = (records: ReadonlyArray<string>): [Uint8Array, Uint32Array] => {
  const parts = records.map((record) => encoder.encode(`${record}\n`))
  const ends = new Uint32Array(parts.length)
  let total = 0
  parts.forEach((part, i) => {
    total += part.length
    ends[i] = total
  })
  // A larger, reused buffer: the sink must stop at the last end, not at the buffer's length.
  const bytes = new Uint8Array(total + 7).fill(0x21)
  let offset = 0
  for (const part of parts) {
    bytes.set(part, offset)
    offset += part.length
  }
  return [bytes, ends]
}

const read = (file: string): string => fs.readFileSync(file, "utf8")

/** The records in a text: a record is a line starting with `R` and the indented lines after it. */
const recordsIn = (text: string): Array<string> => {
  const records: Array<string> = []
  for (const line of text.split("\n").slice(0, -1)) {
    if (line.startsWith("  ")) records[records.length - 1] += `\n${line}`
    else records.push(line)
  }
  return records
}

/** Backups `<file>.N` oldest first, then the live file: the whole log in order. */
const sizeFiles = (file: string): Array<string> => {
  const dir = path.dirname(file)
  const base = path.basename(file)
  const indexes = fs.readdirSync(dir)
    .map((name) => new RegExp(`^${base.replace(".", "\\.")}\\.(\\d+)$`).exec(name))
    .filter((match) => match !== null)
    .map((match) => Number(match![1]))
    .sort((a, b) => b - a)
  return [...indexes.map((i) => `${file}.${i}`), file]
}

/** A multi-line record of about `size` bytes: `R<n>` then stack-like lines. */
const record = (n: number, lines: number, width = 12): string =>
  [`R${n} ${"m".repeat(width)}`, ...Array.from({ length: lines - 1 }, (_, i) => `  at frame${i} ${"s".repeat(width)}`)]
    .join("\n")

/** A deterministic pseudo-random sequence. */
const random = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff
  return seed / 0x7fffffff
}

/** `length` characters of varied text that gzip cannot squeeze much. */
const noise = (length: number, seed = 5): string => {
  const next = random(seed)
  return Array.from({ length }, () => String.fromCharCode(33 + Math.floor(next() * 94))).join("")
}

const errorOf = (run: () => unknown): Error & { recordsWritten?: number } => {
  try {
    run()
  } catch (error) {
    return error as Error & { recordsWritten?: number }
  }
  throw new Error("expected a throw")
}

const withUnhandled = async (run: () => Promise<void>): Promise<Array<unknown>> => {
  const unhandled: Array<unknown> = []
  const listener = (reason: unknown) => unhandled.push(reason)
  process.on("unhandledRejection", listener)
  try {
    await run()
    await new Promise((resolve) => setTimeout(resolve, 20))
  } finally {
    process.off("unhandledRejection", listener)
  }
  return unhandled
}

describe("file sink: writing", () => {
  it("appends to an existing file; mode w truncates it", () => {
    const file = path.join(tempDir(), "app.log")
    fs.writeFileSync(file, "Rold\n")
    const sink = makeFileSink({ path: file })
    sink.write(...batchOf(["R1 one"]))
    sink.write(...batchOf(["R2 two", record(3, 3)]))
    assert.strictEqual(sink.size, Buffer.byteLength(read(file)))
    assert.isTrue(sink.flush())
    sink.close()
    sink.close()
    assert.strictEqual(read(file), `Rold\nR1 one\nR2 two\n${record(3, 3)}\n`)
    const fresh = makeFileSink({ path: file, mode: "w" })
    fresh.write(...batchOf(["R4 four"]))
    fresh.close()
    assert.strictEqual(read(file), "R4 four\n")
  })

  it("creates missing parent folders", () => {
    const file = path.join(tempDir(), "a", "b", "c", "app.log")
    const sink = makeFileSink({ path: file })
    sink.write(...batchOf(["R1"]))
    sink.close()
    assert.strictEqual(read(file), "R1\n")
  })

  it("a path under /proc fails at once with a clear message (no endless mkdir loop)", () => {
    const started = performance.now()
    const error = errorOf(() => makeFileSink({ path: "/proc/x/y.log" }))
    assert.isBelow(performance.now() - started, 1_000)
    assert.strictEqual(
      error.message,
      "cannot create directory /proc/x: ENOENT: no such file or directory, mkdir '/proc/x'"
    )
  })

  it("a file used as a directory fails at once, naming it", () => {
    const dir = tempDir()
    const plain = path.join(dir, "plain.txt")
    fs.writeFileSync(plain, "")
    for (const file of [path.join(plain, "y.log"), path.join(plain, "sub", "deeper", "y.log")]) {
      const started = performance.now()
      const error = errorOf(() => makeFileSink({ path: file }))
      assert.isBelow(performance.now() - started, 1_000)
      assert.strictEqual(error.message, `${plain} is not a directory`)
    }
    assert.isFalse(fs.existsSync(path.join(plain, "sub")))
  })

  it("reopen() follows an external logrotate", () => {
    const file = path.join(tempDir(), "app.log")
    const sink = makeFileSink({ path: file })
    sink.write(...batchOf(["R1"]))
    fs.renameSync(file, `${file}.old`)
    sink.write(...batchOf(["R2"]))
    sink.reopen()
    sink.write(...batchOf(["R3"]))
    sink.close()
    assert.strictEqual(read(`${file}.old`), "R1\nR2\n")
    assert.strictEqual(read(file), "R3\n")
  })

  it("watch mode reopens the path after the file is deleted or renamed", () => {
    const dir = tempDir()
    const file = path.join(dir, "app.log")
    const sink = makeFileSink({ path: file, watch: true })
    sink.write(...batchOf(["R1"]))
    fs.unlinkSync(file)
    sink.write(...batchOf(["R2"]))
    assert.strictEqual(read(file), "R2\n")
    fs.renameSync(file, `${file}.moved`)
    sink.write(...batchOf(["R3"]))
    sink.close()
    assert.strictEqual(read(`${file}.moved`), "R2\n")
    assert.strictEqual(read(file), "R3\n")
    // without watch, the record goes to the deleted file
    const other = path.join(dir, "plain.log")
    const unwatched = makeFileSink({ path: other })
    unwatched.write(...batchOf(["R1"]))
    fs.unlinkSync(other)
    unwatched.write(...batchOf(["R2"]))
    unwatched.close()
    assert.isFalse(fs.existsSync(other))
  })
})

describe("file sink: size rotation", () => {
  it("cuts only at record ends: multi-line records are never split across files", () => {
    const file = path.join(tempDir(), "app.log")
    const maxBytes = 200
    const sink = makeFileSink({ path: file, rotation: { kind: "size", maxBytes, backupCount: 1000 } })
    const next = random(7)
    const all: Array<string> = []
    for (let n = 0; n < 400;) {
      const records: Array<string> = []
      for (let k = 1 + Math.floor(next() * 6); k > 0; k--) {
        records.push(record(n++, 1 + Math.floor(next() * 4), 2 + Math.floor(next() * 10)))
      }
      all.push(...records)
      sink.write(...batchOf(records))
    }
    sink.close()
    const files = sizeFiles(file)
    assert.isAbove(files.length, 50)
    const texts = files.map(read)
    assert.deepStrictEqual(recordsIn(texts.join("")), all)
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i]!
      assert.isAtMost(Buffer.byteLength(text), maxBytes, files[i])
      assert.match(text, /^R\d+ /, `${files[i]} starts with a record`)
      assert.isTrue(text.endsWith("\n"))
      if (i < texts.length - 1) {
        // rotated because the next record did not fit, and not earlier
        const following = recordsIn(texts[i + 1]!)[0]!
        assert.isAbove(Buffer.byteLength(text) + Buffer.byteLength(following) + 1, maxBytes, files[i])
      }
    }
  })

  it("an exact fit stays; a record larger than maxBytes rotates even an empty file", () => {
    const file = path.join(tempDir(), "app.log")
    const sink = makeFileSink({ path: file, rotation: { kind: "size", maxBytes: 30, backupCount: 5 } })
    sink.write(...batchOf(["R1 " + "x".repeat(26)])) // 30 bytes with the newline
    assert.isFalse(fs.existsSync(`${file}.1`))
    sink.write(...batchOf(["R2"]))
    assert.strictEqual(read(`${file}.1`), `R1 ${"x".repeat(26)}\n`)
    sink.write(...batchOf(["R3 " + "y".repeat(40)]))
    assert.strictEqual(read(`${file}.1`), "R2\n")
    assert.strictEqual(read(file), `R3 ${"y".repeat(40)}\n`)
    sink.close()
  })

  it("shifts backups and prunes beyond backupCount", () => {
    const file = path.join(tempDir(), "app.log")
    fs.writeFileSync(`${file}.7`, "stale\n")
    const sink = makeFileSink({ path: file, rotation: { kind: "size", maxBytes: 10, backupCount: 2 } })
    for (let n = 0; n < 5; n++) sink.write(...batchOf([`R${n} abcd`]))
    sink.close()
    const names = fs.readdirSync(path.dirname(file)).sort()
    assert.deepStrictEqual(names, ["app.log", "app.log.1", "app.log.2"])
    assert.strictEqual(read(file), "R4 abcd\n")
    assert.strictEqual(read(`${file}.1`), "R3 abcd\n")
    assert.strictEqual(read(`${file}.2`), "R2 abcd\n")
  })

  it("a failed rotation is reported, writing goes on, and it is retried only after another maxBytes", () => {
    const file = path.join(tempDir(), "app.log")
    fs.mkdirSync(`${file}.1`) // a folder where the backup must go: unlink fails
    const reports: Array<string> = []
    const sink = makeFileSink({ path: file, rotation: { kind: "size", maxBytes: 100, backupCount: 1 } }, {
      report: (message) => reports.push(message)
    })
    for (let n = 0; n < 60; n++) sink.write(...batchOf([`R${String(n).padStart(6, "0")}`])) // 8 bytes each
    sink.close()
    assert.strictEqual(recordsIn(read(file)).length, 60)
    // 480 bytes: attempts at ~100, ~200, ~300, ~400 bytes, not at every record
    assert.isAtLeast(reports.length, 1)
    assert.isAtMost(reports.length, 5)
    assert.match(reports[0]!, /^rotation of .*app\.log failed \(.*\); appending to the live file$/)
    assert.isFalse(fs.existsSync(`${file}.lock`))
  })

  it("two sinks on one path (two processes) rotate each file once: no record lost, no backup overwritten", () => {
    const file = path.join(tempDir(), "app.log")
    const maxBytes = 120
    const options = { path: file, rotation: { kind: "size", maxBytes, backupCount: 1000 } } as const
    const a = makeFileSink(options)
    const b = makeFileSink(options)
    const all: Array<string> = []
    const next = random(3)
    for (let n = 0; n < 300; n++) {
      const line = `R${n} ${"z".repeat(Math.floor(next() * 20))}`
      all.push(line)
      ;(next() < 0.5 ? a : b).write(...batchOf([line]))
    }
    a.close()
    b.close()
    const files = sizeFiles(file)
    const texts = files.map(read)
    assert.sameMembers(recordsIn(texts.join("")), all)
    assert.strictEqual(recordsIn(texts.join("")).length, all.length)
    for (let i = 0; i < texts.length - 1; i++) {
      const size = Buffer.byteLength(texts[i]!)
      assert.isAtMost(size, maxBytes, files[i])
      // rotated because it was full, never a second time by the other sink
      assert.isAbove(size + 24, maxBytes, `${files[i]} holds ${size} bytes`)
    }
    assert.isFalse(fs.existsSync(`${file}.lock`))
  })

  it("a lock held by another process defers the rotation; a stale lock is broken", () => {
    const file = path.join(tempDir(), "app.log")
    const reports: Array<string> = []
    const sink = makeFileSink({ path: file, rotation: { kind: "size", maxBytes: 20, backupCount: 5 } }, {
      report: (message) => reports.push(message)
    })
    fs.writeFileSync(`${file}.lock`, "")
    for (let n = 0; n < 4; n++) sink.write(...batchOf([`R${n} abcdefghi`])) // 14 bytes each
    assert.isFalse(fs.existsSync(`${file}.1`))
    assert.strictEqual(recordsIn(read(file)).length, 4)
    fs.unlinkSync(`${file}.lock`)
    sink.write(...batchOf(["R4 abcdefghi"]))
    assert.strictEqual(recordsIn(read(`${file}.1`)).length, 4)
    fs.writeFileSync(`${file}.lock`, "")
    const old = new Date(Date.now() - 60_000)
    fs.utimesSync(`${file}.lock`, old, old)
    sink.write(...batchOf(["R5 abcdefghi"]))
    sink.close()
    assert.strictEqual(read(`${file}.1`), "R4 abcdefghi\n")
    assert.strictEqual(read(file), "R5 abcdefghi\n")
    assert.isFalse(fs.existsSync(`${file}.lock`))
    assert.deepStrictEqual(reports, [])
  })

  it("a rotation waits while another process rotates (holds the lock), then writes to the new live file, not past maxBytes into the backup", async () => {
    const file = path.join(tempDir(), "app.log")
    const sink = makeFileSink({ path: file, rotation: { kind: "size", maxBytes: 100, backupCount: 5 } })
    for (let n = 0; n < 7; n++) sink.write(...batchOf([`A${n} abcdefghi`])) // 14 bytes each: 98
    // Another process: takes the lock, rotates the file 60 ms later (as its sink would), unlocks.
    const script = `
      const fs = require("node:fs")
      const [file] = process.argv.slice(1)
      fs.closeSync(fs.openSync(file + ".lock", "wx"))
      process.stdout.write("locked\\n")
      setTimeout(() => {
        fs.renameSync(file, file + ".1")
        fs.closeSync(fs.openSync(file, "a"))
        fs.unlinkSync(file + ".lock")
      }, 60)`
    const child = spawn(process.execPath, ["-e", script, file], { stdio: ["ignore", "pipe", "inherit"] })
    const exited = new Promise((resolve) => child.on("exit", resolve))
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()))
    // While the other process holds the lock. Before: the lock was found taken and the batch
    // written at once to the file being rotated, which became a 3-record-too-long backup.
    sink.write(...batchOf(["B0 abcdefghi", "B1 abcdefghi", "B2 abcdefghi"]))
    await exited
    sink.close()
    assert.deepStrictEqual(recordsIn(read(`${file}.1`)), Array.from({ length: 7 }, (_, n) => `A${n} abcdefghi`))
    assert.deepStrictEqual(recordsIn(read(file)), ["B0 abcdefghi", "B1 abcdefghi", "B2 abcdefghi"])
    assert.isFalse(fs.existsSync(`${file}.lock`))
  })

  it("several processes append to one rotating file: every record once, whole lines", async () => {
    const dir = tempDir()
    const file = path.join(dir, "app.log")
    const script = path.join(dir, "writer.mjs")
    fs.writeFileSync(
      script,
      `import { makeFileSink } from ${JSON.stringify(fileSinkUrl)}
const [file, id, count] = process.argv.slice(2)
const sink = makeFileSink({ path: file, rotation: { kind: "size", maxBytes: 2048, backupCount: 100000 } })
const encoder = new TextEncoder()
for (let n = 0; n < Number(count);) {
  const lines = []
  for (let k = 1 + (n % 5); k > 0 && n < Number(count); k--) lines.push(\`R\${id}-\${n++} \${"p".repeat(n % 17)}\\n\`)
  const parts = lines.map((line) => encoder.encode(line))
  const ends = new Uint32Array(parts.length)
  let total = 0
  parts.forEach((part, i) => { total += part.length; ends[i] = total })
  const bytes = new Uint8Array(total)
  let offset = 0
  for (const part of parts) { bytes.set(part, offset); offset += part.length }
  sink.write(bytes, ends)
}
sink.close()
`
    )
    const processes = 4
    const count = 2_000
    const started = performance.now()
    const codes = await Promise.all(
      Array.from({ length: processes }, (_, id) =>
        new Promise<number | null>((resolve, reject) => {
          const child = spawn(process.execPath, [script, file, String(id), String(count)], { stdio: "inherit" })
          child.on("error", reject)
          child.on("exit", (code) => resolve(code))
        }))
    )
    assert.deepStrictEqual(codes, [0, 0, 0, 0])
    const lines = recordsIn(sizeFiles(file).map(read).join(""))
    for (const line of lines) assert.match(line, /^R\d-\d+ p*$/)
    assert.strictEqual(lines.length, processes * count)
    assert.strictEqual(new Set(lines).size, processes * count)
    for (let id = 0; id < processes; id++) {
      // each process's records in its own order
      const own = lines.filter((line) => line.startsWith(`R${id}-`)).map((line) => Number(line.slice(3).split(" ")[0]))
      assert.deepStrictEqual(own, Array.from({ length: count }, (_, n) => n))
    }
    assert.isFalse(fs.existsSync(`${file}.lock`))
    assert.isBelow(performance.now() - started, 15_000)
  })
})

describe("file sink: timed rotation", () => {
  const day = 86_400_000
  const start = Date.UTC(2024, 0, 1, 10, 0, 0)

  it("rotates by the injected clock with CPython's names and keeps backupCount backups", () => {
    const file = path.join(tempDir(), "app.log")
    let now = start
    const sink = makeFileSink(
      { path: file, rotation: { kind: "time", when: "MIDNIGHT", interval: 1, utc: true, backupCount: 2 } },
      { now: () => now }
    )
    assert.strictEqual(sink.rolloverAt, Date.UTC(2024, 0, 2))
    sink.write(...batchOf(["R1 day one"]))
    now = Date.UTC(2024, 0, 1, 23, 59, 59, 999)
    sink.write(...batchOf(["R2 day one"]))
    assert.isFalse(fs.existsSync(`${file}.2024-01-01`))
    now = Date.UTC(2024, 0, 2, 0, 0, 1)
    sink.write(...batchOf(["R3 day two", "R4 day two"]))
    assert.strictEqual(read(`${file}.2024-01-01`), "R1 day one\nR2 day one\n")
    assert.strictEqual(read(file), "R3 day two\nR4 day two\n")
    assert.strictEqual(sink.rolloverAt, Date.UTC(2024, 0, 3))
    for (let d = 2; d <= 4; d++) {
      now = Date.UTC(2024, 0, d + 1, 12)
      sink.write(...batchOf([`R day ${d + 1}`]))
    }
    sink.close()
    const names = fs.readdirSync(path.dirname(file)).sort()
    assert.deepStrictEqual(names, ["app.log", "app.log.2024-01-03", "app.log.2024-01-04"])
    assert.strictEqual(read(`${file}.2024-01-04`), "R day 4\n")
    assert.strictEqual(read(file), "R day 5\n")
  })

  it("hourly names, and a clock jump past several boundaries rotates once", () => {
    const file = path.join(tempDir(), "app.log")
    let now = start + 30 * 60_000
    const sink = makeFileSink(
      { path: file, rotation: { kind: "time", when: "H", interval: 1, utc: true, backupCount: 0 } },
      { now: () => now }
    )
    sink.write(...batchOf(["R1"]))
    now += day
    sink.write(...batchOf(["R2"]))
    sink.write(...batchOf(["R3"]))
    sink.close()
    assert.deepStrictEqual(fs.readdirSync(path.dirname(file)).sort(), ["app.log", "app.log.2024-01-01_10"])
    assert.strictEqual(read(file), "R2\nR3\n")
  })

  it("gzips timed backups too, and prunes the compressed ones", async () => {
    const file = path.join(tempDir(), "app.log")
    let now = start
    const sink = makeFileSink(
      {
        path: file,
        rotation: { kind: "time", when: "MIDNIGHT", interval: 1, utc: true, backupCount: 2 },
        compress: true
      },
      { now: () => now }
    )
    for (let d = 1; d <= 4; d++) {
      now = Date.UTC(2024, 0, d, 12)
      sink.write(...batchOf([`R day ${d}`, record(d, 3)]))
      await sink.compressed()
    }
    await sink.close()
    const names = fs.readdirSync(path.dirname(file)).sort()
    assert.deepStrictEqual(names, ["app.log", "app.log.2024-01-02.gz", "app.log.2024-01-03.gz"])
    const text = zlib.gunzipSync(fs.readFileSync(`${file}.2024-01-03.gz`)).toString("utf8")
    assert.strictEqual(text, `R day 3\n${record(3, 3)}\n`)
  })

  it("never overwrites an existing backup of the same name: reports and keeps appending", () => {
    const file = path.join(tempDir(), "app.log")
    fs.writeFileSync(`${file}.2024-01-01`, "Rother process\n")
    let now = start
    const reports: Array<string> = []
    const sink = makeFileSink(
      { path: file, rotation: { kind: "time", when: "D", interval: 1, utc: true, atTime: "00:00", backupCount: 0 } },
      { now: () => now, report: (message) => reports.push(message) }
    )
    sink.write(...batchOf(["R1"]))
    now += day
    sink.write(...batchOf(["R2"]))
    sink.close()
    assert.strictEqual(read(`${file}.2024-01-01`), "Rother process\n")
    assert.strictEqual(read(file), "R1\nR2\n")
    assert.strictEqual(reports.length, 1)
    assert.include(reports[0]!, "app.log.2024-01-01 already exists")
  })
})

describe("file sink: failed writes (full disk)", () => {
  it.skipIf(!canMount)(`no torn record and an exact recordsWritten on a full tmpfs${needsTmpfs}`, () => {
    const dir = mountTmpfs(64 * 1024)!
    const filler = path.join(dir, "filler")
    fs.writeFileSync(filler, Buffer.alloc(16 * 1024))
    const file = path.join(dir, "app.log")
    const sink = makeFileSink({ path: file })
    const all: Array<string> = []
    let written = 0
    let error: (Error & { recordsWritten?: number }) | undefined
    for (let n = 0; error === undefined && n < 100_000;) {
      const records = Array.from({ length: 37 }, () => record(n++, 3, 11)) // ~100 bytes each
      all.push(...records)
      try {
        sink.write(...batchOf(records))
        written += records.length
      } catch (e) {
        error = e as Error & { recordsWritten?: number }
      }
    }
    assert.isDefined(error)
    assert.include(error!.message, "ENOSPC")
    const kept = error!.recordsWritten!
    assert.isAbove(kept, 0, "the failing batch was partly written")
    assert.isBelow(kept, 37)
    written += kept
    const text = read(file)
    assert.isTrue(text.endsWith("\n"))
    assert.deepStrictEqual(recordsIn(text), all.slice(0, written))
    assert.isFalse(sink.flush())
    assert.isTrue(sink.flush())
    // room again: the next record starts on a clean line
    fs.unlinkSync(filler)
    sink.write(...batchOf(["Rafter"]))
    sink.close()
    assert.deepStrictEqual(recordsIn(read(file)), [...all.slice(0, written), "Rafter"])
  })

  it.skipIf(!canMount)(`a record that ends exactly where the disk filled is whole: kept and counted${needsTmpfs}`, () => {
    const dir = mountTmpfs(64 * 1024)!
    const file = path.join(dir, "app.log")
    const sink = makeFileSink({ path: file })
    const { bsize, bavail } = fs.statfsSync(dir)
    // Records of one block each (newline included): the disk fills at a record's end.
    const records = Array.from({ length: bavail + 4 }, (_, i) => `R${i}`.padEnd(bsize - 1, "."))
    let error: (Error & { recordsWritten?: number }) | undefined
    try {
      sink.write(...batchOf(records))
    } catch (e) {
      error = e as Error & { recordsWritten?: number }
    }
    assert.include(error?.message, "ENOSPC")
    assert.strictEqual(error!.recordsWritten, bavail)
    assert.deepStrictEqual(recordsIn(read(file)), records.slice(0, bavail))
    sink.close()
  })

  it.skipIf(!canMount)(`records written before a rotation in the failing batch count as written${needsTmpfs}`, () => {
    const dir = mountTmpfs(64 * 1024)!
    const file = path.join(dir, "app.log")
    const sink = makeFileSink({ path: file, rotation: { kind: "size", maxBytes: 5_000, backupCount: 100 } })
    const all: Array<string> = []
    let written = 0
    let error: (Error & { recordsWritten?: number }) | undefined
    for (let n = 0; error === undefined && n < 100_000;) {
      // ~110 bytes each: a rotation inside every other batch
      const records = Array.from({ length: 45 }, () => record(n++, 2, 30))
      all.push(...records)
      try {
        sink.write(...batchOf(records))
        written += records.length
      } catch (e) {
        error = e as Error & { recordsWritten?: number }
      }
    }
    assert.isDefined(error)
    written += error!.recordsWritten!
    sink.close()
    const texts = sizeFiles(file).map(read)
    for (const text of texts) assert.isTrue(text === "" || text.endsWith("\n"))
    assert.deepStrictEqual(recordsIn(texts.join("")), all.slice(0, written))
  })
})

describe("file sink: compression", () => {
  it("gzips each backup to whole records, off the write path", async () => {
    const dir = tempDir()
    const file = path.join(dir, "app.log")
    const unhandled = await withUnhandled(async () => {
      const sink = makeFileSink({
        path: file,
        rotation: { kind: "size", maxBytes: 300, backupCount: 50 },
        compress: true
      })
      const all: Array<string> = []
      for (let n = 0; n < 120;) {
        const records = [record(n++, 2), record(n++, 1), record(n++, 3)]
        all.push(...records)
        sink.write(...batchOf(records))
      }
      await sink.close()
      const names = fs.readdirSync(dir)
      assert.deepStrictEqual(names.filter((name) => !/^app\.log(\.\d+\.gz)?$/.test(name)), [])
      const count = names.length - 1
      assert.isAbove(count, 10)
      const texts = Array.from({ length: count }, (_, i) =>
        zlib.gunzipSync(fs.readFileSync(`${file}.${count - i}.gz`)).toString("utf8"))
      for (const text of texts) assert.match(text, /^R\d+ [^]*\n$/)
      assert.deepStrictEqual(recordsIn([...texts, read(file)].join("")), all)
    })
    assert.deepStrictEqual(unhandled, [])
  })

  it("two processes: one whose backup was compressed away reopens the path at its next write (nothing lost)", async () => {
    const dir = tempDir()
    const file = path.join(dir, "app.log")
    const rotation = { kind: "size", maxBytes: 200, backupCount: 9 } as const
    const a = makeFileSink({ path: file, rotation, compress: true })
    const b = makeFileSink({ path: file, rotation, compress: true })
    b.write(...batchOf(["R0 from b"]))
    a.write(...batchOf([record(1, 1, 150)]))
    a.write(...batchOf([record(2, 1, 150)])) // rotates: b's descriptor now names app.log.1
    await a.compressed() // app.log.1 is gzipped and removed while b still has it open
    assert.isFalse(fs.existsSync(`${file}.1`))
    b.write(...batchOf(["R3 from b"])) // fits in b's old file: must go to the live one instead
    await a.close()
    await b.close()
    const backup = zlib.gunzipSync(fs.readFileSync(`${file}.1.gz`)).toString("utf8")
    assert.deepStrictEqual(recordsIn(backup + read(file)), ["R0 from b", record(1, 1, 150), record(2, 1, 150), "R3 from b"])
  })

  it("a write already under way when the backup is removed is appended to the .gz as a further gzip member", async () => {
    const dir = tempDir()
    const file = path.join(dir, "app.log")
    const sink = makeFileSink({ path: file, rotation: { kind: "size", maxBytes: 200, backupCount: 9 }, compress: true })
    sink.write(...batchOf([record(1, 1, 150)]))
    const late = fs.openSync(file, "a") // another process, in the middle of its write to this file
    sink.write(...batchOf([record(2, 1, 150)])) // rotates
    const deadline = Date.now() + 10_000
    while (fs.existsSync(`${file}.1`) || !fs.existsSync(`${file}.1.gz`)) {
      assert.isBelow(Date.now(), deadline, "the backup was never compressed")
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    fs.writeSync(late, "R9 late\n") // lands in the removed backup
    fs.closeSync(late)
    await sink.close()
    const backup = zlib.gunzipSync(fs.readFileSync(`${file}.1.gz`)).toString("utf8")
    assert.deepStrictEqual(recordsIn(backup), [record(1, 1, 150), "R9 late"])
    assert.deepStrictEqual(recordsIn(read(file)), [record(2, 1, 150)])
  })

  it("timed rotation across processes: one whose file was rotated, compressed and removed by another reopens the path", async () => {
    const dir = tempDir()
    const file = path.join(dir, "app.log")
    const rotation = { kind: "time", when: "MIDNIGHT", interval: 1, utc: true, backupCount: 5 } as const
    let nowA = Date.UTC(2024, 0, 1, 12)
    let nowB = nowA
    const a = makeFileSink({ path: file, rotation, compress: true }, { now: () => nowA })
    const b = makeFileSink({ path: file, rotation, compress: true }, { now: () => nowB })
    a.write(...batchOf(["R1 a day 1"]))
    b.write(...batchOf(["R2 b day 1"]))
    nowA = Date.UTC(2024, 0, 2, 0, 0, 1) // a's clock passes midnight first: it rotates and compresses
    a.write(...batchOf(["R3 a day 2"]))
    await a.compressed()
    assert.isFalse(fs.existsSync(`${file}.2024-01-01`))
    b.write(...batchOf(["R4 b, its clock still on day 1"])) // must not go to the removed backup
    await a.close()
    await b.close()
    const backup = zlib.gunzipSync(fs.readFileSync(`${file}.2024-01-01.gz`)).toString("utf8")
    assert.deepStrictEqual(recordsIn(backup), ["R1 a day 1", "R2 b day 1"])
    assert.deepStrictEqual(recordsIn(read(file)), ["R3 a day 2", "R4 b, its clock still on day 1"])
  })

  it("timed rotation with watch across processes: the second past midnight does not rotate the file the first one made again", async () => {
    const dir = tempDir()
    const file = path.join(dir, "app.log")
    const rotation = { kind: "time", when: "MIDNIGHT", interval: 1, utc: true, backupCount: 5 } as const
    let nowA = Date.UTC(2024, 0, 1, 12)
    let nowB = nowA
    const reports: Array<string> = []
    const report = (message: string) => reports.push(message)
    const a = makeFileSink({ path: file, rotation, compress: true, watch: true }, { now: () => nowA, report })
    const b = makeFileSink({ path: file, rotation, compress: true, watch: true }, { now: () => nowB, report })
    a.write(...batchOf(["R1 a day 1"]))
    b.write(...batchOf(["R2 b day 1"]))
    nowA = Date.UTC(2024, 0, 2, 0, 0, 1) // a rotates first, and its compression ends
    a.write(...batchOf(["R3 a day 2"]))
    await a.compressed()
    nowB = Date.UTC(2024, 0, 2, 0, 5) // then b logs, past the same midnight
    // Before: b followed the path to a's new file, then rotated that one (day 2's records) to
    // app.log.2024-01-01, whose compression then failed (the .gz was there).
    b.write(...batchOf(["R4 b day 2"]))
    await b.compressed()
    await a.close()
    await b.close()
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), ["app.log", "app.log.2024-01-01.gz"])
    const backup = zlib.gunzipSync(fs.readFileSync(`${file}.2024-01-01.gz`)).toString("utf8")
    assert.deepStrictEqual(recordsIn(backup), ["R1 a day 1", "R2 b day 1"])
    assert.deepStrictEqual(recordsIn(read(file)), ["R3 a day 2", "R4 b day 2"])
    assert.deepStrictEqual(reports, [])
  })

  it("the tail of a removed backup is appended even while another process holds the rotation lock", async () => {
    const dir = tempDir()
    const file = path.join(dir, "app.log")
    const sink = makeFileSink({ path: file, rotation: { kind: "size", maxBytes: 200, backupCount: 9 }, compress: true })
    sink.write(...batchOf([record(1, 1, 150)]))
    const late = fs.openSync(file, "a")
    sink.write(...batchOf([record(2, 1, 150)]))
    while (fs.existsSync(`${file}.1`) || !fs.existsSync(`${file}.1.gz`)) await new Promise((resolve) => setTimeout(resolve, 2))
    fs.writeFileSync(`${file}.lock`, "") // a process stopped while holding the lock
    fs.writeSync(late, "R9 late\n")
    fs.closeSync(late)
    await sink.compressed()
    fs.rmSync(`${file}.lock`)
    await sink.close()
    assert.deepStrictEqual(recordsIn(zlib.gunzipSync(fs.readFileSync(`${file}.1.gz`)).toString("utf8")), [record(1, 1, 150), "R9 late"])
  })

  it("close() abandons compressions still running after its wait: no temporary file is left once it resolves, backups stay whole and uncompressed", async () => {
    // A thread ended after its sink's close (the worker executor's close timeout) cannot clean up:
    // what close() leaves running must already be gone when it resolves.
    const dir = tempDir()
    const file = path.join(dir, "app.log")
    const reports: Array<string> = []
    const unhandled = await withUnhandled(async () => {
      const sink = makeFileSink(
        { path: file, rotation: { kind: "size", maxBytes: 300, backupCount: 50 }, compress: true },
        { report: (message) => reports.push(message), compressionWaitMs: 100 }
      )
      const all: Array<string> = []
      for (let n = 0; n < 60;) {
        const records = [record(n++, 2), record(n++, 1), record(n++, 3)]
        all.push(...records)
        sink.write(...batchOf(records))
      }
      // Another process holds the rotation lock: no compression can put its copy in place.
      fs.writeFileSync(`${file}.lock`, "")
      const started = Date.now()
      await sink.close()
      assert.isBelow(Date.now() - started, 1_500)
      fs.rmSync(`${file}.lock`)
      const names = fs.readdirSync(dir)
      assert.deepStrictEqual(names.filter((name) => !/^app\.log(\.\d+)?$/.test(name)), [])
      const count = names.length - 1
      assert.isAbove(count, 5)
      const texts = Array.from({ length: count }, (_, i) => read(`${file}.${count - i}`))
      assert.deepStrictEqual(recordsIn([...texts, read(file)].join("")), all)
    })
    assert.deepStrictEqual(unhandled, [])
    assert.isTrue(reports.some((message) => /closed before \d+ compressions ended/.test(message)), reports.join("\n"))
  })

  it("temporary files left by a process that died mid-compression are removed when the file is next opened", async () => {
    const dir = tempDir()
    const file = path.join(dir, "app.log")
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid!
    fs.writeFileSync(path.join(dir, `.app.log.1.${dead}.1.gz.tmp`), "half")
    fs.writeFileSync(path.join(dir, `.app.log.2.${process.pid}.1.gz.tmp`), "ours: in progress")
    const sink = makeFileSink({ path: file, rotation: { kind: "size", maxBytes: 200, backupCount: 9 }, compress: true })
    await sink.close()
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), [`.app.log.2.${process.pid}.1.gz.tmp`, "app.log"])
  })

  it("never throws nor rejects when the backup vanishes before or during compression", async () => {
    const dir = tempDir()
    const file = path.join(dir, "app.log")
    const reports: Array<string> = []
    const unhandled = await withUnhandled(async () => {
      const mib = 1024 * 1024
      const sink = makeFileSink(
        { path: file, rotation: { kind: "size", maxBytes: 2 * mib, backupCount: 3 }, compress: true },
        { report: (message) => reports.push(message) }
      )
      // gone before the compression starts
      sink.write(...batchOf([`R1 ${"a".repeat(mib)}`]))
      sink.write(...batchOf([`R2 ${noise(1.9 * mib)}`])) // rotates R1 away
      fs.unlinkSync(`${file}.1`)
      await sink.compressed()
      // gone while it is compressed (about 2 MB of text takes a while)
      sink.write(...batchOf([`R3 ${"c".repeat(mib)}`])) // rotates R2 away
      await new Promise((resolve) => setTimeout(resolve, 1))
      fs.rmSync(`${file}.1`, { force: true })
      await sink.close()
    })
    assert.deepStrictEqual(unhandled, [])
    assert.deepStrictEqual(fs.readdirSync(dir).filter((name) => name.endsWith(".tmp")), [])
    for (const name of fs.readdirSync(dir).filter((name) => name.endsWith(".gz"))) {
      zlib.gunzipSync(fs.readFileSync(path.join(dir, name)))
    }
    assert.strictEqual(read(file), `R3 ${"c".repeat(1024 * 1024)}\n`)
    assert.deepStrictEqual(reports, [])
  })

  const fullDisk = `a failed compression (disk full) keeps the backup, removes its temporary file, reports${needsTmpfs}`
  it.skipIf(!canMount)(fullDisk, async () => {
    const dir = mountTmpfs(64 * 1024)!
    const file = path.join(dir, "app.log")
    const reports: Array<string> = []
    const unhandled = await withUnhandled(async () => {
      const sink = makeFileSink(
        { path: file, rotation: { kind: "size", maxBytes: 24 * 1024, backupCount: 3 }, compress: true },
        { report: (message) => reports.push(message) }
      )
      // hardly compressible records, so that the gzip copy needs most of the backup's room
      const records = Array.from({ length: 240 }, (_, n) => `R${n} ${noise(80, n)}`) // ~20 KiB
      sink.write(...batchOf(records))
      fs.writeFileSync(path.join(dir, "filler"), Buffer.alloc(24 * 1024))
      sink.write(...batchOf([`Rbig ${"b".repeat(5_000)}`])) // rotates; the gzip copy cannot fit in what is left
      await sink.close()
      assert.deepStrictEqual(recordsIn(read(`${file}.1`)), records)
      assert.strictEqual(read(file), `Rbig ${"b".repeat(5_000)}\n`)
    })
    assert.deepStrictEqual(unhandled, [])
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), ["app.log", "app.log.1", "filler"])
    assert.strictEqual(reports.length, 1)
    assert.match(reports[0]!, /^could not compress .*app\.log\.1, left uncompressed: .*ENOSPC/)
  })
})

describe("file sink: compression without descriptors", () => {
  it("out of file descriptors: the compression is reported, the backup kept, nothing crashes", async () => {
    const dir = tempDir()
    const script = path.join(dir, "emfile.mjs")
    fs.writeFileSync(
      script,
      `import * as fs from "node:fs"
import { makeFileSink } from ${JSON.stringify(fileSinkUrl)}
const [dir] = process.argv.slice(2)
const reports = []
const sink = makeFileSink(
  { path: dir + "/app.log", rotation: { kind: "size", maxBytes: 100, backupCount: 3 }, compress: true },
  { report: (message) => reports.push(message) }
)
const write = (text) => {
  const bytes = new TextEncoder().encode(text + "\\n")
  sink.write(bytes, new Uint32Array([bytes.length]))
}
write("R1 " + "x".repeat(80))
const held = [] // every descriptor but one: enough to rotate, not to compress
for (;;) {
  try {
    held.push(fs.openSync("/dev/null", "r"))
  } catch {
    break
  }
}
fs.closeSync(held.pop())
write("R2 " + "y".repeat(80))
await sink.compressed()
for (const fd of held) fs.closeSync(fd)
await sink.close()
process.stdout.write(JSON.stringify({ reports, held: held.length }))
`
    )
    const logs = path.join(dir, "logs")
    fs.mkdirSync(logs)
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn("sh", ["-c", `ulimit -n 64 && exec "$0" "$1" "$2"`, process.execPath, script, logs])
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
      child.on("error", reject)
      child.on("exit", (code) => resolve({ code, stdout, stderr }))
    })
    assert.strictEqual(result.code, 0, result.stderr)
    const { held, reports } = JSON.parse(result.stdout) as { held: number; reports: Array<string> }
    assert.isAbove(held, 10)
    assert.strictEqual(reports.length, 1)
    assert.match(reports[0]!, /^could not compress .*app\.log\.1, left uncompressed: EMFILE/)
    assert.deepStrictEqual(fs.readdirSync(logs).sort(), ["app.log", "app.log.1"])
    assert.strictEqual(read(path.join(logs, "app.log.1")), `R1 ${"x".repeat(80)}\n`)
  })
})

describe("file sink on a worker thread", () => {
  it("loads from src/ by type stripping and writes through its default export", async () => {
    const dir = tempDir()
    const file = path.join(dir, "app.log")
    const script = path.join(dir, "worker.mjs")
    fs.writeFileSync(
      script,
      `import { parentPort, workerData } from "node:worker_threads"
const { default: factory } = await import(workerData.module)
const sink = await factory(workerData.options)
const bytes = new TextEncoder().encode("R1 from a worker\\nR2\\n  at frame\\n")
sink.write(bytes, new Uint32Array([17, bytes.length]))
await sink.close()
parentPort.postMessage("done")
`
    )
    const worker = new Worker(pathToFileURL(script), {
      workerData: {
        module: fileSinkUrl,
        options: { path: file, rotation: { kind: "size", maxBytes: 20, backupCount: 2 } }
      }
    })
    const message = await new Promise((resolve, reject) => {
      worker.on("message", resolve)
      worker.on("error", reject)
    })
    await worker.terminate()
    assert.strictEqual(message, "done")
    assert.strictEqual(read(`${file}.1`), "R1 from a worker\n")
    assert.strictEqual(read(file), "R2\n  at frame\n")
  })
})

/** A FIFO opened at both ends without blocking: a pipe whose reader we control. */
const pipePair = (): { readonly read: number; readonly write: number } => {
  const fifo = path.join(tempDir(), "fifo")
  execFileSync("mkfifo", [fifo])
  const read = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
  const write = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)
  return { read, write }
}

/** Reads what is in the pipe now. */
const drain = (fd: number, into: Array<Buffer>): void => {
  const buffer = Buffer.alloc(64 * 1024)
  for (;;) {
    let n: number
    try {
      n = fs.readSync(fd, buffer)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EAGAIN") return
      throw error
    }
    if (n === 0) return
    into.push(Buffer.from(buffer.subarray(0, n)))
  }
}

/** `count` records of exactly 100 bytes (newline included). */
const hundreds = (count: number): Array<string> =>
  Array.from({ length: count }, (_, n) => `R${String(n).padStart(8, "0")} ${"q".repeat(89)}`)

describe("stream sink", () => {
  it("a failed write throws with recordsWritten and flush() reports it once (/dev/full)", () => {
    const fd = fs.openSync("/dev/full", "w")
    try {
      const sink = makeStreamSink({ fd })
      const error = errorOf(() => sink.write(...batchOf(["R1", "R2"])))
      assert.include(error.message, "ENOSPC")
      assert.strictEqual(error.recordsWritten, 0)
      assert.isFalse(sink.flush())
      assert.isTrue(sink.flush())
      sink.close()
      fs.fstatSync(fd) // still open
    } finally {
      fs.closeSync(fd)
    }
  })

  it("a full pipe does not block the main thread: the write waits on a timer, then delivers it whole", async () => {
    const { read, write } = pipePair()
    try {
      const sink = makeStreamSink({ fd: write })
      const [bytes, ends] = batchOf(hundreds(10_000)) // 1 MB, the pipe holds 64 KiB
      const started = performance.now()
      const result = sink.write(bytes, ends)
      // A blocking write would wait for a reader that never comes.
      assert.isBelow(performance.now() - started, 2_000)
      assert.instanceOf(result, Promise)
      let settled = false
      void result!.then(() => (settled = true))
      await new Promise((resolve) => setTimeout(resolve, 30))
      assert.isFalse(settled, "nobody reads: the write waits, and the event loop runs")
      const chunks: Array<Buffer> = []
      const reader = setInterval(() => drain(read, chunks), 2)
      await result
      clearInterval(reader)
      drain(read, chunks)
      assert.isTrue(Buffer.concat(chunks).equals(Buffer.from(bytes.subarray(0, ends[ends.length - 1]!))))
      assert.isTrue(sink.flush())
      sink.close()
    } finally {
      fs.closeSync(read)
      fs.closeSync(write)
    }
  })

  it("the reader going away mid-batch: the write rejects with the records written whole", async () => {
    const probe = pipePair()
    const capacity = fs.writeSync(probe.write, Buffer.alloc(1024 * 1024))
    fs.closeSync(probe.read)
    fs.closeSync(probe.write)
    const { read, write } = pipePair()
    try {
      const sink = makeStreamSink({ fd: write })
      const result = sink.write(...batchOf(hundreds(10_000)))
      assert.instanceOf(result, Promise)
      fs.closeSync(read)
      const error = await (result as Promise<void>).then(() => undefined, (e: Error & { recordsWritten?: number }) => e)
      assert.isDefined(error)
      assert.include(error!.message, "EPIPE")
      assert.strictEqual(error!.recordsWritten, Math.floor(capacity / 100))
      assert.isFalse(sink.flush())
    } finally {
      fs.closeSync(write)
    }
  })

  it("close() gives up a write waiting for a full pipe, counting what was written", async () => {
    const { read, write } = pipePair()
    try {
      const sink = makeStreamSink({ fd: write })
      const result = sink.write(...batchOf(hundreds(10_000)))
      sink.close()
      const error = await (result as Promise<void>).then(() => undefined, (e: Error & { recordsWritten?: number }) => e)
      assert.isAbove(error!.recordsWritten!, 0)
      assert.isBelow(error!.recordsWritten!, 10_000)
      fs.fstatSync(write) // left open
    } finally {
      fs.closeSync(read)
      fs.closeSync(write)
    }
  })

  it("on a worker thread it retries from a timer (the thread's event loop keeps running) and delivers the batch whole", async () => {
    const { read, write } = pipePair()
    const dir = tempDir()
    const script = path.join(dir, "worker.mjs")
    fs.writeFileSync(
      script,
      `import { parentPort, workerData } from "node:worker_threads"
const { default: factory } = await import(workerData.module)
const sink = factory({ fd: workerData.fd })
const records = Array.from({ length: 10000 }, (_, n) => \`R\${String(n).padStart(8, "0")} \${"q".repeat(89)}\\n\`)
const bytes = new TextEncoder().encode(records.join(""))
const ends = Uint32Array.from(records, (_, i) => (i + 1) * 100)
const result = sink.write(bytes, ends)
let ticks = 0
const timer = setInterval(() => ticks++, 1)
await result
clearInterval(timer)
parentPort.postMessage(result === undefined ? "sync" : ticks > 0 ? "promise" : "promise, no tick")
`
    )
    try {
      const worker = new Worker(pathToFileURL(script), { workerData: { module: streamSinkUrl, fd: write } })
      const chunks: Array<Buffer> = []
      const reader = setInterval(() => drain(read, chunks), 2)
      const message = await new Promise((resolve, reject) => {
        worker.on("message", resolve)
        worker.on("error", reject)
      })
      clearInterval(reader)
      drain(read, chunks)
      await worker.terminate()
      assert.strictEqual(message, "promise")
      assert.deepStrictEqual(Buffer.concat(chunks).toString("latin1"), hundreds(10_000).map((r) => `${r}\n`).join(""))
    } finally {
      fs.closeSync(read)
      fs.closeSync(write)
    }
  })

  it("a child whose stdout nobody reads keeps its event loop and ends in time", async () => {
    const started = performance.now()
    const script = `
import { makeStreamSink } from ${JSON.stringify(streamSinkUrl)}
const sink = makeStreamSink({ fd: 1 })
const line = "R ${"w".repeat(97)}\\n"
const bytes = new TextEncoder().encode(line.repeat(40000))
const ends = Uint32Array.from({ length: 40000 }, (_, i) => (i + 1) * 100)
const result = sink.write(bytes, ends)
process.stderr.write(result instanceof Promise ? "pending\\n" : "sync\\n")
setTimeout(() => {
  process.stderr.write("timer\\n")
  sink.close()
}, 50)
result?.catch((error) => process.stderr.write(\`given up after \${error.recordsWritten} records\\n\`))
`
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] })
    child.stdout.pause() // nobody reads
    let stderr = ""
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000)
      child.on("exit", (exitCode) => {
        clearTimeout(timer)
        resolve(exitCode)
      })
    })
    assert.strictEqual(code, 0, stderr)
    assert.match(stderr, /^pending\ntimer\ngiven up after \d+ records\n$/)
    assert.isBelow(performance.now() - started, 5_000)
  })
})
