// Self-check of the line checker (verifyOutput in bench/lib/common.mjs): feeds it hand-made log
// files, good ones and bad ones (a line torn outside its message, junk after the message, another
// logger or level, a lost, duplicated or foreign line, a partial last line...), and exits 1 if a
// bad file passes or a good one fails. A checker that passes everything would make every
// "lines verified ok" of the bench meaningless, so run this after changing it:
//
//   npx node bench/lib/verify-selftest.mjs
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { message, messageOfSize, verifyOutput, withTempDirs } from "./common.mjs"

const N = 50

// Line makers in the shapes the bench's libraries write (timestamps and pids vary, and their
// digit counts too).
const femto = (i, m = message(i)) => `bench [INFO] ${m}`
const pino = (i, m = message(i)) =>
  `{"level":30,"time":${1700000000000 + i * 997},"pid":${i < 25 ? 812 : 81234},"hostname":"vm","msg":${JSON.stringify(m)}}`
const logtape = (i) => `2025-01-0${1 + (i % 9)} ${i % 24}:0${i % 10}:${10 + (i % 50)}.${i} +00:00 [INF] bench: ${message(i)}`
const lines = (ids, make) => ids.map((i) => make(i) + "\n").join("")
const range = (from, to) => Array.from({ length: to - from }, (_, k) => from + k)
const all = range(0, N)

// Tears and edits of a good text.
const replaceLine = (text, i, make, by) => text.replace(make(i) + "\n", by)
// The head of line i+1 glued to the end of line i, the rest of line i+1 on its own line (a write
// split at a bad offset): both lines still hold their whole message.
const tear = (text, i, make, at) => {
  const next = make(i + 1)
  return replaceLine(replaceLine(text, i + 1, make, ""), i, make, `${make(i)}${next.slice(0, at)}\n${next.slice(at)}\n`)
}

