/**
 * Gzip of rotated files, off the write path: the rotation only renames; the file is then
 * compressed by a stream in the background and swapped for `<backup>.gz` in one synchronous step.
 * If later rotations shifted the backup meanwhile (`.1` became `.2`), the swap finds it again by
 * inode; if it was pruned, the compressed copy is discarded.
 *
 * @internal
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { pipeline } from "node:stream/promises"
import * as zlib from "node:zlib"

/** Which of `candidates` is the file with inode `ino`, if any. */
const locate = (ino: number, candidates: ReadonlyArray<string>): string | undefined => {
  for (const file of candidates) {
    try {
      if (fs.statSync(file).ino === ino) return file
    } catch {
      // not there
    }
  }
  return undefined
}

let sequence = 0

/**
 * Compresses `file` (which rotation may rename to any of `candidates()` meanwhile) into
 * `<where it is now>.gz`. The file stays open until the swap, so its inode cannot be reused by
 * another file meanwhile; if it was deleted (pruned), the compressed copy is discarded. Never
 * rejects: failures go to `report`.
 *
 * @internal
 */
export const compressInBackground = (
  file: string,
  candidates: () => ReadonlyArray<string>,
  report: (message: string) => void
): Promise<void> => {
  let fd: number
  try {
    fd = fs.openSync(file, "r")
  } catch (error) {
    report(`could not compress ${file}: ${String(error)}`)
    return Promise.resolve()
  }
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${++sequence}.gz.tmp`)
  const source = fs.createReadStream("", { fd, autoClose: false })
  return pipeline(source, zlib.createGzip(), fs.createWriteStream(tmp))
    .then(() => {
      const stat = fs.fstatSync(fd)
      const now = stat.nlink === 0 ? undefined : locate(stat.ino, candidates())
      if (now === undefined) return fs.rmSync(tmp, { force: true })
      fs.renameSync(tmp, `${now}.gz`)
      fs.rmSync(now, { force: true })
    })
    .catch((error) => {
      fs.rmSync(tmp, { force: true })
      report(`could not compress ${file}: ${String(error)}`)
    })
    .finally(() => fs.closeSync(fd))
}

/**
 * Background compressions of one handler: starts them and lets `close()` wait for them.
 *
 * @internal
 */
export class Compressor {
  private readonly jobs = new Set<Promise<void>>()
  constructor(private readonly report: (message: string) => void) {}

  /** Compresses `file`, found again among `candidates()` if rotation moved it meanwhile. */
  start(file: string, candidates: () => ReadonlyArray<string>): void {
    const job = compressInBackground(file, candidates, this.report)
    this.jobs.add(job)
    void job.finally(() => this.jobs.delete(job))
  }

  /** Resolves when every compression started so far is done. */
  settle(): Promise<void> {
    return Promise.all(this.jobs).then(() => undefined)
  }
}
