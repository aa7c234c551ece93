/**
 * Effect's runtime loads with the first handler (internal/lazyEffect.ts), through `require(esm)`.
 * Where Node cannot do that, the error says why and what to do, and `femtologging/EagerEffect`
 * (static imports) works. The packed-package test checks what `import` itself loads.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { pathToFileURL } from "node:url"
import { packageDir, runFixture, runModule } from "./utils/child.ts"
import { atLeast, minimumNode } from "../src/internal/nodeVersion.ts"
import { removeTempDirs, tempDir } from "./utils/files.ts"

afterAll(removeTempDirs)

const noRequireEsm = { NODE_OPTIONS: "--no-experimental-require-module" }

/** What late-classes.mjs prints first, with or without Effect: making and reading errors loads nothing. */
const madeAndRead = [
      "import: effect loaded false",
      "error: true InvalidLevelError InvalidLevelError: invalid log level: LOUD",
      "stack: InvalidLevelError: invalid log level: LOUD",
      "getter message: handlers.h: no class; ConfigError: handlers.h: no class",
      "plain properties: undefined undefined false",
      "effect loaded after making and reading errors: false"
]

describe("Effect's runtime, loaded on first use", () => {
  it("with require(esm) turned off, the first handler throws an error naming the cause and the fix", async () => {
    const result = await runFixture("lazy/first-handler.mjs", { args: ["lazy"], env: noRequireEsm })
    assert.strictEqual(result.code, 1)
    assert.include(
      result.stderr,
      "femtologging: cannot load effect/Effect: require(esm) is turned off (--no-experimental-require-module). " +
        "Import \"femtologging/EagerEffect\" first"
    )
    assert.strictEqual(result.stdout, "")
  })

  it("installed without its peer dependencies (npm i --omit=peer), the first handler's error says effect is not installed and how to install it", async () => {
    // Found by the adversarial review of the peer-dependency switch: the error said Effect was
    // "not where Node looks at run time (in a bundle...)" and to import femtologging/EagerEffect,
    // which itself fails (Cannot find package '@effect/platform-node').
    const installed = Path.join(tempDir(), "node_modules", "femtologging")
    Fs.mkdirSync(installed, { recursive: true })
    Fs.copyFileSync(Path.join(packageDir, "package.json"), Path.join(installed, "package.json"))
    Fs.cpSync(Path.join(packageDir, "dist"), Path.join(installed, "dist"), { recursive: true })
    const index = pathToFileURL(Path.join(installed, "dist", "index.js")).href
    const result = await runModule(
      `const { FemtoStreamHandler, getLogger } = await import(${JSON.stringify(index)})
getLogger("a").info("no handler yet: fine")
try { FemtoStreamHandler.stderr() } catch (error) { console.log(error.message) }`
    )
    assert.strictEqual(result.code, 0, result.stderr)
    assert.strictEqual(
      result.stdout.trim(),
      "femtologging: cannot load effect/Effect: effect is not installed. effect and @effect/platform-node are " +
        "peer dependencies of femtologging (npm installs them, but not with --omit=peer): npm install effect @effect/platform-node"
    )
  })

  it("error classes and service keys are defined at import without Effect, and are Effect's values once it loads", async () => {
    const result = await runFixture("lazy/late-classes.mjs")
    assert.strictEqual(result.code, 0, result.stderr)
    assert.deepStrictEqual(result.stdout.trim().split("\n"), [
      ...madeAndRead,
      "yielded: InvalidLevelError SHOUT",
      "caught: p: d",
      "Effect values: true true",
      "json as Data.TaggedError: true {\"level\":\"LOUD\",\"_tag\":\"InvalidLevelError\"}",
      "service key: femtologging/Manager yields function"
    ])
  })

  it("with require(esm) turned off, the error classes behave as Errors; a yield* says why it cannot work", async () => {
    const result = await runFixture("lazy/late-classes.mjs", { args: ["no-effect"], env: noRequireEsm })
    assert.strictEqual(result.code, 0, result.stderr)
    assert.deepStrictEqual(result.stdout.trim().split("\n"), [
      ...madeAndRead,
      "json: {\"level\":\"LOUD\",\"_tag\":\"InvalidLevelError\"}",
      "inspect: InvalidLevelError: invalid log level: LOUD",
      "yield*: femtologging: cannot load effect/Effect: require(esm) is turned off (--no-experimental-require-module)"
    ])
  })

  it("a copy of the package loaded apart from Node's (a module runner's) refuses to load a second copy of its lazy modules, naming the fix", async () => {
    const result = await runFixture("lazy/second-copy.mjs")
    assert.strictEqual(result.code, 0, result.stderr)
    assert.match(
      result.stdout,
      /^node's: function\nthe copy: femtologging: cannot load femtologging's internal\/dictConfig\.js: this copy of femtologging was loaded by a module runner .*Import "femtologging\/EagerEffect" first/
    )
  })

  it("with require(esm) turned off, a worker-thread sink and the receiver work when femtologging/EagerReceiver is imported first, and say why not otherwise (the receiver with EagerEffect only: import EagerReceiver)", async () => {
    const eager = await runFixture("lazy/eager-platform.mjs", { args: ["eager"], env: noRequireEsm })
    assert.strictEqual(eager.code, 0, eager.stderr)
    assert.deepStrictEqual(eager.stdout.trim().split("\n"), [
      "worker: worker [INFO] written on a worker thread",
      "sender [INFO] through a socket",
      "receiver: 1 record"
    ])
    const effectOnly = await runFixture("lazy/eager-platform.mjs", { args: ["effect"], env: noRequireEsm })
    assert.strictEqual(effectOnly.code, 0, effectOnly.stderr)
    assert.deepStrictEqual(effectOnly.stdout.trim().split("\n"), [
      "worker: worker [INFO] written on a worker thread",
      "receiver: femtologging: cannot load @effect/platform-node/NodeSocketServer: require(esm) is turned off " +
      "(--no-experimental-require-module). Import \"femtologging/EagerReceiver\" first"
    ])
    const lazy = await runFixture("lazy/eager-platform.mjs", { args: ["lazy"], env: noRequireEsm })
    assert.strictEqual(lazy.code, 0, lazy.stderr)
    assert.deepStrictEqual(lazy.stdout.trim().split("\n"), [
      "worker: femtologging: cannot load effect/Effect: require(esm) is turned off (--no-experimental-require-module)",
      "receiver: femtologging: cannot load effect/Effect: require(esm) is turned off (--no-experimental-require-module)"
    ])
  })

  it("an error printed while an import() of effect is under way still yields once Effect is loaded (the failed load is not kept)", async () => {
    const result = await runFixture("lazy/transient/main.mjs")
    assert.strictEqual(result.code, 0, result.stderr)
    assert.strictEqual(result.stdout, "yield*: InvalidLevelError; isEffect: true\n")
  })

  it("with femtologging/EagerEffect imported first, no error class or service key keeps a stand-in parent", async () => {
    const result = await runFixture("lazy/eager-first.mjs")
    assert.strictEqual(result.code, 0, result.stderr)
    assert.strictEqual(
      result.stdout,
      "Manager false, Receiver false, Captured false, InvalidLevelError false, ReceiverError false\n"
    )
  })

  it("the stand-in parents know every key Effect's Data.Error and Context.Service prototypes define", async () => {
    const { Context, Data } = await import("effect")
    const { effectKeys, isEffectKey } = await import("../src/internal/lazyEffect.ts")
    const chain = (proto: object | null, stop: object): Array<PropertyKey> => {
      const keys: Array<PropertyKey> = []
      for (let p = proto; p !== null && p !== stop; p = Object.getPrototypeOf(p)) keys.push(...Reflect.ownKeys(p))
      return keys.filter((key) => key !== "constructor")
    }
    const unknownError = chain(Data.Error.prototype, Error.prototype).filter((key) => !isEffectKey(effectKeys.error, key))
    const unknownService = chain(Object.getPrototypeOf(Context.Service("probe")), Object.prototype)
      .filter((key) => !isEffectKey(effectKeys.service, key))
    assert.deepStrictEqual([unknownError, unknownService], [[], []])
  })

  it("with require(esm) turned off, femtologging/EagerEffect imported first: the handler logs", async () => {
    const result = await runFixture("lazy/first-handler.mjs", { args: ["eager"], env: noRequireEsm })
    assert.strictEqual(result.code, 0, result.stderr)
    assert.strictEqual(result.stdout, "lazy [INFO] through the first handler\n")
  })

  it("with require(esm) turned off, dictConfig fails with a ConfigError naming the cause; with femtologging/EagerEffect it configures", async () => {
    const lazy = await runFixture("lazy/dict-config.mjs", { args: ["lazy"], env: noRequireEsm })
    assert.strictEqual(lazy.code, 0, lazy.stderr)
    assert.match(
      lazy.stdout,
      /^ConfigError: femtologging: cannot load femtologging's internal\/dictConfig\.js: require\(esm\) is turned off.*Import "femtologging\/EagerEffect" first.*\ncauses: Error <- ERR_REQUIRE_ESM\n$/
    )
    const eager = await runFixture("lazy/dict-config.mjs", { args: ["eager"], env: noRequireEsm })
    assert.strictEqual(eager.code, 0, eager.stderr)
    assert.strictEqual(eager.stdout, "dict INFO configured\n")
  })

  it("with require(esm) turned off, a WARN record that reaches no handler does not throw: the last resort says why it is missing", async () => {
    const result = await runFixture("lazy/last-resort.mjs", { env: noRequireEsm })
    assert.strictEqual(result.code, 0, result.stderr)
    assert.strictEqual(result.stdout, "warning returned: lib [WARN] reaches the last resort\nerror returned: lib [ERROR] again\n")
    assert.match(
      result.stderr,
      /^femtologging: no last-resort handler, records that reach no handler are dropped: Error: femtologging: cannot load effect\/Effect: require\(esm\) is turned off/
    )
    assert.strictEqual(result.stderr.split("\n").filter((line) => line !== "").length, 1)
    assert.isTrue(result.stderr.endsWith("\n"), "the report is a whole line")
  })

  it("with require(esm) available, the same records reach stderr through the last resort", async () => {
    const result = await runFixture("lazy/last-resort.mjs")
    assert.strictEqual(result.code, 0, result.stderr)
    assert.strictEqual(result.stderr, "lib [WARN] reaches the last resort\nlib [ERROR] again\n")
  })

  it("a handler made while an import() is loading effect: logs, or fails saying why and what to do", async () => {
    const result = await runFixture("lazy/race.mjs", { args: ["lazy"] })
    assert.strictEqual(result.code, 0, result.stderr)
    const out = result.stdout.trimEnd().split("\n").sort()
    if (out.length === 2) assert.deepStrictEqual(out, ["loaded", "race [INFO] logging configured"])
    else {
      assert.match(out[0]!, /^FAILED: femtologging: cannot load effect\/Effect: .*Import "femtologging\/EagerEffect" first/)
    }
  })

  it("the same with femtologging/EagerEffect imported first: logs", async () => {
    const result = await runFixture("lazy/race.mjs", { args: ["eager"] })
    assert.strictEqual(result.code, 0, result.stderr)
    // The line and "loaded" come in either order (when the handler writes is the executor's affair).
    assert.deepStrictEqual(result.stdout.trimEnd().split("\n").sort(), ["loaded", "race [INFO] logging configured"])
  })
})

