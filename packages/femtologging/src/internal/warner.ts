/**
 * Rate-limited reports on stderr: drops, failed writes, a formatter or handler that keeps
 * throwing. What a quiet interval holds back is counted and reported when it ends, or at exit.
 *
 * @internal
 */
import { writeSync } from "node:fs"
import { reportDue } from "./reportDue.ts"
import { registry } from "./runtime.ts"

/**
 * Rate-limited warnings (drops, by default): at most one line per `intervalMs` per queue,
 * carrying the number of events since the previous line. Events inside the quiet interval are
 * kept, not discarded: they are reported when the interval ends, or at exit.
 *
 * @internal
 */
export class Warner {
  private pending = 0
  private last = Number.NEGATIVE_INFINITY
  private timer: ReturnType<typeof setTimeout> | undefined
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
    this.add(1)
  }

  /** Counts `n` events and warns when the interval has passed since the last warning. */
  add(n: number): void {
    this.pending += n
    const now = this.now()
    if (reportDue(now, this.last, this.intervalMs)) return this.emit(now)
    registry.reports.add(this)
    if (this.timer === undefined) this.arm(now)
  }

  /** Reports what is held back once the interval since the last report has passed, by the clock. */
  private arm(now: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined
      const at = this.now()
      // A timer may run late, after a report made by `add` meanwhile: it waits for the interval again.
      if (reportDue(at, this.last, this.intervalMs)) this.flush()
      else if (this.pending > 0) this.arm(at)
    }, Math.max(0, this.last + this.intervalMs - now))
    this.timer.unref()
  }

  /** Reports pending events now, whatever the interval (used on close and at exit). */
  flush(): void {
    if (this.pending > 0) this.emit(this.now())
  }

  private emit(now: number): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    const n = this.pending
    this.pending = 0
    this.last = now
    registry.reports.delete(this)
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

/**
 * A reporter for repeated problems (a rotation that keeps failing, a formatter that keeps
 * throwing): the first message goes to stderr at once, later ones at most once per interval,
 * with how many were held back.
 *
 * @internal
 */
export const limitedReporter = (intervalMs = 5_000): (message: string) => void => {
  let last = ""
  const warner = new Warner("", intervalMs, Date.now, writeStderr, (n) =>
    n === 1 ? last : `${last} (${n} times since the last report)`)
  return (message) => {
    last = message
    warner.drop()
  }
}

/**
 * A {@link limitedReporter} whose lines read `femtologging: <label>: <message>`.
 *
 * @internal
 */
export const labelledReporter = (label: string): (message: string) => void => {
  const limited = limitedReporter()
  return (message) => limited(`femtologging: ${label}: ${message}`)
}
