import { assert, describe, it } from "@effect/vitest"
import * as Formatter from "../../src/Formatter.ts"
import * as InlineExecutor from "../../src/internal/inlineExecutor.ts"
import * as Output from "../../src/internal/output.ts"
import * as LogRecord from "../../src/LogRecord.ts"

type Plain = "default" | "json"
const formatterOf = (plain: Plain) => plain === "json" ? Formatter.json : Formatter.defaultFormatter

/** The bytes an output writes for `records`, through an inline executor into an array. */
const written = (
  records: ReadonlyArray<LogRecord.LogRecord>,
  formatter: Plain,
  inParts: boolean,
  batches = [records.length]
): Buffer => {
  const chunks: Array<Buffer> = []
  const executor = InlineExecutor.make({ write: (bytes) => void chunks.push(Buffer.from(bytes)) }, () => {})
  const guarded = Formatter.guard(formatterOf(formatter), "test")
  const output = Output.bytes(executor, guarded, 1, () => {}, inParts ? formatter : undefined)
  let from = 0
  for (const size of batches) output.deliver(records.slice(from, from += size))
  return Buffer.concat(chunks)
}
const make = (logger: string, level: string, message: string, extra: Partial<LogRecord.LogRecordInput> = {}) =>
  LogRecord.make({ logger, level: level as LogRecord.LogRecord["level"], message, ...extra })
/** The formatter's lines, as hex. */
const lines = (records: ReadonlyArray<LogRecord.LogRecord>, formatter: Plain): string =>
  Buffer.from(records.map((r) => `${Formatter.guard(formatterOf(formatter), "test")(r)}\n`).join("")).toString("hex")

const second = 1_700_000_000_000 * 1e6 // ns
const records = (() => {
  const throwing = { ...make("odd", "INFO", "x") }
  Object.defineProperty(throwing, "message", { get: () => { throw new Error("no message") }, enumerable: true })
  return [
    make("app.db", "INFO", "plain ascii"),
    make("", "WARN", ""),
    make("root", "CRITICAL", "é ü 漢字 🎉 a\u0000b \"quoted\" back\\slash \u001f"),
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
    ...["1", "2", "3"].map((m) => make("漢字 \"quoted\"", "INFO", m)),
    ...["1", "2", "3"].map((m) => make("a long logger name, its bytes never kept ".repeat(8), "INFO", m)),
    // Times: within one second, the next, before 1970, none a Date can hold.
    ...[0, 7e6, 999.9e6, 1000e6, 61_000e6].map((dt, i) => make("t", "INFO", `time ${i}`, { timestampNs: second + dt })),
    ...[-1e6, -1_000e6, -1_500.5e6, 0].map((t, i) => make("t", "INFO", `early ${i}`, { timestampNs: t })),
    ...[Number.NaN, 8.64e21, 8.7e21, -8.7e21, Number.POSITIVE_INFINITY].map((t, i) =>
      make("t", "INFO", `no time ${i}`, { timestampNs: t })
    ),
    make("a", "ERROR", "with fields", { fields: { user: "u-1", n: 3 } }),
    make("a", "ERROR", "with an error", { error: new Error("boom") }),
    throwing as LogRecord.LogRecord
  ]
})()

