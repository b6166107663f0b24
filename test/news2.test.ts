import { describe, expect, it } from 'vitest'
import { chartRound, news2Band, scoreNews2 } from '../src/clinical/news2.ts'
import type { News2Observation, News2Parameter } from '../src/clinical/news2.ts'
import { DEFAULT_STALE_AFTER_MS, createNews2Tracker } from '../src/clinical/news2-tracker.ts'

/** Every parameter in its zero band (RCP 2017 chart): aggregate 0. */
const NORMAL: News2Observation = {
  respiratoryRate: 16,
  spo2: 97,
  onOxygen: false,
  systolic: 120,
  pulse: 70,
  consciousness: 'alert',
  temperature: 37.0,
  scale: 1,
}

type Row = [label: string, change: Partial<News2Observation>, parameter: News2Parameter, expected: number]

// Both sides of every band boundary in clinical.md's NEWS2 table.
const BOUNDARIES: Row[] = [
  ['RR 8', { respiratoryRate: 8 }, 'respiratoryRate', 3],
  ['RR 9', { respiratoryRate: 9 }, 'respiratoryRate', 1],
  ['RR 11', { respiratoryRate: 11 }, 'respiratoryRate', 1],
  ['RR 12', { respiratoryRate: 12 }, 'respiratoryRate', 0],
  ['RR 20', { respiratoryRate: 20 }, 'respiratoryRate', 0],
  ['RR 21', { respiratoryRate: 21 }, 'respiratoryRate', 2],
  ['RR 24', { respiratoryRate: 24 }, 'respiratoryRate', 2],
  ['RR 25', { respiratoryRate: 25 }, 'respiratoryRate', 3],

  ['SpO2 scale 1: 91', { spo2: 91 }, 'spo2', 3],
  ['SpO2 scale 1: 92', { spo2: 92 }, 'spo2', 2],
  ['SpO2 scale 1: 93', { spo2: 93 }, 'spo2', 2],
  ['SpO2 scale 1: 94', { spo2: 94 }, 'spo2', 1],
  ['SpO2 scale 1: 95', { spo2: 95 }, 'spo2', 1],
  ['SpO2 scale 1: 96', { spo2: 96 }, 'spo2', 0],
  ['SpO2 scale 1: 100 on oxygen', { spo2: 100, onOxygen: true }, 'spo2', 0],

  ['SpO2 scale 2 on air: 83', { scale: 2, spo2: 83 }, 'spo2', 3],
  ['SpO2 scale 2 on air: 84', { scale: 2, spo2: 84 }, 'spo2', 2],
  ['SpO2 scale 2 on air: 85', { scale: 2, spo2: 85 }, 'spo2', 2],
  ['SpO2 scale 2 on air: 86', { scale: 2, spo2: 86 }, 'spo2', 1],
  ['SpO2 scale 2 on air: 87', { scale: 2, spo2: 87 }, 'spo2', 1],
  ['SpO2 scale 2 on air: 88', { scale: 2, spo2: 88 }, 'spo2', 0],
  ['SpO2 scale 2 on air: 92', { scale: 2, spo2: 92 }, 'spo2', 0],
  ['SpO2 scale 2 on air: 93', { scale: 2, spo2: 93 }, 'spo2', 0],
  ['SpO2 scale 2 on air: 100', { scale: 2, spo2: 100 }, 'spo2', 0],
  ['SpO2 scale 2 on O2: 83', { scale: 2, onOxygen: true, spo2: 83 }, 'spo2', 3],
  ['SpO2 scale 2 on O2: 84', { scale: 2, onOxygen: true, spo2: 84 }, 'spo2', 2],
  ['SpO2 scale 2 on O2: 85', { scale: 2, onOxygen: true, spo2: 85 }, 'spo2', 2],
  ['SpO2 scale 2 on O2: 86', { scale: 2, onOxygen: true, spo2: 86 }, 'spo2', 1],
  ['SpO2 scale 2 on O2: 87', { scale: 2, onOxygen: true, spo2: 87 }, 'spo2', 1],
  ['SpO2 scale 2 on O2: 88', { scale: 2, onOxygen: true, spo2: 88 }, 'spo2', 0],
  ['SpO2 scale 2 on O2: 92', { scale: 2, onOxygen: true, spo2: 92 }, 'spo2', 0],
  ['SpO2 scale 2 on O2: 93', { scale: 2, onOxygen: true, spo2: 93 }, 'spo2', 1],
  ['SpO2 scale 2 on O2: 94', { scale: 2, onOxygen: true, spo2: 94 }, 'spo2', 1],
  ['SpO2 scale 2 on O2: 95', { scale: 2, onOxygen: true, spo2: 95 }, 'spo2', 2],
  ['SpO2 scale 2 on O2: 96', { scale: 2, onOxygen: true, spo2: 96 }, 'spo2', 2],
  ['SpO2 scale 2 on O2: 97', { scale: 2, onOxygen: true, spo2: 97 }, 'spo2', 3],

  ['air', { onOxygen: false }, 'onOxygen', 0],
  ['oxygen', { onOxygen: true }, 'onOxygen', 2],

  ['SBP 90', { systolic: 90 }, 'systolic', 3],
  ['SBP 91', { systolic: 91 }, 'systolic', 2],
  ['SBP 100', { systolic: 100 }, 'systolic', 2],
  ['SBP 101', { systolic: 101 }, 'systolic', 1],
  ['SBP 110', { systolic: 110 }, 'systolic', 1],
  ['SBP 111', { systolic: 111 }, 'systolic', 0],
  ['SBP 219', { systolic: 219 }, 'systolic', 0],
  ['SBP 220', { systolic: 220 }, 'systolic', 3],

  ['pulse 40', { pulse: 40 }, 'pulse', 3],
  ['pulse 41', { pulse: 41 }, 'pulse', 1],
  ['pulse 50', { pulse: 50 }, 'pulse', 1],
  ['pulse 51', { pulse: 51 }, 'pulse', 0],
  ['pulse 90', { pulse: 90 }, 'pulse', 0],
  ['pulse 91', { pulse: 91 }, 'pulse', 1],
  ['pulse 110', { pulse: 110 }, 'pulse', 1],
  ['pulse 111', { pulse: 111 }, 'pulse', 2],
  ['pulse 130', { pulse: 130 }, 'pulse', 2],
  ['pulse 131', { pulse: 131 }, 'pulse', 3],

  ['alert', { consciousness: 'alert' }, 'consciousness', 0],
  ['new confusion', { consciousness: 'confusion' }, 'consciousness', 3],
  ['voice', { consciousness: 'voice' }, 'consciousness', 3],
  ['pain', { consciousness: 'pain' }, 'consciousness', 3],
  ['unresponsive', { consciousness: 'unresponsive' }, 'consciousness', 3],

  ['temp 35.0', { temperature: 35.0 }, 'temperature', 3],
  ['temp 35.1', { temperature: 35.1 }, 'temperature', 1],
  ['temp 36.0', { temperature: 36.0 }, 'temperature', 1],
  ['temp 36.1', { temperature: 36.1 }, 'temperature', 0],
  ['temp 38.0', { temperature: 38.0 }, 'temperature', 0],
  ['temp 38.1', { temperature: 38.1 }, 'temperature', 1],
  ['temp 39.0', { temperature: 39.0 }, 'temperature', 1],
  ['temp 39.1', { temperature: 39.1 }, 'temperature', 2],

  // Device values between chart values are rounded half up as charted.
  ['RR 20.4 charts as 20', { respiratoryRate: 20.4 }, 'respiratoryRate', 0],
  ['RR 20.6 charts as 21', { respiratoryRate: 20.6 }, 'respiratoryRate', 2],
  ['SpO2 95.5 charts as 96', { spo2: 95.5 }, 'spo2', 0],
  ['SBP 90.5 charts as 91', { systolic: 90.5 }, 'systolic', 2],
  ['pulse 130.49 charts as 130', { pulse: 130.49 }, 'pulse', 2],
  ['temp 38.05 charts as 38.1', { temperature: 38.05 }, 'temperature', 1],
  ['temp 38.04 charts as 38.0', { temperature: 38.04 }, 'temperature', 0],
  ['temp 35.05 charts as 35.1', { temperature: 35.05 }, 'temperature', 1],
]

