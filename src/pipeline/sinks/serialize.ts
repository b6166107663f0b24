const cache = new WeakMap<object, string>()

/**
 * An output body that is already JSON text (FHIR Observations written from templates,
 * src/clinical/fhir-json.ts): sinks write the text as it is. `toJSON` keeps it correct wherever a
 * body is stringified as part of something larger.
 */
export class JsonText {
  constructor(readonly json: string) {}

  toJSON(): unknown {
    return JSON.parse(this.json)
  }
}

/**
 * JSON text of an output body, made once however many sinks it goes to: a vital sign's FHIR
 * Observation goes to the broker and to the NDJSON file, and stringifying it twice cost more than
 * building it (BENCHMARKS.md, where the pipeline's time goes).
 */
export function serialize(body: unknown): string {
  if (body instanceof JsonText) return body.json
  if (typeof body !== 'object' || body === null) return JSON.stringify(body)
  let text = cache.get(body)
  if (text === undefined) {
    text = JSON.stringify(body)
    cache.set(body, text)
  }
  return text
}

/** The body's JSON object with `topic` as its first member, as topic-recording files write each line. */
export function serializeWithTopic(topic: string | undefined, body: unknown): string {
  // Template text (a FHIR resource, which has no `topic` member) gets the member spliced in, unparsed.
  if (body instanceof JsonText && topic !== undefined && body.json.startsWith('{"')) return `{"topic":${JSON.stringify(topic)},${body.json.slice(1)}`
  return JSON.stringify({ topic, ...((body instanceof JsonText ? body.toJSON() : body) as object) })
}
