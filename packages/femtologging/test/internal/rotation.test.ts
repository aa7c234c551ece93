import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterEach, assert, beforeEach, describe, it } from "vitest"
import { backupName, codePoints, rotateFiles, shouldRotate, utf8Length } from "../../src/internal/rotation.ts"

describe("shouldRotate", () => {
  it("rotates only when the record plus newline would exceed maxBytes", () => {
    assert.strictEqual(shouldRotate(0, 0, 29, 30), false) // exact fit: 29 + 1 = 30
    assert.strictEqual(shouldRotate(0, 0, 30, 30), true) // one byte over
    assert.strictEqual(shouldRotate(20, 0, 9, 30), false)
    assert.strictEqual(shouldRotate(20, 0, 10, 30), true)
  })

  it("CPython's rule rotates when the record reaches maxBytes: an exact fit rotates", () => {
    assert.strictEqual(shouldRotate(0, 0, 28, 30, "cpython"), false) // 28 + 1 = 29
    assert.strictEqual(shouldRotate(0, 0, 29, 30, "cpython"), true) // 29 + 1 = 30: reached
    assert.strictEqual(shouldRotate(20, 0, 9, 30, "cpython"), true)
    assert.strictEqual(shouldRotate(20, 0, 9, 30, "exceed"), false)
    assert.strictEqual(shouldRotate(1000, 0, 1000, 0, "cpython"), false)
  })

  it("codePoints counts characters as Python's len does (an astral character is one)", () => {
    const bytes = new TextEncoder().encode("aé€😀\n")
    assert.strictEqual(bytes.length, 1 + 2 + 3 + 4 + 1)
    assert.strictEqual(codePoints(bytes, 0, bytes.length), 5)
    assert.strictEqual(codePoints(bytes, 1, 3), 1)
    assert.strictEqual(codePoints(bytes, 0, 0), 0)
  })

  it("counts buffered, unflushed bytes", () => {
    assert.strictEqual(shouldRotate(10, 5, 14, 30), false)
    assert.strictEqual(shouldRotate(10, 6, 14, 30), true)
    assert.strictEqual(shouldRotate(0, 29, 0, 30), false)
    assert.strictEqual(shouldRotate(0, 30, 0, 30), true)
  })

  it("counts UTF-8 bytes, not UTF-16 code units", () => {
    assert.strictEqual("emoji 😀".length, 8)
    assert.strictEqual(utf8Length("emoji 😀"), 10)
    assert.strictEqual(utf8Length("é"), 2)
    assert.strictEqual(utf8Length(""), 0)
    assert.strictEqual(shouldRotate(0, 0, utf8Length("emoji 😀"), 11), false)
    assert.strictEqual(shouldRotate(0, 0, utf8Length("emoji 😀"), 10), true)
    // two 11-byte lines already written; the next needs 22 + 10 + 1 = 33 bytes
    assert.strictEqual(shouldRotate(22, 0, utf8Length("emoji 😁"), 32), true)
    assert.strictEqual(shouldRotate(22, 0, utf8Length("emoji 😁"), 33), false)
  })

  it("rotates an oversize record even on an empty file", () => {
    assert.strictEqual(shouldRotate(0, 0, 100, 30), true)
  })

  it("never rotates when maxBytes <= 0", () => {
    assert.strictEqual(shouldRotate(1000, 1000, 1000, 0), false)
    assert.strictEqual(shouldRotate(1000, 0, 1000, -1), false)
  })
})

describe("backupName", () => {
  it("appends the index", () => {
    assert.strictEqual(backupName("/var/log/app.log", 1), "/var/log/app.log.1")
    assert.strictEqual(backupName("app.log", 12), "app.log.12")
  })
})

