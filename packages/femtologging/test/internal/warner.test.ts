import { assert, describe, it } from "@effect/vitest"
import { Warner } from "../../src/internal/warner.ts"

const make = () => {
  let now = 1_000_000
  const lines: Array<string> = []
  const warner = new Warner("logger 'app'", 5_000, () => now, (line) => lines.push(line))
  return { warner, lines, advance: (ms: number) => (now += ms) }
}

describe("Warner", () => {
  it("warns on the first drop, then at most once per interval with the count since the last warning", () => {
    const { advance, lines, warner } = make()
    warner.drop()
    assert.deepStrictEqual(lines, ["femtologging: logger 'app' dropped 1 record; queue full or closed\n"])
    for (let i = 0; i < 41; i++) warner.drop()
    advance(4_999)
    warner.drop()
    assert.strictEqual(lines.length, 1)
    advance(1)
    warner.drop()
    assert.strictEqual(lines.length, 2)
    assert.strictEqual(lines[1], "femtologging: logger 'app' dropped 43 records; queue full or closed\n")
  })

  it("flush reports what is pending, whatever the interval, and nothing when nothing is", () => {
    const { lines, warner } = make()
    warner.drop()
    warner.drop()
    warner.drop()
    warner.flush()
    assert.deepStrictEqual(lines.map((l) => l.match(/dropped (\d+)/)?.[1]), ["1", "2"])
    warner.flush()
    assert.strictEqual(lines.length, 2)
  })
})
