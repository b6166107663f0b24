import { describe, expect, it } from 'vitest'
import { DEVICE_CONTRACTS } from '../src/contract/devices/index.ts'
import { vitalSignObservations } from '../src/clinical/fhir.ts'
import { vitalSignObservationsJson } from '../src/clinical/fhir-json.ts'
import { JsonText, serializeWithTopic } from '../src/pipeline/sinks/serialize.ts'
import { hashString } from '../src/util/hash.ts'

/**
 * The route stage writes vital signs from templates (src/clinical/fhir-json.ts). The text must be
 * exactly JSON.stringify of what the resource builder makes, for every shape a kind's telemetry
 * can take, any values, and ids that need cleaning.
 */
describe('vital-sign Observations as JSON text', () => {
  const ids = [
    { deviceId: 'mon-icu-01', patientId: 'pt-01' },
    // Not valid FHIR ids as they are: cleaned, shortened and hashed by fhirId.
    { deviceId: 'mon_icu_01', patientId: 'patient with spaces' },
    { deviceId: `m${'x'.repeat(70)}`, patientId: `p${'y'.repeat(70)}` },
  ]
  for (const [kind, contract] of DEVICE_CONTRACTS) {
    const fields = Object.keys(contract.codes)
    it(`is JSON.stringify of the builder's resources for every field combination of a ${kind}`, () => {
      let compared = 0
      // Every subset of the coded fields (up to 2^10), each with values that vary.
      const subsets = Math.min(2 ** fields.length, 1024)
      for (let mask = 0; mask < subsets; mask++) {
        const values = Object.fromEntries(
          fields.flatMap((field, index) => ((mask >> index) & 1 ? [[field, ((hashString(`${kind}${mask}${index}`) % 20000) - 500) / 10]] : [])),
        )
        for (const [round, id] of ids.entries()) {
          const input = { ...id, seq: mask * 7 + round, effectiveMs: Date.UTC(2026, 11, 6, 12, 0, 0, mask), fields: values, codes: contract.codes }
          expect(vitalSignObservationsJson(input)).toEqual(vitalSignObservations(input).map((resource) => JSON.stringify(resource)))
          compared++
        }
      }
      expect(compared).toBeGreaterThan(0)
    })
  }

  it('leaves out fields that are not finite numbers, as the builder does', () => {
    const input = monitorInput({ heartRate: Number.NaN, spo2: '97', respiratoryRate: 16, temperature: null })
    expect(vitalSignObservationsJson(input)).toEqual(vitalSignObservations(input).map((resource) => JSON.stringify(resource)))
    expect(vitalSignObservationsJson(input)).toHaveLength(1)
  })

  it('is written to topic-recording files as the resource object would be', () => {
    const input = monitorInput({ heartRate: 80, nibpSystolic: 120, nibpDiastolic: 80, nibpMean: 93 })
    const resources = vitalSignObservations(input)
    expect(resources.length).toBeGreaterThan(1)
    for (const [index, json] of vitalSignObservationsJson(input).entries()) {
      expect(serializeWithTopic('fhir/Observation', new JsonText(json))).toBe(JSON.stringify({ topic: 'fhir/Observation', ...resources[index] }))
      expect(JSON.stringify({ body: new JsonText(json) })).toBe(JSON.stringify({ body: resources[index] }))
    }
  })
})

/** One bedside monitor's reading of `fields`, as the builders take it. */
function monitorInput(fields: Record<string, unknown>) {
  return { deviceId: 'm1', patientId: 'p1', seq: 1, effectiveMs: 0, codes: DEVICE_CONTRACTS.get('bedside-monitor')!.codes, fields }
}
