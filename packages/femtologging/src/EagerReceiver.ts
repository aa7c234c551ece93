/**
 * `femtologging/EagerEffect`, plus the Node platform's socket server the receiver listens with
 * (`receive`, `Receiver.layer`, the `femtologging receive` command), imported statically. Import
 * it instead of `EagerEffect`, first, in the entry module of a program that receives records and
 * is bundled (see the README's "Bundling"):
 *
 * ```ts
 * import "femtologging/EagerReceiver"
 * import { receive } from "femtologging"
 * ```
 *
 * Kept apart from `EagerEffect` because the socket server brings the `ws` package, a CommonJS
 * module whose `require` of Node's built-ins an ES module bundle (esbuild's `--format=esm`) cannot
 * serve without a banner defining `require`: a program that only logs has no need of it.
 *
 * @since 0.3.0
 */
import "./EagerEffect.ts"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as NodeSocketServer from "@effect/platform-node/NodeSocketServer"
import { loadSocketServer } from "./internal/lazyEffect.ts"

loadSocketServer.provide({ NodeSocketServer, NodeSocket })
