/**
 * Node's process warnings, uncaught exceptions and unhandled rejections as log records (CPython's
 * `logging.captureWarnings`).
 *
 * **Warnings.** With `captureWarnings()` every warning `process.emitWarning` raises
 * (`DeprecationWarning`, `ExperimentalWarning`, `MaxListenersExceededWarning`, your own) becomes
 * a WARN record of the logger `node.warnings` of the process-wide manager, instead of Node's own
 * line on stderr, as CPython routes warnings to `py.warnings` instead of printing them: the
 * record's message is the warning's message, its fields `category` (the warning's name), `code`
 * (`DEP0005`...) and `detail` when the warning has them, and under `--trace-warnings` the warning
 * itself as the error (its stack). Nothing is lost when no handler is configured: a WARN record
 * that reaches no handler goes to the last-resort handler on stderr. `keepDefault: true` keeps
 * Node's printing beside the records. Warnings the process disabled are not recorded either
 * (`--no-deprecation`; `--disable-warning=<code or name>` in `execArgv` or `NODE_OPTIONS`).
 * `captureWarnings(false)` gives Node its printing back.
 *
 * **Uncaught exceptions** (`uncaught: true`). An exception nothing catches, and a rejection
 * nothing handles when it ends the process (Node's default, `--unhandled-rejections=throw`),
 * becomes a CRITICAL record of the logger `node.uncaught` (fields `origin`:
 * `uncaughtException` or `unhandledRejection`), written before the process ends: the record is
 * logged from Node's `uncaughtExceptionMonitor` event, then every queue is drained at once,
 * synchronously (the exit drain would write it too, and also drains what later `exit`
 * listeners log). The process still ends as it would have, Node printing the error and exiting
 * with status 1 (or an `uncaughtException` listener of the application deciding). No
 * `unhandledRejection` listener is added, since one would stop Node from ending the process; a
 * rejection Node only warns about (`--unhandled-rejections=warn`) is a warning, recorded as such.
 *
 * @since 0.2.0
 */
import { drainAllSync } from "./internal/runtime.ts"
import { labelledReporter } from "./internal/warner.ts"
import * as LogRecord from "./LogRecord.ts"
import { processWide } from "./Manager.ts"

/**
 * Options of {@link captureWarnings}.
 *
 * @category models
 * @since 0.2.0
 */
export interface CaptureWarningsOptions {
  /** Record process warnings (default `true`). */
  readonly warnings?: boolean | undefined
  /** Keep Node's own printing of warnings beside the records; default `false`. */
  readonly keepDefault?: boolean | undefined
  /** Also record uncaught exceptions and fatal unhandled rejections at CRITICAL; default `false`. */
  readonly uncaught?: boolean | undefined
}

/** The logger warnings are recorded on. */
export const warningsLogger = "node.warnings"

/** The logger uncaught exceptions are recorded on. */
export const uncaughtLogger = "node.uncaught"

const state = {
  warnings: false,
  uncaught: false,
  /** Node's own `warning` listeners, removed while warnings are captured. */
  saved: [] as Array<(...args: Array<any>) => void>
}

const report = labelledReporter("captureWarnings")

/** `--disable-warning` values of this process (`execArgv` and `NODE_OPTIONS`). */
const disabledWarnings = (): ReadonlySet<string> => {
  const out = new Set<string>()
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)]
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg.startsWith("--disable-warning=")) out.add(arg.slice("--disable-warning=".length))
    else if (arg === "--disable-warning" && i + 1 < args.length) out.add(args[++i]!)
  }
  return out
}

let disabled: ReadonlySet<string> | undefined

