/**
 * The package bundled into an application (esbuild, as the README's "Bundling" shows it) and run
 * from a directory with no `node_modules`: the bundle holds femtologging, Effect and what
 * `femtologging/EagerEffect` (or `EagerReceiver`) brings; the worker thread's files are emitted
 * beside it, or not. The fixtures are `test/fixtures/bundle/{app,log-app,parts}.mjs`; they bundle
 * the built `dist` (`npx tsc -b`).
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as esbuild from "esbuild"
import { execFile } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fixturesDir, repoRoot } from "./utils/child.ts"

const internal = Path.join(repoRoot, "node_modules/femtologging/dist/internal")

/** The worker files as extra entry points: `sinkWorker.js` and `internal/*Sink.js` beside the bundle. */
const workerEntries = [
  { in: Path.join(internal, "sinkWorker.js"), out: "sinkWorker" },
  { in: Path.join(internal, "fileSink.js"), out: "internal/fileSink" },
  { in: Path.join(internal, "streamSink.js"), out: "internal/streamSink" },
  { in: Path.join(internal, "socketSink.js"), out: "internal/socketSink" }
]

/** esbuild's ES module output cannot `require` Node's built-ins for CommonJS packages (`ws`) without one. */
const requireBanner = "import { createRequire as __femtoRequire } from \"node:module\"; const require = __femtoRequire(import.meta.url);"

let root: string

/**
 * Bundles a fixture app into a new directory of `root`, with or without the worker files:
 * `app.mjs` (imports `EagerReceiver`: ES module output needs the banner) or `log-app.mjs`
 * (`EagerEffect` only: no banner).
 */
const bundle = async (
  name: string,
  format: "esm" | "cjs",
  withWorkerFiles: boolean,
  app: "app" | "log-app" = "app"
): Promise<string> => {
  const dir = Path.join(root, name)
  await esbuild.build({
    entryPoints: [{ in: Path.join(fixturesDir, `bundle/${app}.mjs`), out: "app" }, ...(withWorkerFiles ? workerEntries : [])],
    bundle: true,
    platform: "node",
    format,
    outdir: dir,
    nodePaths: [Path.join(repoRoot, "node_modules")],
    logLevel: "silent",
    ...(format === "esm" && app === "app" ? { banner: { js: requireBanner } } : {})
  })
  Fs.copyFileSync(Path.join(fixturesDir, "bundle/sink.mjs"), Path.join(dir, "sink.mjs"))
  return dir
}

/** Runs a bundle (from its own directory, outside the repository) with the parts named. */
const runBundle = async (dir: string, parts: ReadonlyArray<string>): Promise<Record<string, Record<string, unknown>>> => {
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [Path.join(dir, "app.js"), dir, ...parts], { cwd: dir, timeout: 30_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\nstdout: ${stdout}\nstderr: ${stderr}`)) : resolve(stdout))
  )
  return JSON.parse(stdout.trim().split("\n").at(-1)!)
}

const n = 50

beforeAll(() => {
  root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "femtologging-bundle-"))
})

afterAll(() => {
  Fs.rmSync(root, { recursive: true, force: true })
})

describe("bundled with esbuild, run without node_modules", () => {
  it("a CommonJS bundle (esbuild's default format for --platform=node) loads and writes, from both faces", async () => {
    const dir = await bundle("cjs-inline", "cjs", false)
    const results = await runBundle(dir, ["inline", "effect"])
    assert.deepStrictEqual(results.inline, { flushed: true, lines: n, dropped: 0 })
    assert.deepStrictEqual(results.effect, { lines: 1 })
  }, 60_000)

  it("without the worker files, a worker handler is refused at once, naming the missing file and the way out", async () => {
    const dir = await bundle("esm-no-workers", "esm", false)
    const results = await runBundle(dir, ["worker", "custom", "socket", "inline"])
    const missing = `executor "worker" runs femtologging's worker files, and ${Path.join(dir, "sinkWorker.js")} is not there`
    for (const part of ["worker", "custom", "socket"]) {
      const threw = String(results[part]?.threw)
      assert.include(threw, "HandlerConfigError", part)
      assert.include(threw, missing, part)
      assert.include(threw, "executor: \"inline\"", part)
    }
    assert.deepStrictEqual(results.inline, { flushed: true, lines: n, dropped: 0 })
  }, 60_000)

  it("esm without a banner: an application that only logs (EagerEffect) runs every handler, worker sinks included; the receiver names EagerReceiver", async () => {
    // Before: EagerEffect brought the receiver's socket server and with it `ws`, whose
    // require("events") esbuild's ES module output cannot serve: the bundle died at start.
    const dir = await bundle("esm-log-only", "esm", true, "log-app")
    const results = await runBundle(dir, ["inline", "effect", "worker", "custom", "socket"])
    for (const part of ["inline", "worker", "custom"]) {
      assert.deepStrictEqual(results[part], { flushed: true, lines: n, dropped: 0 }, part)
    }
    assert.deepStrictEqual(results.effect, { lines: 1 })
    assert.include(String(results.socket?.threw), "cannot load @effect/platform-node/NodeSocketServer")
    assert.include(String(results.socket?.threw), "Import \"femtologging/EagerReceiver\" first")
  }, 60_000)

  for (const format of ["esm", "cjs"] as const) {
    it(`${format}: with the worker files emitted beside it, worker sinks (file, a custom module, the socket handler into the receiver) write every record`, async () => {
      const dir = await bundle(`${format}-workers`, format, true)
      const results = await runBundle(dir, ["worker", "custom", "socket"])
      for (const part of ["worker", "custom", "socket"]) {
        assert.deepStrictEqual(results[part], { flushed: true, lines: n, dropped: 0 }, part)
      }
    }, 60_000)
  }
})
