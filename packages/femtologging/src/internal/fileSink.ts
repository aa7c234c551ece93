/**
 * The file sink behind the file, rotating and timed rotating handlers: it appends batches of
 * whole records to a file, now (buffering is the handler's job), rotating the file by size or by
 * time and gzipping the backups in the background when asked. The default export is a
 * `SinkFactory`, so a worker thread can load this module by URL; `makeFileSink` is the inline
 * form, driven by the handler's clock. The module imports no `effect` and uses only
 * erasable TypeScript, so Node can load it from `src/` on a worker by type stripping.
 *
 * What it guarantees, in one process:
 * - A record is never split: a batch may go out in several writes around rotations, cut only at
 *   the record ends the handler gives (`ends`).
 * - Exact accounting: when a write fails (full disk, EIO) the file is truncated back to the end
 *   of the last whole record, and the error carries `recordsWritten`, the records of the batch
 *   that are on disk (those written before a rotation in the same batch included). The next
 *   write starts on a line boundary (if even the truncation fails, it starts with a newline).
 * - Size rotation follows `shouldRotate` (rotation.ts): before a record that would make the live
 *   file exceed `maxBytes` (an exact fit stays; a record larger than `maxBytes` rotates even an
 *   empty file; with `rule: "cpython"`, CPython's: when bytes on disk plus the record's characters
 *   reach it), with the cascade `<path>.1` … `<path>.<backupCount>` of `rotateFiles`. Timed
 *   rotation names the backup `<path>.<suffix>` as CPython's `TimedRotatingFileHandler` does
 *   (timedRotation.ts), checked at the start of each write against `now()`.
 * - A rotation that fails (read-only directory, a folder in the way) is reported and writing
 *   goes on in the live file. Size rotation is tried again once the live file has grown by
 *   another `maxBytes`, i.e. at most one attempt per `maxBytes` written, as many as successful
 *   rotations would cost, and no clock needed; timed rotation at the next boundary.
 * - Compression (`compress: true`) runs off the write path with `fs.promises` file handles, each
 *   closed once, at most two copying at a time; it never rejects: on any failure the
 *   uncompressed backup stays, the temporary file is removed and the failure is reported.
 *   `close()` waits for it at most 5 s.
 *
 * Across processes appending to one path (Node cluster), when all use this sink on a local file
 * system:
 * - Appends use `O_APPEND` and each write holds whole records, so records of different processes
 *   never interleave within a line (a write(2) to a local regular file is not interleaved).
 * - Rotations are serialised by a lock file, `<path>.lock`, created with `O_EXCL` and removed
 *   right after (a lock older than 10 s is taken as left by a crashed process and broken; two
 *   processes breaking the same stale lock at once could both rotate). Under
 *   the lock, a process first compares the inode of its descriptor with the inode at the path:
 *   when they differ, another process has rotated already and it reopens the path instead of
 *   rotating again. So each live file is rotated once, and no backup is renamed over or pruned
 *   out of turn by a concurrent rotation. A process whose file was rotated by another follows
 *   the path without the lock; when the lock is busy, it waits (at most `lockWaitMs`, then goes
 *   on writing where it is and looks again at its next write, without waiting until it has
 *   taken the lock again: a lock left by a process that died while rotating).
 * - The live file becomes a timed backup through a hard link then an unlink, which fails rather
 *   than replace an existing backup of the same name (that rotation is skipped and reported);
 *   where hard links are not supported, a check then a rename. The compressed copy is put in
 *   place the same way, under the lock.
 * - Sizes are read from the descriptor (`fstat`) at each write, so `maxBytes` counts every
 *   process's records (CPython reads its file position per record for the same reason).
 * - A process that has not yet seen another's rotation writes into the renamed backup (no record
 *   is lost): with size rotation it notices at its next write; with timed rotation at its own
 *   next boundary, or at its next write with `watch: true`. A compression retries (3 times, then
 *   leaves the backup uncompressed) when the backup grew while it was read. With size rotation a
 *   process whose file was removed (its backup compressed, or pruned) reopens the path at its
 *   next write; a write already under way when the backup is removed is caught by the
 *   compression, which keeps the removed backup open and appends what grew to the `.gz` as a
 *   further gzip member (`tailGraceMs` later, until it stops growing). Only a process stopped
 *   for longer than that in the middle of a write (SIGSTOP, a debugger) could still lose it.
 * - A failed write is cut off the end of the file: if another process appended after it (a disk
 *   that is full for one record and not for a shorter one), the cut would fall in its record.
 *
 * @internal
 */
import * as fs from "node:fs"
import * as fsp from "node:fs/promises"
import * as path from "node:path"
import type { Sink } from "../Sink.ts"
import { backupName, codePoints, type RolloverRule, rotateFiles, shouldRotate } from "./rotation.ts"
import { filesToDelete, makeSchedule, nextRollover, rolledFileName } from "./timedRotation.ts"
import { reportDue } from "./reportDue.ts"
import { within } from "./within.ts"

/** Size rotation: both values > 0 to rotate (otherwise the file is never rotated). @internal */
export interface SizeRotationOptions {
  readonly kind: "size"
  readonly maxBytes: number
  readonly backupCount: number
  /** Default `"exceed"`. */
  readonly rule?: RolloverRule | undefined
}

