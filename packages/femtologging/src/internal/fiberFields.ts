/**
 * The fields a fiber gives its records, the same for `Effect.log` routed in (`EffectLogger`) and
 * femtologging's own Effect face (`Logger.info(logger, ...)`): a `withContext` scope's fields
 * (a plain HTTP handler running an Effect), the fiber's log annotations (`Effect.annotateLogs`)
 * over them, each log span (`Effect.withLogSpan`) as `span.<label>` (its duration in milliseconds
 * at `now()`, read only when there are spans), and the current tracing span's (`Effect.withSpan`)
 * `traceId` and `spanId`. A key already there wins over a span's; a `traceId` or `spanId` already
 * there keeps both of the span's out.
 *
 * @internal
 */
import type * as Fiber from "effect/Fiber"
import * as Context from "../Context.ts"
import { References } from "./lazyEffect.ts"
import { putOwn } from "./safe.ts"

/** `skip`: an annotation left out (the one `EffectLogger` routes by). `undefined` when there are none. */
export const fiberFields = (
  fiber: Fiber.Fiber<unknown, unknown>,
  now: () => number,
  annotations: Readonly<Record<string, unknown>> = fiber.getRef(References.CurrentLogAnnotations),
  skip?: string
): Record<string, unknown> | undefined => {
  const fields: Record<string, unknown> = {}
  let any = false
  const context = Context.current()
  if (context !== undefined) {
    for (const key of Object.keys(context)) putOwn(fields, key, context[key])
    any = true
  }
  for (const key of Object.keys(annotations)) {
    if (key === skip) continue
    putOwn(fields, key, annotations[key])
    any = true
  }
  const spans = fiber.getRef(References.CurrentLogSpans)
  const nowMs = spans.length === 0 ? 0 : now()
  for (const [label, start] of spans) {
    const key = `span.${label}`
    if (!Object.hasOwn(fields, key)) {
      putOwn(fields, key, nowMs - start)
      any = true
    }
  }
  const span = fiber.cache.span
  // Both ids or neither: a `traceId` of the context beside the span's `spanId` would name a span of
  // another trace.
  if (span !== undefined && !Object.hasOwn(fields, "traceId") && !Object.hasOwn(fields, "spanId")) {
    fields.traceId = span.traceId
    fields.spanId = span.spanId
    any = true
  }
  return any ? fields : undefined
}
