import { afterAll, assert, describe, it } from "@effect/vitest"
import * as path from "node:path"
import { FemtoFileHandler } from "../src/FileHandler.ts"
import { HandlerConfigError } from "../src/HandlerConfigError.ts"
import * as OverflowPolicy from "../src/OverflowPolicy.ts"
import { throwsExactly } from "./utils/errors.ts"
import { removeTempDirs, tempDir } from "./utils/files.ts"

afterAll(() => removeTempDirs())

describe("OverflowPolicy.parse", () => {
  it("parses drop, block and timeout:N, trimmed and case-insensitively", () => {
    assert.deepStrictEqual(OverflowPolicy.parse(" Drop "), { _tag: "Drop" })
    assert.deepStrictEqual(OverflowPolicy.parse("drop"), { _tag: "Drop" })
    assert.deepStrictEqual(OverflowPolicy.parse("BLOCK"), { _tag: "Block" })
    assert.deepStrictEqual(OverflowPolicy.parse("timeout:250"), { _tag: "Timeout", ms: 250 })
    assert.deepStrictEqual(OverflowPolicy.parse("TIMEOUT:1"), { _tag: "Timeout", ms: 1 })
    assert.deepStrictEqual(OverflowPolicy.parse("  timeout: 30 "), { _tag: "Timeout", ms: 30 })
  })

  it("returns a policy value as is", () => {
    const policy = OverflowPolicy.timeout(5)
    assert.strictEqual(OverflowPolicy.parse(policy), policy)
  })

  it("refuses a policy value whose timeout the constructor refuses, and anything that is no policy", () => {
    // Found by mutation testing: a hand-built { _tag: "Timeout", ms: 0 } (or -1, 2.5, NaN) was
    // taken as it was, where "timeout:0" and timeout(0) are refused.
    throwsExactly(() => OverflowPolicy.parse({ _tag: "Timeout", ms: 0 }), HandlerConfigError, "timeout must be greater than zero")
    for (const ms of [-1, 2.5, Number.NaN, Infinity]) {
      throwsExactly(
        () => OverflowPolicy.parse({ _tag: "Timeout", ms }),
        HandlerConfigError,
        "timeout must be a positive integer (N in 'timeout:N')"
      )
    }
    throwsExactly(
      () => new FemtoFileHandler(path.join(tempDir(), "never.log"), { policy: { _tag: "Timeout", ms: -1 } }),
      HandlerConfigError,
      "timeout must be a positive integer (N in 'timeout:N')"
    )
    throwsExactly(
      () => OverflowPolicy.parse({ _tag: "Sometimes" } as never),
      HandlerConfigError,
      "invalid overflow policy: '[object Object]'. Valid options are: drop, block, timeout:N"
    )
  })

  it("agrees with the constructors", () => {
    assert.deepStrictEqual(OverflowPolicy.parse("drop"), OverflowPolicy.drop())
    assert.deepStrictEqual(OverflowPolicy.parse("block"), OverflowPolicy.block())
    assert.deepStrictEqual(OverflowPolicy.parse("timeout:7"), OverflowPolicy.timeout(7))
  })

  it("rejects unknown policies", () => {
    const error = throwsExactly(
      () => OverflowPolicy.parse("x"),
      HandlerConfigError,
      "invalid overflow policy: 'x'. Valid options are: drop, block, timeout:N"
    )
    assert.strictEqual(error._tag, "HandlerConfigError")
    assert.strictEqual(error.field, "policy")
    throwsExactly(
      () => OverflowPolicy.parse("dropping"),
      HandlerConfigError,
      "invalid overflow policy: 'dropping'. Valid options are: drop, block, timeout:N"
    )
    throwsExactly(
      () => OverflowPolicy.parse(""),
      HandlerConfigError,
      "invalid overflow policy: ''. Valid options are: drop, block, timeout:N"
    )
  })

  it("rejects timeout without N", () => {
    throwsExactly(
      () => OverflowPolicy.parse("timeout"),
      HandlerConfigError,
      "timeout requires a positive integer N, use 'timeout:N'"
    )
    throwsExactly(
      () => OverflowPolicy.parse(" Timeout "),
      HandlerConfigError,
      "timeout requires a positive integer N, use 'timeout:N'"
    )
  })

  it("rejects a timeout N that is not a positive integer", () => {
    for (const text of ["timeout:abc", "timeout:-5", "timeout:1.5", "timeout:"]) {
      throwsExactly(
        () => OverflowPolicy.parse(text),
        HandlerConfigError,
        "timeout must be a positive integer (N in 'timeout:N')"
      )
    }
  })

  it("rejects timeout:0", () => {
    throwsExactly(() => OverflowPolicy.parse("timeout:0"), HandlerConfigError, "timeout must be greater than zero")
  })
})

describe("OverflowPolicy.timeout", () => {
  it("validates its argument", () => {
    assert.deepStrictEqual(OverflowPolicy.timeout(250), { _tag: "Timeout", ms: 250 })
    throwsExactly(() => OverflowPolicy.timeout(0), HandlerConfigError, "timeout must be greater than zero")
    throwsExactly(
      () => OverflowPolicy.timeout(-1),
      HandlerConfigError,
      "timeout must be a positive integer (N in 'timeout:N')"
    )
    throwsExactly(
      () => OverflowPolicy.timeout(2.5),
      HandlerConfigError,
      "timeout must be a positive integer (N in 'timeout:N')"
    )
  })
})

describe("OverflowPolicy.format and isOverflowPolicy", () => {
  it("formats each policy", () => {
    assert.strictEqual(OverflowPolicy.format(OverflowPolicy.drop()), "drop")
    assert.strictEqual(OverflowPolicy.format(OverflowPolicy.block()), "block")
    assert.strictEqual(OverflowPolicy.format(OverflowPolicy.parse("TIMEOUT:250")), "timeout:250")
  })

  it("recognises policies", () => {
    assert.isTrue(OverflowPolicy.isOverflowPolicy(OverflowPolicy.drop()))
    assert.isTrue(OverflowPolicy.isOverflowPolicy({ _tag: "Timeout", ms: 3 }))
    assert.isFalse(OverflowPolicy.isOverflowPolicy({ _tag: "Timeout" }))
    assert.isFalse(OverflowPolicy.isOverflowPolicy("drop"))
    assert.isFalse(OverflowPolicy.isOverflowPolicy(null))
  })
})

describe("OverflowPolicy.strongest", () => {
  const drop = OverflowPolicy.drop()
  const block = OverflowPolicy.block()
  const short = OverflowPolicy.timeout(100)
  const long = OverflowPolicy.timeout(250)

  it("prefers block over everything", () => {
    assert.deepStrictEqual(OverflowPolicy.strongest(drop, block), block)
    assert.deepStrictEqual(OverflowPolicy.strongest(block, drop), block)
    assert.deepStrictEqual(OverflowPolicy.strongest(long, block), block)
    assert.deepStrictEqual(OverflowPolicy.strongest(block, long), block)
  })

  it("prefers the longer timeout, and any timeout over drop", () => {
    assert.deepStrictEqual(OverflowPolicy.strongest(short, long), long)
    assert.deepStrictEqual(OverflowPolicy.strongest(long, short), long)
    assert.deepStrictEqual(OverflowPolicy.strongest(drop, short), short)
    assert.deepStrictEqual(OverflowPolicy.strongest(short, drop), short)
  })

  it("keeps drop when both drop", () => {
    assert.deepStrictEqual(OverflowPolicy.strongest(drop, drop), drop)
  })
})
