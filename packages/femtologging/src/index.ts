/**
 * femtologging: asynchronous logging for Node.js on Effect.
 *
 * Concepts are namespaces (`Level`, `LogRecord`, `Formatter`, `OverflowPolicy`, `Sink`,
 * `Handler`, `StreamHandler`, `Logger`, `Manager`, `Testing`); the facade's names are also
 * exported flat, as in the seed: `getLogger`, `FemtoStreamHandler`, `StreamHandlerBuilder`...
 *
 * @since 0.1.0
 */
export * as BasicConfig from "./BasicConfig.ts"
export * as Config from "./Config.ts"
export * as Context from "./Context.ts"
export * as EffectLogger from "./EffectLogger.ts"
export * as Facade from "./Facade.ts"
export * as FileConfig from "./FileConfig.ts"
export * as FemtoHandler from "./FemtoHandler.ts"
export * as FileHandler from "./FileHandler.ts"
export * as Filter from "./Filter.ts"
export * as Formatter from "./Formatter.ts"
export * as Handler from "./Handler.ts"
export * as Level from "./Level.ts"
export * as Logger from "./Logger.ts"
export * as LogRecord from "./LogRecord.ts"
export * as Manager from "./Manager.ts"
export * as MemoryHandler from "./MemoryHandler.ts"
export * as OverflowPolicy from "./OverflowPolicy.ts"
export * as PrettyFormatter from "./PrettyFormatter.ts"
export * as Receiver from "./Receiver.ts"
export * as Redaction from "./Redaction.ts"
export * as RotatingFileHandler from "./RotatingFileHandler.ts"
export * as Sink from "./Sink.ts"
export * as SocketHandler from "./SocketHandler.ts"
export * as StreamHandler from "./StreamHandler.ts"
export * as Testing from "./Testing.ts"
export * as TimedRotatingFileHandler from "./TimedRotatingFileHandler.ts"
export * as WatchedFileHandler from "./WatchedFileHandler.ts"
export * as Warnings from "./Warnings.ts"
export * as WorkerHandler from "./WorkerHandler.ts"

export {
  disable,
  drainAll,
  flushAll,
  getHandlerByName,
  getHandlerNames,
  getLogger,
  getManager,
  getQueuedBytes,
  installSignalHandlers,
  resetManager,
  setLastResort,
  setRedaction,
  setMaxQueuedBytes,
  setReturnLines,
  shutdown,
  uninstallSignalHandlers
} from "./Facade.ts"
export { basicConfig } from "./BasicConfig.ts"
export type { BasicConfigOptions } from "./BasicConfig.ts"
export { dictConfig } from "./Config.ts"
export type { DictConfigOptions, Registry } from "./Config.ts"
export {
  ConfigBuilder,
  FormatterBuilder,
  LevelFilterBuilder,
  LoggerConfigBuilder,
  NameFilterBuilder
} from "./ConfigBuilder.ts"
export type { HandlerBuilderLike } from "./ConfigBuilder.ts"
export { ConfigError } from "./ConfigError.ts"
export { withContext } from "./Context.ts"
export { BoundLogger, LoggerAdapter } from "./Logger.ts"
export { dictConfigFromFile, fileConfig } from "./FileConfig.ts"
export type { FileConfigOptions } from "./FileConfig.ts"
export { FemtoFileHandler, FileHandlerBuilder, HandlerIOError } from "./FileHandler.ts"
export {
  HandlerClosedError,
  HandlerError,
  InvalidHandlerError,
  OfferTimeoutError,
  QueueFullError,
  WouldBlockError
} from "./Handler.ts"
export { HandlerConfigError } from "./HandlerConfigError.ts"
export { InvalidLevelError } from "./Level.ts"
export { InvalidLoggerNameError } from "./Manager.ts"
export {
  FemtoRotatingFileHandler,
  HandlerOptions,
  ROTATION_VALIDATION_MSG,
  RotatingFileHandlerBuilder
} from "./RotatingFileHandler.ts"
export type { SinkFactory } from "./Sink.ts"
export { FemtoStreamHandler, StreamHandlerBuilder } from "./StreamHandler.ts"
export { CaptureHandler } from "./Testing.ts"
export { FemtoMemoryHandler } from "./MemoryHandler.ts"
export type { MemoryHandlerOptions } from "./MemoryHandler.ts"
export { FemtoTimedRotatingFileHandler, TimedRotatingFileHandlerBuilder } from "./TimedRotatingFileHandler.ts"
export { FemtoWatchedFileHandler, WatchedFileHandlerBuilder } from "./WatchedFileHandler.ts"
export { captureWarnings } from "./Warnings.ts"
export type { CaptureWarningsOptions } from "./Warnings.ts"
export { FemtoWorkerHandler, setPoolSize as setWorkerPoolSize } from "./WorkerHandler.ts"
export { receive, ReceiverError } from "./Receiver.ts"
export type { ClosableReceiver, ReceiverOptions, ReceiverStats, Rejection } from "./Receiver.ts"
export { BackoffConfig, FemtoSocketHandler, SocketHandlerBuilder } from "./SocketHandler.ts"
export type { BackoffOptions, SocketHandlerOptions, SocketTlsOptions } from "./SocketHandler.ts"

/**
 * `getLogger` under the seed's snake_case name.
 *
 * @since 0.1.0
 */
export { getLogger as get_logger, resetManager as reset_manager } from "./Facade.ts"
