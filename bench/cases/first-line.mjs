// Time to the first line: the wall time of a fresh `node` process that imports the library,
// creates a file handler, logs one line and exits with the line on disk, minus that of a fresh
// process running an empty script; median over --samples pairs run alternately, as
// cases/import-time.mjs does (whose figure is the import alone: this adds the handler's setup,
// the first record's path and the exit). Both print their peak RSS and CPU time at exit, after
// the library's own exit work; every process's file is checked afterwards (one line, whole).
//
//   node bench/cases/first-line.mjs --impl femto|pino [--samples 7]
//
// femto: getLogger("app").addHandler(new FemtoFileHandler(path)), then logger.info(m): the
//   handler's defaults (inline); its line is on disk when the process has exited.
// pino: pino(pino.destination({ dest: path, sync: true })).info(m): written before info returns.
import { join } from "node:path"
import { median, message, numberArg, parseArgs, report, timeNode, usageSource, verifyOutput, withTempDirs } from "../lib/common.mjs"

const args = parseArgs(process.argv.slice(2))
const impl = args.impl ?? "femto"
const samples = numberArg(args, "samples", 7)

// At exit, so that what the library does on its way out (writing what it holds) is in the figures.
const atExit = `process.on("exit",()=>${usageSource});`
const m = JSON.stringify(message(0))
const sources = {
  femto: (path) =>
    `import { FemtoFileHandler, getLogger } from "femtologging";` +
    `const logger = getLogger("app"); logger.addHandler(new FemtoFileHandler(${JSON.stringify(path)})); logger.info(${m});`,
  pino: (path) =>
    `import pino from "pino";` +
    `const logger = pino(pino.destination({ dest: ${JSON.stringify(path)}, sync: true })); logger.info(${m});`
}
if (sources[impl] === undefined) throw new Error(`unknown impl ${impl}`)

const result = await withTempDirs(1, async (_dir, [dir]) => {
  // Each process its own file, so each holds exactly its own line.
  const paths = []
  const firstLine = () => {
    const path = join(dir, `first-${paths.length}.log`)
    paths.push(path)
    return timeNode(atExit + sources[impl](path))
  }
  // One of each first, not counted: file-system caches warm for both.
  timeNode(atExit)
  firstLine()
  const emptyRuns = []
  const lineRuns = []
  for (let k = 0; k < samples; k++) {
    emptyRuns.push(timeNode(atExit))
    lineRuns.push(firstLine())
  }
  const emptyMs = median(emptyRuns.map((r) => r.ms))
  const rawMs = median(lineRuns.map((r) => r.ms))
  return {
    impl,
    samples,
    // importMs, as the import case: run.mjs ranks "ms" workloads by it.
    importMs: rawMs - emptyMs,
    rawMs,
    emptyMs,
    importCpuMs: median(lineRuns.map((r) => r.cpuMs)) - median(emptyRuns.map((r) => r.cpuMs)),
    peakRssMiB: median(lineRuns.map((r) => r.rssMiB)),
    emptyRssMiB: median(emptyRuns.map((r) => r.rssMiB)),
    dropped: 0,
    // Every process's file: one copy of one record each.
    ...verifyOutput({ groups: paths.map((p) => [p]), records: 1 })
  }
})
report(result)
