/**
 * What `npm run demo` shows a newcomer on a terminal (stdout and stderr together): each record
 * once, and a list of the files it wrote that reads as English and says what each one shows.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import { runFile } from "./utils/child.ts"

const runDemo = () => runFile("examples/demo.ts", { timeoutMs: 60_000 })

describe("npm run demo, as a newcomer reads it", () => {
  it("prints each record once across stdout and stderr, and lists its files with what each shows", async () => {
    const { code, stdout, stderr } = await runDemo()
    assert.strictEqual(code, 0, stderr)
    const dir = /^files in (.+):$/m.exec(stdout)?.[1]
    assert.isDefined(dir, stdout)
    try {
      // A record line (`<logger> [<LEVEL>] <message>`) printed on both streams reads as a bug; the
      // demo's db and Effect records reached a handler on stderr and root's on stdout.
      const records = [...stdout.split("\n"), ...stderr.split("\n")].filter((l) => /^demo\.\S+ \[[A-Z]+\] /.test(l))
      const seen = new Map<string, number>()
      for (const line of records) seen.set(line, (seen.get(line) ?? 0) + 1)
      assert.deepStrictEqual([...seen].filter(([, n]) => n > 1), [], `${stdout}\n${stderr}`)
      assert.include(records, "demo.app [INFO] hello from femtologging")
      assert.include(records, "demo.effect [INFO] logged from a fiber fiber=main")
      // The file list: "1 line", not "1 lines"; each file says what it shows.
      const listing = stdout.slice(stdout.indexOf("files in "))
      assert.notMatch(listing, /\b1 lines\b/, listing)
      const fileLines = listing.split("\n").filter((l) => l.startsWith("  "))
      assert.strictEqual(fileLines.length, fs.readdirSync(dir!).length, listing)
      for (const l of fileLines) assert.match(l, /\S {2,}\S.* {2,}\S/, `no note: ${JSON.stringify(l)}`)
    } finally {
      fs.rmSync(dir!, { recursive: true, force: true })
    }
  }, 60_000)
})
