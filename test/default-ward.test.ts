import { describe, expect, it } from 'vitest'
import { DRUGS, limitedQuantity } from '../src/contract/devices/drug-library.ts'
import { buildDefaultRegistry } from '../src/registry/default-ward.ts'
import { EPHEMERAL_COST } from '../src/registry/passwords.ts'

describe('the default ward', () => {
  it("runs on each ICU pump what its patient's course calls for, at a dose inside the drug library's soft limit", async () => {
    const registry = await buildDefaultRegistry({ seed: 'pumps', provisioningKey: Buffer.alloc(32, 7), cost: EPHEMERAL_COST })
    const pumps = registry.devices.filter((d) => d.kind === 'infusion-pump')
    expect(pumps.length).toBeGreaterThan(0)
    const expected = { sepsis: 'noradrenaline', 'respiratory-failure': 'propofol' } as Record<string, string>
    const seen = new Set<string>()
    for (const pump of pumps) {
      const patient = registry.patients.find((p) => p.id === pump.patient)!
      const { drug, rateMlH, patientWeightKg } = pump.options as { drug: keyof typeof DRUGS; rateMlH: number; patientWeightKg: number }
      seen.add(drug)
      expect(drug, `${pump.id} (${patient.trajectory})`).toBe(expected[patient.trajectory] ?? 'sodium-chloride-0.9')
      expect(patientWeightKg).toBe(patient.weightKg)
      // The dose in the library's own unit, as the pump's checks compute it.
      const library = DRUGS[drug]
      const dose = limitedQuantity(library, rateMlH, patientWeightKg)
      expect(dose, pump.id).toBeLessThanOrEqual(library.softMax)
      if (drug === 'noradrenaline') expect(dose).toBeCloseTo(0.1, 2)
      if (drug === 'propofol') expect(dose).toBeCloseTo(2, 1)
      if (drug === 'sodium-chloride-0.9') expect(rateMlH).toBe(library.usualRateMlH)
    }
    expect([...seen].sort()).toEqual(['noradrenaline', 'propofol', 'sodium-chloride-0.9'])
  })
})
