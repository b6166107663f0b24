import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Aedes, Client } from 'aedes'
import type { MqttClient } from 'mqtt'
import { Lab } from '../src/lab/lab.ts'
import { deriveDevicePassword, hashPassword } from '../src/registry/passwords.ts'
import type { Registry } from '../src/registry/schema.ts'
import { silentLogger } from '../src/util/log.ts'
import { TEST_PATIENT, connectAs, outputDir, PASSWORDS } from './support/lab.ts'
import { until } from './support/reliability.ts'

const KEY = Buffer.alloc(32, 9)
const PUMP = 'hospital/icu/infusion-pump/pump-sim-01'
const KIT = 'hospital/virtual/hospital-at-home-kit/kit-sim-01'

async function simulatedRegistry(): Promise<Registry> {
  const devices = [
    { id: 'pump-sim-01', kind: 'infusion-pump', ward: 'icu', bed: 'icu-01', patient: 'pt-01', options: { bedsideCare: false } },
    { id: 'mon-sim-01', kind: 'bedside-monitor', ward: 'icu', bed: 'icu-01', patient: 'pt-01', options: {} },
    { id: 'kit-sim-01', kind: 'hospital-at-home-kit', ward: 'virtual', patient: 'pt-home' },
    ...Array.from({ length: 40 }, (_, i) => ({ id: `env-sim-${i}`, kind: 'environment-sensor', ward: 'icu', options: { room: 'general' } })),
  ]
  return {
    version: 1,
    site: 'Runner test',
    wards: [
      { id: 'icu', name: 'ICU', beds: ['icu-01'] },
      { id: 'virtual', name: 'Virtual ward', beds: [] },
    ],
    patients: [{ ...TEST_PATIENT }, { ...TEST_PATIENT, id: 'pt-home', ward: 'virtual', bed: undefined }],
    devices: await Promise.all(
      devices.map(async (d) => ({ options: {}, ...d, simulated: true, passwordHash: await hashPassword(deriveDevicePassword(KEY, d.id)) })),
    ),
    users: [{ username: 'nurse-op', role: 'operator', passwordHash: await hashPassword(PASSWORDS['nurse-op']) }],
  }
}

/** Aedes keeps connected clients by id; dropping one's stream is an unclean disconnect, as a network fault. */
function dropClient(broker: Aedes, id: string): void {
  const client = (broker as unknown as { clients: Record<string, Client> }).clients[id]
  if (!client) throw new Error(`${id} is not connected`)
  client.conn.destroy()
}

function messages(client: MqttClient, filter: (topic: string) => boolean): { topic: string; body: any; at: number }[] {
  const seen: { topic: string; body: any; at: number }[] = []
  client.on('message', (topic, payload) => {
    if (filter(topic)) seen.push({ topic, body: JSON.parse(payload.toString()), at: performance.now() })
  })
  return seen
}