/** Timed rotation, as `makeSchedule` takes it; `backupCount` 0 keeps every backup. @internal */
export interface TimeRotationOptions {
  readonly kind: "time"
  /** S, M, H, D, MIDNIGHT, W0–W6. */
  readonly when: string
  readonly interval: number
  readonly utc: boolean
  readonly atTime?: string | { readonly hour: number; readonly minute?: number; readonly second?: number } | undefined
  readonly backupCount: number
}

/** The options of a file sink: plain data, so they cross to a worker thread. @internal */
export interface FileSinkOptions {
  readonly path: string
  /** Names the sink in problem reports (`femtologging: <label>: <message>`); default `path`. */
  readonly label?: string | undefined
  /** `"a"` appends (default); `"w"` truncates the file when the sink opens it. */
  readonly mode?: "a" | "w" | undefined
  readonly rotation?: SizeRotationOptions | TimeRotationOptions | undefined
  /** Gzip each backup to `<backup>.gz` in the background. */
  readonly compress?: boolean | undefined
  /**
   * Reopen the path when the file there is not the open one any more (deleted, renamed), as
   * CPython's WatchedFileHandler does: one `stat` per write.
   */
  readonly watch?: boolean | undefined
  /** Open (and create) the file at the first write, not before (CPython's `delay`). */
  readonly delay?: boolean | undefined
  /**
   * A flag shared with the handler's thread, set once the file was opened. With `delay` and
   * `mode: "w"` on a worker thread, so that a restarted worker appends instead of truncating
   * again; without `delay`, so that the handler knows when it may close its own descriptor of a
   * FIFO (closed before, it would leave the FIFO without a writer: its reader would end).
   */
  readonly opened?: Int32Array | undefined
}

/** What an inline sink takes from its handler. @internal */
export interface FileSinkHooks {
  /** Epoch milliseconds for timed rotation (the handler's Effect `Clock`); default `Date.now`. */
  readonly now?: (() => number) | undefined
  /** Reports a problem that did not stop writing; default: rate-limited stderr lines. */
  readonly report?: ((message: string) => void) | undefined
  /** How long `close()` lets compressions under way finish before abandoning them; default 3 s. */
  readonly compressionWaitMs?: number | undefined
}

/** A file sink. @internal */
export interface FileSink extends Sink {
  readonly write: (batch: Uint8Array, ends: Uint32Array) => void
  /** `false` when a write failed since the last flush (and resets); nothing is buffered here. */
  readonly flush: () => boolean
  /**
   * Closes the descriptor (once), then resolves when the compressions are done, or abandoned (their
   * temporary files removed, backups left uncompressed) at most 3 s later, within 4 s.
   */
  readonly close: () => void | Promise<void>
  /** Opens the path again (after an external logrotate); throws, and keeps the old file, when it cannot. */
  readonly reopen: () => void
  /** Resolves when the compressions started so far are done. */
  readonly compressed: () => Promise<void>
  /** Bytes in the live file, as of the last write. */
  readonly size: number
  /** When the next timed rotation is due (epoch ms); `undefined` without timed rotation. */
  readonly rolloverAt: number | undefined
}

/** An open live file. */
interface Live {
  readonly fd: number
  readonly dev: number
  readonly ino: number
  /** Only regular files are rotated or truncated. */
  readonly regular: boolean
  readonly size: number
  readonly mtimeMs: number
}

const lockStaleMs = 10_000
/**
 * How long `close()` lets compressions under way finish; those still running then are abandoned
 * (backup left uncompressed, temporary file removed), which takes well under a second more. The
 * sum stays below the executors' `closeTimeoutMs` (5 s), after which a worker thread is ended:
 * a thread ended in the middle of a compression would leave its temporary file behind.
 */
const compressionWaitMs = 3_000
/** How long abandoned compressions get to stop and remove their temporary files. */
const abandonWaitMs = 1_000
/** How long a compression keeps a removed backup open for writes already under way (see `catchUp`). */
const tailGraceMs = 200
/** Compressions of one sink copying at once. */
const maxRunning = 2
const newline = new Uint8Array([10])
/**
 * How long a rotation waits for the lock another process holds: a rotation holds it for well
 * under a millisecond (more with many backups to shift, or when its process is descheduled).
 * Not waiting sent the rest of the batch to the file as it was, every time: under contention a
 * live file or a renamed backup grew to many times `maxBytes`.
 */
const lockWaitMs = 200
const pause = new Int32Array(new SharedArrayBuffer(4))

const errorCode = (error: unknown): unknown =>
  typeof error === "object" && error !== null ? (error as NodeJS.ErrnoException).code : undefined

const messageOf = (error: unknown): string => error instanceof Error ? error.message : String(error)

/** The error of a failed write: `recordsWritten` records of the batch are on disk. */
const writeError = (file: string, cause: unknown, recordsWritten: number): Error =>
  Object.assign(new Error(`cannot write to ${file}: ${messageOf(cause)}`, { cause }), { recordsWritten })

/**
 * Creates the missing folders above `file`, walking up from its parent to the first that exists.
 * Not `mkdirSync({ recursive: true })`: under /proc it loops forever (mkdir says ENOENT, the
 * parent exists, try again). Throws an Error naming the component that is not a folder or that
 * cannot be created.
 */
