import type { Patient } from '../../../registry/schema.ts'
import type { Baseline } from '../baseline.ts'
import type { Vitals } from '../vitals.ts'

/**
 * The physiological state a trajectory works on: the vitals minus what follows from the rest
 * (SpO2 from P/F ratio and FiO2, pulse from rhythm, mean pressure, whether oxygen is on), so a
 * trajectory cannot make them disagree.
 */
export type PhysiologyState = Omit<Vitals, 'spo2' | 'pulseRate' | 'mean' | 'onOxygen'> & {
  /** PaO2 / FiO2, mm[Hg]; see oxygenation.ts. */
  pfRatio: number
}

export interface CourseContext {
  /** The patient's seeded key: every time-course parameter is drawn from it. */
  key: number
  info: Patient
  baseline: Baseline
}

export interface CourseMoment {
  /** Minutes since the trajectory's onset; negative before it. */
  minutes: number
  simMs: number
}

/** How a trajectory changes a resting patient at one moment — a pure function, like the model. */
export type Course = (resting: PhysiologyState, at: CourseMoment) => PhysiologyState

export type CourseFactory = (context: CourseContext) => Course

/** 0 before `start`, 1 after `end`, a smooth S-curve between. */
export function progress(minutes: number, start: number, end: number): number {
  const x = Math.min(1, Math.max(0, (minutes - start) / (end - start)))
  return x * x * (3 - 2 * x)
}

/**
 * Piecewise-linear interpolation through `[minute, value]` knots, flat outside them. Trajectories
 * use it to make a value reach a NEWS2 band edge at a chosen minute, which fixes the order in which
 * parameters cross their bands.
 */
export function through(knots: readonly (readonly [number, number])[], minutes: number): number {
  const first = knots[0]
  if (!first) throw new Error('through() needs at least one knot')
  if (minutes <= first[0]) return first[1]
  for (let i = 1; i < knots.length; i++) {
    const to = knots[i]!
    const from = knots[i - 1]!
    if (minutes <= to[0]) return from[1] + ((to[1] - from[1]) * (minutes - from[0])) / (to[0] - from[0])
  }
  return knots[knots.length - 1]![1]
}
