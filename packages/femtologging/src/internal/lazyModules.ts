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
import type * as DictConfigEngine from "./dictConfig.ts"
import type * as Frame from "./frame.ts"
import type * as Ini from "./ini.ts"
import { load } from "./lazyEffect.ts"
import type * as Pyliteral from "./pyliteral.ts"
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

const own = <K extends keyof OwnModules>(name: K, file: string) => (): OwnModules[K] =>
  (modules[name] ??= load<OwnModules[K]>(file, `femtologging's internal/${file.slice(2)}`))

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
