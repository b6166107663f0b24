import type { Duplex } from 'node:stream'
import { MqttClient } from 'mqtt'
import { generate } from 'mqtt-packet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Lab } from '../src/lab/lab.ts'
import type { SecurityAlert } from '../src/contract/security-alert.ts'
import type { SecuritySignal, SignalOf, SignalType } from '../src/security/signals.ts'
import { openInProcessStream } from '../src/simulation/connector.ts'
import { startTestLab } from './support/lab.ts'
import { until } from './support/reliability.ts'

/** mqtt.js' emitter is typed apart from Node's, so `events.once` does not take it. */
const once = (client: MqttClient, event: 'connect' | 'error') => new Promise<unknown[]>((resolve) => client.once(event, (...args: unknown[]) => resolve(args)))
const connect = (clientId: string, extra: Record<string, unknown> = {}) =>
  generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive: 60, ...extra })

describe('connection-level signals from the broker', () => {
  let lab: Lab
  const seen: SecuritySignal[] = []
  const alerts: SecurityAlert[] = []
  const raw = (address: string): Duplex => openInProcessStream((stream) => lab.broker.handle(stream), address)
  const of = <T extends SignalType>(type: T, address: string) => seen.filter((s): s is SignalOf<T> => s.type === type && s.address === address)

  beforeAll(async () => {
    lab = await startTestLab('lab', undefined, {
      security: {
        response: { 'auth-bypass': { action: 'block', by: 'address', banMs: 60_000 }, 'publish-flood': { action: 'block', by: 'clientId', banMs: 60_000 } },
      },
    })
    // The publish signal object is reused (the hot path allocates nothing): keep copies.
    lab.signals.on((signal) => seen.push(signal.type === 'publish' ? { ...signal } : signal))
    lab.monitor.onAlert((alert) => alerts.push(alert))
  })
  afterAll(async () => {
    await lab?.stop()
  })

  it('sees a connection that closes without ever sending CONNECT, under its address label', async () => {
    const stream = raw('10.0.0.1')
    stream.destroy()
    await until(() => of('connection-closed', '10.0.0.1').length === 1)
    expect(of('connection-opened', '10.0.0.1')).toHaveLength(1)
    expect(of('connection-closed', '10.0.0.1')[0]).toMatchObject({ sentConnect: false })
  })

  it("reports the CONNECT packet's facts, the session, PINGREQs and publish sizes", async () => {
    const client = new MqttClient(() => raw('10.0.0.2'), {
      protocolVersion: 4,
      clientId: 'facts',
      username: 'ward-obs',
      password: 'observer-secret',
      keepalive: 42,
      clean: false,
      reconnectPeriod: 0,
    })
    await once(client, 'connect')
    await client.publishAsync('sandbox/facts', Buffer.alloc(300), { qos: 1 })
    await until(() => of('publish', '10.0.0.2').length === 1)
    client.end()
    await until(() => of('connection-closed', '10.0.0.2').length === 1)
    expect(of('connect-attempt', '10.0.0.2')[0]).toMatchObject({
      clientId: 'facts',
      keepaliveSeconds: 42,
      usernamePresent: true,
      passwordPresent: true,
      cleanSession: false,
      protocolVersion: 4,
    })
    expect(of('connected', '10.0.0.2')[0]).toMatchObject({ keepaliveSeconds: 42, identity: { role: 'observer', name: 'ward-obs' } })
    expect(of('publish', '10.0.0.2')[0]).toMatchObject({ topic: 'sandbox/facts', payloadBytes: 300, qos: 1, retain: false })
    const stream = raw('10.0.0.3')
    stream.write(connect('pinger'))
    stream.write(generate({ cmd: 'pingreq' }))
    await until(() => of('ping', '10.0.0.3').length === 1)
    stream.destroy()
  })

  it('tells bytes that are not MQTT from a PUBLISH before CONNECT', async () => {
    const garbage = raw('10.0.0.4')
    // PUBREL must carry flags 0010 (MQTT 3.1.1 §2.2.2); 0000 is a malformed packet.
    garbage.write(Buffer.from([0x60, 0x02, 0x00, 0x01]))
    const early = raw('10.0.0.5')
    early.write(generate({ cmd: 'publish', topic: 'Temperature', payload: Buffer.from('21'), qos: 0, retain: false, dup: false }))
    await until(() => of('protocol-error', '10.0.0.4').length === 1 && of('protocol-error', '10.0.0.5').length === 1)
    expect(of('protocol-error', '10.0.0.4')[0]).toMatchObject({ kind: 'parse', beforeConnect: true })
    expect(of('protocol-error', '10.0.0.5')[0]).toMatchObject({ kind: 'violation', error: 'Invalid protocol' })
    await until(() => alerts.some((a) => a.type === 'malformed-packet' && a.address === '10.0.0.5'))
  })

  it('sees a live client id taken over from another address, and raises client-takeover', async () => {
    const first = new MqttClient(() => raw('10.0.0.6'), { protocolVersion: 4, clientId: 'shared-id', reconnectPeriod: 0 })
    await once(first, 'connect')
    const second = new MqttClient(() => raw('10.0.0.7'), { protocolVersion: 4, clientId: 'shared-id', reconnectPeriod: 0 })
    await once(second, 'connect')
    await until(() => of('session-takeover', '10.0.0.7').length === 1)
    expect(of('session-takeover', '10.0.0.7')[0]).toMatchObject({ clientId: 'shared-id', previous: { address: '10.0.0.6' } })
    expect(alerts.find((a) => a.type === 'client-takeover')).toMatchObject({
      clientId: 'shared-id',
      address: '10.0.0.7',
      evidence: { previousAddress: '10.0.0.6' },
    })
    first.end(true)
    second.end(true)
  })

  it('bans an address when the response policy says block, and refuses it with CONNACK 5', async () => {
    const bypass = new MqttClient(() => raw('10.0.0.8'), { protocolVersion: 4, clientId: 'bypass', username: 'mon-01', reconnectPeriod: 0 })
    await once(bypass, 'error')
    bypass.end(true)
    const again = new MqttClient(() => raw('10.0.0.8'), { protocolVersion: 4, clientId: 'anyone', reconnectPeriod: 0 })
    const [refusal] = (await once(again, 'error')) as [Error & { code?: number }]
    expect(refusal.code).toBe(5)
    again.end(true)
    expect(of('connect-refused', '10.0.0.8')[0]).toMatchObject({ reason: 'banned' })
    const elsewhere = new MqttClient(() => raw('10.0.0.9'), { protocolVersion: 4, clientId: 'anyone', reconnectPeriod: 0 })
    await once(elsewhere, 'connect')
    elsewhere.end(true)
  })

  it('disconnects a live flooder when the policy blocks by client id, and refuses that id wherever it returns', async () => {
    const flooder = new MqttClient(() => raw('10.0.0.10'), { protocolVersion: 4, clientId: 'flooder', reconnectPeriod: 0 })
    await once(flooder, 'connect')
    const gone = new Promise<void>((resolve) => flooder.once('close', () => resolve()))
    // 20 messages a second are allowed to a client that is not a device, 200 at once: this is far more.
    for (let i = 0; i < 1000; i++) flooder.publish('sandbox/flood', 'x', { qos: 0 })
    await gone
    expect(alerts.find((a) => a.type === 'publish-flood')).toMatchObject({ clientId: 'flooder', address: '10.0.0.10' })
    const back = new MqttClient(() => raw('10.0.0.11'), { protocolVersion: 4, clientId: 'flooder', reconnectPeriod: 0 })
    const [refusal] = (await once(back, 'error')) as [Error & { code?: number }]
    expect(refusal.code).toBe(5)
    back.end(true)
  })

  // node's duplexPair corrupted such a burst after ~100 publishes (src/simulation/stream-pair.ts).
  it('takes a burst from one in-memory client intact: 190 publishes at once, no parse error', async () => {
    const burst = new MqttClient(() => raw('10.0.0.12'), {
      protocolVersion: 4,
      clientId: 'burst',
      username: 'root',
      password: 'admin-secret',
      reconnectPeriod: 0,
    })
    await once(burst, 'connect')
    // Under the 200 a client that is not a device may send at once, so the burst is not a flood.
    for (let i = 0; i < 190; i++) burst.publish('hospital/icu/bedside-monitor/mon-02/status', `{"state":"online"}`, { qos: (i % 2) as 0 | 1 })
    await until(() => of('publish', '10.0.0.12').length === 190)
    expect(of('protocol-error', '10.0.0.12')).toEqual([])
    burst.end(true)
  })

  // MQTT 3.1.1 §3.1.4: a client need not wait for CONNACK. Aedes 1.2 handled a SUBSCRIBE read
  // between preConnect and authentication as if from a client without identity, and dropped it.
  it('serves a SUBSCRIBE that arrives before the CONNACK once the client is authenticated', async () => {
    const stream = raw('10.0.0.13')
    const replies: Buffer[] = []
    stream.on('data', (chunk: Buffer) => replies.push(chunk))
    lab.signals.on((signal) => {
      if (signal.type === 'connect-attempt' && signal.address === '10.0.0.13')
        stream.write(generate({ cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: 'sandbox/#', qos: 0 }] }))
    })
    stream.write(connect('eager'))
    await until(() => of('subscribed', '10.0.0.13').length === 1)
    expect(of('connection-closed', '10.0.0.13')).toEqual([])
    // CONNACK 0, then SUBACK for message id 7 granting QoS 0.
    await until(() => Buffer.concat(replies).includes(Buffer.from([0x90, 0x03, 0x00, 0x07, 0x00])))
    stream.destroy()
  })
})
