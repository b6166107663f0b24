import { deviceContract } from '../contract/devices/index.ts'
import type { DeviceEntry } from '../registry/schema.ts'

/** What a device's kind promises about its traffic, as far as the broker can hold it to it. */
export interface TrafficProfile {
  /** Messages a second at the kind's tick cadence (one message per tick). */
  nominalRate: number
  /** Sends readings kept while offline when it comes back (home gateways). */
  storeAndForward: boolean
}

const UNKNOWN_KIND: TrafficProfile = { nominalRate: 1, storeAndForward: false }

/**
 * The traffic profile of a registered device, from its kind's `tickMs` with the device's own
 * options (a kind's cadence may depend on them). Cached per device entry: computed on its first
 * publish, then one WeakMap lookup.
 */
const profiles = new WeakMap<DeviceEntry, TrafficProfile>()

export function trafficProfile(device: DeviceEntry): TrafficProfile {
  let profile = profiles.get(device)
  if (!profile) {
    const contract = deviceContract(device.kind)
    if (!contract) profile = UNKNOWN_KIND
    else {
      const options = contract.optionsSchema.safeParse(device.options)
      const tickMs = options.success ? contract.tickMs(options.data) : 1000
      profile = { nominalRate: 1000 / tickMs, storeAndForward: contract.storeAndForward }
    }
    profiles.set(device, profile)
  }
  return profile
}
