import type { z } from 'zod'
import type { OutboundChannel } from '../contract/topics.ts'
import type { PatientModel } from './physiology/vitals.ts'
import type { Rng } from './rng.ts'

/**
 * The contract every device kind in `devices/` fulfils, like a Node-RED node: a small unit with a
 * uniform input (ticks, commands, faults) and output (emissions on channels). A kind knows nothing
 * about MQTT; the device runner turns emissions into envelopes and publishes them, which keeps
 * kinds pure, seeded and testable without a broker.
 */
export interface DeviceKind<Options = unknown, State = unknown> {
  /** Topic level and registry `kind`, e.g. `bedside-monitor`. */
  readonly kind: string
  readonly title: string
  readonly description: string
  /** Whether a registry entry must attach the device to a patient. */
  readonly needsPatient: boolean
  /** Validates the registry entry's `options`; defaults fill what is left out. */
  readonly optionsSchema: z.ZodType<Options>
  /** The `data` schema per channel. The pipeline validates with these very schemas. */
  readonly schemas: ChannelSchemas
  /** QoS per outbound channel: alarms and events at least once, high-rate telemetry at most once. */
  readonly qos: Record<OutboundChannel, 0 | 1>
  /** Clinical and engineering codes of the telemetry fields, keyed by field name. */
  readonly codes: Readonly<Record<string, MeasurementCode>>
  /** Simulated milliseconds between two ticks. */
  tickMs(options: Options): number
  /** Readings made while offline are kept and sent late (hospital-at-home gateways) instead of lost. */
  readonly storeAndForward: boolean
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

export interface ChannelSchemas {
  telemetry: z.ZodType
  status: z.ZodType
  alarm: z.ZodType
  event: z.ZodType
  /** Absent when the device accepts no commands. */
  cmd?: z.ZodType
}

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

/**
 * How a telemetry field is coded in the standards a hospital integrates with. MDC (IEEE
 * 11073-10101) and LOINC codes where they exist, UCUM units always.
 */
export interface MeasurementCode {
  display: string
  ucum: string
  mdc?: { code: number; name: string }
  /**
   * The unit as an IEEE 11073-10101 dimension code (partition 4, MDC_DIM_*), which HL7 v2 PCD-01
   * puts in OBX-6 with the UCUM unit as the alternate. Set where `mdc` is: the MDC unit depends
   * on the measurement, not only on the UCUM text (/min is MDC_DIM_BEAT_PER_MIN for a heart rate
   * and MDC_DIM_RESP_PER_MIN for a breathing rate).
   */
  mdcUnit?: { code: number; name: string }
  /** LOINC codes; the first is the FHIR vital-signs profile code when the field is a vital sign. */
  loinc?: readonly string[]
  /** A FHIR vital sign (vital-signs profile) rather than a device or operational metric. */
  vitalSign?: boolean
}

/** Helper for kind modules: keeps literal types while checking the shape. */
export function defineDeviceKind<Options, State>(kind: DeviceKind<Options, State>): DeviceKind<Options, State> {
  return kind
}
