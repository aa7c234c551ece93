/**
 * Found reviewing `setFormatter`, basicConfig/dictConfig formatting given handlers, the Effect
 * layer's typed errors and fileConfig's refusal of unknown options, through the public API.
 */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { dictConfig } from "../src/Config.ts"
import { ConfigError } from "../src/ConfigError.ts"
import * as EffectLogger from "../src/EffectLogger.ts"
import { getLogger, resetManager } from "../src/Facade.ts"
import { fileConfig, type FileConfigOptions } from "../src/FileConfig.ts"
import { closeConfigured, oracle, resetConfiguration, suffix } from "./utils/configured.ts"
import { removeTempDirs, tempDir } from "./utils/files.ts"

afterEach(async () => {
  await resetConfiguration()
  resetManager()
  removeTempDirs()
})

const iniFile = (): string => {
  const file = path.join(tempDir(), "logging.ini")
  fs.writeFileSync(file, "[loggers]\nkeys=root\n[handlers]\nkeys=\n[formatters]\nkeys=\n[logger_root]\nlevel=DEBUG\nhandlers=\n")
  return file
}

describe("fileConfig's options", () => {
  it("a Map of options is refused, not read as no options (its disable_existing_loggers: false was ignored and the loggers made before disabled)", () => {
    const file = iniFile()
    for (const key of ["disable_existing_loggers", "disableExistingLoggers"]) {
      resetManager()
      getLogger("existing")
      assert.throws(
        () => fileConfig(file, new Map([[key, false]]) as unknown as FileConfigOptions),
        ConfigError,
        `${file}: expected an object of options, got a Map (pass Object.fromEntries(map))`
      )
      assert.isFalse(getLogger("existing").disabled)
      assert.strictEqual(getLogger().level, "INFO")
    }
    assert.throws(() => fileConfig(file, [false] as unknown as FileConfigOptions), ConfigError, `${file}: expected an object of options, got an array`)
  })

  it("an inherited option it does not take is refused too (it was ignored, while an inherited known one is read)", () => {
    const file = iniFile()
    getLogger("existing")
    const options = Object.create({ disable_existing_loggers: false }) as FileConfigOptions
    assert.throws(
      () => fileConfig(file, options),
      ConfigError,
      `${file}: unknown option 'disable_existing_loggers' (did you mean 'disableExistingLoggers'?)`
    )
    assert.isFalse(getLogger("existing").disabled)
    fileConfig(file, Object.create({ disableExistingLoggers: false }) as FileConfigOptions)
    assert.isFalse(getLogger("existing").disabled)
    assert.strictEqual(getLogger().level, "DEBUG")
  })
})

describe("EffectLogger.layer", () => {
  it.effect("takes options that may be undefined, as it did before its overloads (a type error: `tsc -b` checks this file)", () =>
    Effect.gen(function*() {
      const given: EffectLogger.LayerOptions | undefined = process.env.FEMTOLOG_REVIEW_NO_SUCH_VARIABLE === undefined ? undefined : {}
      const ran = yield* Effect.provide(Effect.succeed("ran"), EffectLogger.layer(given))
      assert.strictEqual(ran, "ran")
    }))
})

describe("dictConfig: a formatter's null keys", () => {
  oracle(`class, defaults and validate null are CPython's None, not given (JSON dumped from Python, YAML keys left empty)${suffix}`, async () => {
    const dir = tempDir()
    const configFor = (file: string) => ({
      version: 1,
      formatters: {
        // Without a field: CPython's validate=None checks nothing, so it is written as it is.
        plain: { format: "plain line", class: null, validate: null, defaults: null },
        fields: { format: "%(levelname)s %(message)s", class: null, datefmt: null }
      },
      handlers: {
        a: { class: "logging.FileHandler", filename: file, formatter: "plain" },
        b: { class: "logging.FileHandler", filename: file, formatter: "fields" }
      },
      root: { level: "INFO", handlers: ["a", "b"] }
    })
    const theirs = path.join(dir, "theirs.log")
    const script = "import json, logging, logging.config, sys\n" +
      "logging.config.dictConfig(json.loads(sys.argv[1]))\n" +
      "logging.getLogger('app').warning('hello')\n" +
      "logging.shutdown()\n"
    const result = spawnSync("python3", ["-c", script, JSON.stringify(configFor(theirs))], { encoding: "utf8" })
    assert.strictEqual(result.status, 0, result.stderr)
    const ours = path.join(dir, "ours.log")
    dictConfig(configFor(ours))
    getLogger("app").warning("hello")
    await closeConfigured()
    assert.strictEqual(fs.readFileSync(theirs, "utf8"), "plain line\nWARNING hello\n")
    assert.strictEqual(fs.readFileSync(ours, "utf8"), fs.readFileSync(theirs, "utf8"))
  })
})
