/**
 * Shared set-up of the configuration tests: CPython as an oracle when python3 is installed, and
 * closing what a configuration made between tests (the process-wide manager is shared).
 */
import { afterEach, beforeEach, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { spawnSync } from "node:child_process"
import * as Config from "../../src/Config.ts"
import { getHandlerByName, getHandlerNames, getLogger, resetManager } from "../../src/Facade.ts"
import * as Handler from "../../src/Handler.ts"
import { removeTempDirs } from "./files.ts"

/** Whether python3 runs here; `oracle` is `it`, or `it.skip` (and `suffix` says so) without it. */
export const python = spawnSync("python3", ["--version"]).status === 0

/**
 * An oracle test starts CPython once per case, synchronously: about 0.1 s each on an idle
 * machine, but 4-7 s on a loaded 2-core one (a test of six cases took 42 s), hence 60 s.
 */
export const oracleTimeoutMs = 60_000

/** `it` with {@link oracleTimeoutMs}, or `it.skip` without python3. */
export const oracle = (name: string, f: () => Promise<void>): void =>
  (python ? it : it.skip)(name, f, oracleTimeoutMs)
export const suffix = python ? "" : " (SKIPPED: python3 is not installed)"

/** Closes every handler configuration named, after what it accepted. */
export const closeConfigured = async (): Promise<void> => {
  await Promise.all(getHandlerNames().map((name) => {
    const handler = Handler.of(getHandlerByName(name))
    return handler === undefined ? undefined : Effect.runPromise(handler.closeEffect())
  }))
}

/** Between tests: handlers closed, an empty configuration, a fresh manager, temp dirs removed. */
export const resetConfiguration = async (): Promise<void> => {
  await closeConfigured()
  Config.dictConfig({ version: 1, root: { handlers: [] }, disable_existing_loggers: false })
  resetManager()
  removeTempDirs()
}

/** Removes root's handlers and closes each, after what it accepted (basicConfig's tests). */
export const detachRoot = async (): Promise<void> => {
  const root = getLogger()
  for (const h of root.handlers) {
    root.removeHandler(h)
    await (h as { close?: () => Promise<void> }).close?.()
  }
}

/**
 * A test file's hooks that share the process-wide manager and root logger: each test starts with
 * root detached and a fresh manager, and ends with root detached and {@link resetConfiguration}.
 */
export const isolateConfiguration = (): void => {
  beforeEach(async () => {
    await detachRoot()
    resetManager()
  })
  afterEach(async () => {
    await detachRoot()
    await resetConfiguration()
  })
}
