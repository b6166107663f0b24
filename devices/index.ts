import type { DeviceKind } from '../src/simulation/device-kind.ts'
import { bedsideMonitor } from './bedside-monitor.ts'
import { environmentSensor } from './environment-sensor.ts'
import { hospitalAtHomeKit } from './hospital-at-home-kit.ts'
import { infusionPump } from './infusion-pump.ts'
import { mriScanner } from './mri-scanner.ts'
import { telemedicineEndpoint } from './telemedicine-endpoint.ts'
import { ventilator } from './ventilator.ts'

/**
 * Every device kind the simulator can run, by registry `kind`: each kind's contract
 * (src/contract/devices/) joined with its behaviour (a file in this folder). Adding a kind is one
 * contract file in src/contract/devices/, one behaviour file here, and one line in each folder's
 * index (this one and src/contract/devices/index.ts).
 */
const kinds: DeviceKind<any, any>[] = [bedsideMonitor, ventilator, hospitalAtHomeKit, infusionPump, mriScanner, telemedicineEndpoint, environmentSensor]

export const DEVICE_KINDS: ReadonlyMap<string, DeviceKind<any, any>> = new Map(kinds.map((k) => [k.kind, k]))

export function deviceKind(kind: string): DeviceKind<any, any> | undefined {
  return DEVICE_KINDS.get(kind)
}
