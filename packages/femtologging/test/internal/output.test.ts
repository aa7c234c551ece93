import { assert, describe, it } from "@effect/vitest"
import * as Formatter from "../../src/Formatter.ts"
import * as InlineExecutor from "../../src/internal/inlineExecutor.ts"
import * as Output from "../../src/internal/output.ts"
import * as LogRecord from "../../src/LogRecord.ts"

/** The bytes an output writes for `records`, through an inline executor into an array. */
const written = (records: ReadonlyArray<LogRecord.LogRecord>, plainDefault: boolean, batches = [records.length]): Buffer => {
  const chunks: Array<Buffer> = []
  const executor = InlineExecutor.make({ write: (bytes) => void chunks.push(Buffer.from(bytes)) }, () => {})
  const output = Output.bytes(executor, Formatter.guard(Formatter.defaultFormatter, "test"), 1, () => {}, plainDefault)
  let from = 0
  for (const size of batches) output.deliver(records.slice(from, from += size))
  return Buffer.concat(chunks)
}
const make = (logger: string, level: string, message: string, extra: Partial<LogRecord.LogRecordInput> = {}) =>
  LogRecord.make({ logger, level: level as LogRecord.LogRecord["level"], message, ...extra })
const lines = (records: ReadonlyArray<LogRecord.LogRecord>): string =>
  Buffer.from(records.map((r) => `${Formatter.guard(Formatter.defaultFormatter, "test")(r)}\n`).join("")).toString("hex")

describe("Output.bytes: the default line written in its parts", () => {
  it("writes the bytes the default formatter's line makes, for any text, and falls back for fields, errors and odd records", () => {
    const throwing = { ...make("odd", "INFO", "x") }
    Object.defineProperty(throwing, "message", { get: () => { throw new Error("no message") }, enumerable: true })
    const records = [
      make("app.db", "INFO", "plain ascii"),
      make("", "WARN", ""),
      make("root", "CRITICAL", "é ü 漢字 🎉 a\u0000b"),
      make("café.ünïcode", "NOTICE", "lone surrogates \ud800 and \udc00 end \ud83d"),
      make("a", "INFO", "multi\nline\r\nmessage"),
      make("a", "INFO", "x".repeat(70_000)),
      make("a", "INFO", "a third time: the prefix kept from the second"),
      make("a", "WARN", "same logger, another level"),
      make("a", "WARN", "again"),
      make("a", "WARN", "and again"),
      make("b", "WARN", "same level, another logger"),
      make("b", "WARN", "again"),
      ...["1", "2", "3"].map((m) => make("a.logger.whose.name.is.longer.than.thirty-two.bytés", "DEBUG", m)),
      ...["1", "2", "3"].map((m) => make("漢字", "INFO", m)),
      make("a", "ERROR", "with fields", { fields: { user: "u-1", n: 3 } }),
      make("a", "ERROR", "with an error", { error: new Error("boom") }),
      throwing as LogRecord.LogRecord
    ]
    const fast = written(records, true)
    const slow = written(records, false)
    assert.strictEqual(slow.toString("hex"), lines(records))
    assert.strictEqual(fast.toString("hex"), lines(records))
  })

  it("keeps a copy of a repeated logger and level's prefix: the reused buffer is overwritten under it", () => {
    // The prefix is taken from the third line of the first batch; the second batch's long message
    // overwrites those bytes; the third batch copies the prefix.
    const records = [make("z", "INFO", "zz"), make("a", "INFO", "1"), make("a", "INFO", "2"), make("a", "INFO", "x".repeat(100)), make("a", "INFO", "4")]
    assert.strictEqual(written(records, true, [3, 1, 1]).toString("hex"), lines(records))
  })
})

describe("writeUtf8", () => {
  it("writes text where 2^31 bytes or more follow (Node's Buffer#write without a length writes nothing there)", () => {
    const huge = Buffer.allocUnsafe(2 ** 31) // not touched beyond the first bytes: not resident
    assert.strictEqual(Output.writeUtf8(huge, "hé", 0), 3)
    assert.strictEqual(huge.subarray(0, 3).toString("utf8"), "hé")
    assert.strictEqual(Output.writeUtf8(huge, "x", 3), 1)
    assert.strictEqual(huge[3], 0x78)
    const small = Buffer.alloc(4)
    assert.strictEqual(Output.writeUtf8(small, "abcdef", 1), 3) // never past the end
    assert.strictEqual(small.toString("latin1"), "\0abc")
  })
})
