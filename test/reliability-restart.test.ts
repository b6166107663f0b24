import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { MqttClient } from 'mqtt'
import type { Lab } from '../src/lab/lab.ts'
import { EPHEMERAL_COST, deriveDevicePassword, hashPassword } from '../src/registry/passwords.ts'
import type { Registry } from '../src/registry/schema.ts'
import { createSimClock } from '../src/simulation/clock.ts'
import { urlConnector } from '../src/simulation/connector.ts'
import { Fleet } from '../src/simulation/fleet.ts'
import { silentLogger } from '../src/util/log.ts'
import { PASSWORDS, TEST_PATIENT, connectAs, connectDevice, startTestLab, testRegistry, urlOf } from './support/lab.ts'
import { MON_01_TELEMETRY, monitorReadings, range, until } from './support/reliability.ts'

const KEY = Buffer.alloc(32, 11)
const SIMULATED = 8

/** The test registry plus eight simulated bedside monitors, each on its own patient. */
async function restartRegistry(): Promise<Registry> {
  const base = await testRegistry()
  const beds = Array.from({ length: SIMULATED }, (_, i) => `bed-${i}`)
  return {
    ...base,
    wards: [{ id: 'icu', name: 'ICU', beds: [...base.wards[0]!.beds, ...beds] }],
    patients: [...base.patients, ...beds.map((bed, i) => ({ ...TEST_PATIENT, id: `pt-sim-${i}`, bed }))],
    devices: [
      ...base.devices,
      ...(await Promise.all(
        beds.map(async (bed, i) => ({
          id: `mon-sim-${i}`,
          kind: 'bedside-monitor',
          ward: 'icu',
          bed,
          patient: `pt-sim-${i}`,
          options: {},
          simulated: true,
          passwordHash: await hashPassword(deriveDevicePassword(KEY, `mon-sim-${i}`), EPHEMERAL_COST),
        })),
      )),
    ],
  }
}

function startLab(registry: Registry, persistenceDir: string, port: number): Promise<Lab> {
  return startTestLab('lab', registry, { persistenceDir, listeners: [{ kind: 'mqtt', host: '127.0.0.1', port, flag: '--port' }] })
}

/** Every telemetry seq an observer saw, by device. */
function seqsByDevice(client: MqttClient): Map<string, number[]> {
  const seen = new Map<string, number[]>()
  client.on('message', (_topic, payload) => {
    const { deviceId, seq } = JSON.parse(payload.toString())
    seen.set(deviceId, [...(seen.get(deviceId) ?? []), seq])
  })
  return seen
}

function publishReadings(device: MqttClient, seqs: number[], readings: unknown[]): Promise<unknown> {
  return Promise.all(
    seqs.map((seq) =>
      device.publishAsync(MON_01_TELEMETRY, JSON.stringify({ deviceId: 'mon-01', kind: 'bedside-monitor', seq, ts: Date.now(), data: readings[seq] }), {
        qos: 1,
      }),
    ),
  )
}

describe('a broker restart with durable persistence', () => {
  const cleanup: (() => Promise<unknown>)[] = []
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined)
  })

  it('delivers every QoS 1 message published while a persistent subscriber was away, across a real restart; devices come back with jitter and resume their seq', async () => {
    const registry = await restartRegistry()
    const dir = mkdtempSync(join(tmpdir(), 'wardlab-persistence-'))
    const readings = monitorReadings(60)
    let lab = await startLab(registry, dir, 0)
    const port = Number(new URL(urlOf(lab)).port)

    // Simulated monitors outside the lab, over TCP to its URL, so they live through the restart.
    const clock = createSimClock({ start: Date.now(), speed: 4 })
    const fleet = new Fleet({ registry, provisioningKey: KEY, seed: 'restart', clock, connector: urlConnector(urlOf(lab)), log: silentLogger })
    cleanup.push(async () => {
      await fleet.stop()
      clock.stop()
    })
    fleet.start()
    const before = await connectAs(lab, { clientId: 'watch-before' })
    const seenBefore = seqsByDevice(before)
    await before.subscribeAsync('hospital/icu/bedside-monitor/+/telemetry', { qos: 0 })
    await until(() => fleet.connectedCount() === SIMULATED && fleet.devices.every((d) => seenBefore.has(d.id)), 10_000, 'the simulated monitors publishing')

    // A persistent session (CleanSession = 0) subscribes at QoS 1, then goes away.
    const archiverOptions = { clientId: 'archiver', username: 'ward-obs', password: PASSWORDS['ward-obs'], clean: false }
    const archiver = await connectAs(lab, archiverOptions)
    await archiver.subscribeAsync(MON_01_TELEMETRY, { qos: 1 })
    await archiver.endAsync()

    let device = await connectDevice(lab, 'mon-01')
    await publishReadings(device, range(30), readings)
    await device.endAsync()
    await before.endAsync()

    // The broker goes down for real: listeners closed, database closed, process state gone.
    await lab.stop()
    const downAt = clock.now()
    await until(() => fleet.connectedCount() === 0, 5000, 'the monitors noticing')
    lab = await startLab(registry, dir, port)
    cleanup.push(() => lab.stop())
    const backAfter = new Map<string, number>()
    lab.broker.on('clientReady', (client) => {
      if (client.id.startsWith('mon-sim-')) backAfter.set(client.id, clock.now() - downAt)
    })

    const after = await connectAs(lab, { clientId: 'watch-after' })
    const seenAfter = seqsByDevice(after)
    await after.subscribeAsync('hospital/icu/bedside-monitor/+/telemetry', { qos: 0 })
    device = await connectDevice(lab, 'mon-01')
    await publishReadings(device, range(50).slice(30), readings)
    await device.endAsync()

    const back = await connectAs(lab, archiverOptions)
    expect(back.connected).toBe(true)
    const received: number[] = []
    back.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString()).seq))
    await until(() => received.length >= 50, 10_000, 'the queued messages arriving')
    expect(received).toEqual(range(50))
    await back.endAsync()

    // Every monitor reconnected by itself, on its own jittered schedule, and kept counting.
    await until(() => fleet.connectedCount() === SIMULATED && fleet.devices.every((d) => seenAfter.has(d.id)), 20_000, 'the monitors reconnecting')
    expect(fleet.devices.every((d) => d.counters.connects >= 2)).toBe(true)
    const delays = [...backAfter.values()].sort((a, b) => a - b)
    expect(delays).toHaveLength(SIMULATED)
    // Exponential backoff with equal jitter: the monitors came back spread out, not in one instant.
    expect(new Set(delays.map((d) => Math.round(d / 10))).size).toBeGreaterThanOrEqual(SIMULATED / 2)
    expect(delays.at(-1)! - delays[0]!).toBeGreaterThan(100)
    for (const device of fleet.devices) {
      const last = seenBefore.get(device.id)!.at(-1)!
      const next = seenAfter.get(device.id)![0]!
      expect(next).toBeGreaterThan(last)
    }
    await after.endAsync()
  })
})
