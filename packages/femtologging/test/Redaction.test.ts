/**
 * Redaction before any handler sees a record: nested paths, `*` at any depth and over arrays,
 * value patterns in fields and message, the caller's objects untouched, and pino's hardening
 * (no path into a prototype, a `__proto__` field copied as data, cycles).
 */
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { ConfigError } from "../src/ConfigError.ts"
import { getLogger, resetManager, setRedaction } from "../src/Facade.ts"
import { FemtoFileHandler } from "../src/FileHandler.ts"
import { CaptureHandler } from "../src/Testing.ts"
import { removeTempDirs, tempDir } from "./utils/files.ts"

let capture: CaptureHandler
beforeEach(() => {
  resetManager()
  capture = new CaptureHandler()
  getLogger("r").addHandler(capture)
})
afterEach(async () => {
  setRedaction(undefined)
  await capture.close()
  removeTempDirs()
})

describe("redaction", () => {
  it("paths with * at any depth and over arrays, patterns in fields and message; the caller's objects untouched", async () => {
    setRedaction({
      paths: ["password", "user.token", "*.secret", "users.*.ssn", "headers[\"x-api.key\"]"],
      patterns: [/\b\d{4}-\d{4}-\d{4}-\d{4}\b/],
      censor: "***"
    })
    const fields = {
      password: "hunter2",
      user: { name: "ada", token: "t0k" },
      db: { secret: "s3", host: "h" },
      users: [{ name: "a", ssn: "1" }, { name: "b", ssn: "2" }],
      headers: { "x-api.key": "k", accept: "json" },
      note: "card 1234-5678-9012-3456 on file"
    }
    const copy = structuredClone(fields)
    getLogger("r").info("paid with 1111-2222-3333-4444", fields)
    await capture.flush()
    const [record] = capture.records
    assert.strictEqual(record!.message, "paid with ***")
    assert.deepStrictEqual(record!.fields, {
      password: "***",
      user: { name: "ada", token: "***" },
      db: { secret: "***", host: "h" },
      users: [{ name: "a", ssn: "***" }, { name: "b", ssn: "***" }],
      headers: { "x-api.key": "***", accept: "json" },
      note: "card *** on file"
    })
    assert.deepStrictEqual(fields, copy)
  })

  it("reaches the file as redacted (before any handler), and costs nothing when off", async () => {
    const dir = tempDir()
    const file = new FemtoFileHandler(path.join(dir, "r.log"))
    getLogger("r").addHandler(file)
    setRedaction({ paths: ["password"] })
    getLogger("r").info("login", { user: "ada", password: "hunter2" })
    setRedaction(undefined)
    getLogger("r").info("plain", { password: "visible" })
    await file.close()
    assert.strictEqual(fs.readFileSync(path.join(dir, "r.log"), "utf8"), "r [INFO] login user=ada password=[REDACTED]\nr [INFO] plain password=visible\n")
  })

  it("hardening: no path into a prototype; a __proto__ field is data; cycles and deep objects do not hang", async () => {
    for (const bad of ["__proto__", "a.constructor", "x.prototype.y", "", "a..b", "a.", "[x]"]) {
      assert.throws(() => setRedaction({ paths: [bad] }), ConfigError)
    }
    setRedaction({ paths: ["*.password"] })
    const hostile = JSON.parse('{"__proto__": {"password": "p", "polluted": true}}') as Record<string, unknown>
    const cyclic: Record<string, unknown> = { a: { password: "p" } }
    cyclic.self = cyclic
    getLogger("r").info("hostile", hostile)
    getLogger("r").info("cyclic", cyclic)
    await capture.flush()
    assert.strictEqual(({} as Record<string, unknown>).polluted, undefined)
    const [first, second] = capture.records
    assert.deepStrictEqual(Object.getOwnPropertyDescriptor(first!.fields!, "__proto__")?.value, { password: "[REDACTED]", polluted: true })
    assert.strictEqual(Object.getPrototypeOf(first!.fields), Object.prototype)
    assert.strictEqual((second!.fields!.a as Record<string, unknown>).password, "[REDACTED]")
  })

  it("review cases: an unreadable sibling, a mutation after the call, a cycle, an error's message and stack", async () => {
    setRedaction({ paths: ["password", "*.password"], patterns: [/\b\d{16}\b/] })
    const log = getLogger("r")
    log.info("unreadable", { password: "S3CRET", get boom() { throw new Error("boom") } })
    const later: Record<string, unknown> = { user: "bob" }
    log.info("mutated", later)
    later.password = "S3CRET"
    const cyclic: Record<string, unknown> = { password: "S3CRET" }
    cyclic.me = cyclic
    log.info("cyclic", cyclic)
    log.info("error", new Error("card 4111111111111111 refused"))
    await capture.flush()
    const [unreadable, mutated, cycle, error] = capture.records
    assert.deepStrictEqual(unreadable!.fields, { password: "[REDACTED]", boom: "[Getter threw: Error: boom]" })
    assert.deepStrictEqual(mutated!.fields, { user: "bob" })
    assert.deepStrictEqual(cycle!.fields, { password: "[REDACTED]", me: "[Circular]" })
    assert.strictEqual(error!.error!.message, "card [REDACTED] refused")
    assert.notInclude(error!.error!.stack ?? "", "4111111111111111")
  })

  it("patterns reach an error's own properties and its causes', in every formatter's output", async () => {
    setRedaction({ patterns: [/\b\d{16}\b/] })
    const dir = tempDir()
    const text = new FemtoFileHandler(path.join(dir, "t.log"))
    const json = new FemtoFileHandler(path.join(dir, "j.log"), { formatter: "json" })
    const log = getLogger("r.pay")
    log.addHandler(text)
    log.addHandler(json)
    const cause = Object.assign(new Error("upstream"), { pan: "4111111111111111" })
    const err = Object.assign(new Error("charge failed", { cause }), {
      card: "4111111111111111",
      request: { pan: "4111111111111111", amount: 3 }
    })
    log.error("payment", err)
    await text.close()
    await json.close()
    for (const name of ["t.log", "j.log"]) {
      const out = fs.readFileSync(path.join(dir, name), "utf8")
      assert.include(out, "[REDACTED]")
      assert.notInclude(out, "4111111111111111", `${name}: ${out}`)
    }
    await capture.flush()
    const record = capture.records.at(-1)!
    assert.deepStrictEqual(record.error!.props, { card: "[REDACTED]", request: { pan: "[REDACTED]", amount: 3 } })
  })
})