// Each check: the files of each copy as { name: text }, what verifyOutput gets besides, whether
// the output is right, and (bad ones) what the first wrong line must say.
const checks = [
  { name: "good: femto default lines", copies: [{ "bench.log": lines(all, femto) }], good: true },
  { name: "good: pino JSON lines, time and pid digits of several lengths", copies: [{ "bench.log": lines(all, pino) }], good: true },
  { name: "good: LogTape lines, timestamps of varying digits", copies: [{ "bench.log": lines(all, logtape) }], good: true },
  {
    name: "good: rotated copy, files named out of order",
    copies: [{ "bench.log": lines(range(40, N), femto), "bench.log.1": lines(range(20, 40), femto), "bench.log.2": lines(range(0, 20), femto) }],
    good: true
  },
  { name: "good: 2 copies (2 handlers)", copies: [{ "a.log": lines(all, femto) }, { "b.log": lines(all, pino) }], good: true },
  { name: "good: 3 lines lost, 3 drops counted", copies: [{ "bench.log": lines(range(3, N), femto) }], dropped: 3, good: true },
  {
    name: "good: 4 producers interleaved, each in order",
    copies: [{ "bench.log": lines([...range(0, 24).filter((i) => i % 4 < 2), ...range(0, 24).filter((i) => i % 4 >= 2), ...range(24, N)], femto) }],
    streams: 4,
    good: true
  },
  { name: "good: 1 KiB messages", copies: [{ "bench.log": lines(all, (i) => femto(i, messageOfSize(1024)(i))) }], message: messageOfSize(1024), good: true },
  { name: "good: one line", copies: [{ "bench.log": femto(0) + "\n" }], records: 1, good: true },

  {
    name: "bad: line 4's head glued to line 3 (`…dur=13msbench [IN` / `FO] handled request r-4 …`)",
    copies: [{ "bench.log": tear(lines(all, femto), 3, femto, 9) }],
    why: "torn or malformed line 4"
  },
  { name: "bad: the same tear in pino's JSON", copies: [{ "bench.log": tear(lines(all, pino), 10, pino, 20) }], why: "torn or malformed line 11" },
  {
    name: "bad: junk after the message",
    copies: [{ "bench.log": replaceLine(lines(all, femto), 7, femto, femto(7) + " junk\n") }],
    why: "torn or malformed line 8"
  },
  {
    name: "bad: another logger",
    copies: [{ "bench.log": replaceLine(lines(all, femto), 30, femto, `other [INFO] ${message(30)}\n`) }],
    why: "torn or malformed line 31"
  },
  {
    name: "bad: another level",
    copies: [{ "bench.log": replaceLine(lines(all, femto), 12, femto, `bench [WARN] ${message(12)}\n`) }],
    why: "torn or malformed line 13"
  },
  {
    name: "bad: pino line with a key added",
    copies: [{ "bench.log": replaceLine(lines(all, pino), 5, pino, pino(5).replace(`"msg"`, `"x":1,"msg"`) + "\n") }],
    why: "torn or malformed line 6"
  },
  {
    name: "bad: first line torn (the good lines after it are not blamed)",
    copies: [{ "bench.log": replaceLine(lines(all, femto), 0, femto, `FO] ${message(0)}\n`) }],
    why: "torn or malformed line 1",
    badLines: 1
  },
  {
    name: "bad: a backup whose lines lost their prefix (each file alone is consistent)",
    copies: [{ "bench.log": lines(range(25, N), femto), "bench.log.1": lines(range(0, 25), (i) => message(i)) }],
    why: "torn or malformed line 1"
  },
  { name: "bad: a line lost", copies: [{ "bench.log": lines(all.filter((i) => i !== 17), femto) }] },
  { name: "bad: a line duplicated", copies: [{ "bench.log": lines([...range(0, 21), 20, ...range(21, N - 1)], femto) }], why: "line 22 duplicates id 20" },
  { name: "bad: two lines swapped", copies: [{ "bench.log": lines([...range(0, 8), 9, 8, ...range(10, N)], femto) }], why: "line 10: id 8 after 9" },
  { name: "bad: a foreign line (id >= records)", copies: [{ "bench.log": lines([...range(0, N - 1), N + 3], femto) }] },
  { name: "bad: partial last line", copies: [{ "bench.log": lines(all, femto) + "bench [INFO] handled" }] },
  { name: "bad: a message cut short", copies: [{ "bench.log": replaceLine(lines(all, femto), 40, femto, femto(40).slice(0, -3) + "\n") }] },
  { name: "bad: one of two copies short", copies: [{ "a.log": lines(all, femto) }, { "b.log": lines(range(0, N - 1), femto) }] },
  { name: "bad: no file", copies: [] }
]

let failures = 0
for (const c of checks) {
  const v = await withTempDirs(c.copies.length, async (_dir, dirs) => {
    const groups = c.copies.map((files, k) =>
      Object.entries(files).map(([name, text]) => {
        const path = join(dirs[k], name)
        writeFileSync(path, text, "latin1")
        return path
      })
    )
    return verifyOutput({ groups, records: c.records ?? N, message: c.message, dropped: c.dropped ?? 0, streams: c.streams ?? 1 })
  })
  const good = c.good === true
  const problems = []
  if (v.ok !== good) problems.push(good ? "a good file failed" : "a bad file passed")
  if (c.why !== undefined && v.firstBad?.why !== c.why) problems.push(`first bad: ${JSON.stringify(v.firstBad?.why)}, expected ${JSON.stringify(c.why)}`)
  if (c.badLines !== undefined && v.badLines !== c.badLines) problems.push(`${v.badLines} bad lines, expected ${c.badLines}`)
  if (problems.length > 0) failures++
  const said = v.ok ? "ok" : `WRONG (${v.firstBad?.why ?? `${v.missing} lost, partial ${v.partialTail}`})`
  console.log(`${problems.length === 0 ? "pass" : "FAIL"}  ${c.name}: ${said}${problems.length > 0 ? "  <- " + problems.join("; ") : ""}`)
}
console.log(failures === 0 ? `all ${checks.length} checks pass` : `${failures} of ${checks.length} checks fail`)
process.exit(failures === 0 ? 0 : 1)