const makeParents = (file: string): void => {
  const missing: Array<string> = []
  let dir = path.dirname(path.resolve(file))
  for (;;) {
    let stat: fs.Stats | undefined
    try {
      stat = fs.statSync(dir)
    } catch (error) {
      const code = errorCode(error)
      if (code !== "ENOENT" && code !== "ENOTDIR") throw new Error(`cannot use directory ${dir}: ${messageOf(error)}`)
    }
    if (stat !== undefined) {
      if (!stat.isDirectory()) throw new Error(`${dir} is not a directory`)
      break
    }
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error(`${dir} does not exist`)
    missing.push(dir)
    dir = parent
  }
  for (let i = missing.length - 1; i >= 0; i--) {
    const folder = missing[i]!
    try {
      fs.mkdirSync(folder)
    } catch (error) {
      if (errorCode(error) !== "EEXIST") throw new Error(`cannot create directory ${folder}: ${messageOf(error)}`)
      if (!fs.statSync(folder).isDirectory()) throw new Error(`${folder} is not a directory`)
    }
  }
}

const { O_APPEND, O_CREAT, O_NONBLOCK, O_TRUNC, O_WRONLY } = fs.constants

/**
 * Opens `file` for writing. A FIFO's open waits until some process opens it for reading: it is
 * tried without waiting first, so that a FIFO nobody reads is an error, not a hang. A regular
 * file keeps that descriptor (`O_NONBLOCK` does nothing to regular files); anything else is
 * opened again as usual, now that it has a reader, before the first descriptor is closed: a FIFO
 * left without a writer in between would give its reader an end of file (`cat` would end), and
 * the second open would then wait for a reader that never comes.
 * `"w"` truncates, and appends too (`O_APPEND`): after an outside truncation (logrotate's
 * `copytruncate`, `: > app.log`) the next write lands at the start of the file, not at the old
 * offset behind a hole of zeros.
 */
const openWriting = (file: string, flags: "a" | "w"): number => {
  if (O_NONBLOCK === undefined) return fs.openSync(file, flags)
  const mode = O_WRONLY | O_CREAT | O_APPEND | (flags === "a" ? 0 : O_TRUNC)
  let fd: number
  try {
    fd = fs.openSync(file, mode | O_NONBLOCK)
  } catch (error) {
    // ENXIO is also what opening a Unix socket (or a device that is not there) gives.
    if (errorCode(error) === "ENXIO" && isFifo(file)) {
      throw new Error("a FIFO (named pipe) that no process has open for reading", { cause: error })
    }
    throw error
  }
  let regular = false
  let again = -1
  try {
    regular = fs.fstatSync(fd).isFile()
    if (!regular) again = fs.openSync(file, flags === "a" ? O_WRONLY | O_APPEND : O_WRONLY)
  } finally {
    if (!regular) fs.closeSync(fd)
  }
  return regular ? fd : again
}

const isFifo = (file: string): boolean => {
  try {
    return fs.statSync(file).isFIFO()
  } catch {
    return false
  }
}

/** Opens `file` (`"a"` or `"w"`), creating missing folders; throws an Error whose message is the reason. */
const openLive = (file: string, flags: "a" | "w"): Live => {
  let fd: number
  try {
    fd = openWriting(file, flags)
  } catch (error) {
    const code = errorCode(error)
    if (code !== "ENOENT" && code !== "ENOTDIR") throw new Error(messageOf(error), { cause: error })
    makeParents(file)
    try {
      fd = openWriting(file, flags)
    } catch (again) {
      throw new Error(messageOf(again), { cause: again })
    }
  }
  try {
    const stat = fs.fstatSync(fd)
    return { fd, dev: stat.dev, ino: stat.ino, regular: stat.isFile(), size: stat.size, mtimeMs: stat.mtimeMs }
  } catch (error) {
    fs.closeSync(fd)
    throw new Error(messageOf(error), { cause: error })
  }
}

/**
 * Takes the rotation lock of a path: `true` when taken, `false` when another process holds it.
 * Throws when the lock file cannot be created (a read-only directory: rotating would fail too).
 */
const tryLock = (lock: string): boolean => {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.closeSync(fs.openSync(lock, "wx"))
      return true
    } catch (error) {
      if (errorCode(error) !== "EEXIST") throw error
    }
    try {
      if (Date.now() - fs.statSync(lock).mtimeMs < lockStaleMs) return false
      fs.unlinkSync(lock) // left by a process that died while rotating
    } catch (error) {
      if (errorCode(error) !== "ENOENT") throw error
    }
  }
  return false
}

const unlock = (lock: string): void => {
  try {
    fs.unlinkSync(lock)
  } catch {
    // already gone
  }
}

/**
 * Renames `from` to `to` unless `to` exists (then `false`, nothing changed): a hard link, which
 * fails if `to` exists, then an unlink. Where hard links are not supported, a check then a rename.
 */
const renameNoReplace = (from: string, to: string): boolean => {
  try {
    fs.linkSync(from, to)
  } catch (error) {
    const code = errorCode(error)
    if (code === "EEXIST") return false
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw error
    if (fs.existsSync(to)) return false
    fs.renameSync(from, to)
    return true
  }
  try {
    fs.unlinkSync(from)
  } catch (error) {
    fs.rmSync(to, { force: true })
    throw error
  }
  return true
}