describe('NEWS2 sub-scores (RCP 2017)', () => {
  it.each(BOUNDARIES)('%s', (_label, change, parameter, expected) => {
    const result = scoreNews2({ ...NORMAL, ...change })
    expect(result.subScores[parameter]).toBe(expected)
    expect(result.complete).toBe(true)
  })
})

describe('NEWS2 aggregate and band', () => {
  it('scores a normal adult 0, band routine', () => {
    expect(scoreNews2(NORMAL)).toEqual({
      scale: 1,
      subScores: { respiratoryRate: 0, spo2: 0, onOxygen: 0, systolic: 0, pulse: 0, consciousness: 0, temperature: 0 },
      aggregate: 0,
      singleParameterThree: false,
      band: 'routine',
      complete: true,
      missing: [],
    })
  })

  it.each([
    [0, false, 'routine'],
    [1, false, 'low'],
    [4, false, 'low'],
    [3, true, 'low-medium'],
    [4, true, 'low-medium'],
    [5, false, 'medium'],
    [5, true, 'medium'],
    [6, true, 'medium'],
    [7, false, 'high'],
    [20, true, 'high'],
  ] as const)('aggregate %i with a single 3: %s → %s', (aggregate, singleThree, band) => {
    expect(news2Band(aggregate, singleThree)).toBe(band)
  })

  it('sums sub-scores and applies the single-parameter trigger from real observations', () => {
    // Oxygen alone scores 2: low, and 2 is no single-parameter trigger.
    expect(scoreNews2({ ...NORMAL, onOxygen: true })).toMatchObject({ aggregate: 2, singleParameterThree: false, band: 'low' })
    // New confusion alone: aggregate 3 but low-medium.
    expect(scoreNews2({ ...NORMAL, consciousness: 'confusion' })).toMatchObject({ aggregate: 3, singleParameterThree: true, band: 'low-medium' })
    // Early sepsis: RR 22 (2) + pulse 105 (1) + temp 38.4 (1) + SBP 105 (1) = 5 → medium.
    expect(scoreNews2({ ...NORMAL, respiratoryRate: 22, pulse: 105, temperature: 38.4, systolic: 105 })).toMatchObject({
      aggregate: 5,
      band: 'medium',
    })
    // Septic shock: RR 26 (3) + SpO2 93 (2) + O2 (2) + SBP 88 (3) + pulse 125 (2) + voice (3) + temp 39.4 (2) = 17.
    expect(
      scoreNews2({ respiratoryRate: 26, spo2: 93, onOxygen: true, systolic: 88, pulse: 125, consciousness: 'voice', temperature: 39.4, scale: 1 }),
    ).toMatchObject({ aggregate: 17, singleParameterThree: true, band: 'high' })
  })

  it('reaches the maximum of 20', () => {
    const worst = scoreNews2({
      respiratoryRate: 30,
      spo2: 98,
      onOxygen: true,
      systolic: 80,
      pulse: 140,
      consciousness: 'unresponsive',
      temperature: 34,
      scale: 2,
    })
    expect(worst.aggregate).toBe(20)
    expect(worst.band).toBe('high')
  })

  it('lists missing parameters, scores the rest and says the score is incomplete', () => {
    const result = scoreNews2({ respiratoryRate: 26, pulse: 95, scale: 1 })
    expect(result.complete).toBe(false)
    expect(result.missing).toEqual(['spo2', 'onOxygen', 'systolic', 'consciousness', 'temperature'])
    expect(result.subScores).toEqual({ respiratoryRate: 3, pulse: 1 })
    expect(result.aggregate).toBe(4)
    expect(result.band).toBe('low-medium')
  })

  it('treats NaN from a faulty sensor as missing', () => {
    const result = scoreNews2({ ...NORMAL, spo2: Number.NaN })
    expect(result.missing).toEqual(['spo2'])
    expect(result.subScores.spo2).toBeUndefined()
  })

  it('scores scale 2 SpO2 ≥ 93 as on air when the oxygen state is unknown (a lower bound)', () => {
    const result = scoreNews2({ ...NORMAL, scale: 2, spo2: 97, onOxygen: undefined })
    expect(result.subScores.spo2).toBe(0)
    expect(result.missing).toEqual(['onOxygen'])
  })

  it('rounds half up through binary noise', () => {
    expect(chartRound(38.05, 1)).toBe(38.1)
    expect(chartRound(36.15, 1)).toBe(36.2)
    expect(chartRound(20.5, 0)).toBe(21)
    expect(chartRound(20.49, 0)).toBe(20)
  })
})

