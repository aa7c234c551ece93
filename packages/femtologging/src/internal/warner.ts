/** @internal */
import { writeSync } from "node:fs"

/**
 * Rate-limited warnings (drops, by default): at most one line per `intervalMs` per queue,
 * carrying the number of events since the previous line. Drops inside the quiet interval are kept, not discarded, and
 * reported by the next line (or by `flush()` when the queue closes).
 *
 * @internal
 */
export class Warner {
  private pending = 0
  private last = Number.NEGATIVE_INFINITY
  constructor(
    readonly label: string,
    readonly intervalMs = 5_000,
    readonly now: () => number = Date.now,
    readonly write: (line: string) => void = writeStderr,
    readonly describe: (n: number) => string = (n) =>
      `femtologging: ${label} dropped ${n} record${n === 1 ? "" : "s"}; queue full or closed`
  ) {}

  /** Counts one event and warns when the interval has passed since the last warning. */
  drop(): void {
    this.pending++
    const now = this.now()
    if (now - this.last >= this.intervalMs) this.emit(now)
  }

  /** Reports pending events now, whatever the interval (used on close and at exit). */
  flush(): void {
    if (this.pending > 0) this.emit(this.now())
  }

  private emit(now: number): void {
    const n = this.pending
    this.pending = 0
    this.last = now
    this.write(`${this.describe(n)}\n`)
  }
}

/** Writes a line to fd 2 synchronously, ignoring failures (a warning must never throw). */
export const writeStderr = (line: string): void => {
  try {
    writeSync(2, line)
  } catch {
    // stderr is gone; nothing better to do
  }
}
