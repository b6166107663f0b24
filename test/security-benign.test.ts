import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SecurityAlert } from '../src/contract/security-alert.ts'
import { createVirtualClock } from '../src/simulation/clock.ts'
import { startWardLab, type WardLab } from './support/ward-lab.ts'

const START = Date.UTC(2026, 0, 12, 20)
const HOUR = 3_600_000

describe('a benign simulated hour of the default ward', () => {
  let ward: WardLab
  let wallSeconds: number

  beforeAll(async () => {
    const clock = createVirtualClock(START)
    ward = await startWardLab(clock)
    const started = performance.now()
    await clock.runUntil(START + HOUR)
    wallSeconds = (performance.now() - started) / 1000
    ward.lab.monitor.sweep()
  }, 120_000)

  afterAll(async () => {
    await ward?.lab.stop()
  })

  it('carries the ward’s traffic past every detector', () => {
    const counts = ward.lab.signals.counts
    expect(ward.lab.pipeline.counters.valid).toBeGreaterThan(30_000)
    expect(counts.get('publish')).toBeGreaterThan(30_000)
    expect(counts.get('connect-attempt')).toBeGreaterThanOrEqual(ward.lab.fleet!.devices.length)
    expect(ward.lab.pipeline.counters.quarantined).toBe(0)
  })

  it('raises no security alert at all, not even an informational auth-failure', () => {
    const summary = (a: SecurityAlert) => ({ type: a.type, clientId: a.clientId, address: a.address, evidence: a.evidence })
    expect(ward.alerts.map(summary)).toEqual([])
  })

  it('runs the simulated hour in well under a minute of wall time', () => {
    console.info(`benign hour: ${wallSeconds.toFixed(1)} s wall, ${ward.lab.pipeline.counters.received} messages`)
    expect(wallSeconds).toBeLessThan(60)
  })
})
