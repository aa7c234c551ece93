/**
 * Found reviewing `setFormatter`, basicConfig/dictConfig formatting given handlers, the Effect
 * layer's typed errors and fileConfig's refusal of unknown options, through the public API.
 */
import { afterEach, assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { ConfigError } from "../src/ConfigError.ts"
import * as EffectLogger from "../src/EffectLogger.ts"
import { getLogger, resetManager } from "../src/Facade.ts"
import { fileConfig, type FileConfigOptions } from "../src/FileConfig.ts"
import { removeTempDirs, tempDir } from "./utils/files.ts"

afterEach(() => {
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
