import { describe, expect, it } from 'vitest'
import type { Alarm, CommandAck } from '../src/contract/channels.ts'
import { infusionPump } from '../devices/infusion-pump.ts'
import { DRUGS, checkRate } from '../src/contract/devices/drug-library.ts'
import { START, dataOf, runKind, schemaViolations } from './support/kind-harness.ts'
import type { Action } from './support/kind-harness.ts'

interface PumpTelemetry {
  status: string
  rateMlH: number
  setRateMlH: number
  doseRate: number | null
  volumeInfusedMl: number
  vtbiRemainingMl: number
  linePressureMmHg: number
}
interface StatusChanged {
  type: 'status-changed'
  from: string
  to: string
  cause: string
}

/** A pump with no random kinks or air and no nurse: only what the test does happens. */
const quiet = { randomIncidents: false, bedsideCare: false }
const changeRate = (rate: number, override?: boolean): Action => ({
  command: { id: `rate-${rate}`, action: 'change-rate', rate, ...(override === undefined ? {} : { override }) },
})
const lastTelemetry = (run: ReturnType<typeof runKind>) => dataOf<PumpTelemetry>(run, 'telemetry').at(-1) as PumpTelemetry
const acks = (run: ReturnType<typeof runKind>) => dataOf<CommandAck>(run, 'event').filter((e) => e.type === 'command-ack')

