/**
 * The synchronous file writer behind the file handlers: append-only, UTF-8, with the seed's
 * record-count flushing and an optional rotation step checked before each record.
 *
 * Buffering: lines are appended to a pending string. A record is due once `flushInterval`
 * records have been appended since the last write; at the end of each batch everything up to the
 * last due record goes out in one `write(2)`. So with the default interval of 1 a batch is one
 * system call, not one per record, and a record never waits for more than `flushInterval - 1`
 * later records. `flush()` writes everything pending. Pending text above 4 MiB is written
 * regardless, so memory stays bounded whatever the interval.
 *
 * @internal
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { Formatter } from "../Formatter.ts"
import type { LogRecord } from "../LogRecord.ts"
import { writeAllSync } from "../Sink.ts"

/** A rotation rule, consulted before each record is appended. @internal */
export interface Rotation {
  /** Whether the record (`bytes` UTF-8 bytes, newline excluded) must go to a fresh file. */
  readonly due: (writer: FileWriter, bytes: number) => boolean
  /** Renames or removes files; called with the live file written out and closed. */
  readonly rotate: (writer: FileWriter) => void
  /** Whether `due` needs byte counts (size rotation) or not (time rotation). */
  readonly countsBytes: boolean
}

/** @internal */
export interface FileWriterOptions {
  readonly path: string
  readonly formatter: Formatter
  readonly flushInterval: number
  readonly flushAfterMs?: number | undefined
  readonly rotation?: Rotation | undefined
  /** Reports a problem that did not stop writing (a failed rotation). */
  readonly report: (message: string) => void
}

const maxPendingChars = 4 * 1024 * 1024

/** @internal */
export class FileWriter {
  fd: number
  /** Bytes in the live file (tracked only when the rotation counts bytes). */
  size: number
  pendingBytes = 0
  /** Told how many records a failed write lost (the handler counts them as dropped). */
  onLost: (records: number, error: unknown) => void = () => {}
  private pending = ""
  private pendingRecords = 0
  private since = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  private closed = false
  private failedSinceFlush = false

  constructor(readonly options: FileWriterOptions) {
    const fd = this.open()
    if (typeof fd !== "number") throw fd
    this.fd = fd
    this.size = fs.fstatSync(fd).size
  }

  get path(): string {
    return this.options.path
  }

  /** Opens the path for appending (creating missing folders); the error when it cannot. */
  private open(): number | Error {
    try {
      fs.mkdirSync(path.dirname(this.options.path), { recursive: true })
      return fs.openSync(this.options.path, "a")
    } catch (error) {
      return error as Error
    }
  }

  /** Switches to a freshly opened descriptor, closing the old one only once the new one is open. */
  private switchTo(fd: number): void {
    const old = this.fd
    this.fd = fd
    this.size = fs.fstatSync(fd).size
    try {
      fs.closeSync(old)
    } catch {
      // already gone
    }
  }

  /** Appends a batch, writing out what is due. */
  write(batch: ReadonlyArray<LogRecord>): void {
    const { formatter, flushInterval, rotation } = this.options
    let dueChars = 0
    let dueRecords = 0
    for (let i = 0; i < batch.length; i++) {
      const line = formatter(batch[i]!)
      if (rotation !== undefined) {
        const bytes = rotation.countsBytes ? Buffer.byteLength(line) : 0
        if (rotation.due(this, bytes)) {
          this.writeOut(this.pending.length, this.pendingRecords)
          dueChars = dueRecords = this.since = 0
          this.rotateNow()
        }
        this.pendingBytes += bytes + 1
      }
      this.pending += line + "\n"
      this.pendingRecords++
      if (++this.since >= flushInterval) {
        dueChars = this.pending.length
        dueRecords = this.pendingRecords
        this.since = 0
      }
    }
    if (this.pending.length > maxPendingChars) {
      dueChars = this.pending.length
      dueRecords = this.pendingRecords
    }
    this.writeOut(dueChars, dueRecords)
    if (this.pending.length > 0 && this.options.flushAfterMs !== undefined && this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined
        if (!this.closed) this.writeAll()
      }, this.options.flushAfterMs)
      this.timer.unref()
    }
  }

  /**
   * Writes the first `chars` characters of the pending text, which hold `records` whole records.
   * A failed write loses those records: they are reported through `onLost`, never thrown.
   */
  private writeOut(chars: number, records: number): void {
    if (chars <= 0) return
    const all = chars === this.pending.length
    const text = all ? this.pending : this.pending.slice(0, chars)
    const counts = this.options.rotation?.countsBytes === true
    const bytes = counts ? (all ? this.pendingBytes : Buffer.byteLength(text)) : 0
    this.pending = all ? "" : this.pending.slice(chars)
    this.pendingRecords -= records
    this.pendingBytes -= bytes
    try {
      writeAllSync(this.fd, text)
      this.size += bytes
    } catch (error) {
      this.failedSinceFlush = true
      this.onLost(records, error)
    }
  }

  private rotateNow(): void {
    let reason: unknown
    try {
      this.options.rotation!.rotate(this)
    } catch (error) {
      reason = error
    }
    const fresh = this.open()
    if (typeof fresh === "number") this.switchTo(fresh)
    else reason ??= fresh
    if (reason !== undefined) {
      const outcome = typeof fresh === "number" ? "appending to the live file" : "still writing to the previous file"
      this.options.report(`rotation of ${this.options.path} failed (${String(reason)}); ${outcome}`)
    }
  }

  /** Writes everything pending (a failure stays noted for the next `flush()`). */
  private writeAll(): void {
    this.since = 0
    this.writeOut(this.pending.length, this.pendingRecords)
  }

  /** Writes everything pending; `false` when a write failed since the last flush. */
  flush(): boolean {
    this.writeAll()
    const ok = !this.failedSinceFlush
    this.failedSinceFlush = false
    return ok
  }

  /**
   * Writes everything pending and opens the path again (after an external logrotate). When the
   * path cannot be opened, keeps writing where it was and throws the error.
   */
  reopen(): void {
    this.writeAll() // a failure stays noted for the next flush()
    const fresh = this.open()
    if (typeof fresh !== "number") throw fresh
    this.switchTo(fresh)
  }

  /** Writes everything pending and closes the file. Idempotent. */
  close(): boolean {
    if (this.closed) return true
    const ok = this.flush()
    this.closed = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    fs.closeSync(this.fd)
    return ok
  }
}
