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
  /**
   * The subscriber stops reading this many seconds into the load and does not read again before
   * the drain ends: a consumer that hangs, to see what the broker does with what it cannot deliver
   * (the undelivered table says where each message went). Never, when left out.
   */
  subscriberStallS?: number
}