describe('infusion pump', () => {
  it('emits only what its own channel schemas accept, over more than 10,000 messages', () => {
    const actions: Record<number, Action[]> = {
      600: [{ fault: 'sensor-off', active: true }],
      2400: [{ fault: 'sensor-off', active: false }],
      3000: [changeRate(400), changeRate(60), changeRate(60, true), { command: { id: 'p', action: 'pause', issuedBy: 'nurse-7' } }],
      3100: [{ command: { id: 's', action: 'start' } }, { command: { id: 's2', action: 'start' } }],
      30000: [{ fault: 'battery-empty', active: true }],
      30300: [{ fault: 'battery-empty', active: false }],
    }
    const pump = runKind(infusionPump, { ticks: 50_000, actions })
    const saline = runKind(infusionPump, { ticks: 8000, seed: 2, options: { drug: 'sodium-chloride-0.9', vtbiMl: 100, onMains: false } })
    expect(pump.emissions.length + saline.emissions.length).toBeGreaterThan(10_000)
    expect(schemaViolations(infusionPump, pump)).toEqual([])
    expect(schemaViolations(infusionPump, saline)).toEqual([])
    expect(dataOf<PumpTelemetry>(saline, 'telemetry').every((t) => t.doseRate === null)).toBe(true)
  })

  it('is deterministic per seed', () => {
    const json = (seed: number) => JSON.stringify(runKind(infusionPump, { ticks: 2000, seed }).emissions)
    expect(json(7)).toBe(json(7))
    expect(json(7)).not.toBe(json(8))
  })

  it('infuses exactly the integral of rate over time', () => {
    // 10 mL/h for 30 min, 20 mL/h for 15 min, paused 10 min, 20 mL/h for 5 min.
    const run = runKind(infusionPump, {
      ticks: 3600,
      options: { ...quiet, rateMlH: 10 },
      actions: { 1800: [changeRate(20)], 2700: [{ command: { id: 'p', action: 'pause' } }], 3300: [{ command: { id: 's', action: 'start' } }] },
    })
    const expected = (10 * 1800 + 20 * 900 + 20 * 300) / 3600
    expect(run.state.volume.infusedAt(run.state.lastTick)).toBeCloseTo(expected, 9)
    expect(lastTelemetry(run).volumeInfusedMl).toBeCloseTo(expected, 3)
    expect(lastTelemetry(run).vtbiRemainingMl).toBeCloseTo(50 - expected, 3)
  })

  it('reaches the VTBI at the exact moment, then keeps the vein open', () => {
    // 1 mL at 7 mL/h completes 514.29 s in, between two ticks; KVO then runs at 0.5 mL/h.
    const run = runKind(infusionPump, { ticks: 1000, options: { ...quiet, rateMlH: 7, vtbiMl: 1 } })
    const completeSec = 3600 / 7
    expect(run.state.volume.infusedAt(run.state.lastTick)).toBeCloseTo(1 + (0.5 * (1000 - completeSec)) / 3600, 9)
    expect(lastTelemetry(run)).toMatchObject({ status: 'kvo', rateMlH: 0.5, vtbiRemainingMl: 0 })
    expect(dataOf<Alarm>(run, 'alarm')).toEqual([expect.objectContaining({ code: 'VTBI_COMPLETE', priority: 'medium', active: true })])

    const noKvo = runKind(infusionPump, { ticks: 1000, options: { ...quiet, rateMlH: 7, vtbiMl: 1, kvoMlH: 0 } })
    expect(lastTelemetry(noKvo)).toMatchObject({ status: 'completed', rateMlH: 0, volumeInfusedMl: 1 })
  })

  it('programmes a new VTBI with change-rate, counted from then, and goes to KVO once it is infused', () => {
    // Saline at 100 mL/h from a 1,000 mL bag; at 60 s a new rate of 360 mL/h with a VTBI of 3 mL:
    // 3 mL at 360 mL/h take 30 s, so the pump switches to KVO (5 mL/h for saline) at 90 s.
    const run = runKind(infusionPump, {
      ticks: 120,
      options: { ...quiet, drug: 'sodium-chloride-0.9', rateMlH: 100, vtbiMl: 1000 },
      actions: { 60: [{ command: { id: 'vtbi', action: 'change-rate', rate: 360, vtbi: 3 } }] },
    })
    expect(acks(run)).toEqual([expect.objectContaining({ commandId: 'vtbi', accepted: true })])
    const telemetry = dataOf<PumpTelemetry & { vtbiMl: number }>(run, 'telemetry')
    expect(telemetry.find((t) => t.setRateMlH === 360)).toMatchObject({ status: 'running', vtbiMl: 3 })
    const done = dataOf<StatusChanged>(run, 'event').find((e) => e.type === 'status-changed' && e.cause === 'vtbi-complete')
    expect(done).toMatchObject({ from: 'running', to: 'kvo', rateMlH: 5 })
    const before = (100 * 60) / 3600
    expect(run.state.volume.infusedAt(run.state.lastTick)).toBeCloseTo(before + 3 + (5 * 30) / 3600, 9)
    expect(lastTelemetry(run)).toMatchObject({ status: 'kvo', rateMlH: 5, vtbiRemainingMl: 0 })
    expect(infusionPump.schemas.cmd!.safeParse({ id: 'x', action: 'start', vtbi: 3 }).success).toBe(false)
  })

  it('refuses a rate beyond the hard limit, even with override, and keeps the old rate', () => {
    // Noradrenaline 80 ug/mL, 70 kg: the 3 ug/kg/min hard limit is 157.5 mL/h.
    expect(checkRate(DRUGS.noradrenaline, 157.5, 70, false)).toMatchObject({ allowed: false })
    expect(checkRate(DRUGS.noradrenaline, 157.5, 70, true)).toMatchObject({ allowed: true })
    const run = runKind(infusionPump, { ticks: 20, options: quiet, actions: { 5: [changeRate(200), changeRate(200, true)] } })
    const refused = acks(run)
    expect(refused).toHaveLength(2)
    for (const ack of refused) {
      expect(ack).toMatchObject({ commandId: 'rate-200', action: 'change-rate', accepted: false })
      expect(ack.reason).toMatch(/hard limit of 3 ug\/kg\/min/)
    }
    expect(lastTelemetry(run)).toMatchObject({ status: 'running', rateMlH: 5, setRateMlH: 5 })
  })

  it('needs an override beyond the soft limit', () => {
    // 60 mL/h = 1.14 ug/kg/min: above the 1 ug/kg/min soft limit, below the hard one.
    const refused = runKind(infusionPump, { ticks: 20, options: quiet, actions: { 5: [changeRate(60)] } })
    expect(acks(refused)[0]).toMatchObject({ accepted: false, reason: expect.stringMatching(/soft limit/) })
    expect(lastTelemetry(refused).rateMlH).toBe(5)

    const overridden = runKind(infusionPump, { ticks: 20, options: quiet, actions: { 5: [changeRate(60, true)] } })
    expect(acks(overridden)[0]).toMatchObject({ accepted: true, reason: 'soft limit overridden' })
    expect(lastTelemetry(overridden)).toMatchObject({ rateMlH: 60, doseRate: 1.143 })
  })

  it('stops the infusion with a high-priority alarm on occlusion, and restarts only when told', () => {
    const run = runKind(infusionPump, {
      ticks: 1500,
      options: quiet,
      actions: {
        10: [{ fault: 'sensor-off', active: true }],
        1200: [{ fault: 'sensor-off', active: false }],
        1300: [{ command: { id: 'go', action: 'start' } }],
      },
    })
    const alarms = dataOf<Alarm>(run, 'alarm')
    expect(alarms[0]).toMatchObject({ code: 'OCCLUSION', priority: 'high', active: true, limit: 300 })
    expect(alarms[1]).toMatchObject({ code: 'OCCLUSION', active: false })
    const changes = dataOf<StatusChanged>(run, 'event').filter((e) => e.type === 'status-changed')
    expect(changes.map((c) => [c.to, c.cause])).toEqual([
      ['alarm', 'occlusion'],
      ['paused', 'alarm-cleared'],
      ['running', 'command'],
    ])
    const stoppedAt = run.emissions.find((e) => e.channel === 'alarm')!.ts
    const whileStopped = run.emissions
      .filter((e) => e.channel === 'telemetry' && e.ts > stoppedAt && e.ts < stoppedAt + 100_000)
      .map((e) => e.data as PumpTelemetry)
    expect(whileStopped.every((t) => t.status === 'alarm' && t.rateMlH === 0 && t.linePressureMmHg > 250)).toBe(true)
    expect(new Set(whileStopped.map((t) => t.volumeInfusedMl)).size).toBe(1)
  })

  it('lets the simulated nurse restart a pump once its occlusion is cleared', () => {
    const run = runKind(infusionPump, {
      ticks: 2400,
      options: { randomIncidents: false },
      actions: { 10: [{ fault: 'sensor-off', active: true }], 1200: [{ fault: 'sensor-off', active: false }] },
    })
    const changes = dataOf<StatusChanged>(run, 'event').filter((e) => e.type === 'status-changed')
    expect(changes.at(-1)).toMatchObject({ to: 'running', cause: 'bedside-nurse' })
  })

  it('stops and falls silent when the battery is flat, and reports again on mains', () => {
    const run = runKind(infusionPump, {
      ticks: 400,
      options: quiet,
      actions: { 100: [{ fault: 'battery-empty', active: true }], 300: [{ fault: 'battery-empty', active: false }] },
    })
    const depleted = run.emissions.find((e) => e.channel === 'alarm' && (e.data as Alarm).code === 'BATTERY_DEPLETED')!
    expect(depleted.data).toMatchObject({ priority: 'high', active: true })
    expect(depleted.ts).toBe(START + 100_000)
    expect(run.emissions.filter((e) => e.ts > depleted.ts && e.ts < START + 300_000)).toEqual([])
    expect(lastTelemetry(run)).toMatchObject({ status: 'paused', onMains: true })
  })

  it('refuses malformed commands at the schema', () => {
    const cmd = infusionPump.schemas.cmd!
    expect(cmd.safeParse({ id: 'x', action: 'change-rate' }).success).toBe(false)
    expect(cmd.safeParse({ id: 'x', action: 'bolus', rate: 5 }).success).toBe(false)
    expect(cmd.safeParse({ id: 'x', action: 'start', extra: 1 }).success).toBe(false)
    expect(cmd.safeParse({ id: 'x', action: 'change-rate', rate: 12, override: true, issuedBy: 'dr-a' }).success).toBe(true)
  })
})
