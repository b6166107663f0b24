import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAttack } from '../src/attacks/index.ts'
import { scoreDetection } from '../src/attacks/scoring.ts'
import type { AlertType } from '../src/contract/security-alert.ts'
import { createSimClock } from '../src/simulation/clock.ts'
import { OPERATOR, startWardLab, untilWardConnected, type WardLab } from './support/ward-lab.ts'

/** Simulated time runs this much faster than the test: fast enough, and wall latencies stay small in simulated time. */
const SPEED = 10
const ATTACK_MS = 4000

/** Every attack class, each against the running default ward, with the parameters that make it what it is. */
const CAMPAIGN: { type: AlertType; params?: Record<string, unknown> }[] = [
  { type: 'brute-force', params: { target: 'pump-icu-02' } },
  { type: 'auth-bypass', params: { target: 'vent-icu-02' } },
  { type: 'connect-flood' },
  { type: 'publish-flood' },
  { type: 'publish-flood', params: { address: '198.51.100.1', clients: 20, rate: 15, spread: true } },
  { type: 'slow-dos' },
  { type: 'malformed-packet' },
  { type: 'malformed-payload', params: { target: 'env-icu-bay' } },
  { type: 'topic-spoofing', params: { target: 'mon-icu-04' } },
  { type: 'retained-poisoning', params: { target: 'mon-icu-05' } },
  { type: 'wildcard-snooping' },
  { type: 'client-takeover', params: { target: 'tele-icu-01' } },
  { type: 'replay', params: { target: 'mon-icu-07' } },
  { type: 'false-data', params: { target: 'mon-icu-08' } },
  { type: 'unauthorized-command', params: { target: 'pump-icu-03' } },
  { type: 'unauthorized-command', params: { target: 'pump-icu-04', mode: 'beyond-limit', operator: OPERATOR, address: '198.51.100.200' } },
]

describe('every attack class against the running default ward', () => {
  let ward: WardLab
  let report: ReturnType<typeof scoreDetection>

  beforeAll(async () => {
    ward = await startWardLab(createSimClock({ start: Date.UTC(2026, 0, 12, 2), speed: SPEED }))
    await untilWardConnected(ward.lab)
    for (const { type, params } of CAMPAIGN) await runAttack(ward.attacks, type, { durationMs: ATTACK_MS, ...(params ? { params } : {}) })
    // Let the last alerts arrive.
    await new Promise((resolve) => setTimeout(resolve, 300))
    report = scoreDetection(ward.attacks.groundTruth.entries, ward.alerts)
  }, 60_000)

  afterAll(async () => {
    await ward?.lab.stop()
  })

  it.each(CAMPAIGN.map((c, i) => [i, c.type] as const))('detects injection %i (%s)', (index) => {
    expect(report.injections[index], JSON.stringify(report.injections[index])).toMatchObject({ timeToDetectSeconds: expect.any(Number) })
  })

  it('detects within 5 s of simulated time at the median', () => {
    expect(report.medianTimeToDetectSeconds).not.toBeNull()
    expect(report.medianTimeToDetectSeconds!).toBeLessThanOrEqual(5)
  })

  it('raises no alert that the attacks do not explain', () => {
    expect(report.falseAlerts.map((a) => ({ type: a.type, clientId: a.clientId, address: a.address, evidence: a.evidence }))).toEqual([])
  })
})
