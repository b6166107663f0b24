import { connectionCredentials, type BenchCredentials } from './bench-registry.ts'
import { benchDevices, type BenchDevice } from './fleet-layout.ts'
import type { Qos } from './mqtt-wire.ts'
import { payloadSource, type PayloadSource, type PayloadSpec } from './payloads.ts'
import type { RecordChunk } from './record-log.ts'
import type { MqttVersion } from '../simulation/mqtt-version.ts'

export const ENGINES = ['wardlab', 'mqttjs'] as const
export type EngineName = (typeof ENGINES)[number]

/** What one generator process runs: a contiguous slice of the fleet's connections. */
export interface GeneratorPlan {
  host: string
  /** The broker's port, or each node's of a cluster: connection `c` goes to `ports[c % ports.length]` (connectionPort). */
  ports: number[]
  totalDevices: number
  firstConnection: number
  connections: number
  /** Devices per connection: 1, or n for gateways. */
  gateway: number
  /** Messages per second per device; null for "as fast as the broker takes them". */
  ratePerDevice: number | null
  qos: Qos
  payload: PayloadSpec
  seed: string
  /** Base64 of the bench key the passwords derive from. */
  key: string
  /** Connections per second this process opens. */
  connectRate: number
  /** QoS 1 publishes a connection may have unacknowledged. */
  inflight: number
  rampUpS: number
  durationS: number
  engine: EngineName
  /** What every connection of the plan speaks. */
  mqttVersion: MqttVersion
}

export interface GeneratorCounters {
  /** Due by the schedule (in max mode, equal to sent). */
  offered: number
  /** Written to the socket. */
  sent: number
  /** Due but not sent: the socket was backed up, the QoS 1 window full, or the connection down. */
  skipped: number
  /** QoS 1 PUBACKs received. */
  acked: number
  /** Connections the broker closed during the load. */
  disconnects: number
}

export interface ConnectReport {
  /** CONNECT → CONNACK per connection, ms. */
  connectMs: number[]
  failures: string[]
  /** Connections refused at first as busy that connected on a retry (connect-pacer.ts): each first refusal. */
  retried: string[]
}

/** A generator's way of putting the plan on the wire. */
export interface GeneratorEngine {
  connect(): Promise<ConnectReport>
  /** Runs the load from `startAt` (monotonic ms) to the end of ramp-up plus duration. */
  run(startAt: number): Promise<void>
  readonly counters: GeneratorCounters
  /** Send times logged since the last call, or null when the engine does not log them. */
  takeRecords(): RecordChunk | null
  /** Messages each of this process's devices sent (index 0 = its first device). */
  sentPerDevice(): Uint32Array
  close(): Promise<void>
}

/** The devices connection `c` carries. */
export function devicesOfConnection(plan: Pick<GeneratorPlan, 'gateway' | 'totalDevices'>, c: number): { first: number; count: number } {
  const first = c * plan.gateway
  return { first, count: Math.max(0, Math.min(plan.gateway, plan.totalDevices - first)) }
}

/** Round-robin by connection over the nodes, so each node carries an even share of the fleet. */
export function connectionPort(plan: Pick<GeneratorPlan, 'ports'>, c: number): number {
  return plan.ports[c % plan.ports.length]!
}

export function firstDeviceOf(plan: GeneratorPlan): number {
  return plan.firstConnection * plan.gateway
}

export function deviceCountOf(plan: GeneratorPlan): number {
  return Math.max(0, Math.min(plan.connections * plan.gateway, plan.totalDevices - firstDeviceOf(plan)))
}

/** The fleet as a generator process sees it: its own devices, their payloads, its connections' credentials. */
export interface FleetSlice {
  firstDevice: number
  devices: BenchDevice[]
  payloads: PayloadSource
  /** Who this process's connection `i` (0-based) connects as. */
  credentials(i: number): BenchCredentials
}

export function fleetSlice(plan: GeneratorPlan): FleetSlice {
  const all = benchDevices(plan.totalDevices)
  const firstDevice = firstDeviceOf(plan)
  const key = Buffer.from(plan.key, 'base64')
  return {
    firstDevice,
    devices: all.slice(firstDevice, firstDevice + deviceCountOf(plan)),
    payloads: payloadSource(plan.payload, all, plan.seed),
    credentials: (i) => connectionCredentials(key, plan.firstConnection + i, plan.gateway, all),
  }
}
