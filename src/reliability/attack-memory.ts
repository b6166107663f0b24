/**
 * What each resource attack of issue 16 costs a real broker in memory: for each, a fresh broker
 * process (broker-process.ts, the broker core with its listeners, gate and limits at their
 * defaults), its memory before, while the attack holds what it can, and after; printed as a table
 * for RELIABILITY.md. The tests assert the bounds; this records the figures.
 *
 * npm run attack-memory [-- --only NAME]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { connectAsync, type MqttClient } from 'mqtt'
import { generate } from 'mqtt-packet'
import WebSocket from 'ws'
import { saveRegistry } from '../registry/load.ts'
import { hashPassword } from '../registry/passwords.ts'
import type { Registry } from '../registry/schema.ts'
import { startMeasuredBroker, type BrokerStatus, type MeasuredBroker } from './measured-broker.ts'
import { freezeAsSubscriber } from './frozen-subscriber.ts'
import { ALL_DEVICES_FILTER } from '../contract/topics.ts'

/** The device that publishes and the observer that keeps a session, with passwords known here. */
const DEVICE = { id: 'mon-01', password: 'attack-memory-device' }
const OBSERVER = { username: 'ward-obs', password: 'attack-memory-observer' }
const TELEMETRY = 'hospital/icu/bedside-monitor/mon-01/telemetry'
const KB_PAYLOAD = Buffer.alloc(1000, 'x')
const PARTIAL_PACKET_MS = 3000

interface Attack {
  name: string
  /** Extra broker-process flags. */
  flags?: string[]
  /** Runs the attack; resolves once it holds what it can (`during`), with a step that ends it. */
  run(broker: MeasuredBroker, url: URL): Promise<{ detail: string; end: () => Promise<void> }>
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function rawSocket(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1')
  socket.on('error', () => undefined)
  return new Promise((resolve) => socket.once('connect', () => resolve(socket)))
}

async function publishMany(client: MqttClient, topic: string, count: number): Promise<void> {
  let next = 0
  const lane = async () => {
    while (next < count) {
      next++
      await client.publishAsync(topic, KB_PAYLOAD, { qos: 1 })
    }
  }
  await Promise.all(Array.from({ length: 8 }, lane))
}

const device = (url: URL) =>
  connectAsync(url.href, { protocolVersion: 4, clientId: DEVICE.id, username: DEVICE.id, password: DEVICE.password, reconnectPeriod: 0 })

const ATTACKS: Attack[] = [
  {
    name: '90 MB WebSocket frame before CONNECT',
    flags: ['--ws'],
    async run(broker) {
      const ws = new WebSocket(`ws://127.0.0.1:${broker.wsPort}/mqtt`, 'mqtt')
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
      ws.on('error', () => undefined)
      ws.send(Buffer.alloc(90 * 1024 * 1024))
      const code = await closed
      return { detail: `closed with ${code}`, end: async () => undefined }
    },
  },
  {
    name: '2,000 connections that never send CONNECT (limit 1,000 per address)',
    flags: ['--max-connections-per-address', '1000'],
    async run(_broker, url) {
      const sockets = await Promise.all(Array.from({ length: 2000 }, () => rawSocket(Number(url.port))))
      // Reading, so a connection the broker dropped is seen closed here.
      for (const socket of sockets) socket.resume()
      await wait(1000)
      const open = sockets.filter((s) => !s.destroyed && s.readyState === 'open').length
      return { detail: `${open} of 2,000 still open`, end: async () => sockets.forEach((s) => s.destroy()) }
    },
  },
  {
    name: '200 anonymous clients retaining 1 MB each',
    async run(_broker, url) {
      let accepted = 0
      for (let i = 0; i < 200; i++) {
        const client = await connectAsync(url.href, { protocolVersion: 4, clientId: `retainer-${i}`, reconnectPeriod: 0 })
        client.on('error', () => undefined)
        const outcome = await Promise.race([
          client.publishAsync(`lab/retained/${i}`, Buffer.alloc(1_000_000, 'r'), { qos: 1, retain: true }).then(() => true),
          new Promise<boolean>((resolve) => client.once('close', () => resolve(false))),
        ])
        if (outcome) accepted++
        client.end(true)
      }
      return { detail: `${accepted} of 200 retained`, end: async () => undefined }
    },
  },
  {
    name: 'offline queue flood: 30,000 × 1 KB QoS 1 for a session that left',
    async run(_broker, url) {
      const observer = await connectAsync(url.href, { protocolVersion: 4, clientId: 'away-observer', ...OBSERVER, clean: false, reconnectPeriod: 0 })
      await observer.subscribeAsync(ALL_DEVICES_FILTER, { qos: 1 })
      await observer.endAsync()
      const publisher = await device(url)
      await publishMany(publisher, TELEMETRY, 30_000)
      return { detail: '30,000 published', end: () => publisher.endAsync() }
    },
  },
  {
    name: `partial-packet slowloris: 200 connections, 512 KiB of a 1 MiB PUBLISH each, keep-alive 0 (deadline ${PARTIAL_PACKET_MS / 1000} s here)`,
    flags: ['--partial-packet-ms', String(PARTIAL_PACKET_MS)],
    async run(_broker, url) {
      const publish = generate({ cmd: 'publish', topic: 'lab/slow', payload: Buffer.alloc(1_000_000, 's'), qos: 0, retain: false, dup: false })
      const sockets = await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const socket = await rawSocket(Number(url.port))
          socket.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: `slow-${i}`, keepalive: 0 }))
          socket.write(publish.subarray(0, 512 * 1024))
          return socket
        }),
      )
      await wait(1000)
      return {
        detail: `${sockets.filter((s) => !s.destroyed).length} holding`,
        end: async () => {
          await wait(PARTIAL_PACKET_MS + 1000)
          sockets.forEach((s) => s.destroy())
        },
      }
    },
  },
  {
    name: 'frozen persistent subscriber, then 40,000 × 1 KB QoS 1',
    flags: ['--drain-timeout', '500'],
    async run(broker, url) {
      const frozen = await rawSocket(Number(url.port))
      freezeAsSubscriber(frozen, OBSERVER)
      await wait(300)
      const publisher = await device(url)
      await publishMany(publisher, TELEMETRY, 40_000)
      const { clients } = await broker.status()
      return {
        detail: clients === 1 ? 'dropped' : 'still connected',
        end: async () => {
          frozen.destroy()
          await publisher.endAsync()
        },
      }
    },
  },
]

