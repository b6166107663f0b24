import type { CodeableConcept, Observation, ObservationComponent } from 'fhir/r4.js'
import type { MeasurementCode } from '../contract/device-contract.ts'
import { dataAbsentUnknown, SYSTEM, codeableConcept, fhirDateTime, fhirId, ucumQuantity } from './fhir-coding.ts'

/**
 * Device telemetry as FHIR R4 `Observation`s, pure and deterministic: the same message always
 * gives byte-identical resources, so a re-run or a redelivered message updates rather than adds.
 *
 * Two kinds of output, because FHIR has a standard category for vital signs and none for
 * equipment readings:
 * - `vitalSignObservations`: fields whose code says `vitalSign`, following the R4 vital-signs
 *   profile (category `vital-signs`, LOINC profile code, UCUM quantity, Patient subject);
 *   blood pressure as one panel with components.
 * - `deviceMetricObservations`: the other coded fields (pump rate, PEEP, helium level…) without a
 *   category, since observation-category has no device code; MDC codes make them readable to a
 *   Point-of-Care Device IG consumer, and `subject` is set only when a patient is attached.
 */

/** One telemetry message of one device. */
export interface MeasurementInput {
  deviceId: string
  /** The envelope's `seq`: with the device id and the field it makes the resource id. */
  seq: number
  /** The envelope's `ts`: when the values were measured. */
  effectiveMs: number
  /** The telemetry `data`; fields that are not finite numbers or have no code are left out. */
  fields: Readonly<Record<string, unknown>>
  codes: Readonly<Record<string, MeasurementCode>>
  patientId?: string
}

/** R4 vital-signs profiles with a fixed LOINC code (vitalsigns.html); claimed only when that code is present. */
const PROFILE_BY_LOINC: Readonly<Record<string, string>> = {
  '9279-1': 'http://hl7.org/fhir/StructureDefinition/resprate',
  '8867-4': 'http://hl7.org/fhir/StructureDefinition/heartrate',
  '2708-6': 'http://hl7.org/fhir/StructureDefinition/oxygensat',
  '8310-5': 'http://hl7.org/fhir/StructureDefinition/bodytemp',
  '85354-9': 'http://hl7.org/fhir/StructureDefinition/bp',
}

const BP_PANEL = { loinc: '85354-9', display: 'Blood pressure panel' } as const
/** Components of the R4 bp profile: systolic and diastolic are required, mean is extra. */
const BP_COMPONENTS = [
  { loinc: '8480-6', required: true },
  { loinc: '8462-4', required: true },
  { loinc: '8478-0', required: false },
] as const
const BP_FIELD_ID = 'blood-pressure'

/**
 * Parts that are the same for every message of a code are built once and frozen, so resources
 * may share them without one consumer's edit showing in another's resource; building them per
 * message was a fifth of the pipeline's time with its garbage (npm run bench:pipeline).
 */
const VITAL_SIGNS_CATEGORY: readonly CodeableConcept[] = deepFreeze([
  { coding: [{ system: SYSTEM.observationCategory, code: 'vital-signs', display: 'Vital Signs' }], text: 'Vital Signs' },
])
const conceptOf = new WeakMap<MeasurementCode, CodeableConcept>()
const profilesOf = new WeakMap<MeasurementCode, Observation['meta']>()

function sharedConcept(code: MeasurementCode): CodeableConcept {
  let concept = conceptOf.get(code)
  if (!concept) conceptOf.set(code, (concept = deepFreeze(codeableConcept(code))))
  return concept
}

function sharedProfiles(code: MeasurementCode): Observation['meta'] {
  if (!profilesOf.has(code)) profilesOf.set(code, deepFreeze(profilesFor(code.loinc ?? [])))
  return profilesOf.get(code)
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}

interface CodedField {
  field: string
  code: MeasurementCode
}

