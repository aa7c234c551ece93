/**
 * Pieces of `Formatter.json`'s line that the formatter and the output's direct writer share.
 *
 * @internal
 */

/** Characters `JSON.stringify` escapes in a string (quotes, backslash, controls, surrogates). */
export const jsonEscaped = /["\\\u0000-\u001f\ud800-\udfff]/

/** `JSON.stringify(s)` for a string: quoted as it is when nothing in it needs escaping (the usual case). */
export const jsonString = (s: string): string => (jsonEscaped.test(s) ? JSON.stringify(s) : `"${s}"`)

/** Whether `ms` is a time a `Date` can hold (else `json` writes `"time":null`). */
export const hasIsoTime = (ms: unknown): ms is number => typeof ms === "number" && Math.abs(ms) <= 8.64e15

let lastSecond = Number.NaN
let lastIso = ""

/** `"2023-11-14T22:13:20"` for a second since the epoch (the last one asked is kept). */
export const isoSecond = (second: number): string => {
  if (second !== lastSecond) {
    lastIso = new Date(second * 1000).toISOString().slice(0, -5)
    lastSecond = second
  }
  return lastIso
}