describe("The Node.js version", () => {
  const older = (version: string) => {
    const dir = tempDir()
    const preload = Path.join(dir, "older-node.mjs")
    Fs.writeFileSync(preload, `Object.defineProperty(process, "versions", { value: { ...process.versions, node: ${JSON.stringify(version)} } })\n`)
    return { NODE_OPTIONS: `--import ${pathToFileURL(preload).href}` }
  }
  const load = `import("femtologging").then(() => console.log("loaded"), (e) => console.log("failed: " + e.message))`

  it("the oldest one the library accepts is the one package.json's engines names", () => {
    const engines = JSON.parse(Fs.readFileSync(Path.join(packageDir, "package.json"), "utf8")).engines.node
    assert.strictEqual(engines, `>=${minimumNode}`)
    assert.isTrue(atLeast("22.19.0", "22.19.0"))
    assert.isTrue(atLeast("23.0.0", "22.19.0"))
    assert.isTrue(atLeast("22.20.1", "22.19.0"))
    assert.isFalse(atLeast("22.18.9", "22.19.0"))
    assert.isFalse(atLeast("20.20.2", "22.19.0"))
  })

  it("importing on an older Node fails at once, saying which Node it needs (not with a missing API of a newer Node)", async () => {
    const result = await runModule(load, { env: older("22.18.9") })
    assert.strictEqual(result.stdout.trim(), "failed: femtologging needs Node.js >= 22.19.0; this is Node.js 22.18.9", result.stderr)
    const current = await runModule(load)
    assert.strictEqual(current.stdout.trim(), "loaded", current.stderr)
  })
})