function measuredValue(input: MeasurementInput, field: string): number | undefined {
  const value = input.fields[field]
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

function bpComponentIndex(code: MeasurementCode): number {
  return BP_COMPONENTS.findIndex((component) => code.loinc?.includes(component.loinc) === true)
}

function profilesFor(loincCodes: readonly string[]): Observation['meta'] {
  const profile = loincCodes.flatMap((loinc) => PROFILE_BY_LOINC[loinc] ?? [])
  return profile.length > 0 ? { profile } : undefined
}

type ObservationParts = Pick<Observation, 'meta' | 'category' | 'code' | 'valueQuantity' | 'component'>

/** Assembles the resource in the element order of the R4 Observation definition, leaving out what is absent. */
function observation(input: MeasurementInput, field: string, parts: ObservationParts): Observation {
  // Keys are added in the definition's order; JSON keeps insertion order.
  const resource = { resourceType: 'Observation', id: fhirId(`${input.deviceId}-${input.seq}-${field}`) } as Observation
  if (parts.meta) resource.meta = parts.meta
  resource.status = 'final'
  if (parts.category) resource.category = parts.category
  resource.code = parts.code
  if (input.patientId !== undefined) resource.subject = { reference: `Patient/${fhirId(input.patientId)}` }
  resource.effectiveDateTime = fhirDateTime(input.effectiveMs)
  if (parts.valueQuantity) resource.valueQuantity = parts.valueQuantity
  resource.device = { reference: `Device/${fhirId(input.deviceId)}` }
  if (parts.component) resource.component = parts.component
  return resource
}

function singleObservation(input: MeasurementInput, { field, code }: CodedField, value: number, vitalSign: boolean): Observation {
  return observation(input, field, {
    meta: vitalSign ? sharedProfiles(code) : undefined,
    category: vitalSign ? (VITAL_SIGNS_CATEGORY as CodeableConcept[]) : undefined,
    code: sharedConcept(code),
    valueQuantity: ucumQuantity(value, code),
  })
}

/**
 * The bp-profile panel, or nothing when neither required component was measured. A required
 * component that is missing while the other is present gets a data-absent reason (vs-3).
 */
function bloodPressureObservation(input: MeasurementInput, parts: readonly (CodedField | undefined)[]): Observation | null {
  const component: ObservationComponent[] = []
  let requiredPresent = false
  BP_COMPONENTS.forEach(({ loinc, required }, index) => {
    const part = parts[index]
    const value = part === undefined ? undefined : measuredValue(input, part.field)
    const code = part === undefined ? { coding: [{ system: SYSTEM.loinc, code: loinc }] } : sharedConcept(part.code)
    if (part !== undefined && value !== undefined) {
      component.push({ code, valueQuantity: ucumQuantity(value, part.code) })
      requiredPresent ||= required
    } else if (required) {
      component.push({ code, dataAbsentReason: dataAbsentUnknown() })
    }
  })
  if (!requiredPresent) return null
  return observation(input, BP_FIELD_ID, {
    meta: profilesFor([BP_PANEL.loinc]),
    category: VITAL_SIGNS_CATEGORY as CodeableConcept[],
    code: { coding: [{ system: SYSTEM.loinc, code: BP_PANEL.loinc }], text: BP_PANEL.display },
    component,
  })
}

/**
 * Vital signs of one telemetry message, in the order of the kind's codes; the blood-pressure
 * panel takes the place of its first component. Blood-pressure components are recognised by
 * their LOINC codes, so a kind may name its fields as it likes.
 */
export function vitalSignObservations(input: MeasurementInput & { patientId: string }): Observation[] {
  const bpParts: (CodedField | undefined)[] = BP_COMPONENTS.map(() => undefined)
  const order: (CodedField | typeof BP_FIELD_ID)[] = []
  for (const [field, code] of Object.entries(input.codes)) {
    if (code.vitalSign !== true) continue
    // The vital-signs profile fixes a LOINC code; a kind's code table is static, so a gap is a bug to show, not to paper over.
    if ((code.loinc ?? []).length === 0) throw new Error(`vital sign ${field} has no LOINC code`)
    const bpIndex = bpComponentIndex(code)
    if (bpIndex < 0) {
      order.push({ field, code })
      continue
    }
    if (bpParts[bpIndex] !== undefined)
      throw new Error(`two fields carry blood-pressure LOINC ${BP_COMPONENTS[bpIndex]?.loinc}: ${bpParts[bpIndex]?.field} and ${field}`)
    bpParts[bpIndex] = { field, code }
    if (!order.includes(BP_FIELD_ID)) order.push(BP_FIELD_ID)
  }
  return order.flatMap((entry) => {
    if (entry === BP_FIELD_ID) return bloodPressureObservation(input, bpParts) ?? []
    const value = measuredValue(input, entry.field)
    return value === undefined ? [] : [singleObservation(input, entry, value, true)]
  })
}

/** Coded fields that are not vital signs; a field needs an MDC or LOINC code to be said in FHIR. */
export function deviceMetricObservations(input: MeasurementInput): Observation[] {
  return Object.entries(input.codes).flatMap(([field, code]) => {
    if (code.vitalSign === true || (code.mdc === undefined && (code.loinc ?? []).length === 0)) return []
    const value = measuredValue(input, field)
    return value === undefined ? [] : [singleObservation(input, { field, code }, value, false)]
  })
}