const onWarning = (warning: Error & { code?: unknown; detail?: unknown }): void => {
  try {
    disabled ??= disabledWarnings()
    const name = typeof warning?.name === "string" ? warning.name : "Warning"
    const code = typeof warning?.code === "string" ? warning.code : undefined
    if (disabled.has(name) || (code !== undefined && disabled.has(code))) return
    if (name === "DeprecationWarning" && process.noDeprecation === true) return
    const fields: Record<string, unknown> = { category: name }
    if (code !== undefined) fields.code = code
    if (typeof warning?.detail === "string") fields.detail = warning.detail
    const flags = process as { readonly traceProcessWarnings?: boolean; readonly traceDeprecation?: boolean }
    const trace = flags.traceProcessWarnings === true ||
      (name === "DeprecationWarning" && flags.traceDeprecation === true)
    const logger = processWide().getLogger(warningsLogger)
    if (!logger.isEnabledFor("WARN")) return
    logger.handle(LogRecord.make({
      logger: warningsLogger,
      level: "WARN",
      message: typeof warning?.message === "string" ? warning.message : String(warning),
      fields,
      error: trace ? warning : undefined
    }))
  } catch (error) {
    report(`a warning could not be recorded: ${String(error)}`)
  }
}

const onUncaught = (error: unknown, origin: string): void => {
  try {
    const logger = processWide().getLogger(uncaughtLogger)
    if (logger.isEnabledFor("CRITICAL")) {
      logger.handle(LogRecord.make({
        logger: uncaughtLogger,
        level: "CRITICAL",
        message: origin === "unhandledRejection" ? "unhandled rejection" : "uncaught exception",
        fields: { origin },
        error
      }))
    }
    // Written now: the process may be about to end (the exit drain would write it too).
    drainAllSync(false)
  } catch (thrown) {
    report(`an uncaught exception could not be recorded: ${String(thrown)}`)
  }
}

const captureOn = (keepDefault: boolean): void => {
  if (!state.warnings) {
    state.warnings = true
    process.on("warning", onWarning)
  }
  if (!keepDefault) {
    for (const listener of process.listeners("warning")) {
      if (listener === onWarning) continue
      if (listener.name !== "onWarning") continue // Node's own printer; the application's stay
      state.saved.push(listener)
      process.off("warning", listener)
    }
  } else restoreDefault()
}

const restoreDefault = (): void => {
  for (const listener of state.saved.splice(0)) {
    if (!process.listeners("warning").includes(listener)) process.on("warning", listener)
  }
}

/**
 * Routes process warnings (and, with `uncaught: true`, uncaught exceptions and fatal unhandled
 * rejections) to log records; see the module's documentation. `captureWarnings(false)` undoes
 * everything it did; `captureWarnings(true)` is `{ warnings: true }`. Calling it again replaces
 * the previous settings.
 *
 * **Example** (Warnings and crashes in the application's log)
 *
 * ```ts
 * import { captureWarnings, FemtoFileHandler, getLogger } from "femtologging"
 *
 * getLogger().addHandler(new FemtoFileHandler("logs/app.log"))
 * captureWarnings({ uncaught: true })
 * process.emitWarning("cache is cold", { code: "APP001" })
 * // logs/app.log: node.warnings [WARN] cache is cold category=Warning code=APP001
 * ```
 *
 * @category configuration
 * @since 0.2.0
 */
export const captureWarnings = (options: boolean | CaptureWarningsOptions = true): void => {
  const o: CaptureWarningsOptions = typeof options === "boolean" ? { warnings: options, uncaught: false } : options
  const warnings = o.warnings ?? true
  const uncaught = o.uncaught ?? false
  if (warnings) captureOn(o.keepDefault === true)
  else if (state.warnings) {
    state.warnings = false
    process.off("warning", onWarning)
    restoreDefault()
  }
  if (uncaught && !state.uncaught) {
    state.uncaught = true
    process.on("uncaughtExceptionMonitor", onUncaught)
  } else if (!uncaught && state.uncaught) {
    state.uncaught = false
    process.off("uncaughtExceptionMonitor", onUncaught)
  }
}

/**
 * What {@link captureWarnings} currently records.
 *
 * @category configuration
 * @since 0.2.0
 */
export const capturing = (): { readonly warnings: boolean; readonly uncaught: boolean } => ({
  warnings: state.warnings,
  uncaught: state.uncaught
})
