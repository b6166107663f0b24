const cache = new WeakMap<object, string>()

/**
 * JSON text of an output body, made once however many sinks it goes to: a vital sign's FHIR
 * Observation goes to the broker and to the NDJSON file, and stringifying it twice cost more than
 * building it (BENCHMARKS.md, where the pipeline's time goes).
 */
export function serialize(body: unknown): string {
  if (typeof body !== 'object' || body === null) return JSON.stringify(body)
  let text = cache.get(body)
  if (text === undefined) {
    text = JSON.stringify(body)
    cache.set(body, text)
  }
  return text
}
