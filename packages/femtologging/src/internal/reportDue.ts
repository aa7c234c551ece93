/**
 * When a rate-limited report on stderr may go out. Written with erasable TypeScript only, like
 * the worker side that imports it.
 *
 * @internal
 */

/**
 * Whether a report is due at `now` (`Date.now()`): `intervalMs` have passed since the last one
 * at `last`, or the wall clock reads earlier than `last` (set back by NTP, a VM resumed), which
 * must not stretch the interval by the length of the step.
 *
 * @internal
 */
export const reportDue = (now: number, last: number, intervalMs: number): boolean =>
  now - last >= intervalMs || now < last
