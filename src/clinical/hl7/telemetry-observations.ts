import type { ObservationInput } from './inputs.ts'
import type { MeasurementCode } from '../../contract/device-contract.ts'

/**
 * A device's telemetry `data` as PCD-01 observations: the fields that have an MDC code and a
 * finite number, each numbered by its place among the MDC-coded fields of the kind's code table,
 * so a field keeps its OBX-4 metric position when others are missing (a sensor off, NIBP
 * between cuff cycles). The same table drives FHIR: one source of codes.
 */
export function observationsFromTelemetry(
  data: Readonly<Record<string, unknown>>,
  codes: Readonly<Record<string, MeasurementCode>>,
  ts: number,
  ranges: Readonly<Record<string, ObservationInput['range']>> = {},
): ObservationInput[] {
  const out: ObservationInput[] = []
  let metric = 0
  for (const [field, code] of Object.entries(codes)) {
    if (!code.mdc) continue
    metric++
    const value = data[field]
    if (typeof value !== 'number' || !Number.isFinite(value)) continue
    const range = ranges[field]
    out.push(range ? { field, value, code, ts, metric, range } : { field, value, code, ts, metric })
  }
  return out
}
