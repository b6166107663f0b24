import type { DeviceContract } from '../device-contract.ts'
import { bedsideMonitorContract } from './bedside-monitor.ts'
import { environmentSensorContract } from './environment-sensor.ts'
import { hospitalAtHomeKitContract } from './hospital-at-home-kit.ts'
import { infusionPumpContract } from './infusion-pump.ts'
import { mriScannerContract } from './mri-scanner.ts'
import { telemedicineEndpointContract } from './telemedicine-endpoint.ts'
import { ventilatorContract } from './ventilator.ts'

/**
 * The contract of every device kind wardlab knows, by registry `kind`: what the pipeline, the
 * security detectors, clinical code and the registry judge a device's messages by, real or
 * simulated. Adding a kind is one contract file in this folder, one behaviour file in `devices/`,
 * and one line in each folder's index (this one and devices/index.ts).
 */
const contracts: DeviceContract<any>[] = [
  bedsideMonitorContract,
  ventilatorContract,
  hospitalAtHomeKitContract,
  infusionPumpContract,
  mriScannerContract,
  telemedicineEndpointContract,
  environmentSensorContract,
]

export const DEVICE_CONTRACTS: ReadonlyMap<string, DeviceContract<any>> = new Map(contracts.map((c) => [c.kind, c]))

export function deviceContract(kind: string): DeviceContract<any> | undefined {
  return DEVICE_CONTRACTS.get(kind)
}
