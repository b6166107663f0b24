import type { DeviceContract } from '../contract/device-contract.ts'
import type { News2Values } from './news2-tracker.ts'

/**
 * Which telemetry fields feed NEWS2, found through the fields' standard codes rather than their
 * names, so any device kind — a bedside monitor, a home kit's wearable — contributes once it codes
 * its fields with LOINC.
 */
const PARAMETER_BY_LOINC: Readonly<Record<string, keyof News2Values>> = {
  '9279-1': 'respiratoryRate',
  '59408-5': 'spo2',
  '2708-6': 'spo2',
  '8480-6': 'systolic',
  '8867-4': 'pulse',
  '8889-8': 'pulse',
  '8310-5': 'temperature',
}
/** MDC_CONC_AWAY_O2_INSP: inspired oxygen above room air means the patient is on oxygen. */
const MDC_INSPIRED_O2 = 152196
const ROOM_AIR_PERCENT = 21

type Extractor = (data: Record<string, unknown>, values: News2Values) => void

const cache = new WeakMap<DeviceContract<any>, Extractor[]>()

function extractorsFor(kind: DeviceContract<any>): Extractor[] {
  let extractors = cache.get(kind)
  if (extractors) return extractors
  extractors = []
  for (const [field, code] of Object.entries(kind.codes)) {
    const parameter = code.loinc?.map((l) => PARAMETER_BY_LOINC[l]).find(Boolean)
    if (parameter) {
      extractors.push((data, values) => {
        const value = data[field]
        if (typeof value === 'number' && Number.isFinite(value)) (values as Record<string, number>)[parameter] = value
      })
    } else if (code.mdc?.code === MDC_INSPIRED_O2) {
      // Ventilators report FiO2 in % (UCUM "%"); a fraction would be < 1, never above room air.
      extractors.push((data, values) => {
        const value = data[field]
        if (typeof value === 'number') values.onOxygen = (value <= 1 ? value * 100 : value) > ROOM_AIR_PERCENT + 0.5
      })
    }
  }
  cache.set(kind, extractors)
  return extractors
}

/** The NEWS2 parameters present in one telemetry message, or null when it has none. */
export function news2Inputs(kind: DeviceContract<any>, data: unknown): News2Values | null {
  if (typeof data !== 'object' || data === null) return null
  const extractors = extractorsFor(kind)
  if (extractors.length === 0) return null
  const values: News2Values = {}
  for (const extract of extractors) extract(data as Record<string, unknown>, values)
  return Object.keys(values).length > 0 ? values : null
}
