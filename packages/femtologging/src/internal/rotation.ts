/**
 * Size-based rotation: the rotate-before-write predicate and the synchronous backup
 * cascade (`<path>` → `<path>.1` → … → `<path>.<backupCount>`).
 *
 * @internal
 */
import * as Fs from "node:fs"
import * as Path from "node:path"

/**
 * When a size-rotating file rotates before a record:
 * - `"exceed"` (femtologging's): when the record would make the file exceed `maxBytes` bytes (an
 *   exact fit stays);
 * - `"cpython"` (CPython's `RotatingFileHandler.shouldRollover`): when the file's bytes plus the
 *   record's characters (its newline included) would reach `maxBytes`, as CPython adds
 *   `stream.tell()` to `len(msg)`.
 */
export type RolloverRule = "exceed" | "cpython"

/**
 * Whether a record must trigger a rotation before it is written, by `rule` (see
 * {@link RolloverRule}): `currentSize + bufferedBytes + recordLength + 1 > maxBytes` (the `+1`
 * is the newline), or `>=` for CPython's, where `recordLength` counts the record without its
 * newline, in bytes or (CPython's) characters. Always false when `maxBytes <= 0` (rotation
 * disabled). A record larger than `maxBytes` rotates even an empty file, as in CPython.
 */
export const shouldRotate = (
  currentSize: number,
  bufferedBytes: number,
  recordLength: number,
  maxBytes: number,
  rule: RolloverRule = "exceed"
): boolean => {
  if (maxBytes <= 0) return false
  const total = currentSize + bufferedBytes + recordLength + 1
  return rule === "cpython" ? total >= maxBytes : total > maxBytes
}

/**
 * Characters (code points, what Python's `len` counts) of the UTF-8 text at `bytes[start, end)`:
 * every byte but continuation bytes (`10xxxxxx`) starts one.
 */
export const codePoints = (bytes: Uint8Array, start: number, end: number): number => {
  let n = 0
  for (let i = start; i < end; i++) if ((bytes[i]! & 0xc0) !== 0x80) n++
  return n
}

/** The name of backup number `index`: `${path}.${index}`. */
export const backupName = (path: string, index: number): string => `${path}.${index}`

/** The UTF-8 encoded length of `s` in bytes. */
export const utf8Length = (s: string): number => Buffer.byteLength(s, "utf8")

const isErrnoCode = (error: unknown, code: string): boolean =>
  typeof error === "object" && error !== null && (error as NodeJS.ErrnoException).code === code

const removeIfExists = (file: string): void => {
  try {
    Fs.unlinkSync(file)
  } catch (error) {
    if (!isErrnoCode(error, "ENOENT")) throw error
  }
}

const renameIfExists = (from: string, to: string): void => {
  try {
    Fs.renameSync(from, to)
  } catch (error) {
    if (!isErrnoCode(error, "ENOENT")) throw error
  }
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** Compressed backups (`<path>.N.gz`) move and are pruned alongside plain ones. */
const backupSuffixes = ["", ".gz"] as const

/**
 * Shifts the backups of `path` one slot up and renames the live file to `<path>.1`.
 *
 * In order: deletes every backup `<path>.N` / `<path>.N.gz` with `N > backupCount`
 * (found by scanning the directory, so lowering `backupCount` prunes); deletes
 * `<path>.<backupCount>` (and `.gz`); renames `.i` → `.i+1` for i = backupCount-1 … 1
 * (and likewise `.i.gz`); renames the live file to `<path>.1` if it exists. Missing
 * files are skipped; any other fs error is thrown. It never opens the fresh live file;
 * the caller does that. With `backupCount <= 0` it touches nothing (the caller truncates
 * the live file instead).
 */
export const rotateFiles = (path: string, backupCount: number): void => {
  if (backupCount <= 0) return
  const dir = Path.dirname(path)
  const pattern = new RegExp(`^${escapeRegExp(Path.basename(path))}\\.([1-9]\\d*)(\\.gz)?$`)
  // One directory scan: prune beyond the count, and learn which backups exist, so a rotation
  // costs system calls per existing backup, not per possible index.
  const present = new Set<string>()
  for (const name of Fs.readdirSync(dir)) {
    const match = pattern.exec(name)
    if (match === null) continue
    if (Number(match[1]) > backupCount) removeIfExists(Path.join(dir, name))
    else present.add(`${Number(match[1])}${match[2] ?? ""}`)
  }
  for (const suffix of backupSuffixes) {
    if (present.has(`${backupCount}${suffix}`)) removeIfExists(backupName(path, backupCount) + suffix)
  }
  for (let i = backupCount - 1; i >= 1; i--) {
    for (const suffix of backupSuffixes) {
      if (present.has(`${i}${suffix}`)) renameIfExists(backupName(path, i) + suffix, backupName(path, i + 1) + suffix)
    }
  }
  renameIfExists(path, backupName(path, 1))
}
