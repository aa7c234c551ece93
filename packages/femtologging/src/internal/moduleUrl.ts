/**
 * A module's own URL, for the few places that find files or `require` relative to it.
 *
 * `import.meta.url`, but in a CommonJS bundle (esbuild's default format for `--platform=node`,
 * webpack's `commonjs` output), where bundlers leave `import.meta` empty: there the whole bundle
 * is one CommonJS module, and its file (`__filename`) is where every module of the library now
 * lives. Without it, importing the library from such a bundle threw at load (`createRequire` of
 * `undefined`). Written with erasable TypeScript only, as the worker side is.
 *
 * @internal
 */
import { pathToFileURL } from "node:url"

export const moduleUrl = (url: string | undefined): string =>
  typeof url === "string"
    ? url
    : pathToFileURL(typeof __filename === "string" ? __filename : `${process.cwd()}/`).href