/** Which of `candidates` is the file `dev`/`ino`, if any. */
const locate = (dev: number, ino: number, candidates: ReadonlyArray<string>): string | undefined => {
  for (const file of candidates) {
    try {
      const stat = fs.statSync(file)
      if (stat.ino === ino && stat.dev === dev) return file
    } catch {
      // not there
    }
  }
  return undefined
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

const closeQuietly = async (handle: fsp.FileHandle | undefined): Promise<void> => {
  try {
    await handle?.close()
  } catch {
    // closing is all we wanted
  }
}

/** The default reporter: `femtologging: <label>: <message>` on stderr, at most one line per 5 s. */
const stderrReporter = (label: string, intervalMs = 5_000): (message: string) => void => {
  let last = Number.NEGATIVE_INFINITY
  let held = 0
  return (message) => {
    const now = Date.now()
    if (!reportDue(now, last, intervalMs)) {
      held++
      return
    }
    const more = held === 0 ? "" : ` (${held} more report${held === 1 ? "" : "s"} held back before this one)`
    last = now
    held = 0
    try {
      fs.writeSync(2, `femtologging: ${label}: ${message}${more}\n`)
    } catch {
      // stderr is gone
    }
  }
}

/**
 * Gzips `source` from byte `from` to its end into `target` from byte `at` (both stay open: the
 * caller closes them, once); resolves to the number of source bytes read. Plain reads and writes
 * on the file handles, no fs streams: those close the handle they read from themselves.
 */
const gzip = async (
  source: fsp.FileHandle,
  target: fsp.FileHandle,
  from = 0,
  at = 0,
  /** Called before each read: throws to stop the copy. */
  check: () => void = () => {}
): Promise<number> => {
  // Loaded on the first compression, not at import.
  const { pipeline } = process.getBuiltinModule("node:stream/promises")
  const zlib = process.getBuiltinModule("node:zlib")
  let position = from
  await pipeline(
    async function*() {
      for (;;) {
        check()
        const buffer = Buffer.allocUnsafe(64 * 1024)
        const { bytesRead } = await source.read(buffer, 0, buffer.length, position)
        if (bytesRead === 0) return
        position += bytesRead
        yield buffer.subarray(0, bytesRead)
      }
    },
    zlib.createGzip(),
    async (compressed: AsyncIterable<Buffer>) => {
      let written = at
      for await (const chunk of compressed) {
        for (let offset = 0; offset < chunk.length;) {
          const { bytesWritten } = await target.write(chunk, offset, chunk.length - offset, written)
          if (bytesWritten <= 0) throw new Error("write(2) wrote nothing")
          offset += bytesWritten
          written += bytesWritten
        }
      }
    }
  )
  return position - from
}

/**
 * Background compressions of one sink. A job finds the backup by device and inode (later
 * rotations may have shifted it), gzips it to a temporary file beside it, then, under the
 * rotation lock, renames that to `<where the backup is now>.gz` and removes the backup. A backup
 * deleted meanwhile (pruned) is left alone and the copy discarded.
 *
 * Another process that had not yet seen the rotation may still be in the middle of a write to
 * the backup when it is removed (it checks at each write, see `write`): the job keeps the backup
 * open and, `tailGraceMs` later and until it stops growing, gzips what was appended meanwhile
 * as a further gzip member at the end of the `.gz` (gunzip reads concatenated members as one).
 */
const makeCompressor = (lock: string, report: (message: string) => void, tailGraceMs: number) => {
  const jobs = new Set<Promise<void>>()
  let sequence = 0
  /** Set by `finish()` once its wait is over: jobs stop where they are, remove their temporary file. */
  let abandoned = false
  /** Throws when the jobs were abandoned (checked at each step of a job). */
  const stopIfAbandoned = (): void => {
    if (abandoned) throw new Error("the handler closed before it was done")
  }
  let close!: () => void
  /** Resolves when the sink closes. */
  const closed = new Promise<boolean>((resolve) => {
    close = () => resolve(true)
  })

  const withLock = async <A>(body: () => A | Promise<A>): Promise<A> => {
    const deadline = Date.now() + 2_000
    while (!tryLock(lock)) {
      stopIfAbandoned()
      if (Date.now() > deadline) throw new Error(`${lock} stayed taken`)
      await sleep(5)
    }
    try {
      return await body()
    } finally {
      unlock(lock)
    }
  }

  /**
   * Puts the compressed copy in place: the `.gz`'s device and inode once done, `"gone"` when the
   * backup was deleted meanwhile, `"grew"` when it grew meanwhile (compress again).
   */
  const swap = (
    source: fsp.FileHandle,
    dev: number,
    ino: number,
    size: number,
    tmp: string,
    candidates: () => ReadonlyArray<string>
  ): Promise<{ readonly dev: number; readonly ino: number } | "gone" | "grew"> =>
    withLock(() => {
      stopIfAbandoned()
      const stat = fs.fstatSync(source.fd)
      const now = stat.nlink === 0 ? undefined : locate(dev, ino, candidates())
      if (now === undefined) {
        fs.rmSync(tmp, { force: true })
        return "gone"
      }
      if (stat.size !== size) return "grew"
      if (!renameNoReplace(tmp, `${now}.gz`)) throw new Error(`${now}.gz already exists`)
      const placed = fs.statSync(`${now}.gz`)
      fs.unlinkSync(now)
      return { dev: placed.dev, ino: placed.ino }
    })

  /**
   * `false` after `tailGraceMs`, `true` as soon as the sink closes: then without leaving the grace
   * timer running, which would keep the process alive that long after `close()` returned.
   */
  const graceOrClose = (): Promise<boolean> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), tailGraceMs)
      void closed.then(() => {
        clearTimeout(timer)
        resolve(true)
      })
    })

  /**
   * Appends to the `.gz` (`gz`) what was written to the removed backup after `read` bytes, until
   * it stops growing; `false` when the `.gz` is gone (pruned: the tail goes with it).
   */
  const catchUp = async (
    source: fsp.FileHandle,
    read: number,
    gz: { readonly dev: number; readonly ino: number },
    candidates: () => ReadonlyArray<string>
  ): Promise<void> => {
    for (let last = false; !last;) {
      // Once the sink closes, one last look now rather than after the grace period.
      last = await graceOrClose()
      if ((await source.stat()).size <= read) return
      // No lock: the `.gz` is found by inode and written through its own descriptor, so a
      // rotation renaming it meanwhile does not matter (and a lock held by a stopped process
      // cannot make us give up bytes that are only in the removed backup).
      const opened = await openBackup(gz.dev, gz.ino, () => candidates().map((name) => `${name}.gz`), "r+")
      if (opened === undefined) return // pruned: the tail goes with it
      const target = opened[1]
      try {
        const end = (await target.stat()).size
        try {
          read += await gzip(source, target, read, end)
        } catch (error) {
          await target.truncate(end).catch(() => {}) // no half member left in the .gz
          throw error
        }
      } finally {
        await closeQuietly(target)
      }
    }
  }

  /** Opens the file `dev`/`ino`, found among `candidates()` (found again if it moves meanwhile). */
  const openBackup = async (
    dev: number,
    ino: number,
    candidates: () => ReadonlyArray<string>,
    flags = "r"
  ): Promise<[string, fsp.FileHandle] | undefined> => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const found = locate(dev, ino, candidates())
      if (found === undefined) return undefined
      let handle: fsp.FileHandle
      try {
        handle = await fsp.open(found, flags)
      } catch (error) {
        if (errorCode(error) === "ENOENT") continue // moved or removed since the look-up
        throw error
      }
      const stat = await handle.stat().catch(() => undefined)
      if (stat?.ino === ino && stat.dev === dev) return [found, handle]
      await closeQuietly(handle) // moved by a later rotation between the look-up and the open
    }
    throw new Error("it kept moving (rotations faster than compression)")
  }

  /**
   * At most `maxRunning` compressions copy at once (the others wait their turn): after a burst of
   * rotations, few descriptors are held and few temporary files exist at any time.
   */
  let running = 0
  const queued: Array<() => void> = []
  const acquire = (): Promise<void> | void => {
    if (running < maxRunning) {
      running++
      return
    }
    return new Promise<void>((resolve) => queued.push(resolve))
  }
  const release = (): void => {
    const next = queued.shift()
    if (next === undefined) running--
    else next() // the slot passes on
  }

  const compress = async (dev: number, ino: number, candidates: () => ReadonlyArray<string>): Promise<void> => {
    let name = "a backup"
    let tmp: string | undefined
    let source: fsp.FileHandle | undefined
    let target: fsp.FileHandle | undefined
    let created = false
    let slot = true
    await acquire()
    if (abandoned) {
      release()
      return // never started: its backup stays uncompressed (counted in the report of finish())
    }
    const free = () => {
      if (slot) release()
      slot = false
    }
    try {
      const opened = await openBackup(dev, ino, candidates)
      if (opened === undefined) return // removed (pruned) before we got to it: nothing to compress
      ;[name, source] = opened
      tmp = path.join(path.dirname(name), `.${path.basename(name)}.${process.pid}.${++sequence}.gz.tmp`)
      for (let attempt = 1; ; attempt++) {
        const { size } = await source.stat()
        target = await fsp.open(tmp, attempt === 1 ? "wx" : "w")
        created = true
        const read = await gzip(source, target, 0, 0, stopIfAbandoned)
        const done = target
        target = undefined
        await done.close()
        const placed = await swap(source, dev, ino, size, tmp, candidates)
        if (placed === "gone") return
        if (placed !== "grew") {
          free() // the catch-up only waits: the next compression may start
          try {
            await catchUp(source, Math.min(read, size), placed, candidates)
          } catch (error) {
            report(`records appended to ${name} while it was compressed are lost: ${messageOf(error)}`)
          }
          return
        }
        if (attempt === 3) throw new Error("it kept growing while it was compressed")
      }
    } catch (error) {
      if (created) {
        try {
          fs.rmSync(tmp!, { force: true })
        } catch {
          // nothing more to do
        }
      }
      report(`could not compress ${name}, left uncompressed: ${messageOf(error)}`)
    } finally {
      free()
      await closeQuietly(target)
      await closeQuietly(source)
    }
  }

  return {
    /**
     * Compresses the file `dev`/`ino`, found among `candidates()`, from the next turn of the event
     * loop (after a burst of rotations, not in the middle of it). Never rejects.
     */
    start: (dev: number, ino: number, candidates: () => ReadonlyArray<string>): void => {
      const job = new Promise((resolve) => setImmediate(resolve))
        .then(() => compress(dev, ino, candidates))
        .catch((error) => report(`compression failed: ${messageOf(error)}`))
      jobs.add(job)
      void job.then(() => jobs.delete(job))
    },
    /** The sink is closing: pending catch-ups look once more at once instead of waiting. */
    closing: (): void => close(),
    /** Resolves when the jobs started so far are done. */
    settle: (): Promise<void> => Promise.all(jobs).then(() => undefined),
    /**
     * The sink is closing: lets the jobs under way finish for `timeoutMs`, then abandons the rest
     * (each stops at its next step and removes its temporary file; the backups stay
     * uncompressed, reported) and resolves once they have ended.
     */
    finish: async (timeoutMs: number): Promise<void> => {
      close()
      if (await within(Promise.all(jobs).then(() => true), timeoutMs)) return
      const left = jobs.size
      abandoned = true
      report(`closed before ${left} compression${left === 1 ? "" : "s"} ended: their backups are left uncompressed`)
      await within(Promise.all(jobs), abandonWaitMs)
    },
    pending: (): number => jobs.size
  }
}

