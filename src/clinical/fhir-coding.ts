import type { CodeableConcept, Coding, Quantity } from 'fhir/r4.js'
import { hashString } from '../util/hash.ts'
import type { MeasurementCode } from '../contract/device-contract.ts'

/** Code systems as FHIR R4 names them (terminologies page; MDC per the PoCD IG). */
export const SYSTEM = {
  loinc: 'http://loinc.org',
  mdc: 'urn:iso:std:iso:11073:10101',
  ucum: 'http://unitsofmeasure.org',
  observationCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  dataAbsentReason: 'http://terminology.hl7.org/CodeSystem/data-absent-reason',
} as const

/** FHIR R4 `id`: `[A-Za-z0-9\-\.]{1,64}` (datatypes §2.24.0.1). */
const FHIR_ID = /^[A-Za-z0-9.-]{1,64}$/
const HASH_SUFFIX_LENGTH = 9

/**
 * A valid FHIR id for any wardlab name, the same every run. Names that already are valid ids are
 * kept, so `Patient/p-01` reads like the registry; others (registry ids may hold `_` and reach 64
 * characters before a suffix is added) are cleaned, shortened and given a hash of the original,
 * so two names that clean to the same text still get different ids. Whoever writes the Patient
 * and Device resources must use this too, or references will not resolve.
 */
export function fhirId(name: string): string {
  if (FHIR_ID.test(name)) return name
  const cleaned = name.replace(/[^A-Za-z0-9.-]/g, '.').slice(0, 64 - HASH_SUFFIX_LENGTH)
  return `${cleaned}-${hashString(name).toString(16).padStart(8, '0')}`
}

/**
 * LOINC codings first (the first is the profile code), then MDC: dual coding is how device
 * gateways report vital signs. LOINC codings carry no display because the kinds' `display` is a
 * label, not the LOINC long name; the label goes to `text`.
 */
export function codeableConcept(code: MeasurementCode): CodeableConcept {
  const coding: Coding[] = (code.loinc ?? []).map((loinc) => ({ system: SYSTEM.loinc, code: loinc }))
  if (code.mdc !== undefined) coding.push({ system: SYSTEM.mdc, code: String(code.mdc.code), display: code.mdc.name })
  return { coding, text: code.display }
}

/** UCUM `code` with the same text as `unit`, as the vital-signs profiles show it. */
export function ucumQuantity(value: number, code: MeasurementCode): Quantity {
  return { value, unit: code.ucum, system: SYSTEM.ucum, code: code.ucum }
}

/** FHIR `instant`/`dateTime` from epoch ms, always UTC with milliseconds: second precision and a zone, as vs-1 needs. */
export function fhirDateTime(epochMs: number): string {
  // Every Observation of one message has the same time: format it once.
  if (epochMs !== lastDateTime.ms) {
    lastDateTime.ms = epochMs
    lastDateTime.text = new Date(epochMs).toISOString()
  }
  return lastDateTime.text
}
const lastDateTime = { ms: Number.NaN, text: '' }

/** For a required component the device did not report (vital-signs invariant vs-3). */
export function dataAbsentUnknown(): CodeableConcept {
  return { coding: [{ system: SYSTEM.dataAbsentReason, code: 'unknown', display: 'Unknown' }] }
}
