/**
 * A formatter for people reading a terminal:
 *
 * ```text
 * 14:03:07.412 INFO  app.db connected host=localhost pool=4
 * 14:03:07.415 ERROR app.db query failed sql="select 1"
 *     Error: timeout
 *         at query (/srv/app/db.js:10:11)
 *     Caused by: Error: socket closed
 *         at Socket.onclose (/srv/app/db.js:40:5)
 * ```
 *
 * Local time `HH:MM:SS.mmm` (or UTC with `utc: true`), the level padded to five columns, the
 * logger, the message, then the fields as `key=value` (as the default formatter writes them),
 * dimmed. An error follows on the next lines, indented by four spaces: its stack, its own
 * properties (`code=ENOENT`...), and each cause as `Caused by: <stack>`. A message spanning
 * several lines has its further lines indented the same way.
 *
 * **Colour** is by level (TRACE grey, DEBUG blue, INFO green, WARN yellow, ERROR red, CRITICAL
 * bold white on red; the time and the fields dimmed, the logger cyan, the error's first line
 * red), and only where it will be read as colour; see {@link colorEnabled}: `FORCE_COLOR` (other
 * than `0`/`false`) turns it on, else `NO_COLOR` (set and not empty) turns it off, else the
 * stream must be a TTY and `TERM` not `dumb`. The decision is taken when the formatter is made.
 *
 * **Terminal safety.** Control characters in the message, the logger name, fields and error
 * text (ESC, BEL, CR... all of C0 but tab and newline, DEL and C1) are written as `\u001b`-style
 * escapes: a logged value cannot move the cursor, retitle the window or forge a line.
 *
 * Never throws: it falls back to the default formatter for a record it cannot read.
 *
 * @since 0.2.0
 */
import * as tty from "node:tty"
import * as Formatter from "./Formatter.ts"
import type { Level } from "./Level.ts"
import { type ErrorFrame, type ErrorInfo, type LogRecord, msOfNs } from "./LogRecord.ts"

/**
 * Where the formatted lines are written, for the colour decision: `"stdout"`, `"stderr"`, a
 * file descriptor, or a stream (anything with `isTTY`).
 *
 * @category models
 * @since 0.2.0
 */
export type Destination = "stdout" | "stderr" | number | { readonly isTTY?: boolean | undefined }

/**
 * Options of {@link make}.
 *
 * @category models
 * @since 0.2.0
 */
