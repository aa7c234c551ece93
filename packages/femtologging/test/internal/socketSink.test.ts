/**
 * The socket sink's reconnection delay, as a function: exponential from `baseMs`, capped at
 * `capMs`, with jitter in `[d/2, d]`. Found by mutation testing: dropping the jitter or shifting
 * the exponent by one left every socket test passing.
 */
import { assert, describe, it } from "@effect/vitest"
import { backoffDelay } from "../../src/internal/socketSink.ts"

const backoff = { baseMs: 100, capMs: 5000, resetAfterMs: 30_000, deadlineMs: 120_000 }

describe("socketSink: backoffDelay", () => {
  it("attempt 0 waits between baseMs/2 and baseMs; each attempt doubles; capMs bounds it; jitter spans [d/2, d]", () => {
    assert.strictEqual(backoffDelay(0, backoff, 0), 50)
    assert.strictEqual(backoffDelay(0, backoff, 0.999999), 100)
    assert.strictEqual(backoffDelay(0, backoff, 0.5), 75)
    assert.strictEqual(backoffDelay(1, backoff, 0), 100)
    assert.strictEqual(backoffDelay(3, backoff, 0.999999), 800)
    assert.strictEqual(backoffDelay(5, backoff, 0.999999), 3200)
    assert.strictEqual(backoffDelay(6, backoff, 0.999999), 5000)
    assert.strictEqual(backoffDelay(6, backoff, 0), 2500)
    assert.strictEqual(backoffDelay(Number.POSITIVE_INFINITY, backoff, 0), 2500)
    assert.strictEqual(backoffDelay(1e9, backoff, 0.999999), 5000)
  })
})
