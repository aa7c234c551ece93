/**
 * Whether a clock is Effect's live one (its default `Clock` service) rather than one a test put in
 * place (`TestClock`): records then take the process's own time, and timers are plain unref'd
 * ones.
 *
 * @internal
 */
import { Clock, Effect } from "./lazyEffect.ts"

let live: Clock.Clock | undefined

/** @internal */
export const isLiveClock = (clock: Clock.Clock): boolean =>
  clock === (live ??= Effect.runSync(Clock.clockWith((c) => Effect.succeed(c))))
