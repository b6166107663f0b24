import type { Qos } from './mqtt-wire.ts'
import type { PayloadSpec } from './payloads.ts'

/** The load one bench run puts on a target: the fleet, its rate and messages, and how it ramps up. */
export interface LoadOptions {
  devices: number
  ratePerDevice: number | null
  qos: Qos
  payload: PayloadSpec
  durationS: number
  rampUpS: number
  connectRate: number
  gateway: number
  workers: number
  inflight: number
  seed: string
  key: Buffer
  consumeOutputs: boolean
}
