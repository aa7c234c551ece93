/**
 * Loads Effect's runtime when imported, rather than when first needed (see `internal/lazyEffect.ts`
 * and the README's "What loads when"). Import it once, first, in the program's entry module:
 *
 * ```ts
 * import "femtologging/EagerEffect"
 * import { getLogger, basicConfig } from "femtologging"
 * ```
 *
 * - in a bundle (esbuild, rolldown, webpack): the static imports below are followed, so Effect is
 *   in the bundle; the lazy loading `require`s it at run time, where a bundle has no `effect`;
 * - when modules that import `effect` are loaded with `import()` while the first handler is being
 *   made (Node cannot `require` a module another `import()` is still loading);
 * - under `node --no-experimental-require-module`.
 *
 * It costs what `import "effect"`'s core costs (about 100 ms on a small machine), at import.
 *
 * @since 0.2.0
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Queue from "effect/Queue"
import * as Random from "effect/Random"
import * as References from "effect/References"
import * as Scope from "effect/Scope"
import { provideEffect } from "./internal/lazyEffect.ts"

provideEffect({ Effect, Queue, Scope, Layer, Exit, Cause, Clock, Fiber, References, Random, Logger, LogLevel })
