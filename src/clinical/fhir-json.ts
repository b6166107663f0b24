import type { Observation } from 'fhir/r4.js'
import { fhirDateTime, fhirId } from './fhir-coding.ts'
import { type MeasurementInput, vitalSignObservations } from './fhir.ts'

/**
 * The JSON text of `vitalSignObservations`, byte for byte, without building the resources:
 * every vital-sign message of a device kind has one of a few shapes (which fields it carries),
 * and all that differs between two messages of one shape is the ids, times and values. So each
 * shape is built once by the real builder from stand-in values, stringified, and cut at the
 * stand-ins; a message is then the text between them with its own values put back. Building and
 * stringifying the resources was most of the pipeline's cost of a vital sign (BENCHMARKS.md, the
 * pipeline's own cost); test/fhir-json.test.ts holds the text to JSON.stringify of the builder's.
 */

/** Stand-ins the real builder is run with: none can occur in a code table's text. */
const STAND_IN = { deviceId: 'wlStandInDevice', patientId: 'wlStandInPatient', seq: 987654321, effectiveMs: Date.UTC(1901, 0, 1, 1, 1, 1, 1) } as const
/**
 * A stand-in value per field: ten digits each, so no stand-in's text contains another's, and
 * longer than any code in a code table (LOINC and MDC codes have at most seven digits).
 */
const standInValue = (index: number) => 9_000_000_001 + index

type Slot = { kind: 'id'; field: string } | { kind: 'subject' } | { kind: 'effective' } | { kind: 'device' } | { kind: 'value'; field: string }

interface Template {
  /** Text pieces; `slots[i]` goes between `pieces[i]` and `pieces[i + 1]`. */
  pieces: string[]
  slots: Slot[]
}

/** Per code table (a device kind's), per shape: the templates of that shape's resources. */
const templatesByCodes = new WeakMap<MeasurementInput['codes'], Map<string, Template[]>>()

function numericFields(input: MeasurementInput): string[] {
  const present: string[] = []
  for (const field in input.codes) {
    const value = input.fields[field]
    if (typeof value === 'number' && Number.isFinite(value)) present.push(field)
  }
  return present
}

function buildTemplates(codes: MeasurementInput['codes'], present: readonly string[]): Template[] {
  const fields = Object.fromEntries(present.map((field, index) => [field, standInValue(index)]))
  const resources = vitalSignObservations({ ...STAND_IN, fields, codes, patientId: STAND_IN.patientId })
  return resources.map((resource) => templateOf(resource, present))
}

function templateOf(resource: Observation, present: readonly string[]): Template {
  const idPrefix = `${STAND_IN.deviceId}-${STAND_IN.seq}-`
  if (!resource.id?.startsWith(idPrefix)) throw new Error(`FHIR template: unexpected id ${resource.id}`)
  const tokens = new Map<string, Slot>([
    [JSON.stringify(resource.id), { kind: 'id', field: resource.id.slice(idPrefix.length) }],
    [JSON.stringify(`Patient/${STAND_IN.patientId}`), { kind: 'subject' }],
    [JSON.stringify(fhirDateTime(STAND_IN.effectiveMs)), { kind: 'effective' }],
    [JSON.stringify(`Device/${STAND_IN.deviceId}`), { kind: 'device' }],
    ...present.map((field, index): [string, Slot] => [JSON.stringify(standInValue(index)), { kind: 'value', field }]),
  ])
  const text = JSON.stringify(resource)
  const pattern = new RegExp([...tokens.keys()].map((token) => token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g')
  const pieces: string[] = []
  const slots: Slot[] = []
  let from = 0
  for (const match of text.matchAll(pattern)) {
    pieces.push(text.slice(from, match.index))
    slots.push(tokens.get(match[0])!)
    from = match.index + match[0].length
  }
  pieces.push(text.slice(from))
  return { pieces, slots }
}

/** `vitalSignObservations(input).map(JSON.stringify)`, from templates. */
export function vitalSignObservationsJson(input: MeasurementInput & { patientId: string }): string[] {
  const present = numericFields(input)
  let byShape = templatesByCodes.get(input.codes)
  if (!byShape) templatesByCodes.set(input.codes, (byShape = new Map()))
  const shape = present.join(',')
  let templates = byShape.get(shape)
  if (!templates) byShape.set(shape, (templates = buildTemplates(input.codes, present)))
  const subject = quotedReference('Patient', input.patientId)
  const effective = JSON.stringify(fhirDateTime(input.effectiveMs))
  const device = quotedReference('Device', input.deviceId)
  const idPrefix = `${input.deviceId}-${input.seq}-`
  // An id made of id characters and short enough is its own FHIR id: no cleaning, no escaping.
  const plainIds = PLAIN_ID.test(idPrefix)
  const texts: string[] = []
  for (const { pieces, slots } of templates) {
    let text = pieces[0]!
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!
      if (slot.kind === 'value') text += String(input.fields[slot.field] as number)
      else if (slot.kind === 'id') {
        const id = idPrefix + slot.field
        text += plainIds && id.length <= MAX_ID_LENGTH && PLAIN_ID.test(slot.field) ? `"${id}"` : JSON.stringify(fhirId(id))
      } else text += slot.kind === 'subject' ? subject : slot.kind === 'effective' ? effective : device
      text += pieces[i + 1]!
    }
    texts.push(text)
  }
  return texts
}

/** Characters of a FHIR id (datatypes §2.24.0.1), which JSON needs no escape for. */
const PLAIN_ID = /^[A-Za-z0-9.-]+$/
const MAX_ID_LENGTH = 64

/** A device's or patient's reference is the same in every message: quoted once. */
const references = { Patient: new Map<string, string>(), Device: new Map<string, string>() }
function quotedReference(type: 'Patient' | 'Device', name: string): string {
  // Keyed by the name itself, per type: no key string built per message.
  const byName = references[type]
  let quoted = byName.get(name)
  if (quoted === undefined) {
    quoted = JSON.stringify(`${type}/${fhirId(name)}`)
    // Bounded like the pipeline's other per-name memos: names come from the registry, but a memo must not grow without end.
    if (byName.size >= 100_000) byName.clear()
    byName.set(name, quoted)
  }
  return quoted
}
