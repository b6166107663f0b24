import { describe, expect, it } from 'vitest'
import { patientSchema } from '../src/registry/schema.ts'
import type { Patient } from '../src/registry/schema.ts'
import { createPatientModel } from '../src/simulation/physiology/patient-model.ts'
import { SEPSIS_BAND_CROSSING } from '../src/simulation/physiology/trajectories/sepsis.ts'
import type { Vitals } from '../src/simulation/physiology/vitals.ts'
import { departure, inZeroBand } from './support/news2-bands.ts'
import type { BandParameter } from './support/news2-bands.ts'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
/** 08:00 UTC, a Monday. */
const START = Date.UTC(2025, 0, 6, 8, 0)

function patient(overrides: Partial<Patient> & { id: string }): Patient {
  return patientSchema.parse({ ward: 'icu', sex: 'female', ageYears: 60, heightCm: 168, weightKg: 72, ...overrides })
}

function series(info: Patient, seed: number, hours: number, stepMs: number): { t: number; v: Vitals }[] {
  const model = createPatientModel(info, { seed, startMs: START })
  const out: { t: number; v: Vitals }[] = []
  for (let t = START; t <= START + hours * HOUR; t += stepMs) out.push({ t, v: model.vitalsAt(t) })
  return out
}

/** A varied group: both sexes, ages 22–94. */
const COHORT = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => ({ id: `pt-${i}`, sex: i % 2 ? 'male' : 'female', ageYears: 22 + i * 10 }) as const)

describe('patient model purity', () => {
  it('answers the same for the same time whatever the order, and two models with one seed agree', () => {
    const info = patient({ id: 'bed-3', trajectory: 'sepsis', onsetMinutes: 20 })
    const times = Array.from({ length: 200 }, (_, i) => START + i * 97_000)
    const forward = createPatientModel(info, { seed: 'ward-seed', startMs: START })
    const inOrder = times.map((t) => forward.vitalsAt(t))
    const shuffled = createPatientModel(info, { seed: 'ward-seed', startMs: START })
    const order = times.map((_, i) => (i * 73) % times.length)
    const answers = new Map(order.map((i) => [i, shuffled.vitalsAt(times[i]!)]))
    expect(times.map((_, i) => answers.get(i))).toEqual(inOrder)
    expect(times.map((t) => forward.vitalsAt(t))).toEqual(inOrder)
  })

  it('differs between seeds and between patients', () => {
    const t = START + 3 * HOUR
    const a = createPatientModel(patient({ id: 'a' }), { seed: 1, startMs: START }).vitalsAt(t)
    const b = createPatientModel(patient({ id: 'a' }), { seed: 2, startMs: START }).vitalsAt(t)
    const c = createPatientModel(patient({ id: 'c' }), { seed: 1, startMs: START }).vitalsAt(t)
    expect(a.heartRate).not.toBe(b.heartRate)
    expect(a.heartRate).not.toBe(c.heartRate)
  })
})

describe('stable patients', () => {
  it('stay in the NEWS2 zero bands almost all of 24 h', () => {
    for (const member of COHORT) {
      const samples = series(patient(member), 7, 24, MINUTE)
      const fractionInside = (parameter: BandParameter, pick: (v: Vitals) => number) =>
        samples.filter((s) => inZeroBand(parameter, pick(s.v))).length / samples.length
      expect(
        fractionInside('respiratoryRate', (v) => v.respiratoryRate),
        member.id,
      ).toBeGreaterThan(0.97)
      expect(
        fractionInside('heartRate', (v) => v.heartRate),
        member.id,
      ).toBeGreaterThan(0.95)
      expect(
        fractionInside('systolic', (v) => v.systolic),
        member.id,
      ).toBeGreaterThan(0.95)
      expect(
        fractionInside('temperature', (v) => v.temperature),
        member.id,
      ).toBe(1)
      expect(
        fractionInside('spo2', (v) => v.spo2),
        member.id,
      ).toBeGreaterThan(0.9)
      expect(samples.every((s) => s.v.consciousness === 'alert' && s.v.rhythm === 'sinus' && !s.v.onOxygen)).toBe(true)
    }
  })

  it('follow a daily temperature rhythm: > 0.5 °C, lowest 02:00–04:30, highest late afternoon', () => {
    const samples = series(patient({ id: 'circadian' }), 3, 24, 5 * MINUTE)
    const coldest = samples.reduce((a, b) => (b.v.temperature < a.v.temperature ? b : a))
    const warmest = samples.reduce((a, b) => (b.v.temperature > a.v.temperature ? b : a))
    expect(warmest.v.temperature - coldest.v.temperature).toBeGreaterThan(0.5)
    const hour = (t: number) => new Date(t).getUTCHours() + new Date(t).getUTCMinutes() / 60
    expect(hour(coldest.t)).toBeGreaterThanOrEqual(2)
    expect(hour(coldest.t)).toBeLessThanOrEqual(5)
    expect(hour(warmest.t)).toBeGreaterThanOrEqual(15)
    expect(hour(warmest.t)).toBeLessThanOrEqual(19.5)
  })

  it('put patients on oxygen at FiO2 0.28–0.4 and hypercapnic patients at SpO2 88–92 % with high EtCO2', () => {
    const onOxygen = series(patient({ id: 'o2', onOxygen: true }), 5, 2, MINUTE)
    expect(onOxygen.every((s) => s.v.onOxygen && s.v.fio2 >= 0.28 && s.v.fio2 <= 0.4)).toBe(true)
    expect(onOxygen.every((s) => s.v.spo2 >= 94 && s.v.spo2 <= 99)).toBe(true)
    const copd = series(patient({ id: 'copd', hypercapnic: true, ageYears: 71 }), 5, 6, MINUTE)
    const spo2 = copd.map((s) => s.v.spo2)
    expect(spo2.filter((x) => x >= 87.5 && x <= 92.5).length / spo2.length).toBeGreaterThan(0.95)
    expect(copd.every((s) => s.v.etco2 > 45)).toBe(true)
  })
})

