import type { Alarm } from '../../contract/channels.ts'
import type { MeasurementCode } from '../../contract/device-contract.ts'
import type { RegistryContext } from '../../contract/device-message.ts'
import type { DeviceInput, Pcd01Input, Pcd04Input } from '../../clinical/hl7/inputs.ts'
import { observationsFromTelemetry } from '../../clinical/hl7/telemetry-observations.ts'
import { syntheticName } from '../../registry/patient-name.ts'
import type { HospitalRegistry } from '../../registry/registry.ts'
import type { ChartRequests } from './chart-requests.ts'

/**
 * What a device gateway decides before it sends HL7: which telemetry is charted and how an alarm's
 * phases pair up. Kept per device; a device's messages always reach the same pipeline (one
 * thread, or one worker by patient), so the state is never split.
 */

/** The body the route stage's `enriched` transform produces: the envelope plus the registry context. */
export interface EnrichedBody {
  deviceId: string
  ts: number
  data: Record<string, unknown>
  context?: RegistryContext
}

/**
 * PID from the registry's patient and its synthetic name; PV1-3 ward ^ room ^ bed, the room when
 * the registry's ward lists one for the bed, else empty (HL7 v2.6 PL: every component optional).
 */
export function deviceInput(registry: HospitalRegistry, context: RegistryContext): DeviceInput {
  const patient = context.patientId ? registry.patient(context.patientId) : undefined
  const room = context.bed ? registry.roomOf(context.ward, context.bed) : undefined
  return {
    id: context.deviceId,
    kind: context.kind,
    location: { ward: context.ward, ...(room ? { room } : {}), ...(context.bed ? { bed: context.bed } : {}) },
    patient: patient ? { id: patient.id, ...syntheticName(patient) } : null,
  }
}

/**
 * PCD-01 charting cadence: vitals every `everyMs` of the device's own (simulated) time, as a
 * gateway charts to the EHR flowsheet (IHE PCD TF-1 DEC: periodic reporting), and at once when a
 * setting or state the contract names changes (a new rate, a new ventilation mode), or when
 * "chart now" was requested for the device (episodic reporting); the cadence then counts from
 * that chart.
 */
export class ObservationCharting {
  private readonly last = new Map<string, { at: number; settings: string }>()

  constructor(
    private readonly everyMs: number,
    private readonly requests: ChartRequests | null = null,
  ) {}

  due(deviceId: string, ts: number, data: Readonly<Record<string, unknown>>, settings: readonly string[]): boolean {
    const signature = settings.map((field) => JSON.stringify(data[field] ?? null)).join('|')
    const previous = this.last.get(deviceId)
    const requested = this.requests?.take(deviceId) ?? false
    if (!requested && previous && ts - previous.at < this.everyMs && previous.settings === signature) return false
    this.last.set(deviceId, { at: ts, settings: signature })
    return true
  }
}

export function pcd01Input(device: DeviceInput, body: EnrichedBody, codes: Readonly<Record<string, MeasurementCode>>): Pcd01Input | null {
  const observations = observationsFromTelemetry(body.data, codes, body.ts)
  return observations.length > 0 ? { device, observations } : null
}

/**
 * PCD-04 start and end of one alarm instance share OBR-3 (alertInstanceId), made from the time
 * it started: remembered here from its raise until its end. An end whose start came before
 * this run began uses its own time.
 */
export class AlarmPhases {
  private readonly started = new Map<string, number>()

  input(device: DeviceInput, alarm: Alarm, ts: number, codes: Readonly<Record<string, MeasurementCode>>): Pcd04Input {
    const key = `${device.id}\u0000${alarm.code}`
    const startedAt = this.started.get(key) ?? ts
    if (alarm.active) this.started.set(key, startedAt)
    else this.started.delete(key)
    const metric = alarm.parameter ? metricPosition(codes, alarm.parameter) : null
    const code = alarm.parameter ? codes[alarm.parameter] : undefined
    return { device, alarm, startedAt, ts, ...(code && metric ? { parameter: { code, metric } } : {}) }
  }
}

/** A field's OBX-4 metric position: its place among the kind's MDC-coded fields, as observationsFromTelemetry numbers them. */
function metricPosition(codes: Readonly<Record<string, MeasurementCode>>, field: string): number | null {
  let metric = 0
  for (const [name, code] of Object.entries(codes)) {
    if (!code.mdc) continue
    metric++
    if (name === field) return metric
  }
  return null
}