describe('NEWS2 tracker', () => {
  const minute = 60_000
  const t0 = Date.UTC(2026, 0, 1, 8, 0, 0)

  it('reports the first band, then only band changes', () => {
    const tracker = createNews2Tracker()
    const first = tracker.update({ patientId: 'p1', atMs: t0, values: { ...NORMAL } })
    expect(first).toMatchObject({ patientId: 'p1', from: null, to: 'routine', score: 0, atMs: t0 })
    expect(first?.result.complete).toBe(true)
    expect(tracker.update({ patientId: 'p1', atMs: t0 + 1000, values: { pulse: 72 } })).toBeNull()
    expect(tracker.update({ patientId: 'p1', atMs: t0 + 2000, values: { pulse: 95 } })).toMatchObject({ from: 'routine', to: 'low', score: 1 })
    expect(tracker.update({ patientId: 'p1', atMs: t0 + 3000, values: { respiratoryRate: 26 } })).toMatchObject({ from: 'low', to: 'low-medium', score: 4 })
    expect(tracker.update({ patientId: 'p1', atMs: t0 + 4000, values: { systolic: 95 } })).toMatchObject({ from: 'low-medium', to: 'medium', score: 6 })
    expect(tracker.update({ patientId: 'p1', atMs: t0 + 5000, values: { onOxygen: true } })).toMatchObject({ from: 'medium', to: 'high', score: 8 })
  })

  it('combines parameters from different devices and keeps patients apart', () => {
    const tracker = createNews2Tracker()
    tracker.update({ patientId: 'p1', atMs: t0, values: { respiratoryRate: 16, spo2: 97, pulse: 70 } })
    tracker.update({ patientId: 'p2', atMs: t0, values: { respiratoryRate: 30 } })
    const change = tracker.update({ patientId: 'p1', atMs: t0 + 1000, values: { systolic: 85 } })
    expect(change).toMatchObject({ patientId: 'p1', from: 'routine', to: 'low-medium', score: 3 })
    expect(change?.result.missing).toEqual(['onOxygen', 'consciousness', 'temperature'])
  })

  it('drops a value once it is older than its staleness window', () => {
    const tracker = createNews2Tracker()
    tracker.update({ patientId: 'p1', atMs: t0, values: { ...NORMAL, systolic: 88 } })
    // Continuous numerics keep coming; the cuff reading stays valid for 75 min by default.
    expect(tracker.evaluate('p1', t0 + DEFAULT_STALE_AFTER_MS.systolic)).toBeNull()
    tracker.update({ patientId: 'p1', atMs: t0 + 75 * minute, values: { respiratoryRate: 16, spo2: 97, pulse: 70 } })
    const stale = tracker.evaluate('p1', t0 + 75 * minute + 1)
    expect(stale).toMatchObject({ from: 'low-medium', to: 'routine', score: 0 })
    expect(stale?.result.missing).toEqual(['systolic', 'temperature'])
  })

  it('takes per-parameter staleness windows from options', () => {
    const tracker = createNews2Tracker({ staleAfterMs: { pulse: 10 * minute } })
    tracker.update({ patientId: 'p1', atMs: t0, values: { pulse: 135 } })
    expect(tracker.evaluate('p1', t0 + 6 * minute)).toBeNull()
    expect(tracker.evaluate('p1', t0 + 10 * minute + 1)).toMatchObject({ from: 'low-medium', to: 'routine' })
    expect(tracker.evaluate('unknown', t0)).toBeNull()
  })

  it('keeps oxygen and consciousness until they are replaced', () => {
    const tracker = createNews2Tracker()
    tracker.update({ patientId: 'p1', atMs: t0, values: { onOxygen: true, consciousness: 'voice' } })
    expect(tracker.evaluate('p1', t0 + 24 * 60 * minute)).toBeNull()
    expect(tracker.update({ patientId: 'p1', atMs: t0 + 24 * 60 * minute, values: { consciousness: 'alert' } })).toMatchObject({
      from: 'medium',
      to: 'low',
    })
  })

  it('never lets a late store-and-forward reading replace a newer one', () => {
    const tracker = createNews2Tracker()
    tracker.update({ patientId: 'p1', atMs: t0, values: { pulse: 70 } })
    expect(tracker.update({ patientId: 'p1', atMs: t0 - 30 * minute, values: { pulse: 140 } })).toBeNull()
    // A late reading of a parameter with nothing newer is used, judged by its own age.
    expect(tracker.update({ patientId: 'p1', atMs: t0 - 2 * minute, values: { respiratoryRate: 26 } })).toMatchObject({ to: 'low-medium' })
  })

  it('remembers the SpO2 scale per patient', () => {
    const tracker = createNews2Tracker()
    tracker.update({ patientId: 'copd', atMs: t0, scale: 2, values: { spo2: 89, onOxygen: false } })
    expect(tracker.update({ patientId: 'copd', atMs: t0 + 1000, values: { spo2: 88 } })).toBeNull()
    expect(tracker.update({ patientId: 'copd', atMs: t0 + 2000, values: { spo2: 97, onOxygen: true } })).toMatchObject({
      to: 'medium',
      score: 5,
    })
  })
})
