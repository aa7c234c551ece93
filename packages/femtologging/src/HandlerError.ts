/**
 * The errors a handler raises: why it refused a record (`HandlerError` with a `reason`), a file
 * it could not open (`HandlerIOError`), and a value `addHandler` cannot use
 * (`InvalidHandlerError`). They are `Data.TaggedError`s: yieldable in Effect code, thrown by the facade.
 *
 * @since 0.1.0
 */
import { TaggedError } from "./internal/lazyEffect.ts"

/**
 * The queue was full under the drop policy.
 *
 * @category errors
 * @since 0.1.0
 */
export class QueueFullError extends TaggedError("QueueFullError") {
  override get message(): string {
    return "queue full"
  }
}

/**
 * The handler was closed before the record was offered.
 *
 * @category errors
 * @since 0.1.0
 */
export class HandlerClosedError extends TaggedError("HandlerClosedError") {
  override get message(): string {
    return "handler is closed"
  }
}

/**
 * The timeout policy gave up after `ms` milliseconds.
 *
 * @category errors
 * @since 0.1.0
 */
export class OfferTimeoutError extends TaggedError("OfferTimeoutError")<{
  readonly ms: number
}> {
  override get message(): string {
    return `timed out after ${this.ms} ms`
  }
}

/**
 * A synchronous caller met a full queue that nothing on its thread can empty: an inline sink
 * with an asynchronous write in flight, or a worker that is down. Use `executor: "worker"` for
 * asynchronous sinks that synchronous callers must wait for.
 *
 * @category errors
 * @since 0.1.0
 */
export class WouldBlockError extends TaggedError("WouldBlockError") {
  override get message(): string {
    return "queue full and nothing on this thread can make room (asynchronous sink busy, or worker down)"
  }
}

/**
 * A file could not be opened or written. Its message is `<path>: <reason>`.
 *
 * @category errors
 * @since 0.1.0
 */
export class HandlerIOError extends TaggedError("HandlerIOError")<{
  readonly path: string
  readonly reason: string
}> {
  override get message(): string {
    return `${this.path}: ${this.reason}`
  }
}

/**
 * Why a handler refused a record.
 *
 * @category errors
 * @since 0.1.0
 */
export type HandlerErrorReason = QueueFullError | HandlerClosedError | OfferTimeoutError | WouldBlockError

/**
 * A record a handler refused; `reason` says why and `message` is the reason's message.
 *
 * @category errors
 * @since 0.1.0
 */
export class HandlerError extends TaggedError("HandlerError")<{
  readonly handler: string
  readonly reason: QueueFullError | HandlerClosedError | OfferTimeoutError | WouldBlockError
}> {
  override get message(): string {
    return this.reason.message
  }
}

/**
 * Raised by `addHandler` for a value that is neither a handler nor an object with a callable
 * `handle` (or `handleRecord`).
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidHandlerError extends TaggedError("InvalidHandlerError")<{
  readonly detail: string
}> {
  override get message(): string {
    return this.detail
  }
}

