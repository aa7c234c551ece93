/**
 * Scratchpad: a place for experiments against the built package. Type-checked by `npm test`,
 * never tested or published. Run a file with `node scratchpad/<file>.ts`.
 */
import { getLogger } from "femtologging"

export const logger = getLogger("scratchpad")
