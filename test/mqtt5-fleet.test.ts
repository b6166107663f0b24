import { describe, expect, it } from 'vitest'
import { createVirtualClock } from '../src/simulation/clock.ts'
import type { MqttVersion } from '../src/simulation/mqtt-version.ts'
import { startWardLab, untilWardConnected } from './support/ward-lab.ts'

const START = Date.UTC(2026, 0, 12, 8)
const SIMULATED_MS = 2 * 60_000

/**
 * The default ward for two simulated minutes on a virtual clock, every device connected before
 * time moves: what the pipeline counts then depends on the seed alone, not on the machine's speed,
 * so two versions' counts can be compared exactly.
 */
async function runWard(version: MqttVersion) {
  const clock = createVirtualClock(START)
  const { lab } = await startWardLab(clock, { mqttVersion: version })
  const protocols = new Set<number>()
  lab.broker.on('clientReady', (client) => protocols.add(client.version))
  try {
    await untilWardConnected(lab)
    await clock.runUntil(START + SIMULATED_MS, { yieldEvery: 1000, onYield: () => new Promise((resolve) => setImmediate(resolve)) })
    // Devices disconnect, and every message they sent has been through the pipeline.
    await lab.quiesce()
    return { counters: { ...lab.pipeline.counters }, devices: lab.fleet!.totals(), protocols }
  } finally {
    await lab.stop()
  }
}

describe('a ward of MQTT 5 devices', () => {
  it('connects with MQTT 5 and has the pipeline validate exactly what a 3.1.1 ward sends', async () => {
    const v311 = await runWard('3.1.1')
    const v5 = await runWard('5')
    expect([...v311.protocols]).toEqual([4])
    expect([...v5.protocols]).toEqual([5])
    expect(v5.counters.valid).toBeGreaterThan(1000)
    expect(v5.counters.quarantined).toBe(0)
    expect(v5.counters.received).toBe(v5.devices.published)
    expect({ received: v5.counters.received, valid: v5.counters.valid, quarantined: v5.counters.quarantined, routed: v5.counters.routed }).toEqual({
      received: v311.counters.received,
      valid: v311.counters.valid,
      quarantined: v311.counters.quarantined,
      routed: v311.counters.routed,
    })
    expect(v5.devices).toEqual(v311.devices)
  }, 60_000)
})
