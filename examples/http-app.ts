/**
 * A typical Effect application logging through femtologging: an HTTP server built from layers
 * (Effect's HTTP router and the Node platform), its request log (Effect's `HttpMiddleware.logger`,
 * i.e. `Effect.log` with annotations) and the handlers' own `Effect.log` calls going to handlers
 * configured from a dictConfig file (`examples/http-logging.yaml`), released with the server.
 *
 *   node examples/http-app.ts [port] [access.log]
 *
 * GET /hello answers "hello"; GET /fail fails (Effect's request logger records it at INFO, with the
 * cause and status 500). SIGTERM/SIGINT
 * stop it: the layers are released, the handlers write what they hold and close.
 */
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { createServer } from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { EffectLogger, FileConfig, Manager } from "femtologging"

const port = Number(process.argv[2] ?? 8080)
const accessLog = process.argv[3] ?? path.join(os.tmpdir(), "femtologging-http-access.log")
const config = path.join(path.dirname(fileURLToPath(import.meta.url)), "http-logging.yaml")

const Routes = Layer.mergeAll(
  HttpRouter.add("GET", "/hello", Effect.gen(function*() {
    yield* Effect.logInfo("saying hello")
    return HttpServerResponse.text("hello")
  }).pipe(Effect.annotateLogs({ logger: "http" }))),
  HttpRouter.add("GET", "/fail", Effect.die(new Error("this route always fails")))
)

// femtologging as Effect's logger (records named by the `logger` annotation, default "http"),
// configured from the YAML file; `ext://accessLog` is the file named on the command line.
const Logging = Layer.mergeAll(
  FileConfig.layer(config, { registry: { objects: { accessLog } } }),
  EffectLogger.layer({ defaultLogger: "http" })
).pipe(Layer.provideMerge(Manager.layer()))

const App = HttpRouter.serve(Routes).pipe(
  Layer.provide(NodeHttpServer.layer(createServer, { port })),
  Layer.provide(Logging)
)

NodeRuntime.runMain(Layer.launch(App))
