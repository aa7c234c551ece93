// The chart of a run: records/s per case and library, one panel per workload (each with its own
// scale: the workloads differ by orders of magnitude), bars coloured by library, femtologging's
// records/s over pino's best at the end of its bars. A Vega-Lite spec compiled and rendered to SVG by
// vega's headless View (renderer "none", no canvas or browser needed).
import { writeFileSync } from "node:fs"

const libs = ["femto", "pino", "winston", "logtape", "effect"]
const colours = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e"]

const fmtRate = (x) =>
  x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e4 ? `${Math.round(x / 1e3)}k` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : `${Math.round(x)}`

// rows: { workload, impl, lib, recordsPerSec, vsPino?, linesOk? }; `title` goes on top.
export const writeChart = async (rows, path, title) => {
  const [vega, vegaLite] = await Promise.all([import("vega"), import("vega-lite")])
  // femtologging's bars: records/s over the best pino records/s of the workload (the table's
  // ratio is on the workload's own measure, caller ns for some).
  const bestPino = new Map()
  for (const r of rows) {
    if (r.lib === "pino" && r.linesOk !== false) bestPino.set(r.workload, Math.max(bestPino.get(r.workload) ?? 0, r.recordsPerSec))
  }
  const values = rows.map((r) => ({
    workload: r.workload,
    impl: r.impl,
    lib: r.lib,
    rate: r.recordsPerSec,
    text: fmtRate(r.recordsPerSec) +
      (r.lib === "femto" && bestPino.get(r.workload) > 0 ? `  (${(r.recordsPerSec / bestPino.get(r.workload)).toFixed(2)}x pino)` : "") +
      (r.linesOk === false ? "  LINES WRONG" : "")
  }))
  const order = [...new Set(values.map((v) => v.workload))]
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: title, anchor: "start", fontSize: 13 },
    data: { values },
    facet: {
      row: {
        field: "workload",
        type: "nominal",
        sort: order,
        header: { labelAngle: 0, labelAlign: "left", labelFontWeight: "bold", title: null }
      }
    },
    spec: {
      width: 520,
      encoding: {
        y: { field: "impl", type: "nominal", sort: null, title: null },
        x: { field: "rate", type: "quantitative", title: "records/s (median, end to end)", axis: { format: "~s" } }
      },
      layer: [
        {
          mark: { type: "bar", height: { band: 0.8 } },
          encoding: {
            color: { field: "lib", type: "nominal", title: "library", scale: { domain: libs, range: colours } }
          }
        },
        { mark: { type: "text", align: "left", dx: 3, fontSize: 10 }, encoding: { text: { field: "text" } } }
      ]
    },
    resolve: { scale: { x: "independent", y: "independent" } },
    config: { view: { stroke: null }, axis: { labelFontSize: 10 } }
  }
  // Quiet: vega-lite warns about independent scales in a facet, which is what is meant here.
  const quiet = vega.logger(vega.Error)
  const view = new vega.View(vega.parse(vegaLite.compile(spec, { logger: quiet }).spec), { renderer: "none", logLevel: vega.Error })
  const svg = await view.toSVG()
  view.finalize()
  writeFileSync(path, svg)
}