describe("rotateFiles", () => {
  let dir: string
  let live: string

  beforeEach(() => {
    dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "femto-"))
    live = Path.join(dir, "app.log")
  })

  afterEach(() => {
    Fs.rmSync(dir, { recursive: true, force: true })
  })

  const write = (name: string, content: string) => Fs.writeFileSync(Path.join(dir, name), content)
  const read = (name: string) => Fs.readFileSync(Path.join(dir, name), "utf8")
  const listing = () => Fs.readdirSync(dir).sort()

  /** What the handler does: rotate, then open a fresh live file and write the record. */
  const rotateAndWrite = (backupCount: number, content: string) => {
    rotateFiles(live, backupCount)
    Fs.writeFileSync(live, content)
  }

  it("renames the live file to .1 and does not create a fresh live file", () => {
    write("app.log", "first\n")
    rotateFiles(live, 3)
    assert.deepStrictEqual(listing(), ["app.log.1"])
    assert.strictEqual(read("app.log.1"), "first\n")
  })

  it("tolerates a missing live file", () => {
    write("app.log.1", "old\n")
    rotateFiles(live, 2)
    assert.deepStrictEqual(listing(), ["app.log.2"])
    assert.strictEqual(read("app.log.2"), "old\n")
  })

  it("cascades backups with backupCount 2 over four rotations", () => {
    write("app.log", "one\n")
    rotateAndWrite(2, "two\n")
    assert.deepStrictEqual(listing(), ["app.log", "app.log.1"])
    rotateAndWrite(2, "three\n")
    assert.deepStrictEqual(listing(), ["app.log", "app.log.1", "app.log.2"])
    rotateAndWrite(2, "four\n")
    rotateAndWrite(2, "five\n")
    assert.deepStrictEqual(listing(), ["app.log", "app.log.1", "app.log.2"])
    assert.strictEqual(read("app.log"), "five\n")
    assert.strictEqual(read("app.log.1"), "four\n")
    assert.strictEqual(read("app.log.2"), "three\n")
  })

  it("produces an empty .1 when an oversize record rotates an empty file", () => {
    write("app.log", "")
    rotateAndWrite(1, "x".repeat(100) + "\n")
    assert.strictEqual(read("app.log.1"), "")
    assert.strictEqual(read("app.log"), "x".repeat(100) + "\n")
  })

  it("prunes backups beyond a lowered backupCount", () => {
    write("app.log", "live\n")
    for (let i = 1; i <= 5; i++) write(`app.log.${i}`, `b${i}\n`)
    rotateFiles(live, 2)
    assert.deepStrictEqual(listing(), ["app.log.1", "app.log.2"])
    assert.strictEqual(read("app.log.1"), "live\n")
    assert.strictEqual(read("app.log.2"), "b1\n")
  })

  it("prunes far-off backups found by scanning, not just contiguous ones", () => {
    write("app.log", "live\n")
    write("app.log.1", "b1\n")
    write("app.log.7", "b7\n")
    write("app.log.12.gz", "b12\n")
    rotateFiles(live, 3)
    assert.deepStrictEqual(listing(), ["app.log.1", "app.log.2"])
  })

  it("shifts and prunes .N.gz compressed backups alongside .N", () => {
    write("app.log", "live\n")
    write("app.log.1", "b1\n")
    write("app.log.2.gz", "gz2")
    write("app.log.3.gz", "gz3")
    write("app.log.4.gz", "gz4")
    rotateFiles(live, 3)
    assert.deepStrictEqual(listing(), ["app.log.1", "app.log.2", "app.log.3.gz"])
    assert.strictEqual(read("app.log.1"), "live\n")
    assert.strictEqual(read("app.log.2"), "b1\n")
    assert.strictEqual(read("app.log.3.gz"), "gz2")
  })

  it("leaves unrelated files alone", () => {
    const others = ["app.log.bak", "app.log.1.tmp", "app.log.x1", "app.logs.1", "other.log.1", "xapp.log.3"]
    for (const name of others) write(name, name)
    write("app.log", "one\n")
    rotateAndWrite(1, "two\n")
    rotateFiles(live, 1)
    assert.deepStrictEqual(listing(), [...others, "app.log.1"].sort())
    for (const name of others) assert.strictEqual(read(name), name)
    assert.strictEqual(read("app.log.1"), "two\n")
  })

  it("does nothing when backupCount <= 0", () => {
    write("app.log", "live\n")
    write("app.log.1", "b1\n")
    rotateFiles(live, 0)
    assert.deepStrictEqual(listing(), ["app.log", "app.log.1"])
  })

  it("throws the fs error when a backup slot cannot be cleared", () => {
    write("app.log", "live\n")
    // a non-empty directory in the oldest slot cannot be unlinked
    Fs.mkdirSync(Path.join(dir, "app.log.1"))
    write(Path.join("app.log.1", "inner"), "x")
    let code: unknown
    try {
      rotateFiles(live, 1)
    } catch (error) {
      code = (error as NodeJS.ErrnoException).code
    }
    assert.include(["EISDIR", "EPERM"], code)
    assert.strictEqual(read("app.log"), "live\n")
  })
})
