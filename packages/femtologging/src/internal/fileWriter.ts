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
  private pending = ""
  private since = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  private closed = false

  constructor(readonly options: FileWriterOptions) {
    fs.mkdirSync(path.dirname(options.path), { recursive: true })
    this.fd = fs.openSync(options.path, "a")
    this.size = fs.fstatSync(this.fd).size
  }

  get path(): string {
    return this.options.path
  }

  /** Appends a batch, writing out what is due. */
  write(batch: ReadonlyArray<LogRecord>): void {
    const { formatter, flushInterval, rotation } = this.options
    let due = -1
    for (let i = 0; i < batch.length; i++) {
      const line = formatter(batch[i]!)
      if (rotation !== undefined) {
        const bytes = rotation.countsBytes ? Buffer.byteLength(line) : 0
        if (rotation.due(this, bytes)) {
          this.writeOut(this.pending.length)
          due = -1
          this.since = 0
          this.rotateNow()
        }
        this.pendingBytes += bytes + 1
      }
      this.pending += line + "\n"
      if (++this.since >= flushInterval) {
        due = this.pending.length
        this.since = 0
      }
    }
    if (this.pending.length > maxPendingChars) due = this.pending.length
    if (due > 0) this.writeOut(due)
    if (this.pending.length > 0 && this.options.flushAfterMs !== undefined && this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined
        if (!this.closed) this.flush()
      }, this.options.flushAfterMs)
      this.timer.unref()
    }
  }

  /** Writes the first `chars` characters of the pending text. */
  private writeOut(chars: number): void {
    if (chars <= 0) return
    const text = chars === this.pending.length ? this.pending : this.pending.slice(0, chars)
    this.pending = chars === this.pending.length ? "" : this.pending.slice(chars)
    writeAllSync(this.fd, text)
    if (this.options.rotation?.countsBytes) {
      const written = this.pending.length === 0 ? this.pendingBytes : Buffer.byteLength(text)
      this.size += written
      this.pendingBytes -= written
    }
  }

  private rotateNow(): void {
    fs.closeSync(this.fd)
    let reason: unknown
    try {
      this.options.rotation!.rotate(this)
    } catch (error) {
      reason = error
    }
    try {
      this.fd = fs.openSync(this.options.path, reason === undefined ? "w" : "a")
    } catch (error) {
      reason ??= error
      this.fd = fs.openSync(this.options.path, "a")
    }
    this.size = fs.fstatSync(this.fd).size
    if (reason !== undefined) {
      this.options.report(`rotation of ${this.options.path} failed, appending to the live file: ${String(reason)}`)
    }
  }

  /** Writes everything pending. */
  flush(): void {
    this.since = 0
    this.writeOut(this.pending.length)
  }

  /** Writes everything pending and opens the path again (after an external logrotate). */
  reopen(): void {
    this.flush()
    fs.closeSync(this.fd)
    fs.mkdirSync(path.dirname(this.options.path), { recursive: true })
    this.fd = fs.openSync(this.options.path, "a")
    this.size = fs.fstatSync(this.fd).size
  }

  /** Writes everything pending and closes the file. Idempotent. */
  close(): void {
    if (this.closed) return
    this.flush()
    this.closed = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    fs.closeSync(this.fd)
  }
}