/**
 * Removes the temporary files of compressions cut short by the end of their process
 * (`.<backup>.<pid>.<n>.gz.tmp` whose process is gone); their backups stayed uncompressed.
 */
const removeStaleTemporaries = (file: string): void => {
  const dir = path.dirname(file)
  const prefix = `.${path.basename(file)}.`
  try {
    for (const name of fs.readdirSync(dir)) {
      if (!name.startsWith(prefix) || !name.endsWith(".gz.tmp")) continue
      const pid = Number(/\.(\d+)\.\d+\.gz\.tmp$/.exec(name)?.[1])
      if (!Number.isInteger(pid) || pid === process.pid || alive(pid)) continue
      fs.rmSync(path.join(dir, name), { force: true })
    }
  } catch {
    // an unreadable directory: nothing to tidy
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return errorCode(error) === "EPERM"
  }
}

/**
 * Opens `options.path` and returns the sink writing to it. Throws an Error whose message is the
 * reason when the file cannot be opened (the caller adds the path); never hangs on odd paths.
 * With `delay`, opens nothing yet: see {@link delayed}.
 *
 * @internal
 */
export const makeFileSink = (options: FileSinkOptions, hooks: FileSinkHooks = {}): FileSink => {
  const { opened } = options
  if (options.delay !== true) {
    const sink = openFileSink(options, hooks)
    if (opened !== undefined) Atomics.store(opened, 0, 1)
    return sink
  }
  if (opened === undefined) return delayed(() => openFileSink(options, hooks), options.path)
  return delayed(() => {
    const sink = openFileSink(Atomics.load(opened, 0) === 0 ? options : { ...options, mode: "a" }, hooks)
    Atomics.store(opened, 0, 1)
    return sink
  }, options.path)
}

