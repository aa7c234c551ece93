/**
 * ConfigBuilder: the seed's example end to end on real files, named formatters resolved, filter
 * builders, default level, asDict() as a dictConfig object that loads back to the same result,
 * and a failing build that changes nothing.
 */
import { afterEach, assert, beforeEach, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Config from "../src/Config.ts"
import {
  ConfigBuilder,
  FormatterBuilder,
  LevelFilterBuilder,
  LoggerConfigBuilder,
  NameFilterBuilder
} from "../src/ConfigBuilder.ts"
import { ConfigError } from "../src/ConfigError.ts"
import { getLogger, resetManager } from "../src/Facade.ts"
import { FileHandlerBuilder } from "../src/FileHandler.ts"
import { closeConfigured, resetConfiguration } from "./utils/configured.ts"
import { tempDir } from "./utils/files.ts"
import * as OverflowPolicy from "../src/OverflowPolicy.ts"

beforeEach(() => resetManager())
afterEach(resetConfiguration)

const read = (file: string) => fs.readFileSync(file, "utf8")

describe("ConfigBuilder", () => {
  it("the seed's example: audit file for app.audit up to INFO, console for WARNING on root", async () => {
    const dir = tempDir()
    const audit = path.join(dir, "app.log")
    const console = path.join(dir, "console.log")
    new ConfigBuilder()
      .withHandler("console", new FileHandlerBuilder(console))
      .withHandler("audit", new FileHandlerBuilder(audit).withOverflowPolicy(OverflowPolicy.block()))
      .withFilter("info_only", new LevelFilterBuilder().withMaxLevel("INFO"))
      .withLogger(
        "app.audit",
        new LoggerConfigBuilder().withLevel("INFO").withHandlers(["audit"]).withFilters(["info_only"]).withPropagate(false)
      )
      .withRootLogger(new LoggerConfigBuilder().withLevel("WARNING").withHandlers(["console"]))
      .buildAndInit()
    getLogger("app.audit").info("audited")
    getLogger("app.audit").error("filtered out by info_only")
    getLogger("app").warning("to the console")
    getLogger("app").info("below root's level")
    await closeConfigured()
    assert.strictEqual(read(audit), "app.audit [INFO] audited\n")
    assert.strictEqual(read(console), "app [WARN] to the console\n")
  })

  it("named formatters, name filters and the default level; asDict() loads back with dictConfig to the same output", async () => {
    const build = (dir: string) =>
      new ConfigBuilder()
        .withDefaultLevel("DEBUG")
        .withFormatter("plain", new FormatterBuilder().withFormat("{levelname}|{name}|{message}").withStyle("{"))
        .withFilter("onlyDb", new NameFilterBuilder().withPrefix("app.db"))
        .withHandler("file", new FileHandlerBuilder(path.join(dir, "out.log")).withFormatter("plain"))
        .withLogger("app", new LoggerConfigBuilder().withHandlers(["file", "file"]).withFilters(["onlyDb"]))
    const emit = () => {
      getLogger("app").debug("not db")
      getLogger("app.db").debug("child records are not filtered by the parent's logger filters")
    }
    const first = tempDir()
    const builder = build(first)
    builder.buildAndInit()
    emit()
    await closeConfigured()
    const dict = builder.asDict()
    assert.deepStrictEqual((dict.loggers as Record<string, unknown>).app, { level: "DEBUG", handlers: ["file"], filters: ["onlyDb"] })
    const second = tempDir()
    resetManager()
    Config.dictConfig(build(second).asDict())
    emit()
    await closeConfigured()
    assert.strictEqual(read(path.join(first, "out.log")), "DEBUG|app.db|child records are not filtered by the parent's logger filters\n")
    assert.strictEqual(read(path.join(second, "out.log")), read(path.join(first, "out.log")))
  })

  it("an unknown id or a bad level fails with ConfigError before anything changes", () => {
    const dir = tempDir()
    assert.throws(() =>
      new ConfigBuilder()
        .withHandler("file", new FileHandlerBuilder(path.join(dir, "x.log")))
        .withRootLogger(new LoggerConfigBuilder().withHandlers(["file", "nope"]))
        .buildAndInit(), /root\.handlers\.1: no handler with id 'nope'/)
    assert.deepStrictEqual(getLogger().handlers, [])
    assert.throws(() => new LoggerConfigBuilder().withLevel("LOUD"), ConfigError)
    assert.throws(() => new ConfigBuilder().withVersion(2), /unsupported configuration version: 2/)
    assert.throws(() => new LevelFilterBuilder().asDict(), /a minimum or maximum level is required/)
  })
})
