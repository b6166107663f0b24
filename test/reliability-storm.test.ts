import { afterAll, describe, expect, it } from 'vitest'
import type { Lab } from '../src/lab/lab.ts'
import { EPHEMERAL_COST, deriveDevicePassword, hashPassword } from '../src/registry/passwords.ts'
import type { Registry } from '../src/registry/schema.ts'
import { inProcessConnector } from '../src/simulation/connector.ts'
import { Fleet } from '../src/simulation/fleet.ts'
import { silentLogger } from '../src/util/log.ts'
import { startTestLab } from './support/lab.ts'
import { until } from './support/reliability.ts'

const DEVICES = 5000
const KEY = Buffer.alloc(32, 13)
/** The broker is down this long: the devices' first two backoff steps (0.5 s and 1 s, src/simulation/backoff.ts) fail. */
const DOWNTIME_MS = 2000

/** 5,000 environment sensors (one message every 10 s each), with the cheap in-memory scrypt cost. */
async function stormRegistry(): Promise<Registry> {
  const ids = Array.from({ length: DEVICES }, (_, i) => `env-storm-${String(i).padStart(4, '0')}`)
  return {
    version: 1,
    site: 'Reconnect storm',
    wards: [{ id: 'icu', name: 'ICU', beds: [] }],
    patients: [],
    devices: await Promise.all(
      ids.map(async (id) => ({
        id,
        kind: 'environment-sensor',
        ward: 'icu',
        options: { room: 'general' },
        simulated: true,
        passwordHash: await hashPassword(deriveDevicePassword(KEY, id), EPHEMERAL_COST),
      })),
    ),
    users: [],
  }
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

describe('a reconnect storm', () => {
  let lab: Lab
  let fleet: Fleet
  afterAll(async () => {
    await fleet?.stop()
    await lab?.stop()
  })

  it(`brings all ${DEVICES} devices back after a broker restart, spread out by their jittered backoff, none left behind`, { timeout: 90_000 }, async () => {
    const registry = await stormRegistry()
    lab = await startTestLab('lab', registry, { listeners: [] })
    let droppedAt = Infinity
    const attempts: number[] = []
    const connector = inProcessConnector((stream) => {
      if (lab.clock.now() >= droppedAt) attempts.push(lab.clock.now() - droppedAt)
      lab.handleConnection(stream)
    })
    fleet = new Fleet({ registry, provisioningKey: KEY, seed: 'storm', clock: lab.clock, connector, log: silentLogger, connectRate: DEVICES })
    let ready = 0
    const back = new Map<string, number>()
    lab.broker.on('clientReady', (client) => {
      if (droppedAt === Infinity) ready++
      else if (!back.has(client.id)) back.set(client.id, lab.clock.now() - droppedAt)
    })
    fleet.start()
    // Ready, not only registered: Aedes counts a client (connectedClients) before its CONNACK and
    // session are done, and a late 'clientReady' would be taken for a device back from the outage.
    await until(() => lab.broker.connectedClients === DEVICES && ready === DEVICES, 60_000, 'the fleet connecting')

    const started = performance.now()
    droppedAt = lab.clock.now()
    lab.restartBroker(DOWNTIME_MS)
    await until(() => back.size === DEVICES && fleet.connectedCount() === DEVICES, 60_000, 'every device reconnecting')
    const wallSeconds = (performance.now() - started) / 1000

    // Nobody left behind, nobody twice: each device connected exactly once more.
    expect(lab.broker.connectedClients).toBe(DEVICES)
    expect(fleet.devices.every((d) => d.counters.connects === 2)).toBe(true)

    // Attempts while the broker is down fail and back off; the successful ones come after it is up.
    const delays = [...back.values()].sort((a, b) => a - b)
    expect(delays[0]).toBeGreaterThanOrEqual(DOWNTIME_MS)
    const successful = attempts.filter((t) => t >= DOWNTIME_MS).sort((a, b) => a - b)
    const histogram = new Map<number, number>()
    for (const t of successful) histogram.set(Math.floor(t / 250) * 250, (histogram.get(Math.floor(t / 250) * 250) ?? 0) + 1)
    const per10ms = new Map<number, number>()
    for (const t of successful) per10ms.set(Math.floor(t / 10), (per10ms.get(Math.floor(t / 10)) ?? 0) + 1)
    const busiest10ms = Math.max(...per10ms.values())
    console.info(
      `storm: ${DEVICES} devices back in ${wallSeconds.toFixed(1)} s wall; ${attempts.length} attempts after the drop; reconnect attempts after the restart p10 ${Math.round(quantile(successful, 0.1))} ms, p50 ${Math.round(quantile(successful, 0.5))} ms, p90 ${Math.round(quantile(successful, 0.9))} ms; busiest 10 ms holds ${busiest10ms}; connected p10 ${Math.round(quantile(delays, 0.1))} p90 ${Math.round(quantile(delays, 0.9))} ms\n` +
        [...histogram]
          .sort(([a], [b]) => a - b)
          .map(([from, n]) => `  ${String(from).padStart(5)} ms ${'#'.repeat(Math.ceil(n / 50))} ${n}`)
          .join('\n'),
    )
    // No lockstep: mqtt.js' fixed 1 s reconnect would put all 5,000 in one instant. Equal jitter
    // spreads the attempt that succeeds over its backoff step (the third or fourth, 1–4 s long).
    // Attempts are timed when they run, and timers due while the event loop is busy with thousands
    // of CONNECTs run together, so some clumping is the broker's own load, not the schedule.
    expect(quantile(successful, 0.9) - quantile(successful, 0.1)).toBeGreaterThan(1000)
    expect(busiest10ms).toBeLessThan(DEVICES * 0.15)
  })
})