export interface PrettyOptions {
  /** `true`, `false`, or `"auto"` (the default: see {@link colorEnabled}). */
  readonly color?: boolean | "auto" | undefined
  /** Where the lines go, for `"auto"`; default `"stderr"` (where a stream handler writes by default). */
  readonly stream?: Destination | undefined
  /** The time in UTC instead of local time; default `false`. */
  readonly utc?: boolean | undefined
  /** The environment read for `"auto"`; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
}

const isTTY = (stream: Destination): boolean => {
  try {
    if (stream === "stdout") return tty.isatty(1)
    if (stream === "stderr") return tty.isatty(2)
    if (typeof stream === "number") return tty.isatty(stream)
    return stream.isTTY === true
  } catch {
    return false
  }
}

/**
 * Whether to colour lines written to `stream`: `FORCE_COLOR` set to anything but `0` or `false`
 * (Node's and chalk's convention; `""` counts as on) says yes; otherwise `NO_COLOR` set to a
 * non-empty value (no-color.org) says no; otherwise yes exactly when the stream is a terminal
 * and `TERM` is not `dumb`.
 *
 * @category colour
 * @since 0.2.0
 */
export const colorEnabled = (
  stream: Destination = "stderr",
  env: Readonly<Record<string, string | undefined>> = process.env
): boolean => {
  const force = env.FORCE_COLOR
  if (force !== undefined) return force !== "0" && force.toLowerCase() !== "false"
  const no = env.NO_COLOR
  if (no !== undefined && no !== "") return false
  return env.TERM !== "dumb" && isTTY(stream)
}

const sgr = (codes: string) => (text: string): string => `\x1b[${codes}m${text}\x1b[0m`
const plain = (text: string): string => text

interface Palette {
  readonly time: (s: string) => string
  readonly level: Readonly<Record<Level, (s: string) => string>>
  readonly logger: (s: string) => string
  readonly fields: (s: string) => string
  readonly error: (s: string) => string
}

const colours: Palette = {
  time: sgr("2"),
  level: {
    TRACE: sgr("90"),
    DEBUG: sgr("34"),
    INFO: sgr("32"),
    WARN: sgr("33"),
    ERROR: sgr("31"),
    CRITICAL: sgr("1;37;41")
  },
  logger: sgr("36"),
  fields: sgr("2"),
  error: sgr("31")
}

const none: Palette = {
  time: plain,
  level: { TRACE: plain, DEBUG: plain, INFO: plain, WARN: plain, ERROR: plain, CRITICAL: plain },
  logger: plain,
  fields: plain,
  error: plain
}

// C0 controls but tab and newline, DEL, and C1 controls.
const control = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/
const controls = new RegExp(control.source, "g")

/** Control characters (see the module's documentation) written as `\uXXXX` escapes. */
const escape = (text: string): string =>
  control.test(text)
    ? text.replace(controls, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
    : text

const two = (n: number): string => (n < 10 ? `0${n}` : `${n}`)
const three = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`)

const clock = (ms: number, utc: boolean): string => {
  const d = new Date(ms)
  if (Number.isNaN(d.getTime())) return "??:??:??.???"
  return utc
    ? `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${three(d.getUTCMilliseconds())}`
    : `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${three(d.getMilliseconds())}`
}

const indent = "    "

/** Every line after the first indented by {@link indent}. */
const continued = (text: string): string => text.includes("\n") ? text.replaceAll("\n", `\n${indent}`) : text

const frameText = (frame: ErrorFrame, palette: Palette, prefix: string): string => {
  const stack = escape(frame.stack ?? `${frame.name}: ${frame.message}`)
  const newline = stack.indexOf("\n")
  const head = newline < 0 ? stack : stack.slice(0, newline)
  const rest = newline < 0 ? "" : stack.slice(newline)
  let out = `\n${indent}${palette.error(prefix + head)}${rest.replaceAll("\n", `\n${indent}`)}`
  if (frame.props !== undefined) {
    const props = Formatter.renderFields(frame.props)
    if (props !== "") out += `\n${indent}  ${palette.fields(escape(props.slice(1)))}`
  }
  return out
}

const errorText = (error: ErrorInfo, palette: Palette): string => {
  let out = frameText(error, palette, "")
  for (const cause of error.causes) out += frameText(cause, palette, "Caused by: ")
  return out
}

/**
 * A pretty formatter (see the module's documentation). `color: "auto"` (the default) decides
 * once, now, for `stream` (default `"stderr"`).
 *
 * **Example** (A stream handler for a terminal)
 *
 * ```ts
 * import { FemtoStreamHandler, getLogger, PrettyFormatter } from "femtologging"
 *
 * getLogger().addHandler(FemtoStreamHandler.stdout({ formatter: PrettyFormatter.make({ stream: "stdout" }) }))
 * ```
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = (options: PrettyOptions = {}): Formatter.Formatter => {
  const color = options.color === undefined || options.color === "auto"
    ? colorEnabled(options.stream ?? "stderr", options.env ?? process.env)
    : options.color
  const palette = color ? colours : none
  const utc = options.utc === true
  return (record: LogRecord): string => {
    try {
      const level = record.level
      const paint = palette.level[level] ?? plain
      let out = `${palette.time(clock(msOfNs(record.timestampNs), utc))} ${paint(level.padEnd(5))} ${
        palette.logger(escape(record.logger))
      } ${continued(escape(record.message))}`
      if (record.fields !== undefined) {
        const fields = Formatter.renderFields(record.fields)
        if (fields !== "") out += ` ${palette.fields(continued(escape(fields.slice(1))))}`
      }
      if (record.error !== undefined) out += errorText(record.error, palette)
      return out
    } catch {
      return escape(Formatter.defaultFormatter(record))
    }
  }
}

/**
 * A pretty formatter without colour, whatever the stream and the environment (what a file or a
 * pipe should get).
 *
 * @category constructors
 * @since 0.2.0
 */
export const plainPretty: Formatter.Formatter = make({ color: false })
