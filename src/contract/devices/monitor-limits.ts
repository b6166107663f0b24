import { z } from 'zod'
import type { MonitorField } from './monitor-parameters.ts'

/**
 * Physiological alarm limits of a bedside monitor. Defaults are typical adult settings
 * (clinical.md, "Alarms"); staff adjust them per patient within the range the monitor allows.
 */

export type LimitedField = Exclude<MonitorField, 'pulseRate'>
export interface Limit {
  low: number
  high: number
}
export type Limits = Record<LimitedField, Limit>

export const DEFAULT_LIMITS: Readonly<Limits> = {
  heartRate: { low: 50, high: 120 },
  // No upper SpO2 limit for adults: 100 never trips.
  spo2: { low: 90, high: 100 },
  respiratoryRate: { low: 5, high: 30 },
  temperature: { low: 35, high: 39 },
  nibpSystolic: { low: 90, high: 160 },
  nibpDiastolic: { low: 50, high: 90 },
  nibpMean: { low: 60, high: 110 },
  etco2: { low: 15, high: 50 },
}

/** The range within which a limit may be set (the monitor's adjustment range). */
const SETTABLE: Readonly<Limits> = {
  heartRate: { low: 15, high: 300 },
  spo2: { low: 50, high: 100 },
  respiratoryRate: { low: 1, high: 150 },
  temperature: { low: 25, high: 45 },
  nibpSystolic: { low: 20, high: 300 },
  nibpDiastolic: { low: 10, high: 250 },
  nibpMean: { low: 15, high: 270 },
  etco2: { low: 0, high: 150 },
}

const LIMITED_FIELDS = Object.keys(DEFAULT_LIMITS) as LimitedField[]

const limitPatch = z.object({ low: z.number().finite().optional(), high: z.number().finite().optional() }).strict()

/** Changes to some limits: omitted fields and sides keep their current value. */
export const limitsPatchSchema = z
  .object(Object.fromEntries(LIMITED_FIELDS.map((field) => [field, limitPatch.optional()])) as Record<LimitedField, z.ZodOptional<typeof limitPatch>>)
  .strict()
export type LimitsPatch = z.infer<typeof limitsPatchSchema>

/** New limits with `patch` applied, or why they cannot be set. */
export function applyLimits(current: Readonly<Limits>, patch: LimitsPatch): { limits: Limits } | { error: string } {
  const limits = { ...current }
  for (const field of LIMITED_FIELDS) {
    const change = patch[field]
    if (!change) continue
    const next = { low: change.low ?? current[field].low, high: change.high ?? current[field].high }
    const allowed = SETTABLE[field]
    if (next.low < allowed.low || next.high > allowed.high) return { error: `${field} limits must lie within ${allowed.low}–${allowed.high}` }
    if (next.low >= next.high) return { error: `${field} low limit ${next.low} must be below the high limit ${next.high}` }
    limits[field] = next
  }
  return { limits }
}
