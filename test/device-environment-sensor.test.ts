import { describe, expect, it } from 'vitest'
import type { Alarm } from '../src/contract/channels.ts'
import { environmentSensor } from '../devices/environment-sensor.ts'
import { START, dataOf, ofChannel, runKind, schemaViolations } from './support/kind-harness.ts'

interface Reading {
  temperatureC: number
  pressurePa: number
  o2Pct: number
  batteryPct: number
}

const TICKS_PER_DAY = 8640
const calm = { incidentsPerDay: 0, batteryPct: 80 }

describe('environment sensor', () => {
  it('emits only what its own channel schemas accept, over more than 10,000 messages', () => {
    const run = runKind(environmentSensor, {
      ticks: 12_000,
      options: { room: 'isolation-negative', incidentsPerDay: 6 },
      actions: {
        2000: [{ fault: 'sensor-off', active: true }],
        2100: [{ fault: 'sensor-off', active: false }],
        9000: [{ fault: 'battery-empty', active: true }],
        9500: [{ fault: 'battery-empty', active: false }],
      },
    })
    expect(run.emissions.length).toBeGreaterThan(10_000)
    expect(schemaViolations(environmentSensor, run)).toEqual([])
  })

  it('is deterministic per seed', () => {
    const json = (seed: number) => JSON.stringify(runKind(environmentSensor, { ticks: 2000, seed, options: { room: 'theatre', incidentsPerDay: 6 } }).emissions)
    expect(json(1)).toBe(json(1))
    expect(json(1)).not.toBe(json(2))
  })

  it('keeps a negative-pressure isolation room negative in normal operation, doors included', () => {
    const run = runKind(environmentSensor, { ticks: 2 * TICKS_PER_DAY, options: { room: 'isolation-negative', ...calm } })
    const pressures = dataOf<Reading>(run, 'telemetry').map((r) => r.pressurePa)
    expect(Math.max(...pressures)).toBeLessThan(0)
    expect(pressures.filter((p) => p > -2.5).length).toBeGreaterThan(50)
    expect(dataOf<{ open: boolean }>(run, 'event').filter((e) => e.open).length).toBeGreaterThan(100)
    expect(ofChannel(run, 'alarm')).toEqual([])
  })

  it.each([
    ['isolation-positive', 2.5, 15],
    ['theatre', 10, 25],
  ])('holds a %s room inside its pressure band between doors', (room, low, high) => {
    const run = runKind(environmentSensor, { ticks: TICKS_PER_DAY, options: { room, ...calm, doorOpeningsPerHour: 0 } })
    const pressures = dataOf<Reading>(run, 'telemetry').map((r) => r.pressurePa)
    expect(Math.min(...pressures)).toBeGreaterThan(low)
    expect(Math.max(...pressures)).toBeLessThan(high)
    expect(ofChannel(run, 'alarm')).toEqual([])
  })

  it('raises pressure, temperature and oxygen alarms on excursions, each with its priority, and ends them', () => {
    const run = runKind(environmentSensor, { ticks: 3 * TICKS_PER_DAY, seed: 4, options: { room: 'isolation-negative', incidentsPerDay: 8, batteryPct: 80 } })
    const alarms = dataOf<Alarm>(run, 'alarm')
    const priorityOf = (code: string) => new Set(alarms.filter((a) => a.code === code).map((a) => a.priority))
    expect(priorityOf('PRESSURE_OUT_OF_RANGE')).toEqual(new Set(['medium']))
    expect(priorityOf('TEMP_OUT_OF_RANGE')).toEqual(new Set(['low']))
    expect(priorityOf('O2_LOW')).toEqual(new Set(['high']))
    for (const code of ['PRESSURE_OUT_OF_RANGE', 'TEMP_OUT_OF_RANGE', 'O2_LOW']) {
      const changes = alarms.filter((a) => a.code === code).map((a) => a.active)
      expect(changes.filter((active) => active).length).toBeGreaterThan(0)
      // Alternating start and end: a latch, not a repeat every sample.
      changes.forEach((active, i) => expect(active).toBe(i % 2 === 0))
    }
  })

  it('alarms after 60 s when the pressure tube comes off, not on a door opening', () => {
    const run = runKind(environmentSensor, {
      ticks: 200,
      options: { room: 'isolation-negative', ...calm },
      actions: { 100: [{ fault: 'sensor-off', active: true }] },
    })
    const pressure = ofChannel(run, 'alarm').find((e) => (e.data as Alarm).code === 'PRESSURE_OUT_OF_RANGE')
    expect(pressure?.data).toMatchObject({ active: true, priority: 'medium', limit: -2.5 })
    expect(pressure?.ts).toBe(START + 105 * 10_000)
  })

  it('drains its battery slowly, warns when low and falls silent when flat', () => {
    // About a year from full to flat: 10 days take 2.74 %.
    const slow = runKind(environmentSensor, { ticks: 10 * TICKS_PER_DAY, options: { ...calm, batteryPct: 12 } })
    expect(slow.state.batteryPct).toBeCloseTo(12 - (100 / 365) * 10, 6)
    expect(slow.batteries.at(-1)).toBe(9)
    expect(dataOf<Alarm>(slow, 'alarm')).toEqual([expect.objectContaining({ code: 'LOW_BATTERY', priority: 'low', active: true })])

    const flat = runKind(environmentSensor, {
      ticks: 100,
      options: calm,
      actions: { 10: [{ fault: 'battery-empty', active: true }], 60: [{ fault: 'battery-empty', active: false }] },
    })
    const low = ofChannel(flat, 'alarm')[0]!
    expect(low.ts).toBe(START + 10 * 10_000)
    expect(flat.emissions.filter((e) => e.ts > low.ts && e.ts < START + 60 * 10_000)).toEqual([])
    expect(dataOf<Reading>(flat, 'telemetry').at(-1)!.batteryPct).toBe(100)
  })
})
