/**
 * What a team moving a service from pino or winston meets: the calls they bring, with the objects
 * their code holds (class instances, DTOs), written by the default and JSON formatters.
 */
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { getLogger, resetManager } from "../src/Facade.ts"
import * as Formatter from "../src/Formatter.ts"
import * as LogRecord from "../src/LogRecord.ts"
import { CaptureHandler } from "../src/Testing.ts"

let capture: CaptureHandler
beforeEach(() => {
  resetManager()
  capture = new CaptureHandler()
  getLogger("svc").addHandler(capture)
})
afterEach(() => capture.close())

describe("a pino or winston user's calls", () => {
  it("a class instance logged alone is pino's merging object, not '[object Object]'", async () => {
    // Found by the pino user review: info(user, "login") took the instance's properties, but
    // info(user) alone logged the message "[object Object]" and lost them (pino logs the fields;
    // winston's logger.info(obj) the object's keys).
    class User {
      id = 7
      name = "ada"
    }
    class Entry {
      msg = "handled"
      reqId = "r1"
    }
    class Failure {
      err = new Error("boom")
      reqId = "r2"
    }
    class Id {
      constructor(readonly value: number) {}
      toString() {
        return `Id#${this.value}`
      }
    }
    const logger = getLogger("svc")
    logger.info(new User())
    logger.info(new Entry())
    logger.error(new Failure())
    logger.info(new Id(3))
    logger.info(new Map([["k", 1]]))
    logger.info(new Date(0))
    await capture.flush()
    assert.deepStrictEqual(capture.records.map((r) => [r.message, r.fields === undefined ? undefined : { ...r.fields }, r.error?.message]), [
      ["", { id: 7, name: "ada" }, undefined],
      ["handled", { reqId: "r1" }, undefined],
      ["boom", { reqId: "r2" }, "boom"],
      ["Id#3", undefined, undefined],
      ["[object Map]", undefined, undefined],
      [String(new Date(0)), undefined, undefined]
    ])
    assert.strictEqual(Formatter.defaultFormatter(capture.records[0]!), "svc [INFO] id=7 name=ada")
    assert.include(Formatter.json(capture.records[1]!), `"message":"handled","reqId":"r1"}`)
  })

  it("a Date, a Map, a URL or a Buffer after the message is appended to it, not taken as fields", async () => {
    // Found by the pino user review: info("started at", new Date(0)) logged "started at" and lost
    // the date (taken as fields, it has no keys; a Map and a Set too), and info("payload", buffer)
    // wrote the Buffer's ~100 inherited methods as fields (readBigUInt64LE="[Function …]", …), a
    // URL its accessors. Before the message the same values were already appended as text.
    const logger = getLogger("svc")
    const date = new Date(0)
    logger.info("started at", date)
    logger.info("cache", new Map([["k", 1]]))
    logger.info("payload", Buffer.from("hi"))
    logger.info("bytes", new Uint8Array([1, 2]))
    logger.info("from", new URL("http://h/p?q=1"))
    logger.info("at", date, { reqId: "r1" })
    logger.info("fields", { a: 1 })
    logger.info("instance", new (class Dto {
      a = 2
    })())
    logger.info("error", new Error("boom"))
    const revoked = Proxy.revocable({}, {})
    revoked.revoke()
    logger.info("unreadable", revoked.proxy)
    assert.doesNotThrow(() => logger.child({ a: 1 }).info("bound", revoked.proxy))
    await capture.flush()
    const bound = capture.records.pop()!
    const unreadable = capture.records.pop()!
    assert.deepStrictEqual(capture.records.map((r) => [r.message, r.fields === undefined ? undefined : { ...r.fields }, r.error?.message]), [
      [`started at ${date}`, undefined, undefined],
      ["cache [object Map]", undefined, undefined],
      ["payload hi", undefined, undefined],
      ["bytes 1,2", undefined, undefined],
      ["from http://h/p?q=1", undefined, undefined],
      [`at ${date}`, { reqId: "r1" }, undefined],
      ["fields", { a: 1 }, undefined],
      ["instance", { a: 2 }, undefined],
      ["error", undefined, "boom"]
    ])
    assert.strictEqual(Formatter.defaultFormatter(capture.records[2]!), "svc [INFO] payload hi")
    assert.match(Formatter.defaultFormatter(unreadable), /^svc \[INFO\] unreadable fieldsError=".*revoked/)
    assert.match(Formatter.defaultFormatter(bound), /^svc \[INFO\] bound a=1 fieldsError=".*revoked/)
  })

  it("log() given an object it cannot inspect (a revoked proxy) drops and counts the record, never throws", async () => {
    // Found by the pino user review (a fuzz of log calls): logger.log(revokedProxy) threw
    // "Cannot perform 'IsArray' on a proxy that has been revoked" from winston's entry check.
    const logger = getLogger("svc")
    const revoked = Proxy.revocable({}, {})
    revoked.revoke()
    assert.doesNotThrow(() => logger.log(revoked.proxy as never))
    assert.doesNotThrow(() => logger.child({ a: 1 }).log(revoked.proxy as never))
    assert.strictEqual(logger.getDropped(), 2)
    logger.log({ level: "warn", message: "entry" })
    await capture.flush()
    assert.deepStrictEqual(capture.records.map((r) => [r.level, r.message]), [["WARN", "entry"]])
  })

  it("a field's key that holds a newline, a space, = or a quote is quoted in the text lines, as a value is", () => {
    // Found by the pino user review: log.info("query", req.query) with a key "a\nk [CRITICAL] x"
    // wrote a second, forged line in the default format (and logfmt wrote `sp ace=2`, read as two
    // pairs); values were already quoted.
    const record = LogRecord.make({
      logger: "svc",
      level: "INFO",
      message: "query",
      fields: { "a\nsvc [CRITICAL] forged": 1, "sp ace": 2, "eq=ual": 3, "": 4, "quo\"te": 5, "nbsp\u00a0": 6, "caf\u00e9": 7, ok: 8 }
    })
    const pairs = ` "a\\nsvc [CRITICAL] forged"=1 "sp ace"=2 "eq=ual"=3 ""=4 "quo\\"te"=5 "nbsp\u00a0"=6 caf\u00e9=7 ok=8`
    assert.strictEqual(Formatter.defaultFormatter(record), `svc [INFO] query${pairs}`)
    assert.isTrue(Formatter.logfmt(record).endsWith(` msg=query${pairs}`))
    const getter = LogRecord.make({ logger: "svc", level: "INFO", message: "m", fields: { get ["x y"](): unknown { throw new Error("no") } } })
    assert.strictEqual(Formatter.defaultFormatter(getter), `svc [INFO] m "x y"="[Getter threw: Error: no]"`)
  })

  it("an optional fields argument left undefined is no fields, not ' undefined' in the message", async () => {
    // Found by the pino user review: info("done", options.fields) with no fields logged
    // "done undefined" (pino and winston log "done"). A value printed on purpose is still printed.
    const logger = getLogger("svc")
    const fields: Record<string, unknown> | undefined = undefined
    logger.info("done", fields)
    logger.info("user %s", "ada", undefined)
    logger.info("value:", null)
    logger.info("values:", undefined, 1)
    logger.info("value: %s", undefined)
    await capture.flush()
    assert.deepStrictEqual(capture.records.map((r) => [r.message, r.fields]), [
      ["done", undefined],
      ["user ada", undefined],
      ["value: null", undefined],
      ["values: undefined 1", undefined],
      ["value: None", undefined]
    ])
  })
})
