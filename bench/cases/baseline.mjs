// Cost of building the workload's messages alone (no logging), for reading the rows whose timed
// loop builds them (null-sink-burst, file-e2e).
//
//   node bench/cases/baseline.mjs [--records N]
import { message, now, parseArgs, peakRssMiB, report } from "../lib/common.mjs"

const args = parseArgs(process.argv.slice(2))
const records = Number(args.records ?? 1_000_000)

let sink = 0
const start = now()
for (let i = 0; i < records; i++) sink += message(i).length
const ns = Number(now() - start)
report({
  impl: "message-only",
  records,
  callerNsPerRecord: ns / records,
  recordsPerSec: records / (ns / 1e9),
  meanMessageBytes: sink / records,
  dropped: 0,
  peakRssMiB: peakRssMiB()
})
