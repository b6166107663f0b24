import { createServer, connect as netConnect, type AddressInfo, type Socket } from 'node:net'
import { generate } from 'mqtt-packet'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createBroker } from '../src/broker/create-broker.ts'
import { profile } from '../src/broker/profile.ts'
import type { Lab } from '../src/lab/lab.ts'
import { HospitalRegistry } from '../src/registry/registry.ts'
import { SignalBus } from '../src/security/signals.ts'
import { PASSWORDS, connectAs, portOf, startTestLab, testRegistry, urlOf } from './support/lab.ts'
import { until } from './support/reliability.ts'

describe('limits that hold before a client has logged in', () => {
  let lab: Lab

  beforeAll(async () => {
    lab = await startTestLab('strict', undefined, { security: { maxConnectionsPerAddress: 5 } })
  })
  afterAll(async () => {
    await lab.stop()
  })

  it('closes a WebSocket whose first frame announces more than the packet cap, before buffering it', async () => {
    const ws = new WebSocket(urlOf(lab, 'ws'), 'mqtt')
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
    // 8 MiB with no CONNECT: ws refuses it on the frame header (1009, message too big).
    ws.send(Buffer.alloc(8 * 1024 * 1024, 0x30))
    expect(await closed).toBe(1009)
  })

  it('counts connections that never send CONNECT against the per-address limit, on every listener', async () => {
    const held: Socket[] = []
    const opened = () => lab.signals.counts.get('connection-opened') ?? 0
    const before = opened()
    try {
      for (let i = 0; i < 5; i++) {
        const socket = netConnect(portOf(lab), '127.0.0.1')
        held.push(socket)
        await new Promise((resolve) => socket.once('connect', resolve))
      }
      await until(() => opened() === before + 5, 5000, 'five connections seen')
      const sixth = netConnect(portOf(lab), '127.0.0.1')
      held.push(sixth)
      const closedEarly = await new Promise<boolean>((resolve) => {
        sixth.once('close', () => resolve(true))
        setTimeout(() => resolve(false), 2000)
      })
      expect(closedEarly).toBe(true)
      expect(lab.signals.counts.get('connect-refused')).toBe(1)
      // The WebSocket listener counts against the same limit.
      const ws = new WebSocket(urlOf(lab, 'ws'), 'mqtt')
      const wsClosed = await new Promise<boolean>((resolve) => {
        ws.once('close', () => resolve(true))
        ws.once('error', () => resolve(true))
        setTimeout(() => resolve(false), 2000)
      })
      expect(wsClosed).toBe(true)
    } finally {
      for (const socket of held) socket.destroy()
    }
  })
})

describe('a packet begun and never finished', () => {
  it('closes a keep-alive-0 connection that sends part of a PUBLISH and then nothing, after the partial-packet deadline', async () => {
    const registry = await testRegistry()
    const broker = await createBroker({ registry: new HospitalRegistry(registry), profile: profile('lab'), signals: new SignalBus(), partialPacketMs: 300 })
    const server = createServer((socket) => broker.handle(socket))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const socket = netConnect((server.address() as AddressInfo).port, '127.0.0.1')
    // Reading, so the broker's close is seen (a socket nobody reads never notices the FIN).
    socket.resume()
    try {
      socket.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'half', keepalive: 0 }))
      const publish = generate({ cmd: 'publish', topic: 'lab/half', payload: Buffer.alloc(512 * 1024), qos: 0, retain: false, dup: false })
      socket.write(publish.subarray(0, 64 * 1024))
      const started = Date.now()
      await new Promise((resolve) => socket.once('close', resolve))
      expect(Date.now() - started).toBeGreaterThanOrEqual(250)
      expect(Date.now() - started).toBeLessThan(5_000)
    } finally {
      socket.destroy()
      server.close()
      await new Promise<void>((resolve) => broker.close(() => resolve()))
    }
  })
})

describe('retained messages', () => {
  it('bound what each identity keeps — all anonymous clients share one allowance — and an empty payload gives room back', async () => {
    const lab = await startTestLab('lab', undefined, { retainedQuota: { messages: 3, bytes: 1024 * 1024 } })
    const clients: MqttClient[] = []
    const anonymous = async (clientId: string, version: 4 | 5 = 4) => {
      const client = await connectAs(lab, { clientId, protocolVersion: version })
      clients.push(client)
      return client
    }
    try {
      for (let i = 0; i < 3; i++) await (await anonymous(`retainer-${i}`)).publishAsync(`lab/retained/${i}`, 'x'.repeat(100), { qos: 1, retain: true })
      const fourth = await anonymous('retainer-3', 5)
      const disconnect = new Promise<number | undefined>((resolve) => fourth.once('disconnect', (packet) => resolve(packet.reasonCode)))
      fourth.publish('lab/retained/3', 'over', { qos: 1, retain: true })
      expect(await disconnect).toBe(0x97)
      expect(lab.shedding.counts.get('retained-quota')).toBe(1)
      // Replacing one's own topic, or clearing it, stays within the allowance.
      const again = await anonymous('retainer-4')
      await again.publishAsync('lab/retained/0', 'y'.repeat(50), { qos: 1, retain: true })
      await again.publishAsync('lab/retained/1', '', { qos: 1, retain: true })
      await again.publishAsync('lab/retained/3', 'fits now', { qos: 1, retain: true })
      // A registered identity has an allowance of its own.
      const root = await connectAs(lab, { clientId: 'root', username: 'root', password: PASSWORDS.root })
      clients.push(root)
      await root.publishAsync('lab/retained/root', 'mine', { qos: 1, retain: true })
    } finally {
      for (const client of clients) client.end(true)
      await lab.stop()
    }
  })
})
