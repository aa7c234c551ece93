/**
 * The package as users get it: built, packed with `npm pack`, installed with npm into a project
 * outside the repository, and run there. The worker entry (`dist/internal/sinkWorker.js`) and the
 * built-in sink modules are loaded by URL relative to the installed modules, past an `exports` map
 * that closes `./internal/*` to importers; only an installed copy shows that this works.
 *
 * One build, one pack and one install (in `beforeAll`) serve every check. The scripts run are in
 * `test/fixtures/package/`, copied into the project. When npm cannot install at all (the
 * dependencies are not in the npm cache and the registry is unreachable), the checks skip and say so.
 *
 * `npm pack` runs on a copy of the package, outside the repository: its `prepack` script empties
 * `dist/` and rebuilds it, and the package's own `dist/` is what the other test files' child
 * processes import while this one runs.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

const packageDir = fileURLToPath(new URL("../", import.meta.url))
const repoRoot = Path.resolve(packageDir, "../..")
const fixtures = fileURLToPath(new URL("./fixtures/package/", import.meta.url))
const consumerFixtures = fileURLToPath(new URL("./fixtures/consumer/", import.meta.url))

/**
 * The environment of every child: the pinned Node first on PATH (npm and npx run on it), and
 * without what `npm run`/`npm test` leave behind that would point a child npm back at the
 * monorepo (its workspaces, prefix, package).
 */
const leftByNpmRun =
  /^npm_(package_|lifecycle_|command$|config_(workspaces?|include_workspace_root|local_prefix|prefix|global|call)$)/i

const childEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) if (!leftByNpmRun.test(key)) env[key] = value
  env.PATH = `${Path.dirname(process.execPath)}${Path.delimiter}${process.env.PATH ?? ""}`
  return env
}

interface Result {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

const run = (command: string, args: ReadonlyArray<string>, cwd: string, timeoutMs: number): Promise<Result> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: childEnv(), stdio: ["ignore", "pipe", "pipe"] })
    const out: Array<Buffer> = []
    const err: Array<Buffer> = []
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk))
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk))
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`timed out after ${timeoutMs} ms: ${command} ${args.join(" ")}\n${Buffer.concat(err)}`))
    }, timeoutMs)
    child.on("error", (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      const [stdout, stderr] = [Buffer.concat(out).toString("utf8"), Buffer.concat(err).toString("utf8")]
      resolve({ code, signal, stdout, stderr })
    })
  })

const describeRun = (what: string, result: Result): string =>
  `${what}: exit code ${result.code}, signal ${result.signal}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`

/** Throws unless the command exited with 0. */
const succeed = async (command: string, args: ReadonlyArray<string>, cwd: string, timeoutMs: number) => {
  const result = await run(command, args, cwd, timeoutMs)
  if (result.code !== 0) throw new Error(describeRun(`${command} ${args.join(" ")}`, result))
  return result
}

/** npm's output when it could reach neither its cache nor the registry. */
const networkFailure =
  /\b(ENOTCACHED|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ERR_SOCKET_TIMEOUT)\b/

/** The file's text, or "" when it does not exist. */
const readText = (file: string): string => {
  try {
    return Fs.readFileSync(file, "utf8")
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return ""
    throw error
  }
}

const splitLines = (text: string): Array<string> => {
  if (text === "") return []
  const parts = text.split("\n")
  if (parts[parts.length - 1] === "") parts.pop()
  return parts
}

/** The index of the first line that differs from `expected` (or the shorter length), or -1. */
const firstMismatch = (actual: ReadonlyArray<string>, expected: ReadonlyArray<string>): number => {
  for (let i = 0; i < Math.max(actual.length, expected.length); i++) if (actual[i] !== expected[i]) return i
  return -1
}

const records = (logger: string, count: number): Array<string> =>
  Array.from({ length: count }, (_, i) => `${logger} [INFO] record ${i}`)

interface Installed {
  /** The temporary root: `repo/` the copy packed, `pack/` the tarball, `project/` the installing project. */
  readonly root: string
  /** The tarball's paths, from `npm pack --json`. */
  readonly files: ReadonlyArray<string>
  /** The project directory (real path). */
  readonly project: string
  /** The tarball `npm pack` wrote. */
  readonly tarball: string
}

