// A tight monomorphic loop, outside the harness: ns per `debug()` at level INFO (disabled) and
// per loop iteration with nothing in it, femtologging beside pino, best of 5 rounds of 5,000,000.
// The harness's `disabled-level` row also times a closure and a computed method call per record;
// this shows what the call itself costs.   node bench/cases/micro-disabled.mjs
import { getLogger, Handler } from "femtologging"
import pino from "pino"

const logger = getLogger("bench")
logger.addHandler(Handler.makeUnsafe({ label: "null", target: { _tag: "Sink", sink: { write() {} } }, policy: "drop" }))
const p = pino({ level: "info" }, { write() {} })
const N = 5_000_000
const time = (label, f) => {
  let best = Number.POSITIVE_INFINITY
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint()
    f()
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / N)
  }
  console.log(`${label.padEnd(24)} ${best.toFixed(2)} ns`)
}
time("femtologging debug()", () => {
  for (let i = 0; i < N; i++) logger.debug("hello")
})
time("pino debug()", () => {
  for (let i = 0; i < N; i++) p.debug("hello")
})
time("empty loop", () => {
  for (let i = 0; i < N; i++);
})
