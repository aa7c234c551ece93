/**
 * The library's own modules that only some entry points need, loaded on first use as Effect's
 * runtime is (`lazyEffect.ts`): the `dictConfig` engine (with Effect Schema behind it), the INI
 * and Python-literal parsers of `fileConfig`, the socket handler's sink and the MessagePack frames
 * of the socket handler and the receiver. `import "femtologging"` compiles none of them.
 *
 * Each comes through `require` from Node's module cache, the same instance a static import would
 * give. A bundle (where these files are not beside the bundle) gets them from
 * `femtologging/EagerEffect`, which imports them statically ({@link provideModules}); the test
 * suite, which runs the TypeScript sources, does the same in its setup.
 *
 * @internal
 */
import { ConfigError } from "../ConfigError.ts"
import type * as DictConfigEngine from "./dictConfig.ts"
import type * as Frame from "./frame.ts"
import type * as Ini from "./ini.ts"
import { load } from "./lazyEffect.ts"
import type * as Pyliteral from "./pyliteral.ts"
import { safeString } from "./safe.ts"
import type * as SocketSink from "./socketSink.ts"

/** The modules, as {@link provideModules} takes them. */
export interface OwnModules {
  readonly dictConfig: typeof DictConfigEngine
  readonly frame: typeof Frame
  readonly ini: typeof Ini
  readonly pyliteral: typeof Pyliteral
  readonly socketSink: typeof SocketSink
}

const modules: { -readonly [K in keyof OwnModules]?: OwnModules[K] } = {}

/** Hands over modules imported statically (`EagerEffect.ts`, the test setup). */
export const provideModules = (given: OwnModules): void => {
  Object.assign(modules, given)
}

/**
 * This module's instance. A module runner that loads the package itself (vitest inlining it,
 * Jest) has its own instance, and `require` would give the files Node loaded instead: a second
 * copy of the library, whose errors and handlers are not the application's.
 */
const instance = {}
export { instance as lazyModulesInstance }

const own = <K extends keyof OwnModules>(name: K, file: string) => (): OwnModules[K] => {
  const found = modules[name]
  if (found !== undefined) return found
  const label = `femtologging's internal/${file.slice(2)}`
  if (load<{ readonly lazyModulesInstance: object }>("./lazyModules.js", label).lazyModulesInstance !== instance) {
    throw new Error(
      `femtologging: cannot load ${label}: this copy of femtologging was loaded by a module runner ` +
        "(vitest with the package inlined, Jest...), and Node would load a second copy. Import " +
        "\"femtologging/EagerEffect\" first (in the runner's setup file), or let the runner load " +
        "femtologging from node_modules as Node does."
    )
  }
  return (modules[name] = load<OwnModules[K]>(file, label))
}

/**
 * `load()` of modules loaded on first use, for the configuration entry points: where they cannot
 * be loaded, a `ConfigError` at `path` saying why.
 */
export const loadOrFail = <A>(path: string, load: () => A): A => {
  try {
    return load()
  } catch (error) {
    throw new ConfigError({ path, detail: error instanceof Error ? error.message : safeString(error), cause: error })
  }
}

/** `internal/dictConfig.ts`. */
export const dictConfigEngine = own("dictConfig", "./dictConfig.js")
/** `internal/frame.ts`. */
export const frame = own("frame", "./frame.js")
/** `internal/ini.ts`. */
export const ini = own("ini", "./ini.js")
/** `internal/pyliteral.ts`. */
export const pyliteral = own("pyliteral", "./pyliteral.js")
/** `internal/socketSink.ts`. */
export const socketSink = own("socketSink", "./socketSink.js")
