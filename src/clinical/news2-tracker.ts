import { NEWS2_PARAMETERS, scoreNews2 } from './news2.ts'
import type { News2Band, News2Observation, News2Parameter, News2Result, News2Scale } from './news2.ts'

/**
 * Keeps the latest value of each NEWS2 parameter per patient, as they arrive from different
 * devices at different rates, rescores on every update and reports when the risk band changes.
 */

/** The measured part of a NEWS2 observation; any subset may arrive in one update. */
export type News2Values = Partial<Omit<News2Observation, 'scale'>>

export interface News2BandChange {
  patientId: string
  /** `null` for a patient's first score. */
  from: News2Band | null
  to: News2Band
  /** The new aggregate (a lower bound when `result.complete` is false). */
  score: number
  atMs: number
  result: News2Result
}

export interface News2TrackerOptions {
  /** How long a value stays valid after it was measured, per parameter; merged over the defaults. */
  staleAfterMs?: Partial<Record<News2Parameter, number>>
}

const MINUTE = 60_000

/**
 * Default validity windows.
 * - Respiratory rate, SpO2, pulse: bedside numerics arrive about once a second; five minutes
 *   without one means the probe is off or the device is gone, and a score must not lean on it.
 * - Systolic: NIBP cuffs cycle every 5–60 min, so the last reading stands for the longest cycle
 *   plus 15 min for one failed, retried inflation.
 * - Temperature: core temperature moves slowly (a diurnal swing of about 0.5 °C over hours),
 *   so an hour-old reading still describes the patient.
 * - Oxygen and consciousness are states, not samples: they hold until replaced.
 */
export const DEFAULT_STALE_AFTER_MS: Readonly<Record<News2Parameter, number>> = {
  respiratoryRate: 5 * MINUTE,
  spo2: 5 * MINUTE,
  pulse: 5 * MINUTE,
  systolic: 75 * MINUTE,
  temperature: 60 * MINUTE,
  onOxygen: Infinity,
  consciousness: Infinity,
}

export interface News2Tracker {
  /**
   * Records values measured at `atMs` (late store-and-forward readings never overwrite newer
   * ones), rescores at the latest time seen for the patient, and returns the band change or null.
   * `scale` is remembered per patient; patients start on scale 1.
   */
  update(input: { patientId: string; atMs: number; values: News2Values; scale?: News2Scale }): News2BandChange | null
  /** Rescores without new values, so values going stale show even when no device speaks. */
  evaluate(patientId: string, atMs: number): News2BandChange | null
  /** The patient's score as of the last update or evaluation; null before the first. */
  latest(patientId: string): News2Result | null
}

interface PatientState {
  scale: News2Scale
  /** The newest value of each parameter and when it was measured. */
  values: News2Values
  measuredAtMs: Partial<Record<News2Parameter, number>>
  latestMs: number
  band: News2Band | null
  result: News2Result | null
}

function copyValue<P extends News2Parameter>(to: News2Values, from: News2Values, parameter: P): void {
  to[parameter] = from[parameter]
}

/** Keeps the newest reading: a late store-and-forward value must not replace a fresher one. */
function store(state: PatientState, values: News2Values, atMs: number): void {
  for (const parameter of NEWS2_PARAMETERS) {
    const measuredAtMs = state.measuredAtMs[parameter]
    if (values[parameter] === undefined || (measuredAtMs !== undefined && measuredAtMs > atMs)) continue
    copyValue(state.values, values, parameter)
    state.measuredAtMs[parameter] = atMs
  }
}

export function createNews2Tracker(options: News2TrackerOptions = {}): News2Tracker {
  const staleAfterMs: Record<News2Parameter, number> = { ...DEFAULT_STALE_AFTER_MS, ...options.staleAfterMs }
  const patients = new Map<string, PatientState>()

  // Built up from the fresh values rather than copied and pruned: `delete` turns an object into a
  // slow dictionary, on a path every vital-signs message takes.
  function observationAt(state: PatientState, atMs: number): News2Observation {
    const observation: News2Observation = { scale: state.scale }
    for (const parameter of NEWS2_PARAMETERS) {
      const measuredAtMs = state.measuredAtMs[parameter]
      if (state.values[parameter] === undefined || (measuredAtMs !== undefined && atMs - measuredAtMs > staleAfterMs[parameter])) continue
      copyValue(observation, state.values, parameter)
    }
    return observation
  }

  function rescore(patientId: string, state: PatientState): News2BandChange | null {
    const result = scoreNews2(observationAt(state, state.latestMs))
    state.result = result
    if (result.band === state.band) return null
    const change = { patientId, from: state.band, to: result.band, score: result.aggregate, atMs: state.latestMs, result }
    state.band = result.band
    return change
  }

  return {
    update({ patientId, atMs, values, scale }) {
      let state = patients.get(patientId)
      if (state === undefined) {
        state = { scale: 1, values: {}, measuredAtMs: {}, latestMs: atMs, band: null, result: null }
        patients.set(patientId, state)
      }
      if (scale !== undefined) state.scale = scale
      state.latestMs = Math.max(state.latestMs, atMs)
      store(state, values, atMs)
      return rescore(patientId, state)
    },
    evaluate(patientId, atMs) {
      const state = patients.get(patientId)
      if (state === undefined) return null
      state.latestMs = Math.max(state.latestMs, atMs)
      return rescore(patientId, state)
    },
    latest(patientId) {
      return patients.get(patientId)?.result ?? null
    },
  }
}