let installed: Installed | undefined
/** Why the checks skip (set instead of `installed`). */
let skipReason: string | undefined
let tempRoot: string | undefined
/** The copy's link to the repository's node_modules, removed before the copy. */
let nodeModulesLink: string | undefined

/**
 * Copies the package (but its node_modules) to `<copy>/<its path in the repository>`, with the
 * repository's root tsconfig files (which the package's extends) and a link to its node_modules
 * (dependencies, `tsc`), so that `npm pack` and its lifecycle scripts run there as they would here.
 */
const copyPackage = (copy: string): string => {
  const target = Path.join(copy, Path.relative(repoRoot, packageDir))
  Fs.cpSync(packageDir, target, { recursive: true, filter: (source) => Path.basename(source) !== "node_modules" })
  for (const name of Fs.readdirSync(repoRoot)) {
    if (/^tsconfig.*\.json$/.test(name)) Fs.copyFileSync(Path.join(repoRoot, name), Path.join(copy, name))
  }
  nodeModulesLink = Path.join(copy, "node_modules")
  Fs.symlinkSync(Path.join(repoRoot, "node_modules"), nodeModulesLink, "dir")
  return target
}

/** Builds, packs and installs; returns the reason to skip, if npm cannot install here at all. */
const setUp = async (): Promise<string | undefined> => {
  await succeed("npx", ["tsc", "-b", "packages/femtologging"], repoRoot, 120_000)

  const root = Fs.realpathSync(Fs.mkdtempSync(Path.join(Os.tmpdir(), "femto-package-")))
  tempRoot = root
  const relative = Path.relative(repoRoot, root)
  if (!relative.startsWith("..") && !Path.isAbsolute(relative)) {
    return `the temporary directory (${root}) is inside the repository: set TMPDIR to a directory outside ${repoRoot}`
  }

  const copied = copyPackage(Path.join(root, "repo"))
  const packDir = Path.join(root, "pack")
  Fs.mkdirSync(packDir)
  const packed = await succeed("npm", ["pack", "--json", "--pack-destination", packDir], copied, 120_000)
  // Lifecycle scripts (prepack, prepare) may print before the JSON.
  const json = packed.stdout.slice(Math.max(0, packed.stdout.search(/^\[/m)))
  const files: Array<string> = JSON.parse(json)[0].files.map((file: { path: string }) => file.path)
  const tarballs = Fs.readdirSync(packDir).filter((name) => name.endsWith(".tgz"))
  assert.strictEqual(tarballs.length, 1, `npm pack wrote ${tarballs.join(", ")}`)
  const tarball = Path.join(packDir, tarballs[0]!)

  const project = Path.join(root, "project")
  Fs.mkdirSync(project)
  Fs.writeFileSync(
    Path.join(project, "package.json"),
    `${JSON.stringify({ name: "femtologging-consumer", version: "1.0.0", private: true, type: "module" }, null, 2)}\n`
  )
  for (const name of Fs.readdirSync(fixtures)) Fs.copyFileSync(Path.join(fixtures, name), Path.join(project, name))

  const failed = await npmInstall(project, [tarball])
  if (failed !== undefined) return failed

  installed = { root, files, project, tarball }
  return undefined
}

/** `npm install <specs>` in `project`; the reason to skip when npm can reach neither its cache nor the registry. */
const npmInstall = async (project: string, specs: ReadonlyArray<string>): Promise<string | undefined> => {
  // npm's default retries back off for minutes when the registry is unreachable: retry briefly.
  const install = ["install", ...specs, "--no-audit", "--no-fund", "--prefer-offline"]
  const retries = [
    "--fetch-retries=1",
    "--fetch-retry-mintimeout=1000",
    "--fetch-retry-maxtimeout=2000",
    "--fetch-timeout=30000"
  ]
  const result = await run("npm", [...install, ...retries], project, 180_000)
  if (result.code === 0) return undefined
  const code = networkFailure.exec(result.stderr)
  if (code === null) throw new Error(describeRun("npm install", result))
  const config = async (key: string) => (await run("npm", ["config", "get", key], project, 30_000)).stdout.trim()
  return `npm install cannot work here: ${specs.join(", ")} and their dependencies are not all ` +
    `in the npm cache (${await config("cache")}) and the registry (${await config("registry")}) is unreachable ` +
    `(${code[1]}); run \`npm ci\` with network access once to fill the cache`
}

/** The version of a package installed in the repository. */
const repoVersion = (name: string): string =>
  JSON.parse(Fs.readFileSync(Path.join(repoRoot, "node_modules", name, "package.json"), "utf8")).version

beforeAll(async () => {
  skipReason = await setUp()
}, 300_000)

afterAll(() => {
  if (nodeModulesLink !== undefined) Fs.rmSync(nodeModulesLink, { force: true }) // the link, not the repository's
  if (tempRoot !== undefined) Fs.rmSync(tempRoot, { recursive: true, force: true })
})

/** The installation, or skips the test saying why there is none. */
const need = (skip: (note: string) => never): Installed => {
  if (installed === undefined) skip(skipReason ?? "the package was not installed")
  return installed
}

/** Runs a fixture script with the pinned Node, in the project. */
const node = (project: string, script: string, ...args: Array<string>) =>
  run(process.execPath, [script, ...args], project, 30_000)

describe("The packed package, installed into a project outside the repository", () => {
  it("the tarball holds the built entry points and the worker's files, and no tests", ({ skip }) => {
    const { files } = need(skip)
    for (
      const file of [
        "package.json",
        "dist/index.js",
        "dist/index.d.ts",
        "dist/internal/sinkWorker.js",
        "dist/internal/workerExecutor.js",
        "dist/internal/fileSink.js",
        "dist/internal/streamSink.js",
        "dist/internal/socketSink.js",
        "dist/bin/femtologging.js"
      ]
    ) {
      assert.include(files, file, `${file} is missing from the tarball`)
    }
    const tests = files.filter((file) => /(^|\/)(test|tests|__tests__)\/|\.(test|spec)\.[cm]?[jt]s$/.test(file))
    assert.deepStrictEqual(tests, [], "test files in the tarball")
  })

  it("the tarball ships no build leftovers: no .tsbuildinfo, no JavaScript whose source is gone", ({ skip }) => {
    const { files } = need(skip)
    const buildInfo = files.filter((file) => file.includes(".tsbuildinfo"))
    const sources = new Set(files.filter((file) => file.startsWith("src/")))
    const orphans = files.filter((file) =>
      /^dist\/.*\.js$/.test(file) && !sources.has(file.replace(/^dist\//, "src/").replace(/\.js$/, ".ts"))
    )
    assert.deepStrictEqual(
      { buildInfo, orphans },
      { buildInfo: [], orphans: [] },
      "build leftovers in the tarball: tsc's incremental state (package.json `files` must exclude " +
        "\"!dist/.tsbuildinfo*\"), or outputs of deleted sources (a dist/ never emptied: `prepack` must " +
        "empty dist/ and rebuild it)"
    )
  })

  it("./internal/* is closed to importers, yet the worker entry loads by URL from the installed copy", async ({ skip }) => {
    const { project } = need(skip)
    const source = `try { await import("femtologging/internal/sinkWorker.js"); console.log("importable") } ` +
      `catch (error) { console.log(error.code) }`
    const result = await run(process.execPath, ["--input-type=module", "-e", source], project, 30_000)
    assert.strictEqual(result.stdout.trim(), "ERR_PACKAGE_PATH_NOT_EXPORTED", describeRun("import", result))
    assert.isTrue(Fs.existsSync(Path.join(project, "node_modules/femtologging/dist/internal/sinkWorker.js")))
  })

  it("the CLI's module is not importable (importing it would run the command and exit the importer); `bin` still runs it", async ({ skip }) => {
    const { project } = need(skip)
    const source = `try { await import("femtologging/bin/femtologging"); console.log("importable") } ` +
      `catch (error) { console.log(error.code) }`
    const result = await run(process.execPath, ["--input-type=module", "-e", source], project, 30_000)
    assert.strictEqual(result.stdout.trim(), "ERR_PACKAGE_PATH_NOT_EXPORTED", describeRun("import", result))
    const help = await run("npx", ["--no-install", "femtologging", "--help"], project, 30_000)
    assert.strictEqual(help.code, 0, describeRun("npx femtologging --help", help))
    assert.match(help.stdout + help.stderr, /^usage: femtologging receive/m)
  })

  it("a TypeScript application with its own release of effect: one copy of effect is installed, and the README's Effect code type-checks (strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess, verbatimModuleSyntax; nodenext, node16, bundler) and runs", async ({ skip }) => {
    const { root, tarball } = need(skip)
    const project = Path.join(root, "ts-project")
    Fs.mkdirSync(project)
    // An application pins effect itself, at a release other than the one the package is built
    // with; both are in the package's range. Two copies of effect make the package's Effects
    // foreign to the application's `Effect.gen` (TS2345, '[NodeInspectSymbol]' is missing).
    const effect = repoVersion("effect") === "4.1.5" ? "4.1.0" : "4.1.5"
    const dependencies = { effect, "@types/node": repoVersion("@types/node"), femtologging: `file:${tarball}` }
    Fs.writeFileSync(
      Path.join(project, "package.json"),
      `${JSON.stringify({ name: "femtologging-ts-consumer", private: true, type: "module", dependencies }, null, 2)}\n`
    )
    Fs.copyFileSync(Path.join(consumerFixtures, "consumer.ts"), Path.join(project, "consumer.ts"))
    const failed = await npmInstall(project, [])
    if (failed !== undefined) skip(failed)

    const copies = ["node_modules/femtologging/node_modules/effect", "node_modules/@effect/platform-node/node_modules/effect"]
      .filter((dir) => Fs.existsSync(Path.join(project, dir)))
    assert.deepStrictEqual(copies, [], `a second copy of effect beside the application's ${effect}`)

    const tsc = Path.join(repoRoot, "node_modules/typescript/bin/tsc")
    for (const [module, moduleResolution] of [["nodenext", "nodenext"], ["node16", "node16"], ["preserve", "bundler"]]) {
      const compilerOptions = {
        target: "ES2022",
        lib: ["ES2024"],
        module,
        moduleResolution,
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        verbatimModuleSyntax: true,
        noEmit: true,
        skipLibCheck: true,
        types: ["node"]
      }
      const config = `tsconfig.${moduleResolution}.json`
      Fs.writeFileSync(Path.join(project, config), JSON.stringify({ compilerOptions, files: ["consumer.ts"] }))
      const checked = await run(process.execPath, [tsc, "-p", config], project, 120_000)
      assert.strictEqual(checked.code, 0, describeRun(`tsc -p ${config}`, checked))
    }

    const result = await node(project, "consumer.ts")
    assert.strictEqual(result.code, 0, describeRun("consumer.ts", result))
    const lines = splitLines(result.stdout)
    assert.deepStrictEqual(lines.filter((line) => !line.startsWith("{")), [
      "app [INFO] hello user=ada",
      "caught HandlerConfigError for capacity",
      "backoff base 10 ms",
      "user WARN through a handler object"
    ], describeRun("consumer.ts", result))
    assert.match(lines.find((line) => line.startsWith("{")) ?? "", /"logger":"user","message":"through a handler object"/)
  }, 300_000)

  it("a file handler on the worker executor, process.exit(0) right after 10,000 records: all 10,000 lines on disk", async ({ skip }) => {
    const { project } = need(skip)
    const file = Path.join(project, "file-worker.log")
    const result = await node(project, "file-worker.mjs", file)
    assert.strictEqual(result.code, 0, describeRun("file-worker.mjs", result))
    assert.match(result.stdout, /^worker threads started: [1-9]\d*$/m, describeRun("file-worker.mjs", result))
    const lines = splitLines(readText(file))
    assert.strictEqual(lines.length, 10_000, describeRun("file-worker.mjs", result))
    assert.strictEqual(firstMismatch(lines, records("package.file", 10_000)), -1)
  })

  it("a custom sink module of the project through FemtoWorkerHandler: 1,000 lines after close(), written on a worker thread", async ({ skip }) => {
    const { project } = need(skip)
    const file = Path.join(project, "custom-sink.log")
    const threadFile = Path.join(project, "custom-sink.threads")
    const result = await node(project, "custom-sink.mjs", file, threadFile)
    assert.strictEqual(result.code, 0, describeRun("custom-sink.mjs", result))
    assert.match(result.stdout, /^main thread: 0$/m)
    const lines = splitLines(readText(file))
    assert.strictEqual(lines.length, 1_000, describeRun("custom-sink.mjs", result))
    assert.strictEqual(firstMismatch(lines, records("package.sink", 1_000)), -1)

    const writes: Array<{ threadId: number; isMainThread: boolean; entry: string }> = splitLines(readText(threadFile))
      .map((line) => JSON.parse(line))
    assert.isAbove(writes.length, 0)
    const entry = Path.join(project, "node_modules/femtologging/dist/internal/sinkWorker.js")
    for (const write of writes) {
      assert.isFalse(write.isMainThread, "the sink wrote on the main thread")
      assert.notStrictEqual(write.threadId, 0)
      assert.strictEqual(Fs.realpathSync(write.entry), entry, "the worker did not run the installed entry file")
    }
  })

  // Issue 10: the CLI as installed, `npx femtologging receive --file`, fed by a socket handler.
  it("CLI round trip: a socket handler -> `npx femtologging receive --file` -> the file holds every record", async ({ skip }) => {
    const { project } = need(skip)
    const out = Path.join(project, "received.log")
    const port = 20_000 + Math.floor(Math.random() * 20_000)
    // In a process group of its own: npx runs the command in a child, and the signal must reach both.
    const child = spawn("npx", ["--no-install", "femtologging", "receive", "--port", String(port), "--file", out], {
      cwd: project,
      env: childEnv(),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true
    })
    let stderr = ""
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
    try {
      const deadline = Date.now() + 30_000
      while (!stderr.includes("receiving on") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
      assert.include(stderr, `receiving on tcp://127.0.0.1:${port}`, `the receiver did not start:\n${stderr}`)
      const sent = await node(project, "socket-sender.mjs", String(port), "2000")
      assert.strictEqual(sent.code, 0, describeRun("socket-sender.mjs", sent))
      assert.match(sent.stdout, /^written 2000 dropped 0$/m, describeRun("socket-sender.mjs", sent))
      for (let i = 0; i < 100 && splitLines(readText(out)).length < 2000; i++) await new Promise((r) => setTimeout(r, 50))
    } finally {
      process.kill(-child.pid!, "SIGTERM")
    }
    await exited
    for (let i = 0; i < 100 && !stderr.includes("stopped;"); i++) await new Promise((r) => setTimeout(r, 50))
    assert.include(stderr, "stopped; 2000 records received", stderr)
    const lines = splitLines(readText(out))
    assert.strictEqual(lines.length, 2_000, stderr)
    assert.strictEqual(firstMismatch(lines, records("package.socket", 2_000)), -1)
  }, 90_000)

  it("import loads nothing of Effect, no TLS, MessagePack, YAML or Schema, none of the configuration parsers or socket frames; each loads with the first use that needs it, and works", async ({ skip }) => {
    const { project } = need(skip)
    const result = await node(project, "import-cost.mjs")
    assert.strictEqual(result.code, 0, describeRun("import-cost.mjs", result))
    // What was loaded after each step ("step: modules"), then the lines logged (written later).
    const lines = splitLines(result.stdout)
    assert.deepStrictEqual(lines.filter((line) => line.includes(": ")), [
      "import: -",
      "getLogger and records: -",
      "a handler: effect effect/Effect effect/Queue",
      "dictConfig: effect effect/Effect effect/Queue effect/Schema dictConfig",
      "fileConfig: effect effect/Effect effect/Queue effect/Schema dictConfig ini pyliteral",
      "a socket handler: effect effect/Effect effect/Queue effect/Schema dictConfig ini pyliteral frame socketSink"
    ], describeRun("import-cost.mjs", result))
    assert.deepStrictEqual(lines.filter((line) => !line.includes(": ")), [
      "import.cost [INFO] through a handler",
      "dict INFO through dictConfig",
      "ini INFO through fileConfig"
    ], describeRun("import-cost.mjs", result))
  })

  it("the seed's quick start prints `demo.app [INFO] hello from femtologging` on stderr", async ({ skip }) => {
    const { project } = need(skip)
    const result = await node(project, "quickstart.mjs")
    assert.strictEqual(result.code, 0, describeRun("quickstart.mjs", result))
    assert.strictEqual(result.stderr, "demo.app [INFO] hello from femtologging\n")
    assert.strictEqual(result.stdout, "")
  })
})
