/**
 * Helpers for the file handler tests: temporary directories, reading log files back, and a
 * runner for the child-process fixtures (`test/fixtures/file-*.mjs`).
 */
import * as fs from "node:fs"
import * as os from "node:os"
import { createRequire, syncBuiltinESMExports } from "node:module"
import * as path from "node:path"

/** Temporary directories created by {@link tempDir}, removed by {@link removeTempDirs}. */
const created: Array<string> = []

/** A fresh temporary directory (`<tmp>/femto-XXXXXX`). */
export const tempDir = (): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "femto-"))
  created.push(dir)
  return dir
}

/** Removes every directory {@link tempDir} created so far. */
export const removeTempDirs = (): void => {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
}

/** The file's text, or `undefined` when it does not exist. */
export const readText = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, "utf8")
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined
    throw error
  }
}

/** Splits text into lines, without the empty string after the final newline. */
export const splitLines = (text: string): Array<string> => {
  if (text === "") return []
  const parts = text.split("\n")
  if (parts[parts.length - 1] === "") parts.pop()
  return parts
}

/** The file's lines (`[]` when it does not exist). */
export const readLines = (file: string): Array<string> => splitLines(readText(file) ?? "")

/** The names in `dir`, sorted. */
export const listDir = (dir: string): Array<string> => fs.readdirSync(dir).sort()

/** Resolves after one turn of the event loop (a `setImmediate`). */
export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** Polls `check` every few milliseconds until it returns true or `timeoutMs` passes. */
export const waitUntil = async (check: () => boolean, timeoutMs = 2_000): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (check()) return true
    if (Date.now() >= deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/**
 * The descriptors this process holds open on `file` (Linux: read from `/proc/self/fd`), to
 * observe a handler's writes to that file with {@link spyWriteSync}.
 */
export const descriptorsOf = (file: string): Array<number> => {
  const target = fs.realpathSync(file)
  const found: Array<number> = []
  for (const name of fs.readdirSync("/proc/self/fd")) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${name}`) === target) found.push(Number(name))
    } catch {
      // closed meanwhile (the descriptor of the directory listing itself)
    }
  }
  return found
}

/** Runs `f` and returns what it threw (kept here for the file tests that import it). */
export { thrown } from "./errors.ts"

/** `undefined` when `lines` are exactly `expected`, else the first difference (cheap for long lists). */
export const firstMismatch = (lines: ReadonlyArray<string>, expected: ReadonlyArray<string>): string | undefined => {
  const n = Math.max(lines.length, expected.length)
  for (let i = 0; i < n; i++) {
    if (lines[i] !== expected[i]) {
      return `line ${i}: got ${JSON.stringify(lines[i])}, expected ${JSON.stringify(expected[i])} ` +
        `(${lines.length} lines, ${expected.length} expected)`
    }
  }
  return undefined
}

/**
 * Runs `f` while every `fs.writeSync` call (including the named import in the library, through
 * `syncBuiltinESMExports`) is reported to `onWrite` with its descriptor and data, then restores it.
 */
export const spyWriteSync = async <A>(
  onWrite: (fd: number, data: string) => void,
  f: () => Promise<A>
): Promise<A> => {
  const nodeFs = createRequire(import.meta.url)("node:fs") as typeof fs
  const original = nodeFs.writeSync
  nodeFs.writeSync = ((fd: number, data: unknown, ...rest: Array<unknown>) => {
    onWrite(fd, typeof data === "string" ? data : Buffer.isBuffer(data) ? data.toString("utf8") : String(data))
    return (original as (...args: Array<unknown>) => number)(fd, data, ...rest)
  }) as typeof fs.writeSync
  syncBuiltinESMExports()
  try {
    return await f()
  } finally {
    nodeFs.writeSync = original
    syncBuiltinESMExports()
  }
}
