import { assert, beforeEach, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { getLogger, getManager, resetManager } from "../src/Facade.ts"
import { HandlerConfigError } from "../src/HandlerConfigError.ts"
import { get_logger, InvalidLoggerNameError, reset_manager } from "../src/index.ts"
import * as Manager from "../src/Manager.ts"
import * as Logger from "../src/Logger.ts"
import { CaptureHandler } from "../src/Testing.ts"
import { throwsExactly } from "./utils/errors.ts"

const nameMessage = "logger name cannot be empty, start or end with '.', or contain consecutive dots"

const ancestry = (name: string): Array<string> => {
  const names: Array<string> = []
  for (let l: Logger.Logger | undefined = getLogger(name); l !== undefined; l = l.parent) names.push(l.name)
  return names
}

describe("Manager (facade)", () => {
  beforeEach(() => resetManager())

  it("returns one logger per name", () => {
    const a = getLogger("svc.api")
    assert.instanceOf(a, Logger.Logger)
    assert.strictEqual(getLogger("svc.api"), a)
    assert.strictEqual(a.name, "svc.api")
    assert.notStrictEqual(getLogger("svc.db"), a)
    assert.strictEqual(get_logger("svc.api"), a)
  })

  it("returns root for no name and for \"root\"", () => {
    const root = getLogger()
    assert.strictEqual(root.name, "root")
    assert.strictEqual(root.parent, undefined)
    assert.strictEqual(getLogger("root"), root)
    assert.strictEqual(getLogger(undefined), root)
    assert.strictEqual(getManager().root, root)
  })

  it("derives parents from dots: a.b.c -> a.b -> a -> root", () => {
    assert.deepStrictEqual(ancestry("a.b.c"), ["a.b.c", "a.b", "a", "root"])
    assert.strictEqual(getLogger("a.b.c").parent, getLogger("a.b"))
    assert.strictEqual(getLogger("a.b").parent, getLogger("a"))
    assert.strictEqual(getLogger("a").parent, getLogger())
    assert.deepStrictEqual(getManager().loggerNames().sort(), ["a", "a.b", "a.b.c"])
  })

  it("links a parent created after its child", () => {
    const child = getLogger("x.y")
    assert.strictEqual(child.parent, getLogger("x"))
    assert.strictEqual(getLogger("x").parent, getLogger())
  })

  it("rejects a name that is not a string, saying so", () => {
    const cases: Array<[unknown, string]> = [[5, "number"], [{}, "object"], [null, "null"], [["a"], "an array"]]
    for (const [name, type] of cases) {
      throwsExactly(() => getLogger(name as string), InvalidLoggerNameError, `logger name must be a string, got ${type}`)
    }
    assert.deepStrictEqual(getManager().loggerNames(), [])
  })

  it("rejects invalid names with InvalidLoggerNameError and the exact message", () => {
    for (const name of ["", ".bad", "bad.", "a..b", ".", ".."]) {
      const error = throwsExactly(() => getLogger(name), InvalidLoggerNameError, nameMessage)
      assert.strictEqual(error._tag, "InvalidLoggerNameError")
      assert.strictEqual(error.loggerName, name)
      // The refused name is a field of its own: the error's `name` (printed first when it is
      // thrown uncaught) stays the class's.
      assert.strictEqual(error.name, "InvalidLoggerNameError")
      assert.strictEqual(String(error), `InvalidLoggerNameError: ${nameMessage}`)
    }
    assert.deepStrictEqual(getManager().loggerNames(), [])
  })

  it("reset loses no record already logged; loggers obtained before drop and count later records", async () => {
    const handler = new CaptureHandler()
    const old = getLogger("before.reset")
    old.addHandler(handler)
    old.info("queued")
    resetManager()
    // the record went straight to the handler's queue when it was logged: reset loses nothing
    assert.isTrue(await handler.flush())
    assert.deepStrictEqual(handler.messages, ["queued"])
    old.info("after reset")
    assert.strictEqual(old.getDropped(), 1)
    assert.isTrue(await handler.flush())
    assert.deepStrictEqual(handler.messages, ["queued"])
    await handler.close()
  })

  it("reset clears every logger and root", () => {
    const before = getLogger("keep.me")
    const rootBefore = getLogger()
    rootBefore.setLevel("ERROR")
    resetManager()
    assert.deepStrictEqual(getManager().loggerNames(), [])
    const after = getLogger("keep.me")
    assert.notStrictEqual(after, before)
    assert.notStrictEqual(getLogger(), rootBefore)
    assert.strictEqual(getLogger().level, "INFO")
    reset_manager()
    assert.notStrictEqual(getLogger("keep.me"), after)
  })
})

describe("Manager (Effect)", () => {
  it.effect("getLogger returns singletons with parents from the Manager in context", () =>
    Effect.gen(function*() {
      const c = yield* Manager.getLogger("a.b.c")
      assert.strictEqual(yield* Manager.getLogger("a.b.c"), c)
      assert.strictEqual(c.parent?.name, "a.b")
      assert.strictEqual(c.parent?.parent?.name, "a")
      assert.strictEqual(c.parent?.parent?.parent?.name, "root")
      const root = yield* Manager.getLogger()
      assert.strictEqual(yield* Manager.getLogger("root"), root)
      assert.strictEqual(c.parent?.parent?.parent, root)
      const manager = yield* Manager.Manager
      assert.strictEqual(manager.root, root)
    }).pipe(Effect.provide(Manager.layer())))

  it.effect("getLogger fails with InvalidLoggerNameError", () =>
    Effect.gen(function*() {
      for (const name of ["", ".bad", "bad.", "a..b"]) {
        const error = yield* Effect.flip(Manager.getLogger(name))
        assert.instanceOf(error, InvalidLoggerNameError)
        assert.strictEqual(error.message, nameMessage)
      }
    }).pipe(Effect.provide(Manager.layer())))

  it.effect("layer() provides the facade's process-wide manager, every time", () =>
    Effect.gen(function*() {
      const first = yield* Effect.provide(Manager.getLogger("same"), Manager.layer())
      const second = yield* Effect.provide(Manager.getLogger("same"), Manager.layer())
      assert.strictEqual(first, second)
      assert.strictEqual(first, getLogger("same"))
      assert.strictEqual(yield* Effect.provide(Effect.service(Manager.Manager), Manager.layer()), getManager())
    }))

  it.effect("an app that configures getLogger() and logs from Effect code reaches the same handlers", () =>
    Effect.gen(function*() {
      const handler = new CaptureHandler()
      getLogger("shared.app").addHandler(handler)
      const line = yield* Effect.provide(
        Effect.flatMap(Manager.getLogger("shared.app"), (logger) => Logger.info(logger, "from Effect")),
        Manager.layer()
      )
      assert.strictEqual(line, "shared.app [INFO] from Effect")
      assert.isTrue(yield* Effect.promise(() => handler.flush()))
      assert.deepStrictEqual(handler.messages, ["from Effect"])
      yield* Effect.promise(() => handler.close())
    }))

  it.effect("each layerIsolated() builds a manager of its own, separate from the facade's", () =>
    Effect.gen(function*() {
      const first = yield* Effect.provide(Manager.getLogger("same"), Manager.layerIsolated())
      const second = yield* Effect.provide(Manager.getLogger("same"), Manager.layerIsolated())
      assert.notStrictEqual(first, second)
      assert.notStrictEqual(first, getLogger("same"))
      assert.notStrictEqual(second, getLogger("same"))
    }))

  it.effect("closing an isolated manager's scope delivers every queued record to its handlers", () =>
    Effect.gen(function*() {
      // A user handler runs in its own handler's worker: what it holds when the scope has closed
      // was delivered by the release, not by a later flush.
      const seen: Array<string> = []
      yield* Effect.scoped(Effect.gen(function*() {
        const logger = yield* Manager.getLogger("scoped.app")
        logger.addHandler({ handle: (_l: string, _v: string, message: string) => seen.push(message) })
        for (let i = 0; i < 3; i++) yield* Logger.info(logger, `m${i}`)
        assert.deepStrictEqual(seen, [])
      }).pipe(Effect.provide(Manager.layerIsolated())))
      assert.deepStrictEqual(seen, ["m0", "m1", "m2"])
    }))

  it.effect("after its scope closed, a manager's loggers drop and count records, loggers made afterwards too (found by mutation testing)", () =>
    Effect.gen(function*() {
      const manager = yield* Effect.scoped(Manager.make())
      const old = manager.root
      const late = manager.getLogger("made.after.close")
      const seen: Array<string> = []
      late.addHandler({ handle: (_l: string, _v: string, message: string) => seen.push(message) })
      late.info("late")
      old.warning("old")
      assert.strictEqual(late.getDropped(), 1)
      assert.strictEqual(manager.getLogger("made.after").getDropped(), 0)
      assert.strictEqual(old.getDropped(), 1)
      assert.deepStrictEqual(seen, [])
    }))

  it.effect("rejects a logger capacity that is not positive, as a typed failure (not a defect)", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Manager.make({ loggerCapacity: 0 }))
      assert.instanceOf(error, HandlerConfigError)
      assert.strictEqual(error.message, "capacity must be greater than zero")
    }))
})
