import { describe, expect, it } from 'vitest'
import type { Lab } from '../src/lab/lab.ts'
import type { PipelineMessage } from '../src/pipeline/message.ts'
import { NEWS2_DERIVED_ROOT, NEWS2_SCORE_ROOT, scoreStage } from '../src/pipeline/stages/score.ts'
import { HospitalRegistry } from '../src/registry/registry.ts'
import { connectAs, connectDevice, nextMessage, startTestLab, testRegistry } from './support/lab.ts'

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0)
// NEWS2 0: every parameter in its zero band, patient on room air (registry: onOxygen false).
const NORMAL = { heartRate: 72, pulseRate: 72, spo2: 97, respiratoryRate: 16, temperature: 37, nibpSystolic: 120, nibpDiastolic: 75, nibpMean: 90 }
// RR 26 (3) + pulse 95 (1) = 4 with a single 3: low-medium.
const WORSE = { ...NORMAL, heartRate: 95, pulseRate: 95, respiratoryRate: 26 }

/** A monitor message for pt-01 as the enrich stage leaves it. */
function monitorMessage(atMs: number, data: Record<string, number>, seq = 1): PipelineMessage {
  return {
    topic: 'hospital/icu/bedside-monitor/mon-01/telemetry',
    payload: Buffer.from('{}'),
    receivedAt: atMs,
    source: { clientId: 'mon-01', address: '127.0.0.1' },
    device: { ward: 'icu', kind: 'bedside-monitor', deviceId: 'mon-01', channel: 'telemetry' },
    envelope: { deviceId: 'mon-01', kind: 'bedside-monitor', seq, ts: atMs, data },
    context: { deviceId: 'mon-01', kind: 'bedside-monitor', ward: 'icu', wardName: 'ICU', bed: 'icu-01', patientId: 'pt-01' },
    outputs: [],
  }
}

async function stage() {
  return scoreStage(new HospitalRegistry(await testRegistry()))
}

/** Runs one message through the stage and returns the derived messages it added, by topic. */
function derived(score: ReturnType<typeof scoreStage>, message: PipelineMessage): PipelineMessage[] {
  const out = score.process(message)
  if (!Array.isArray(out)) throw new Error('score stage rejected a valid message')
  expect(out[0]).toBe(message)
  return out.slice(1)
}

describe('score stage: the current NEWS2 score per patient', () => {
  it('publishes the first score at once, with the patient, bed, band and completeness', async () => {
    const score = await stage()
    const [published] = derived(score, monitorMessage(T0, NORMAL)).filter((m) => m.topic.startsWith(NEWS2_SCORE_ROOT))
    expect(published?.topic).toBe(`${NEWS2_SCORE_ROOT}/icu/pt-01`)
    expect(published?.body).toEqual({
      type: 'news2-score',
      patientId: 'pt-01',
      ward: 'icu',
      bed: 'icu-01',
      score: 0,
      band: 'routine',
      scale: 1,
      complete: false,
      missing: ['consciousness'],
      ts: T0,
    })
    expect(published?.context?.patientId).toBe('pt-01')
  })

  it('stays quiet while the score holds, and republishes a change at most every 5 s of simulated time', async () => {
    const score = await stage()
    derived(score, monitorMessage(T0, NORMAL))
    const scores = (at: number, data: Record<string, number>) => derived(score, monitorMessage(at, data)).filter((m) => m.topic.startsWith(NEWS2_SCORE_ROOT))
    expect(scores(T0 + 1000, NORMAL)).toEqual([])
    // Changed, but only 2 s after the last publication: held back until the next reading after 5 s.
    expect(scores(T0 + 2000, WORSE)).toEqual([])
    expect(scores(T0 + 4999, WORSE)).toEqual([])
    const [later] = scores(T0 + 5000, WORSE)
    expect(later?.body).toMatchObject({ score: 4, band: 'low-medium', ts: T0 + 5000 })
    expect(scores(T0 + 60_000, WORSE)).toEqual([])
  })

  it('still announces a band change only after it held for a minute, beside the score', async () => {
    const score = await stage()
    derived(score, monitorMessage(T0, NORMAL))
    derived(score, monitorMessage(T0 + 10_000, WORSE))
    const topics = (at: number) => derived(score, monitorMessage(at, WORSE)).map((m) => m.topic)
    expect(topics(T0 + 20_000)).toEqual([])
    // The first band (routine) never held a minute; low-medium is announced a minute after it began.
    expect(topics(T0 + 70_000)).toEqual([`${NEWS2_DERIVED_ROOT}/icu/pt-01`])
  })
})

describe('default pipeline: ops/news2/{ward}/{patientId}', () => {
  it('is retained, so a display that subscribes later gets the current score at once', async () => {
    const lab: Lab = await startTestLab()
    try {
      const device = await connectDevice(lab, 'mon-01')
      const ts = Math.round(lab.clock.now())
      await device.publishAsync(
        'hospital/icu/bedside-monitor/mon-01/telemetry',
        JSON.stringify({ deviceId: 'mon-01', kind: 'bedside-monitor', seq: 1, ts, data: WORSE }),
        { qos: 1 },
      )
      await device.endAsync()
      const display = await connectAs(lab, { clientId: 'late-display' })
      const retained = nextMessage(display, (topic) => topic === 'ops/news2/icu/pt-01')
      await display.subscribeAsync('ops/news2/#', { qos: 1 })
      const body = JSON.parse((await retained).payload.toString())
      expect(body).toMatchObject({ type: 'news2-score', patientId: 'pt-01', bed: 'icu-01', score: 4, band: 'low-medium', ts, context: { deviceId: 'mon-01' } })
      await display.endAsync()
    } finally {
      await lab.stop()
    }
  })
})
