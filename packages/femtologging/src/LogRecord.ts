/**
 * A log record: what a logger builds for every accepted call, and what queues carry to handlers.
 *
 * A record holds enough to fill the socket map of the seed (`logger, level, message, timestamp_ns,
 * filename, line_number, module_path, thread_id, thread_name, key_values`) plus the fiber that
 * logged it and error details. Records are immutable once built.
 *
 * @since 0.1.0
 */
import { threadId as currentThreadId, isMainThread } from "node:worker_threads"
import type { Level } from "./Level.ts"

/**
 * One error of a chain: its name, message and stack text.
 *
 * @category models
 * @since 0.1.0
 */
export interface ErrorFrame {
  readonly name: string
  readonly message: string
  readonly stack: string | undefined
}

/**
 * An error as data: the error itself first, then each `cause` it carries (and, for an
 * `AggregateError`, its members after it), so the record can cross threads and sockets.
 *
 * @category models
 * @since 0.1.0
 */
export interface ErrorInfo extends ErrorFrame {
  readonly causes: ReadonlyArray<ErrorFrame>
}

/**
 * Structured fields attached to a record.
 *
 * @category models
 * @since 0.1.0
 */
export type Fields = Readonly<Record<string, unknown>>

/**
 * A log record.
 *
 * **Details**
 *
 * `timestampNs` is nanoseconds since the Unix epoch as a `number`. A float64 holds today's
 * nanosecond timestamps to within 256 ns, which is finer than the microsecond clock it is read
 * from; use {@link timestampNsBigInt} where an exact integer is needed (the socket frame).
 * `threadId` is the `worker_threads` id (0 on the main thread); `fiberId` is the Effect fiber
 * that logged the record, when one did.
 *
 * @category models
 * @since 0.1.0
 */
export interface LogRecord {
  readonly logger: string
  readonly level: Level
  readonly message: string
  readonly timestampNs: number
  readonly threadId: number
  readonly threadName: string
  readonly fiberId: number | undefined
  readonly fields: Fields | undefined
  readonly error: ErrorInfo | undefined
  readonly filename: string | undefined
  readonly lineNumber: number | undefined
  readonly modulePath: string | undefined
}

/**
 * What {@link make} needs; everything but the name, level and message is optional.
 *
 * @category models
 * @since 0.1.0
 */
export interface LogRecordInput {
  readonly logger: string
  readonly level: Level
  readonly message: string
  readonly timestampNs?: number | undefined
  /** Defaults to the current thread; set it to rebuild a record made elsewhere (a receiver). */
  readonly threadId?: number | undefined
  readonly threadName?: string | undefined
  readonly fiberId?: number | undefined
  readonly fields?: Fields | undefined
  readonly error?: unknown
  readonly filename?: string | undefined
  readonly lineNumber?: number | undefined
  readonly modulePath?: string | undefined
}

const threadName = isMainThread ? "main" : `worker-${currentThreadId}`
const timeOrigin = performance.timeOrigin

/**
 * The current time in nanoseconds since the Unix epoch (microsecond resolution).
 *
 * @category constructors
 * @since 0.1.0
 */
export const nowNs = (): number => (timeOrigin + performance.now()) * 1e6

/**
 * Builds a record, stamping the time and thread and turning an `error` into {@link ErrorInfo}.
 *
 * **Example** (A record)
 *
 * ```ts
 * import { LogRecord } from "femtologging"
 * LogRecord.make({ logger: "app", level: "INFO", message: "hi" }).threadName // => "main"
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (input: LogRecordInput): LogRecord => ({
  logger: input.logger,
  level: input.level,
  message: input.message,
  timestampNs: input.timestampNs ?? nowNs(),
  threadId: input.threadId ?? currentThreadId,
  threadName: input.threadName ?? threadName,
  fiberId: input.fiberId,
  fields: input.fields,
  error: input.error === undefined ? undefined : errorInfo(input.error),
  filename: input.filename,
  lineNumber: input.lineNumber,
  modulePath: input.modulePath
})

/**
 * The record's timestamp as an exact integer of nanoseconds.
 *
 * @category getters
 * @since 0.1.0
 */
export const timestampNsBigInt = (record: LogRecord): bigint => BigInt(Math.round(record.timestampNs))

/**
 * The record's timestamp in milliseconds since the epoch, as `Date` and `Date.now()` use.
 *
 * @category getters
 * @since 0.1.0
 */
export const timestampMs = (record: LogRecord): number => record.timestampNs / 1e6

const frame = (u: unknown): ErrorFrame =>
  u instanceof Error
    ? { name: u.name, message: u.message, stack: u.stack }
    : { name: typeof u, message: String(u), stack: undefined }

/**
 * Turns any thrown value into {@link ErrorInfo}, following `cause` links and `AggregateError`
 * members (each error visited once, so cycles end).
 *
 * @category constructors
 * @since 0.1.0
 */
export const errorInfo = (error: unknown): ErrorInfo => {
  const seen = new Set<unknown>([error])
  const causes: Array<ErrorFrame> = []
  const visit = (u: unknown): void => {
    if (u instanceof AggregateError) {
      for (const member of u.errors) {
        if (seen.has(member)) continue
        seen.add(member)
        causes.push(frame(member))
        visit(member)
      }
    }
    if (u instanceof Error && u.cause !== undefined && !seen.has(u.cause)) {
      seen.add(u.cause)
      causes.push(frame(u.cause))
      visit(u.cause)
    }
  }
  visit(error)
  return { ...frame(error), causes }
}
