import { describe, expect, it } from 'vitest'
import { DEVICE_KINDS } from '../devices/index.ts'
import { DEVICE_CONTRACTS } from '../src/contract/devices/index.ts'

describe('device contracts and the simulator', () => {
  it('simulates every contracted kind, no more, emitting to the very schemas the pipeline validates with', () => {
    expect([...DEVICE_KINDS.keys()]).toEqual([...DEVICE_CONTRACTS.keys()])
    for (const [kind, contract] of DEVICE_CONTRACTS) {
      const simulated = DEVICE_KINDS.get(kind)!
      expect(simulated.schemas).toBe(contract.schemas)
      expect(simulated.optionsSchema).toBe(contract.optionsSchema)
      expect(simulated.codes).toBe(contract.codes)
    }
  })
})