for (const formatter of ["default", "json"] as const) {
  describe(`Output.bytes: the ${formatter} formatter's plain line written in its parts`, () => {
    it("writes the bytes of the formatter's line, for any text and time, and falls back for fields, errors and odd records", () => {
      assert.strictEqual(written(records, formatter, false).toString("hex"), lines(records, formatter))
      assert.strictEqual(written(records, formatter, true).toString("hex"), lines(records, formatter))
    })

    it("keeps a copy of a repeated logger and level's bytes: the reused buffer is overwritten under it", () => {
      // The bytes are taken from the third line of the first batch; the second batch's long message
      // overwrites them in the buffer; the third batch copies them.
      const records = [make("z", "INFO", "zz"), make("a", "INFO", "1"), make("a", "INFO", "2"), make("a", "INFO", "x".repeat(300)), make("a", "INFO", "4")]
      assert.strictEqual(written(records, formatter, true, [3, 1, 1]).toString("hex"), lines(records, formatter))
    })

    it("writes whole lines where a record ends at the buffer's end (its room is reserved before)", () => {
      // Records with the least text and the longest fixed parts (a 6-digit year; a level with no
      // text), after a first line that leaves 0 to 400 bytes of the 64 KiB buffer.
      const edge = [
        make("", "INFO", "", { timestampNs: 253402300800000e6 }),
        make("", "", "", { timestampNs: -62198755200000e6 }),
        make("", "INFO", "")
      ]
      // The first line's text takes as many bytes as reserved for it (3 a character for the
      // default line, 6 for JSON with a control character), so it does not grow the buffer.
      const [unit, width] = formatter === "json" ? ["\u0001", 6] : ["漢", 3]
      const size = (records: ReadonlyArray<LogRecord.LogRecord>) => lines(records, formatter).length / 2
      let landed = 0
      for (let pad = 0; pad < width; pad++) {
        const base = size([make("p".repeat(pad), "INFO", "")])
        for (let left = 0; left <= 120; left += width) {
          const first = make("p".repeat(pad), "INFO", unit.repeat(Math.floor((64 * 1024 - base - left) / width)))
          const records = [first, ...edge]
          if (64 * 1024 - size([first]) < 100) landed++
          assert.strictEqual(written(records, formatter, true).toString("hex"), lines(records, formatter), `${left} bytes left`)
        }
      }
      assert.isAbove(landed, 50)
    })

    it("writes the right logger and level for alternating loggers and levels, and past the kept loggers' limit", () => {
      const alternating = Array.from({ length: 40 }, (_, i) => make(`l${i % 3}`, i % 2 === 0 ? "INFO" : "WARN", `m${i}`))
      const many = Array.from({ length: 2_100 }, (_, i) => make(`logger.${i % 1_050}`, "INFO", `m${i}`))
      // 1,000 loggers x 5 levels of ~230-byte pairs, twice: more than the 1 MiB the kept bytes
      // may take (dropped and kept anew), and a level kept for none.
      const levels = ["INFO", "DEBUG", "WARN", "ERROR", "TRACE", "NOTICE"]
      const wide = Array.from({ length: 12_000 }, (_, i) =>
        make(`${"w".repeat(220)}.${i % 1_000}`, levels[Math.floor(i / 1_000) % 6]!, `m${i}`))
      for (const records of [alternating, many, wide]) {
        assert.strictEqual(written(records, formatter, true, [7, 1, records.length - 8]).toString("hex"), lines(records, formatter))
      }
    })

    it("writes the formatter's bytes for random loggers, levels and batches (a differential, seeded)", () => {
      let seed = 0x9e3779b9
      const rand = (n: number) => {
        seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) | 0
        return ((seed >>> 0) % n)
      }
      const pieces = ["a", "é", "漢", "🎉", "\"", "\\", "\n", " ", "\u0000", "\ud800"]
      const name = () => {
        // Names whose pair is near the 32/255-byte edges, ASCII or not.
        const target = [0, 1, 20, 21, 22, 23, 24, 30, 240, 243, 244, 245, 250, 300][rand(14)]!
        let out = ""
        while (Buffer.byteLength(out) < target) out += rand(3) === 0 ? pieces[rand(pieces.length)] : "x"
        return out
      }
      const levels = ["INFO", "DEBUG", "WARN", "ERROR", "TRACE", "CRITICAL", "NOTICE", "WARNING", "info", ""]
      for (let round = 0; round < 4; round++) {
        const names = Array.from({ length: 5 + rand(1_500) }, name)
        const records = Array.from({ length: 6_000 }, (_, i) =>
          make(names[rand(names.length)]!, levels[rand(levels.length)]!, `m${i}`))
        const batches: Array<number> = []
        for (let left = records.length; left > 0;) {
          const size = Math.min(left, 1 + rand(700))
          batches.push(size)
          left -= size
        }
        assert.strictEqual(written(records, formatter, true, batches).toString("hex"), lines(records, formatter))
      }
    })
  })
}

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
