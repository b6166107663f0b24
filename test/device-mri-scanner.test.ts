import { describe, expect, it } from 'vitest'
import type { Alarm, CommandAck } from '../src/contract/channels.ts'
import { mriScanner } from '../devices/mri-scanner.ts'
import { dataOf, ofChannel, runKind, schemaViolations } from './support/kind-harness.ts'
import type { Action } from './support/kind-harness.ts'

interface MriTelemetry {
  state: string
  heliumLevelPct: number
  boilOffLh: number
  sarWkg: number
  shieldTempK: number
  fieldT: number
  roomO2Pct: number
  gradientCoilTempC: number
}
interface MriEvent {
  type: string
  from?: string
  to?: string
  cause?: string
}

/** The scanner's state machine as the brief draws it; a quench may force service from any state. */
const LEGAL = new Set(['idle>preparing', 'preparing>scanning', 'scanning>idle', 'idle>service', 'service>idle'])
const TICKS_PER_HOUR = 360
const setState = (id: string, state: 'service' | 'idle'): Action => ({ command: { id, action: 'set-state', state, issuedBy: 'biomed-1' } })

describe('MRI scanner', () => {
  it('emits only what its own channel schemas accept, over more than 10,000 messages', () => {
    const actions: Record<number, Action[]> = {
      500: [setState('svc', 'service'), setState('svc-again', 'service')],
      800: [setState('back', 'idle'), setState('back-again', 'idle')],
      2000: [{ fault: 'sensor-off', active: true }],
      9000: [{ fault: 'sensor-off', active: false }],
    }
    const conventional = runKind(mriScanner, { ticks: 10_000, actions })
    const sealed = runKind(mriScanner, {
      ticks: 2000,
      seed: 5,
      options: { magnet: 'sealed', heliumLevelPct: 16 },
      actions: { 10: [{ fault: 'sensor-off', active: true }] },
    })
    expect(conventional.emissions.length).toBeGreaterThan(10_000)
    expect(schemaViolations(mriScanner, conventional)).toEqual([])
    expect(schemaViolations(mriScanner, sealed)).toEqual([])
  })

  it('is deterministic per seed', () => {
    const json = (seed: number) => JSON.stringify(runKind(mriScanner, { ticks: 1000, seed }).emissions)
    expect(json(3)).toBe(json(3))
    expect(json(3)).not.toBe(json(4))
  })

  it('makes only legal state transitions, and runs exams with protocols and durations', () => {
    const run = runKind(mriScanner, {
      ticks: 3 * 24 * TICKS_PER_HOUR,
      actions: { 1000: [setState('a', 'service')], 1100: [setState('b', 'service'), setState('c', 'idle')], 5000: [{ fault: 'sensor-off', active: true }] },
      options: { heliumLevelPct: 16 },
    })
    const events = dataOf<MriEvent>(run, 'event')
    const changes = events.filter((e) => e.type === 'state-changed')
    let current = 'idle'
    for (const change of changes) {
      expect(change.from).toBe(current)
      if (change.cause === 'quench') expect(change.to).toBe('service')
      else expect(LEGAL.has(`${change.from}>${change.to}`)).toBe(true)
      current = change.to!
    }
    const started = events.filter((e) => e.type === 'exam-started')
    const completed = events.filter((e) => e.type === 'exam-completed')
    expect(started.length).toBeGreaterThan(20)
    expect(completed.length).toBeGreaterThanOrEqual(started.length - 1)
    expect(new Set(started.map((e) => (e as { protocol?: string }).protocol)).size).toBeGreaterThan(4)
    // The quench (helium fell below 15 % after the cold head stopped) left the scanner in service.
    expect(changes.at(-1)).toMatchObject({ to: 'service', cause: 'quench' })
  })

  it('refuses service mode during an exam and leaving service after a quench', () => {
    const run = runKind(mriScanner, { ticks: 200, seed: 11 })
    const busyTick = dataOf<MriTelemetry>(run, 'telemetry').findIndex((t) => t.state === 'scanning') + 1
    const busy = runKind(mriScanner, { ticks: busyTick + 1, seed: 11, actions: { [busyTick + 1]: [setState('now', 'service')] } })
    expect(dataOf<CommandAck>(busy, 'event').find((e) => e.type === 'command-ack')).toMatchObject({
      accepted: false,
      reason: expect.stringMatching(/exam in progress/),
    })

    const quenched = runKind(mriScanner, {
      ticks: 400,
      options: { magnet: 'sealed', heliumLevelPct: 15.01 },
      actions: { 1: [{ fault: 'sensor-off', active: true }], 400: [setState('up', 'idle')] },
    })
    expect(dataOf<CommandAck>(quenched, 'event').find((e) => e.type === 'command-ack')).toMatchObject({
      accepted: false,
      reason: expect.stringMatching(/quenched/),
    })
  })

  it('raises boil-off and a high helium alarm when the cold head fails', () => {
    const run = runKind(mriScanner, { ticks: 12 * TICKS_PER_HOUR, actions: { [TICKS_PER_HOUR]: [{ fault: 'sensor-off', active: true }] } })
    const telemetry = dataOf<MriTelemetry>(run, 'telemetry')
    const before = telemetry.slice(0, TICKS_PER_HOUR - 1)
    const after = telemetry.slice(TICKS_PER_HOUR + 1)
    expect(Math.max(...before.map((t) => t.boilOffLh))).toBeLessThan(0.03)
    expect(Math.min(...after.map((t) => t.boilOffLh))).toBeGreaterThan(0.05)
    expect(after.at(-1)!.shieldTempK).toBeGreaterThan(before.at(-1)!.shieldTempK + 10)
    const alarms = dataOf<Alarm>(run, 'alarm').filter((a) => a.active)
    expect(alarms).toContainEqual(expect.objectContaining({ code: 'COLD_HEAD_FAULT' }))
    expect(alarms.filter((a) => ['HELIUM_LOSS_RATE', 'HELIUM_LOW'].includes(a.code) && a.priority === 'high').length).toBeGreaterThan(0)
  })

  it('quenches when helium runs too low, loses the field and drops the room oxygen to a hazard', () => {
    const run = runKind(mriScanner, { ticks: 24 * TICKS_PER_HOUR, options: { heliumLevelPct: 15.2 }, actions: { 1: [{ fault: 'sensor-off', active: true }] } })
    expect(dataOf<MriEvent>(run, 'event').filter((e) => e.type === 'quench')).toHaveLength(1)
    const telemetry = dataOf<MriTelemetry>(run, 'telemetry')
    expect(telemetry.at(-1)).toMatchObject({ fieldT: 0, state: 'service' })
    expect(Math.min(...telemetry.map((t) => t.roomO2Pct))).toBeLessThan(19)
    expect(telemetry.at(-1)!.roomO2Pct).toBeGreaterThan(20.5)
    const o2 = dataOf<Alarm>(run, 'alarm').filter((a) => a.code === 'O2_LOW')
    expect(o2.map((a) => [a.active, a.priority])).toEqual([
      [true, 'high'],
      [false, 'high'],
    ])
  })

  it('reports SAR only while scanning, within the normal operating mode', () => {
    const run = runKind(mriScanner, { ticks: 24 * TICKS_PER_HOUR, seed: 9 })
    const telemetry = dataOf<MriTelemetry>(run, 'telemetry')
    const scanning = telemetry.filter((t) => t.state === 'scanning')
    expect(scanning.length).toBeGreaterThan(1000)
    expect(telemetry.filter((t) => t.state !== 'scanning').every((t) => t.sarWkg === 0)).toBe(true)
    expect(scanning.every((t) => t.sarWkg > 0 && t.sarWkg <= 2)).toBe(true)
    expect(Math.max(...scanning.map((t) => t.gradientCoilTempC))).toBeGreaterThan(Math.max(...telemetry.slice(0, 30).map((t) => t.gradientCoilTempC)) + 5)
    expect(ofChannel(run, 'alarm')).toEqual([])
  })
})