async function registryFile(): Promise<string> {
  const [device, observer] = await Promise.all([hashPassword(DEVICE.password), hashPassword(OBSERVER.password)])
  const registry: Registry = {
    version: 1,
    site: 'Attack memory',
    wards: [{ id: 'icu', name: 'ICU', beds: ['icu-01'] }],
    patients: [
      {
        id: 'pt-01',
        ward: 'icu',
        bed: 'icu-01',
        sex: 'female',
        ageYears: 64,
        heightCm: 165,
        weightKg: 70,
        trajectory: 'stable',
        onsetMinutes: 0,
        hypercapnic: false,
        onOxygen: false,
      },
    ],
    devices: [{ id: DEVICE.id, kind: 'bedside-monitor', ward: 'icu', bed: 'icu-01', patient: 'pt-01', passwordHash: device, simulated: false, options: {} }],
    users: [{ username: OBSERVER.username, role: 'observer', passwordHash: observer }],
  }
  const file = join(mkdtempSync(join(tmpdir(), 'wardlab-attack-memory-')), 'registry.yaml')
  saveRegistry(file, registry)
  return file
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1)
const cells = (s: BrokerStatus) => `${mb(s.memory.rss)} / ${mb(s.memory.heapUsed + s.memory.arrayBuffers)}`

const { values } = parseArgs({ options: { only: { type: 'string' } } })
const registry = await registryFile()
process.stdout.write('| Attack | Outcome | before | during | after |\n|---|---|---|---|---|\n')
for (const attack of ATTACKS.filter((a) => !values.only || a.name.includes(values.only))) {
  const broker = await startMeasuredBroker(['--registry', registry, ...(attack.flags ?? [])])
  try {
    const url = new URL(broker.url)
    const before = await broker.status()
    const { detail, end } = await attack.run(broker, url)
    const during = await broker.status()
    await end()
    await wait(500)
    const after = await broker.status()
    process.stdout.write(`| ${attack.name} | ${detail} | ${cells(before)} | ${cells(during)} | ${cells(after)} |\n`)
  } finally {
    await broker.stop()
  }
}
rmSync(dirname(registry), { recursive: true, force: true })
process.stdout.write('\nMB: broker RSS / live heap + buffers (after a full GC), in a process of its own.\n')
