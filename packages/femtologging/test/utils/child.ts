/**
 * Runs Node scripts in a child process and collects their output, for tests that need real
 * stdout/stderr streams or a process exit. Scripts import `femtologging`, i.e. the built package
 * (`npx tsc -b` writes `packages/femtologging/dist`).
 */
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

/** The package directory (`packages/femtologging`). */
export const packageDir = fileURLToPath(new URL("../../", import.meta.url))

/** The monorepo root, from which `femtologging` resolves. */
export const repoRoot = Path.resolve(packageDir, "../..")

/** The directory of the fixture scripts. */
export const fixturesDir = fileURLToPath(new URL("../fixtures/", import.meta.url))

/** What a child process did. */
export interface ChildResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface RunOptions {
  readonly args?: ReadonlyArray<string> | undefined
  readonly env?: Readonly<Record<string, string>> | undefined
  readonly timeoutMs?: number | undefined
}

const ensureBuilt = (): void => {
  if (!Fs.existsSync(Path.join(packageDir, "dist", "index.js"))) {
    throw new Error("femtologging is not built: run `npx tsc -b` before these tests")
  }
}

const run = (argv: ReadonlyArray<string>, options: RunOptions): Promise<ChildResult> => {
  ensureBuilt()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...argv, ...(options.args ?? [])], {
      cwd: repoRoot,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    const out: Array<Buffer> = []
    const err: Array<Buffer> = []
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk))
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk))
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`child process timed out: ${argv.join(" ")}\nstderr: ${Buffer.concat(err).toString()}`))
    }, options.timeoutMs ?? 15_000)
    child.on("error", (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8")
      })
    })
  })
}

/** Runs a script file (a path, or relative to the monorepo root) with Node. */
export const runFile = (file: string, options: RunOptions = {}): Promise<ChildResult> =>
  run([Path.resolve(repoRoot, file)], options)

/** Runs `test/fixtures/<name>` with Node. */
export const runFixture = (name: string, options: RunOptions = {}): Promise<ChildResult> =>
  run([Path.join(fixturesDir, name)], options)

/** Runs ES module source text with Node (`--input-type=module -e`) from the monorepo root. */
export const runModule = (source: string, options: RunOptions = {}): Promise<ChildResult> =>
  run(["--input-type=module", "-e", source], options)

/** Splits output into lines, without the empty string after the final newline. */
export const lines = (text: string): Array<string> => {
  const parts = text.split("\n")
  if (parts[parts.length - 1] === "") parts.pop()
  return parts
}
