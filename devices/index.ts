import type { DeviceKind } from '../src/simulation/device-kind.ts'
import { bedsideMonitor } from './bedside-monitor.ts'
import { environmentSensor } from './environment-sensor.ts'
import { hospitalAtHomeKit } from './hospital-at-home-kit.ts'
import { infusionPump } from './infusion-pump.ts'
import { mriScanner } from './mri-scanner.ts'
import { telemedicineEndpoint } from './telemedicine-endpoint.ts'
import { ventilator } from './ventilator.ts'

/**
 * Every device kind wardlab can simulate and validate, by registry `kind`. Adding a kind is one
 * file in this folder and one line here.
 */
const kinds: DeviceKind<any, any>[] = [
  bedsideMonitor,
  ventilator,
  hospitalAtHomeKit,
  infusionPump,
  mriScanner,
  telemedicineEndpoint,
  environmentSensor,
]

export const DEVICE_KINDS: ReadonlyMap<string, DeviceKind<any, any>> = new Map(kinds.map((k) => [k.kind, k]))

export function deviceKind(kind: string): DeviceKind<any, any> | undefined {
  return DEVICE_KINDS.get(kind)
}