/**
 * A file sink that opens (and creates) its file at its first write, as CPython's `delay=True`:
 * a handler that never writes leaves no file. A write whose open fails throws (the handler
 * reports it and counts its records); the next write tries again.
 */
const delayed = (open: () => FileSink, file: string): FileSink => {
  let sink: FileSink | undefined
  let closed = false
  return {
    write: (batch, ends) => {
      if (sink === undefined && closed) throw writeError(file, new Error("the sink is closed"), 0)
      return (sink ??= open()).write(batch, ends)
    },
    flush: () => sink?.flush() ?? true,
    close: () => {
      closed = true
      return sink?.close()
    },
    reopen: () => sink?.reopen(),
    compressed: () => sink?.compressed() ?? Promise.resolve(),
    get size() {
      return sink?.size ?? 0
    },
    get rolloverAt() {
      return sink?.rolloverAt
    }
  }
}

const openFileSink = (options: FileSinkOptions, hooks: FileSinkHooks): FileSink => {
  // A lone surrogate is written to the file system as U+FFFD: so spelt, the path matches the names
  // a directory listing gives (backups to shift and prune, temporary files to remove).
  const file = options.path.toWellFormed()
  const lock = `${file}.lock`
  const now = hooks.now ?? Date.now
  /** `now()` in whole seconds, as CPython's `int(time.time())`: boundaries fall on whole seconds. */
  const nowSeconds = (): number => Math.floor(now() / 1000) * 1000
  const report = hooks.report ?? stderrReporter(options.label ?? file)
  const rotation = options.rotation
  const sized = rotation?.kind === "size" && rotation.maxBytes > 0 && rotation.backupCount > 0 ? rotation : undefined
  const timed = rotation?.kind === "time" ? rotation : undefined
  const schedule = timed === undefined ? undefined : makeSchedule(timed)
  const compressor = options.compress === true ? makeCompressor(lock, report, tailGraceMs) : undefined

  let live = openLive(file, options.mode === "w" ? "w" : "a")
  if (compressor !== undefined) removeStaleTemporaries(file)
  let size = live.size
  let rolloverAt = Number.POSITIVE_INFINITY
  if (schedule !== undefined) {
    const current = nowSeconds()
    const mtime = Math.floor(live.mtimeMs / 1000) * 1000 // CPython's ST_MTIME
    rolloverAt = nextRollover(schedule, mtime <= current ? mtime : current)
  }
  /** After a failed size rotation, no new attempt before the live file reaches this size. */
  let retryAtSize = 0
  /** A wait for the lock timed out (a process died holding it?): no waiting until it is taken again. */
  let lockStuck = false
  let failed = false
  /** A torn record could not be truncated away: the next write starts with a newline. */
  let torn = false
  let closed = false
  let closing: Promise<void> | undefined

  const switchTo = (next: Live): void => {
    const old = live
    live = next
    size = next.size
    retryAtSize = 0
    torn = false
    try {
      fs.closeSync(old.fd)
    } catch {
      // already gone
    }
  }

  /** Whether the path no longer names the open file (rotated by another process, deleted, renamed). */
  const pathMoved = (): boolean => {
    try {
      const stat = fs.statSync(file)
      return stat.ino !== live.ino || stat.dev !== live.dev
    } catch {
      return true
    }
  }

  /**
   * Rotates under the lock: if another process already did (the path names another file), reopens
   * the path and rotates that one only when `stillDue()`. `rename` moves the live file away and
   * returns the backup's name; `candidates` say where a compression may find the backup later.
   * `"busy"` when another process holds the lock (nothing done), `"failed"` after a reported failure.
   */
  const rotate = (
    stillDue: () => boolean,
    rename: () => string,
    candidates: (backup: string) => ReadonlyArray<string>
  ): "done" | "busy" | "failed" => {
    try {
      // Waits (the thread sleeps) while another process rotates: it may be rotating this very file.
      const deadline = lockStuck ? 0 : Date.now() + lockWaitMs
      while (!tryLock(lock)) {
        if (Date.now() >= deadline) {
          lockStuck = true
          return "busy"
        }
        Atomics.wait(pause, 0, 0, 1)
      }
      lockStuck = false
    } catch (error) {
      report(`rotation of ${file} failed (${messageOf(error)}); appending to the live file`)
      return "failed"
    }
    try {
      if (pathMoved()) {
        switchTo(openLive(file, "a"))
        if (!stillDue()) return "done"
      }
      const old = live
      let backup: string
      try {
        backup = rename()
      } catch (error) {
        report(`rotation of ${file} failed (${messageOf(error)}); appending to the live file`)
        return "failed"
      }
      switchTo(openLive(file, "a"))
      compressor?.start(old.dev, old.ino, () => candidates(backup))
      return "done"
    } catch (error) {
      report(`could not reopen ${file} (${messageOf(error)}); still writing to the previous file`)
      return "failed"
    } finally {
      unlock(lock)
    }
  }

  /**
   * Rotates before a record of `length` (without its newline, in what the rule counts: bytes, or
   * CPython's characters); `false` when another process holds the lock.
   */
  const rotateBySize = (length: number): boolean => {
    const { maxBytes, backupCount, rule } = sized!
    // Another process rotated this file already (it is a backup now): on to the live file, without
    // the lock, which is only needed to rotate that one, when it is due too.
    if (pathMoved()) {
      try {
        switchTo(openLive(file, "a"))
        if (!shouldRotate(size, 0, length, maxBytes, rule)) return true
      } catch {
        // rotate() tries again under the lock, and reports
      }
    }
    const outcome = rotate(
      () => shouldRotate(size, 0, length, maxBytes, rule),
      () => {
        rotateFiles(file, backupCount)
        return backupName(file, 1)
      },
      () => Array.from({ length: backupCount }, (_, i) => backupName(file, i + 1))
    )
    if (outcome === "failed") retryAtSize = size + maxBytes
    return outcome !== "busy"
  }

  const rotateByTime = (): void => {
    const boundary = rolloverAt
    const current = nowSeconds()
    let next = nextRollover(schedule!, current)
    while (next <= current) next = nextRollover(schedule!, next)
    // The next boundary is set first: whatever fails, the file is not rotated again at each write.
    rolloverAt = next
    if (!live.regular) return
    const outcome = rotate(
      () => false,
      () => {
        const target = rolledFileName(file, schedule!, boundary)
        if (!renameNoReplace(file, target)) throw new Error(`${target} already exists`)
        for (const old of filesToDelete(file, fs.readdirSync(path.dirname(file)), schedule!, timed!.backupCount, compressor !== undefined)) {
          try {
            fs.rmSync(old, { force: true })
          } catch (error) {
            report(`could not delete old backup ${old}: ${messageOf(error)}`)
          }
        }
        return target
      },
      (backup) => [backup]
    )
    if (outcome === "busy") rolloverAt = boundary // another process is rotating: look again at the next write
  }

  /**
   * Whether the open file was removed (has no name left): another process rotated it (its
   * boundary came first) and compressed the backup, or someone deleted it. Checked before each
   * write under timed rotation with compression, and when a watched file cannot be reopened.
   */
  const removed = (): boolean => {
    try {
      return fs.fstatSync(live.fd).nlink === 0
    } catch {
      return false
    }
  }

  /**
   * Reopens the path when it names another file than the open one (watch mode). When it cannot:
   * a file renamed away is still written to; a deleted one is not (nobody could read the lines),
   * so the batch fails and its records are counted dropped, as CPython's handler drops them.
   */
  const follow = (): void => {
    if (!pathMoved()) return
    try {
      switchTo(openLive(file, "a"))
    } catch (error) {
      if (live.regular && removed()) {
        failed = true
        throw writeError(file, new Error(`the file was deleted and cannot be created again (${messageOf(error)})`), 0)
      }
      report(`could not reopen ${file} (${messageOf(error)}); still writing to the previous file`)
    }
  }

  /**
   * Writes records `first` to `end - 1` of the batch (`before` records of it are on disk already).
   * On failure, cuts the torn record off and throws with `recordsWritten`.
   */
  const writeRecords = (batch: Uint8Array, ends: Uint32Array, first: number, end: number, before: number): void => {
    const from = first === 0 ? 0 : ends[first - 1]!
    const to = end === 0 ? 0 : ends[end - 1]!
    let offset = from
    try {
      while (offset < to) {
        const n = fs.writeSync(live.fd, batch, offset, to - offset)
        if (n <= 0) throw new Error("write(2) wrote nothing")
        offset += n
      }
      size += to - from
    } catch (error) {
      failed = true
      let whole = first
      while (whole < end && ends[whole]! <= offset) whole++
      const kept = whole === first ? from : ends[whole - 1]!
      size += kept - from
      if (offset > kept) cutTorn(offset - kept)
      throw writeError(file, error, before + whole - first)
    }
  }

  /** Removes the last `bytes` bytes of the live file: the start of a record whose write failed. */
  const cutTorn = (bytes: number): void => {
    try {
      if (!live.regular) throw new Error("not a regular file")
      fs.ftruncateSync(live.fd, fs.fstatSync(live.fd).size - bytes)
    } catch (error) {
      torn = true
      report(`could not remove a partly written record (${messageOf(error)}); the next write starts on a new line`)
    }
  }

  const write = (batch: Uint8Array, ends: Uint32Array): void => {
    if (closed) throw writeError(file, new Error("the sink is closed"), 0)
    const count = ends.length
    if (count === 0) return
    // A due timed rotation first: when the path names another file (another process rotated at
    // the same boundary), it takes that file as the rotation; following the path first would
    // rotate the other's new file again, its records under the name of the period before.
    if (schedule !== undefined) {
      if (now() >= rolloverAt) rotateByTime()
      else if (compressor !== undefined && live.regular && removed()) follow()
    }
    if (options.watch === true) follow()
    if (torn) {
      try {
        fs.writeSync(live.fd, newline)
      } catch (error) {
        failed = true
        throw writeError(file, error, 0)
      }
      torn = false
      size += 1
    }
    let first = 0
    if (sized !== undefined && live.regular) {
      let removedHere = false
      try {
        const stat = fs.fstatSync(live.fd)
        size = stat.size // other processes may append too
        // Removed: another process rotated it, then compressed or pruned the backup.
        removedHere = stat.nlink === 0
      } catch {
        // keep the count
      }
      if (removedHere) follow()
      for (let i = 0; i < count; i++) {
        const start = i === 0 ? 0 : ends[i - 1]!
        const pending = start - (first === 0 ? 0 : ends[first - 1]!)
        const bytes = ends[i]! - start
        // Characters are never more than bytes: counted only for a record whose bytes would rotate.
        if (size + pending < retryAtSize || !shouldRotate(size, pending, bytes - 1, sized.maxBytes, sized.rule)) continue
        const length = sized.rule === "cpython" ? codePoints(batch, start, ends[i]! - 1) : bytes - 1
        if (length !== bytes - 1 && !shouldRotate(size, pending, length, sized.maxBytes, sized.rule)) continue
        writeRecords(batch, ends, first, i, first)
        first = i
        if (!rotateBySize(length)) break // another process is rotating: the rest goes here
      }
    }
    writeRecords(batch, ends, first, count, first)
  }

  const flush = (): boolean => {
    const ok = !failed
    failed = false
    return ok
  }

  const close = (): void | Promise<void> => {
    if (!closed) {
      closed = true
      try {
        fs.closeSync(live.fd)
      } catch {
        // already gone
      }
      if (compressor !== undefined && compressor.pending() > 0) closing = compressor.finish(hooks.compressionWaitMs ?? compressionWaitMs)
      else compressor?.closing()
    }
    return closing
  }

  const reopen = (): void => {
    if (closed) throw new Error(`${file} is closed`)
    switchTo(openLive(file, "a"))
  }

  return {
    write,
    flush,
    close,
    reopen,
    compressed: () => compressor?.settle() ?? Promise.resolve(),
    get size() {
      return size
    },
    get rolloverAt() {
      return schedule === undefined ? undefined : rolloverAt
    }
  }
}

/**
 * The factory a worker thread calls: `(options) => Sink`.
 *
 * @internal
 */
const fileSink = (options: FileSinkOptions): Sink => makeFileSink(options)

export default fileSink