describe('simulated devices over MQTT', () => {
  let lab: Lab
  let watcher: MqttClient

  beforeAll(async () => {
    lab = await Lab.start({
      registry: await simulatedRegistry(),
      provisioningKey: KEY,
      profile: 'lab',
      listeners: [{ kind: 'mqtt', host: '127.0.0.1', port: 0, flag: '--port' }],
      seed: 'runner',
      speed: 20,
      simulate: true,
      log: silentLogger,
      outputDir: outputDir(),
    })
    watcher = await connectAs(lab, { clientId: 'runner-watcher' })
    await watcher.subscribeAsync('hospital/#', { qos: 1 })
    await until(() => lab.fleet!.connectedCount() === lab.fleet!.devices.length)
  })

  afterAll(async () => {
    await watcher?.endAsync()
    await lab?.stop()
  })

  it('announces itself on the retained status topic and publishes valid envelopes', async () => {
    const late = await connectAs(lab, { clientId: 'late-joiner' })
    const statuses = messages(late, (t) => t === `${PUMP}/status`)
    await late.subscribeAsync(`${PUMP}/status`, { qos: 1 })
    await until(() => statuses.length > 0)
    expect(statuses[0]!.body).toMatchObject({ state: 'online' })
    await late.endAsync()
    await until(() => lab.pipeline.counters.valid > 50)
    expect(lab.pipeline.counters.quarantined).toBe(0)
  })

  it('keeps seq increasing across an unclean drop, fires the will, and comes back by itself', async () => {
    const seen = messages(watcher, (t) => t.startsWith('hospital/icu/bedside-monitor/mon-sim-01/'))
    await until(() => seen.some((m) => m.topic.endsWith('/telemetry')))
    dropClient(lab.broker, 'mon-sim-01')
    await until(() => seen.some((m) => m.topic.endsWith('/status') && m.body.reason === 'unexpected'))
    await until(() => seen.some((m) => m.topic.endsWith('/status') && m.body.state === 'online'))
    const before = seen.filter((m) => m.topic.endsWith('/telemetry')).length
    await until(() => seen.filter((m) => m.topic.endsWith('/telemetry')).length > before + 3)
    // seq numbers every message produced: strictly increasing, with a gap exactly as large as what
    // the device produced while it was down.
    const seqs = seen.filter((m) => 'seq' in m.body).map((m) => m.body.seq as number)
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!)
    const device = lab.fleet!.device('mon-sim-01')!
    const gaps = seqs.slice(1).reduce((sum, seq, i) => sum + (seq - seqs[i]! - 1), 0)
    expect(gaps).toBeLessThanOrEqual(device.counters.lostOffline)
  })

  it('reconnects a dropped ward with jitter, not in lockstep', async () => {
    const ids = lab.fleet!.devices.filter((d) => d.id.startsWith('env-sim-')).map((d) => d.id)
    // Reconnects run on the simulated clock, like everything else a device does.
    const back = new Map<string, number>()
    const dropped = lab.clock.now()
    const onReady = (client: Client) => {
      if (ids.includes(client.id) && !back.has(client.id)) back.set(client.id, lab.clock.now() - dropped)
    }
    lab.broker.on('clientReady', onReady)
    for (const id of ids) dropClient(lab.broker, id)
    await until(() => back.size === ids.length)
    lab.broker.off('clientReady', onReady)
    const delays = [...back.values()].sort((a, b) => a - b)
    // Equal jitter on a 500 ms first step: every device waits 250–500 ms, spread across that window.
    expect(delays[0]).toBeGreaterThanOrEqual(200)
    expect(delays.at(-1)! - delays[0]!).toBeGreaterThan(100)
    expect(new Set(delays.map((d) => Math.round(d / 10))).size).toBeGreaterThan(ids.length / 3)
  })

  it('acknowledges a command and refuses a rate beyond the drug’s hard limit', async () => {
    const operator = await connectAs(lab, { clientId: 'console-op', username: 'nurse-op', password: PASSWORDS['nurse-op'] })
    const events = messages(watcher, (t) => t === `${PUMP}/event`)
    await operator.publishAsync(`${PUMP}/cmd`, JSON.stringify({ id: 'c-ok', action: 'change-rate', rate: 6 }), { qos: 1 })
    await operator.publishAsync(`${PUMP}/cmd`, JSON.stringify({ id: 'c-hard', action: 'change-rate', rate: 200, override: true }), { qos: 1 })
    await operator.publishAsync(`${PUMP}/cmd`, JSON.stringify({ id: 'c-bad', action: 'explode' }), { qos: 1 })
    await until(() => ['c-ok', 'c-hard', 'c-bad'].every((id) => events.some((e) => e.body.data.commandId === id)))
    const ack = (id: string) => events.find((e) => e.body.data.commandId === id)!.body.data
    expect(ack('c-ok')).toMatchObject({ type: 'command-ack', accepted: true })
    expect(ack('c-hard')).toMatchObject({ accepted: false, reason: expect.stringMatching(/hard limit/i) })
    expect(ack('c-bad')).toMatchObject({ accepted: false, reason: expect.stringMatching(/^invalid command/) })
    await operator.endAsync()
  })
})

describe('a hospital-at-home kit over MQTT', () => {
  let fast: Lab
  let kitWatcher: MqttClient

  // The wearable reads every 5 simulated minutes: run this lab at 600× so an outage spans several.
  beforeAll(async () => {
    const registry = await simulatedRegistry()
    fast = await Lab.start({
      registry: { ...registry, devices: registry.devices.filter((d) => d.id === 'kit-sim-01') },
      provisioningKey: KEY,
      profile: 'lab',
      listeners: [{ kind: 'mqtt', host: '127.0.0.1', port: 0, flag: '--port' }],
      seed: 'runner',
      speed: 600,
      simulate: true,
      log: silentLogger,
      outputDir: outputDir(),
    })
    kitWatcher = await connectAs(fast, { clientId: 'kit-watcher' })
    await kitWatcher.subscribeAsync(`${KIT}/telemetry`, { qos: 1 })
    await until(() => fast.fleet!.connectedCount() === 1)
  })

  afterAll(async () => {
    await kitWatcher?.endAsync()
    await fast?.stop()
  })

  it('keeps home readings through an outage and sends them late with their measurement time', async () => {
    const kit = fast.fleet!.device('kit-sim-01')!
    const seen = messages(kitWatcher, (t) => t === `${KIT}/telemetry`)
    kit.setFault('offline', true)
    await until(() => kit.counters.buffered >= 2, 20_000)
    const outageEnded = fast.clock.now()
    kit.setFault('offline', false)
    await until(() => kit.counters.buffered === 0 && seen.length >= 2)
    expect(seen[0]!.body.ts).toBeLessThan(outageEnded - 60_000)
    const seqs = seen.map((m) => m.body.seq as number)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
  })
})
