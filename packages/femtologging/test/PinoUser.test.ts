/**
 * What a team moving a service from pino or winston meets: the calls they bring, with the objects
 * their code holds (class instances, DTOs), written by the default and JSON formatters.
 */
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import { getLogger, resetManager } from "../src/Facade.ts"
import * as Formatter from "../src/Formatter.ts"
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
})
