// The receiving end of the socket workload, run in its own process (so it does not share the
// sender's main thread): listens on 127.0.0.1, port 0, and prints `port <n>` on stdout; counts the
// records of bench messages (ids from common.mjs's message(i)) as they arrive, and prints
// `warm` when the warm-up record arrived, then `done <json>` once `--records` distinct ids
// arrived or `--idle-ms` passed without any (the counts say what was missing or repeated).
//
//   node bench/lib/socket-receiver.mjs --kind femto|ndjson --records N [--idle-ms 3000]
//
// femto: femtologging's receive(): frames decoded back into records (the real receiver, as the
//   CLI runs it), handed to a handler that counts them.
// ndjson: pino-socket's format: newline-delimited JSON over TCP; each line JSON.parse'd.
import { createServer } from "node:net"
import { writeSync } from "node:fs"
import { idOf, numberArg, parseArgs } from "./common.mjs"

const args = parseArgs(process.argv.slice(2))
const kind = args.kind ?? "femto"
const records = numberArg(args, "records", 100_000)
const idleMs = numberArg(args, "idle-ms", 3_000)

const seen = new Uint8Array(records)
let distinct = 0
let duplicates = 0
let bad = 0
let warm = false
let lastArrival = Date.now()
let finished = false

const say = (line) => writeSync(1, `${line}\n`)
const finish = () => {
  if (finished) return
  finished = true
  say(`done ${JSON.stringify({ received: distinct, duplicates, bad, missing: records - distinct })}`)
}

const count = (message) => {
  lastArrival = Date.now()
  if (message === "warmup") {
    if (!warm) say("warm")
    warm = true
    return
  }
  const id = idOf(message)
  if (id < 0 || id >= records) bad++
  else if (seen[id] === 1) duplicates++
  else {
    seen[id] = 1
    distinct++
    if (distinct === records) finish()
  }
}

if (kind === "femto") {
  const { Handler, receive } = await import("femtologging")
  const counter = Handler.makeUnsafe({
    label: "bench counter",
    target: { _tag: "Records", handle: (record) => count(record.message) },
    capacity: 100_000,
    policy: "block"
  })
  const server = await receive({ host: "127.0.0.1", port: 0, handlers: [counter] })
  say(`port ${server.address.port}`)
} else {
  const server = createServer((socket) => {
    let rest = ""
    socket.setEncoding("utf8")
    socket.on("data", (text) => {
      const lines = (rest + text).split("\n")
      rest = lines.pop()
      for (const line of lines) {
        if (line === "") continue
        try {
          count(JSON.parse(line).msg)
        } catch {
          bad++
        }
      }
    })
    socket.on("error", () => {})
  })
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve))
  say(`port ${server.address().port}`)
}

// Ends the run when records stop arriving (something was lost); the parent kills it afterwards.
setInterval(() => {
  if (warm && Date.now() - lastArrival > idleMs) finish()
}, 50)
