import type { DeviceContract } from '../contract/device-contract.ts'
import type { OutboundChannel } from '../contract/topics.ts'
import type { Rng } from '../util/rng.ts'
import type { PatientModel } from './physiology/vitals.ts'

/**
 * How a simulated device of a kind behaves, like a Node-RED node: a small unit with a uniform
 * input (ticks, commands, faults) and output (emissions on channels). Behaviour knows nothing
 * about MQTT; the device runner turns emissions into envelopes and publishes them, which keeps
 * kinds pure, seeded and testable without a broker. What the messages look like is the kind's
 * contract (src/contract/devices/), which real devices' traffic is judged by.
 */
export interface DeviceBehaviour<Options = unknown, State = unknown> {
  init(ctx: DeviceContext<Options>, now: number): State
  /** Called every `tickMs`; returns what the device says now (often one telemetry message). */
  tick(state: State, ctx: DeviceContext<Options>, now: number): Emission[]
  /** A command that passed `schemas.cmd`; the answer includes a `command-ack` event. */
  command?(state: State, ctx: DeviceContext<Options>, command: unknown, now: number): Emission[]
  /** A kind-specific fault starting or ending (`sensor-off`, `battery-empty`); generic faults are the runner's. */
  fault?(state: State, ctx: DeviceContext<Options>, fault: KindFault, active: boolean, now: number): Emission[]
  /** Battery charge for the retained status message, when the device runs on battery. */
  batteryPct?(state: State): number | undefined
}

/** A kind the simulator can run: its contract and its behaviour. */
export type DeviceKind<Options = unknown, State = unknown> = DeviceContract<Options> & DeviceBehaviour<Options, State>

export interface DeviceContext<Options = unknown> {
  readonly deviceId: string
  readonly ward: string
  readonly bed: string | undefined
  readonly options: Options
  /** The patient the device is attached to, when the kind needs one. */
  readonly patient: PatientModel | null
  /** This device's own seeded stream: measurement noise, jitter, random events. */
  readonly rng: Rng
}

export interface Emission {
  channel: Exclude<OutboundChannel, 'status'>
  data: unknown
  /** When the value was measured, if not now (late readings from a store-and-forward gateway). */
  ts?: number
}

/** Faults a scenario can inject that only the kind itself knows how to show. */
export const KIND_FAULTS = ['sensor-off', 'battery-empty', 'network-degraded'] as const
/**
 * - `sensor-off`: the kind's main sensor detached or failed (leads off, a clamped line, a tripped
 *   compressor: each kind says what it means for it);
 * - `battery-empty`: the battery runs flat;
 * - `network-degraded`: the device's link congests (Wi-Fi interference, a saturated uplink) — what a
 *   kind that measures its own link quality, like a telemedicine endpoint, would report.
 */
export type KindFault = (typeof KIND_FAULTS)[number]

/** Joins a kind's contract with its simulated behaviour; `devices/<kind>.ts` calls it once. */
export function defineDeviceKind<Options, State>(contract: DeviceContract<Options>, behaviour: DeviceBehaviour<Options, State>): DeviceKind<Options, State> {
  return { ...contract, ...behaviour }
}
