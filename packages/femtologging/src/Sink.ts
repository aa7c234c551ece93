/**
 * A sink is where a handler's bytes finally go: a stream, a file, a socket, a user module. It
 * knows nothing of loggers, handlers, queues or faces: it receives batches of encoded records
 * (UTF-8 lines, each record ending in `\n`; or, for a handler encoding frames such as the socket
 * handler, `[u32 big-endian length][payload]` frames) and writes them.
 *
 * A sink runs where its handler's executor puts it: on the main thread (`executor: "inline"`)
 * or on a dedicated worker thread (`executor: "worker"`). Every method may be synchronous or
 * return a promise. A write that throws (or rejects) loses its whole batch: the handler counts
 * those records as dropped. A sink that can fail half-way through a batch must leave no part of
 * it behind (the file sink truncates back), so that written + dropped = accepted holds exactly.
 *
 * **Custom sink modules** (what pino calls transports): a module whose default export is a
 * {@link SinkFactory}, `(options) => Sink`, loaded on a worker thread by `FemtoWorkerHandler`.
 * `options` cross threads as structured-clone data.
 *
 * @since 0.1.0
 */

/**
 * A sink.
 *
 * @category models
 * @since 0.1.0
 */
export interface Sink {
  /**
   * Writes one batch: whole records as UTF-8, each ending in `\n` (a record with a stack trace
   * spans several lines). `ends[i]` is the byte offset just past record `i`, so `ends.length` is
   * the number of records (a sink that rotates files uses it to never split a record). Both
   * arrays may be reused after the call (or after its promise settles): copy what you keep.
   *
   * A write that fails part-way may throw an error carrying `recordsWritten` (a number): that
   * many records from the start of the batch count as written, the rest as dropped.
   */
  readonly write: (batch: Uint8Array, ends: Uint32Array) => void | PromiseLike<void>
  /** Pushes what the sink buffers to the OS or the peer; `false` when something failed since the last flush. */
  readonly flush?: (() => void | boolean | PromiseLike<void | boolean>) | undefined
  /**
   * Finishes, synchronously, the write whose promise is pending: blocks the thread until it is
   * done or until `deadline` (`performance.now()` milliseconds); `true` when done (its promise
   * then settles as well). Optional; it lets a caller that must be held (the block policy, the
   * exit drain) wait for an inline sink that went asynchronous, such as a full pipe.
   */
  readonly waitSync?: ((deadline: number) => boolean) | undefined
  /** Releases the sink, after a final flush. Called once. */
  readonly close?: (() => void | PromiseLike<void>) | undefined
}

/**
 * The default export of a custom sink module: builds the sink from structured-clone options.
 *
 * @category models
 * @since 0.1.0
 */
export type SinkFactory<Options = unknown> = (options: Options) => Sink | PromiseLike<Sink>
