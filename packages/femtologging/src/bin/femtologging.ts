#!/usr/bin/env node
/**
 * The `femtologging` command. One subcommand for now:
 *
 * ```sh
 * npx femtologging receive [--host 127.0.0.1] [--port 9020] [--unix PATH] [--file OUT.log]
 *   [--config logging.yaml|.yml|.json|.ini] [--formatter default|json|logfmt]
 *   [--tls-key KEY.pem --tls-cert CERT.pem] [--max-frame-size BYTES] [--max-connections N]
 * ```
 *
 * It listens for socket handlers' frames and hands each record to the local logger named by
 * the record: `--config` configures them (`dictConfigFromFile` for JSON and YAML, `fileConfig`
 * for CPython INI files), `--file` adds a file handler on the root logger; with neither, records
 * are written to stdout. SIGINT or SIGTERM stops it after writing what it received.
 *
 * @since 0.3.0
 */
import { parseArgs } from "node:util"
import { getLogger } from "../Facade.ts"
import { dictConfigFromFile, fileConfig } from "../FileConfig.ts"
import { FemtoFileHandler } from "../FileHandler.ts"
import type { FemtoHandler } from "../FemtoHandler.ts"
import * as Formatter from "../Formatter.ts"
import { receive, type ReceiverOptions } from "../Receiver.ts"
import { FemtoStreamHandler } from "../StreamHandler.ts"

const usage = `usage: femtologging receive [options]

Receives records from femtologging socket handlers and writes them with local handlers.

options:
  --host HOST             address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
  --port PORT             TCP port (default 9020)
  --unix PATH             listen on a Unix socket instead of TCP
  --tls-key FILE          TLS: the server's private key (PEM), with --tls-cert
  --tls-cert FILE         TLS: the server's certificate (PEM)
  --file PATH             append records to this file (a handler on the root logger)
  --config FILE           configure logging from a file: .json, .yaml, .yml (dictConfig) or .ini (fileConfig)
  --formatter NAME        default, json or logfmt, for --file and stdout (default: default)
  --max-frame-size BYTES  the largest record accepted (default 1048576)
  --max-connections N     connections served at once (default 256)
  -h, --help              this text

With neither --file nor --config, records are written to stdout.
`

const fail = (message: string): never => {
  process.stderr.write(`femtologging: ${message}\n\n${usage}`)
  process.exit(2)
}

const integer = (name: string, value: string | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined => {
  if (value === undefined) return undefined
  // Decimal digits only (Number() would also take "0x10", "1e3", " 7").
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isSafeInteger(n) || n > max) {
    fail(`--${name} must be ${max === 65535 ? "a port from 0 to 65535" : "a non-negative integer"} (got ${value})`)
  }
  return n
}

const main = async (argv: ReadonlyArray<string>): Promise<void> => {
  const [command, ...rest] = argv
  if (command === "-h" || command === "--help" || command === undefined) {
    process.stdout.write(usage)
    if (command === undefined) process.exitCode = 2
    return
  }
  if (command !== "receive") return fail(`unknown command '${command}'`)
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({
      args: [...rest],
      options: {
        host: { type: "string" },
        port: { type: "string" },
        unix: { type: "string" },
        "tls-key": { type: "string" },
        "tls-cert": { type: "string" },
        file: { type: "string" },
        config: { type: "string" },
        formatter: { type: "string" },
        "max-frame-size": { type: "string" },
        "max-connections": { type: "string" },
        help: { type: "boolean", short: "h" }
      },
      strict: true,
      allowPositionals: false
    }).values
  } catch (error) {
    return fail((error as Error).message)
  }
  if (values.help === true) {
    process.stdout.write(usage)
    return
  }
  const str = (key: string): string | undefined => values[key] as string | undefined
  const formatterName = str("formatter") ?? "default"
  if (!["default", "json", "logfmt"].includes(formatterName)) fail(`--formatter must be default, json or logfmt (got ${formatterName})`)
  const formatter = formatterName as Formatter.FormatterId
  if ((str("tls-key") === undefined) !== (str("tls-cert") === undefined)) fail("--tls-key and --tls-cert go together")

  const config = str("config")
  if (config !== undefined) {
    if (/\.ini$/i.test(config) || /\.(cfg|conf)$/i.test(config)) fileConfig(config)
    else dictConfigFromFile(config)
  }
  const own: Array<FemtoHandler> = []
  const file = str("file")
  if (file !== undefined) own.push(new FemtoFileHandler(file, { formatter }))
  if (file === undefined && config === undefined) own.push(FemtoStreamHandler.stdout({ formatter }))
  for (const handler of own) getLogger().addHandler(handler)

  const port = integer("port", str("port"), 65535)
  const maxFrameSize = integer("max-frame-size", str("max-frame-size"))
  const maxConnections = integer("max-connections", str("max-connections"))
  const options: ReceiverOptions = {
    ...(str("host") === undefined ? {} : { host: str("host") }),
    ...(port === undefined ? {} : { port }),
    ...(str("unix") === undefined ? {} : { unixPath: str("unix") }),
    ...(str("tls-key") === undefined ? {} : { tls: { key: str("tls-key")!, cert: str("tls-cert")! } }),
    ...(maxFrameSize === undefined ? {} : { maxFrameSize }),
    ...(maxConnections === undefined ? {} : { maxConnections })
  }
  const server = await receive(options)
  const address = server.address
  process.stderr.write(
    `femtologging: receiving on ${address._tag === "Unix" ? `unix:${address.path}` : `${address.tls ? "tls" : "tcp"}://${address.host}:${address.port}`}\n`
  )
  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    void (async () => {
      await server.close()
      await Promise.all(own.map((h) => h.close()))
      const { records, rejected } = server.stats()
      const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`
      process.stderr.write(
        `femtologging: stopped; ${count(records, "record")} received, ${count(rejected, "connection")} rejected\n`
      )
      process.exit(0)
    })()
  }
  process.on("SIGINT", stop)
  process.on("SIGTERM", stop)
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`femtologging: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
