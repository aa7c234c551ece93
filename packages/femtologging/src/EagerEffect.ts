/**
 * Loads Effect's runtime (and the Schema and Config modules the configuration entry points use),
 * and the library's own modules that only some entry points need (the `dictConfig` engine, the
 * `fileConfig` parsers, the socket handler's sink and frames), when imported rather than when
 * first needed (see `internal/lazyEffect.ts`, `internal/lazyModules.ts` and the README's "What
 * loads when"). Import it once, first, in the program's entry module:
 *
 * ```ts
 * import "femtologging/EagerEffect"
 * import { getLogger, basicConfig } from "femtologging"
 * ```
 *
 * - in a bundle (esbuild, rolldown, webpack): the static imports below are followed, so Effect and
 *   those modules are in the bundle; the lazy loading `require`s them at run time, where a bundle
 *   has no `effect` and no files of this package;
 * - when modules that import `effect` are loaded with `import()` while the first handler is being
 *   made (Node cannot `require` a module another `import()` is still loading);
 * - under `node --no-experimental-require-module`.
 *
 * It also brings Effect's worker modules and the Node platform's worker layer (sinks on worker
 * threads), and `@msgpack/msgpack` (the socket handler's frames). It costs what those modules cost
 * to load (100 ms or more on a small machine), at import. Not covered: the receiver's socket
 * server (import `femtologging/EagerReceiver` instead, which brings this module and it), and, in a
 * bundle, YAML configuration files (`yaml` is loaded from `node_modules` at run time) and the files
 * a worker thread runs (`sinkWorker.js` and the sink modules: emit them beside the bundle, see the
 * README's "Bundling").
 *
 * @since 0.2.0
 */
import * as Msgpack from "@msgpack/msgpack"
import * as NodeWorker from "@effect/platform-node/NodeWorker"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Queue from "effect/Queue"
import * as Random from "effect/Random"
import * as References from "effect/References"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import * as Scope from "effect/Scope"
import * as Worker from "effect/workers/Worker"
import * as WorkerError from "effect/workers/WorkerError"
import * as dictConfig from "./internal/dictConfig.ts"
import * as frame from "./internal/frame.ts"
import * as ini from "./internal/ini.ts"
import { provideEffect } from "./internal/lazyEffect.ts"
import { provideModules } from "./internal/lazyModules.ts"
import * as pyliteral from "./internal/pyliteral.ts"
import * as socketSink from "./internal/socketSink.ts"

provideEffect({
  Effect,
  Queue,
  Scope,
  Layer,
  Exit,
  Cause,
  Clock,
  Fiber,
  References,
  Random,
  Context,
  Data,
  Logger,
  LogLevel,
  Schemas: { Schema, SchemaIssue },
  Config,
  Workers: { Worker, WorkerError, NodeWorker }
})

provideModules({ dictConfig, frame, ini, pyliteral, socketSink })
frame.provideMsgpack(Msgpack)
