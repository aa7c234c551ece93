import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as FileHandler from "../src/FileHandler.ts"
import * as Handler from "../src/Handler.ts"
import * as Logger from "../src/Logger.ts"
import * as Manager from "../src/Manager.ts"
import * as Testing from "../src/Testing.ts"

describe("Manager.layerLogger", () => {
  it.effect("attaches handlers made in its scope and closes them, written out, on release", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "femto-layer-"))
      const file = path.join(dir, "app.log")
      const scope = yield* Scope.make()
      const layer = Manager.layerLogger("app", {
        level: "DEBUG",
        handlers: [FileHandler.make(file, { flushInterval: 1000 })]
      }).pipe(Layer.provideMerge(Manager.layer()))
      const context = yield* Layer.buildWithScope(layer, scope)
      const manager = yield* Effect.provide(Effect.service(Manager.Manager), context)
      const logger = manager.getLogger("app")
      assert.strictEqual(logger.level, "DEBUG")
      assert.strictEqual(logger.handlers.length, 1)
      for (let i = 0; i < 5; i++) yield* Logger.debug(logger, `line ${i}`)
      assert.strictEqual(fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "", "")
      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(
        fs.readFileSync(file, "utf8").trimEnd().split("\n"),
        [0, 1, 2, 3, 4].map((i) => `app [DEBUG] line ${i}`)
      )
      assert.strictEqual(logger.handlers.length, 0)
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.effect("puts back the level and propagation it set on release (root's default level included)", () =>
    Effect.gen(function*() {
      const manager = yield* Manager.make()
      const parent = manager.getLogger("svc")
      parent.setLevel("WARN")
      for (const [name, level] of [["svc.db", "DEBUG"], [undefined, "ERROR"]] as const) {
        const logger = manager.getLogger(name)
        const scope = yield* Scope.make()
        yield* Layer.buildWithScope(
          Manager.layerLogger(name, { level, propagate: false }).pipe(Layer.provide(Layer.succeed(Manager.Manager, manager))),
          scope
        )
        assert.strictEqual(logger.level, level)
        assert.isFalse(logger.propagate)
        yield* Scope.close(scope, Exit.void)
        assert.strictEqual(logger.ownLevelValue, name === undefined ? "INFO" : undefined)
        assert.strictEqual(logger.level, name === undefined ? "INFO" : "WARN")
        assert.strictEqual(logger.levelIsDefault, true)
        assert.isTrue(logger.propagate)
      }
    }))

  it.effect("builds again with the same capacity once the logger has logged (a layer rebuilt on the process-wide manager)", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "femto-layer-"))
      const file = path.join(dir, "app.log")
      const name = `rebuilt.${path.basename(dir)}`
      const layer = Manager.layerLogger(name, { capacity: 4096, handlers: [FileHandler.make(file)] }).pipe(
        Layer.provideMerge(Manager.layer())
      )
      for (const round of [1, 2]) {
        const exit = yield* Effect.exit(
          Effect.flatMap(Manager.getLogger(name), (logger) => Logger.info(logger, `round ${round}`)).pipe(
            Effect.provide(layer)
          )
        )
        assert.isTrue(Exit.isSuccess(exit), `round ${round}: ${String(exit)}`)
      }
      assert.deepStrictEqual(fs.readFileSync(file, "utf8").trimEnd().split("\n"), [
        `${name} [INFO] round 1`,
        `${name} [INFO] round 2`
      ])
      // Another capacity is still refused once records flowed.
      const other = yield* Effect.exit(Layer.build(Manager.layerLogger(name, { capacity: 8 }).pipe(Layer.provide(Manager.layer()))))
      assert.isTrue(Exit.isFailure(other))
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.effect("builds of one layer that overlap without nesting: each keeps its settings while open, and the last release puts back the logger's own", () =>
    Effect.gen(function*() {
      const manager = yield* Manager.make()
      const logger = manager.getLogger("job")
      const layer = Manager.layerLogger("job", { level: "DEBUG", propagate: false }).pipe(
        Layer.provide(Layer.succeed(Manager.Manager, manager))
      )
      const first = yield* Scope.make()
      const second = yield* Scope.make()
      yield* Layer.buildWithScope(layer, first)
      yield* Layer.buildWithScope(layer, second)
      // The first build is released first, while the second is still in use.
      yield* Scope.close(first, Exit.void)
      assert.strictEqual(logger.level, "DEBUG")
      assert.isFalse(logger.propagate)
      yield* Scope.close(second, Exit.void)
      assert.strictEqual(logger.level, "INFO")
      assert.isTrue(logger.levelIsDefault)
      assert.isTrue(logger.propagate)
    }))

  it.effect("fails with the logger name error for a bad name", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Layer.build(Manager.layerLogger("a..b").pipe(Layer.provide(Manager.layer()))))
      assert.isTrue(Exit.isFailure(exit))
      const error = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
      assert.strictEqual(error?._tag, "Fail")
      assert.match(String(error?._tag === "Fail" ? error.error.message : ""), /consecutive dots/)
    }))
})

describe("Testing.layerCapture (the README example)", () => {
  it.effect("captures records logged through the Effect face", () =>
    Effect.gen(function*() {
      const logger = yield* Manager.getLogger("shop")
      yield* Logger.info(logger, "order placed", { id: 7 })
      const captured = yield* Testing.Captured
      assert.isTrue(yield* Handler.flush(captured))
      const record = captured.expectLogged({ level: "INFO", message: "order placed", fields: { id: 7 } })
      assert.strictEqual(record.logger, "shop")
      assert.isNumber(record.fiberId)
      captured.assertNoDrops()
      assert.throws(() => captured.expectLogged({ message: "never logged" }), /expected a record matching/)
    }).pipe(Effect.provide(Testing.layerCapture())))
})