describe('sepsis', () => {
  it('crosses NEWS2 bands in clinical order: RR and temperature, then HR, then SBP, then consciousness', () => {
    for (const member of COHORT) {
      const samples = series(patient({ ...member, trajectory: 'sepsis', onsetMinutes: 30 }), 11, 8, 30_000)
      const leaves = (parameter: BandParameter, pick: (v: Vitals) => number) =>
        departure(
          samples.map((s) => ({ t: s.t, value: pick(s.v) })),
          parameter,
          10 * MINUTE,
        )
      const rr = leaves('respiratoryRate', (v) => v.respiratoryRate)
      const temperature = leaves('temperature', (v) => v.temperature)
      const hr = leaves('heartRate', (v) => v.heartRate)
      const sbp = leaves('systolic', (v) => v.systolic)
      const confusion = samples.find((s) => s.v.consciousness !== 'alert')?.t ?? null
      for (const t of [rr, temperature, hr, sbp, confusion]) expect(t, member.id).not.toBeNull()
      expect(Math.max(rr!, temperature!), member.id).toBeLessThan(hr!)
      expect(hr!, member.id).toBeLessThan(sbp!)
      expect(sbp!, member.id).toBeLessThan(confusion!)
      // The whole course from onset to altered mentation takes about 2–6 h.
      const onset = START + 30 * MINUTE
      expect((confusion! - onset) / HOUR).toBeGreaterThan(SEPSIS_BAND_CROSSING.consciousness * 3 - 0.01)
      expect((confusion! - onset) / HOUR).toBeLessThan(6)
    }
  })
})

describe('respiratory failure', () => {
  it('desaturates, breathes faster, stiffens, and gets oxygen only after SpO2 has fallen', () => {
    const samples = series(patient({ id: 'resp', trajectory: 'respiratory-failure', onsetMinutes: 30 }), 4, 10, MINUTE)
    const first = samples[0]!.v
    const last = samples[samples.length - 1]!.v
    expect(last.spo2).toBeLessThan(first.spo2 - 2)
    expect(last.respiratoryRate).toBeGreaterThan(first.respiratoryRate + 10)
    expect(last.lungCompliance).toBeLessThan(first.lungCompliance * 0.6)
    expect(last.fio2).toBeGreaterThan(0.5)
    const oxygenStarts = samples.findIndex((s) => s.v.onOxygen)
    expect(oxygenStarts).toBeGreaterThan(0)
    expect(samples[oxygenStarts - 1]!.v.spo2).toBeLessThan(95)
    // FiO2 only ever goes up: staff escalate, they do not wean a worsening patient.
    expect(samples.every((s, i) => i === 0 || s.v.fio2 >= samples[i - 1]!.v.fio2)).toBe(true)
  })
})

describe('cardiac arrest', () => {
  /** Warning signs before in-hospital cardiac arrest as the literature counts them (clinical.md). */
  const warning = (v: Vitals) => v.heartRate >= 100 || v.heartRate <= 60 || v.respiratoryRate > 20 || v.respiratoryRate <= 10 || v.systolic <= 90

  it('shows warning signs for 1–4 h, then arrests with no pulse', () => {
    const rhythms = new Set<string>()
    for (const member of COHORT) {
      const samples = series(patient({ ...member, trajectory: 'cardiac-arrest', onsetMinutes: 30 }), 13, 6, 30_000)
      const arrest = samples.findIndex((s) => s.v.pulseRate === 0)
      expect(arrest, member.id).toBeGreaterThan(0)
      const arrestAt = samples[arrest]!.t
      const before = samples.slice(0, arrest)
      // Signs persist: abnormal in nearly every sample of the final hour before the arrest.
      const lastHour = before.filter((s) => s.t >= arrestAt - HOUR)
      expect(lastHour.filter((s) => warning(s.v)).length / lastHour.length, member.id).toBeGreaterThan(0.9)
      // They begin 1–4 h before the arrest: the first run of ten abnormal minutes.
      const firstRun = before.findIndex((_, i) => before.slice(i, i + 20).length === 20 && before.slice(i, i + 20).every((s) => warning(s.v)))
      const leadHours = (arrestAt - before[firstRun]!.t) / HOUR
      expect(leadHours, member.id).toBeGreaterThanOrEqual(1)
      expect(leadHours, member.id).toBeLessThanOrEqual(4)
      const after = samples.slice(arrest)
      expect(after.every((s) => s.v.pulseRate === 0 && s.v.heartRate === 0)).toBe(true)
      const settled = after.filter((s) => s.t >= arrestAt + 5 * MINUTE)
      expect(settled.every((s) => s.v.respiratoryRate === 0 && s.v.systolic < 30 && s.v.consciousness === 'unresponsive')).toBe(true)
      expect(settled[0]!.v.spo2).toBeLessThan(70)
      rhythms.add(after[0]!.v.rhythm)
    }
    for (const rhythm of rhythms) expect(['ventricular-fibrillation', 'asystole']).toContain(rhythm)
  })
})
