/**
 * vitest setup: the suite runs the library's TypeScript sources, where the modules
 * `internal/lazyModules.ts` loads on first use (`require("./dictConfig.js")`...) have no `.js`
 * beside them. Hand them over statically, as `femtologging/EagerEffect` does in a bundle. The lazy
 * loading itself is tested on the built package, in child processes (Package.test.ts,
 * LazyEffect.test.ts).
 */
import * as dictConfig from "../../src/internal/dictConfig.ts"
import * as frame from "../../src/internal/frame.ts"
import * as ini from "../../src/internal/ini.ts"
import { provideModules } from "../../src/internal/lazyModules.ts"
import * as pyliteral from "../../src/internal/pyliteral.ts"
import * as socketSink from "../../src/internal/socketSink.ts"

provideModules({ dictConfig, frame, ini, pyliteral, socketSink })
