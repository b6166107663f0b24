import type { z } from 'zod'
import type { OutboundChannel } from './topics.ts'

/**
 * What a device kind promises about its messages: the part of a kind that the pipeline, the
 * security detectors, clinical code and the registry need to judge a real device's traffic. It
 * holds no behaviour, so none of them loads the simulator to check a message; the simulator joins
 * a contract with its behaviour (src/simulation/device-kind.ts).
 */
export interface DeviceContract<Options = unknown> {
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
  /**
   * Milliseconds between two of the device's ticks, each sending at most one telemetry message:
   * the cadence the security monitor holds a device's traffic to, and the simulator ticks at.
   */
  tickMs(options: Options): number
  /** Readings made while offline are kept and sent late (hospital-at-home gateways) instead of lost. */
  readonly storeAndForward: boolean
  /**
   * Telemetry fields that are settings or states (a pump's drug and programmed rate, a
   * ventilator's mode): an HL7 gateway charts the device when one changes, not only at the
   * charting cadence (IHE PCD-01 "on change" reporting, src/pipeline/sinks/hl7.ts).
   */
  readonly settings?: readonly string[]
}

export interface ChannelSchemas {
  telemetry: z.ZodType
  status: z.ZodType
  alarm: z.ZodType
  event: z.ZodType
  /** Absent when the device accepts no commands. */
  cmd?: z.ZodType
}

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

/** Helper for contract modules: keeps literal types while checking the shape. */
export function defineDeviceContract<Options>(contract: DeviceContract<Options>): DeviceContract<Options> {
  return contract
}
