/**
 * The limits of a frame's payload, apart from `frame.ts` (loaded on first use) so that checking a
 * socket handler's or receiver's options needs nothing more.
 *
 * @internal
 */

/** The default limit of a payload (the prefix not included): 1 MiB. */
export const defaultMaxFrameSize = 1024 * 1024

/** The largest payload the 4-byte length prefix can state. */
export const maxPayloadBytes = 0xffff_ffff
