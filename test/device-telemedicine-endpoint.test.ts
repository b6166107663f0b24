import { describe, expect, it } from 'vitest'
import type { Alarm } from '../src/contract/channels.ts'
import { classifyCallQuality, telemedicineEndpoint } from '../devices/telemedicine-endpoint.ts'
import type { CallStats } from '../devices/telemedicine-endpoint.ts'
import type { CallQuality } from '../src/contract/devices/telemedicine-endpoint.ts'
import { dataOf, ofChannel, runKind, schemaViolations, START } from './support/kind-harness.ts'

interface Stats extends CallStats {
  sessionId: string
  bitrateKbps: number
  fps: number
  resolution: string | null
  bytesSent: number
  packetsSent: number
  packetsLost: number
  quality: CallQuality
}
interface SessionEvent {
  sessionId: string
  from: string
  to: string
  reason?: string
}

const busyCellular = { link: 'cellular', callsPerHour: 3, meanCallMin: 20 }

describe('telemedicine endpoint', () => {
  it('emits only what its own channel schemas accept, over more than 10,000 messages', () => {
    const run = runKind(telemedicineEndpoint, {
      ticks: 25_000,
      options: busyCellular,
      actions: { 3000: [{ fault: 'sensor-off', active: true }], 6000: [{ fault: 'sensor-off', active: false }] },
    })
    expect(run.emissions.length).toBeGreaterThan(10_000)
    expect(schemaViolations(telemedicineEndpoint, run)).toEqual([])
  })

  it('is deterministic per seed', () => {
    const json = (seed: number) => JSON.stringify(runKind(telemedicineEndpoint, { ticks: 3000, seed, options: busyCellular }).emissions)
    expect(json(1)).toBe(json(1))
    expect(json(1)).not.toBe(json(2))
  })

  it.each<[string, CallStats, CallQuality]>([
    ['a clean call', { rttMs: 40, jitterMs: 3, packetLossPct: 0.2, bitrateKbps: 1100 }, 'good'],
    ['loss of exactly 1 %', { rttMs: 40, jitterMs: 3, packetLossPct: 1, bitrateKbps: 1100 }, 'fair'],
    ['loss of 5 %', { rttMs: 40, jitterMs: 3, packetLossPct: 5, bitrateKbps: 1100 }, 'fair'],
    ['loss above 5 %', { rttMs: 40, jitterMs: 3, packetLossPct: 5.1, bitrateKbps: 1100 }, 'poor'],
    ['RTT of 100 ms', { rttMs: 100, jitterMs: 3, packetLossPct: 0, bitrateKbps: 1100 }, 'fair'],
    ['RTT in the 250–450 ms warning band', { rttMs: 300, jitterMs: 3, packetLossPct: 0, bitrateKbps: 1100 }, 'fair'],
    ['RTT above 450 ms', { rttMs: 451, jitterMs: 3, packetLossPct: 0, bitrateKbps: 1100 }, 'poor'],
    ['jitter of 10 ms', { rttMs: 40, jitterMs: 10, packetLossPct: 0, bitrateKbps: 1100 }, 'fair'],
    ['jitter above 200 ms', { rttMs: 40, jitterMs: 201, packetLossPct: 0, bitrateKbps: 1100 }, 'poor'],
    ['bitrate below 150 kbit/s', { rttMs: 40, jitterMs: 3, packetLossPct: 0, bitrateKbps: 149 }, 'poor'],
    ['SD bitrate', { rttMs: 40, jitterMs: 3, packetLossPct: 0, bitrateKbps: 300 }, 'fair'],
    ['no video: bitrate not judged', { rttMs: 40, jitterMs: 3, packetLossPct: 0, bitrateKbps: null }, 'good'],
    ['the worst metric wins', { rttMs: 40, jitterMs: 3, packetLossPct: 0.1, bitrateKbps: 100 }, 'poor'],
  ])('classifies %s', (_name, stats, quality) => {
    expect(classifyCallQuality(stats)).toBe(quality)
  })

  it('derives bitrate and loss from the cumulative counters, and the class from the stats', () => {
    const run = runKind(telemedicineEndpoint, { ticks: 10_000, options: busyCellular })
    const telemetry = ofChannel(run, 'telemetry')
    expect(telemetry.length).toBeGreaterThan(1000)
    let checked = 0
    for (let i = 1; i < telemetry.length; i++) {
      const previous = telemetry[i - 1]!
      const current = telemetry[i]!
      const [a, b] = [previous.data as Stats, current.data as Stats]
      if (a.sessionId !== b.sessionId) continue
      const seconds = (current.ts - previous.ts) / 1000
      expect(b.bitrateKbps).toBeCloseTo(((b.bytesSent - a.bytesSent) * 8) / seconds / 1000, 1)
      const sent = b.packetsSent - a.packetsSent
      // Reported to two decimals, so within half a hundredth of the counters' ratio.
      if (sent > 0) expect(Math.abs(b.packetLossPct - ((b.packetsLost - a.packetsLost) / sent) * 100)).toBeLessThanOrEqual(0.005 + 1e-9)
      expect(b.quality).toBe(classifyCallQuality(b))
      checked++
    }
    expect(checked).toBeGreaterThan(1000)
    expect(new Set(telemetry.map((t) => (t.data as Stats).quality))).toEqual(new Set(['good', 'fair', 'poor']))
  })

  it('walks each session through idle, connecting, in-call, ended and back to idle', () => {
    const run = runKind(telemedicineEndpoint, { ticks: 20_000, options: busyCellular })
    const events = dataOf<SessionEvent>(run, 'event')
    const next: Record<string, string[]> = { idle: ['connecting'], connecting: ['in-call', 'ended'], 'in-call': ['ended'], ended: ['idle'] }
    let phase = 'idle'
    for (const e of events) {
      expect(e.from).toBe(phase)
      expect(next[phase]).toContain(e.to)
      phase = e.to
    }
    const sessions = new Set(events.map((e) => e.sessionId))
    expect(sessions.size).toBeGreaterThan(30)
    const paths = [...sessions].map((id) =>
      events
        .filter((e) => e.sessionId === id)
        .map((e) => e.to + (e.reason ? `(${e.reason})` : ''))
        .join(' '),
    )
    // Every session but possibly the one cut off by the end of the run has a complete path.
    for (const path of paths.slice(0, -1)) expect(['connecting in-call ended(hangup) idle', 'connecting ended(connect-failed) idle']).toContain(path)
    expect(paths.filter((p) => p.includes('connect-failed')).length).toBeGreaterThan(0)
    const telemetrySessions = new Set(dataOf<Stats>(run, 'telemetry').map((t) => t.sessionId))
    expect([...telemetrySessions].every((id) => sessions.has(id))).toBe(true)
  })

  it('raises CALL_QUALITY_POOR only after three poor intervals and ends it when quality recovers or the call ends', () => {
    const run = runKind(telemedicineEndpoint, { ticks: 20_000, options: busyCellular })
    const qualityAt = new Map(ofChannel(run, 'telemetry').map((t) => [t.ts, (t.data as Stats).quality]))
    const alarms = ofChannel(run, 'alarm')
    expect(alarms.length).toBeGreaterThan(4)
    let active = false
    for (const a of alarms) {
      const alarm = a.data as Alarm
      expect(alarm).toMatchObject({ code: 'CALL_QUALITY_POOR', priority: 'low', category: 'technical' })
      expect(alarm.active).toBe(!active)
      active = alarm.active
      if (alarm.active) for (let k = 0; k < 3; k++) expect(qualityAt.get(a.ts - k * 5000)).toBe('poor')
    }
  })

  it('shows a camera that is off as 0 fps and no video, without calling the network poor for it', () => {
    const run = runKind(telemedicineEndpoint, {
      ticks: 2000,
      options: { link: 'wired', callsPerHour: 6 },
      actions: { 1: [{ fault: 'sensor-off', active: true }] },
    })
    const telemetry = dataOf<Stats>(run, 'telemetry')
    expect(telemetry.length).toBeGreaterThan(100)
    expect(telemetry.every((t) => t.fps === 0 && t.resolution === null && t.bitrateKbps === 0 && t.bytesSent === 0)).toBe(true)
    expect(telemetry.every((t) => t.quality !== 'poor')).toBe(true)
  })

  it('turns a good wired link poor while the network is degraded, and back after', () => {
    const options = { link: 'wired', callsPerHour: 30, meanCallMin: 120 }
    const tickMs = telemedicineEndpoint.tickMs(telemedicineEndpoint.optionsSchema.parse(options))
    const run = runKind(telemedicineEndpoint, {
      ticks: 6000,
      options,
      actions: { 2000: [{ fault: 'network-degraded', active: true }], 4000: [{ fault: 'network-degraded', active: false }] },
    })
    const quality = (fromTick: number, toTick: number) =>
      run.emissions
        .filter((e) => e.channel === 'telemetry' && e.ts > START + fromTick * tickMs && e.ts <= START + toTick * tickMs)
        .map((e) => (e.data as Stats).quality)
    const share = (qualities: CallQuality[], q: CallQuality) => qualities.filter((x) => x === q).length / qualities.length
    expect(share(quality(0, 2000), 'poor')).toBeLessThan(0.05)
    expect(share(quality(2010, 4000), 'poor')).toBeGreaterThan(0.9)
    expect(share(quality(4010, 6000), 'poor')).toBeLessThan(0.05)
    expect(ofChannel(run, 'alarm').some((a) => (a.data as Alarm).code === 'CALL_QUALITY_POOR' && (a.data as Alarm).active)).toBe(true)
  })
})
