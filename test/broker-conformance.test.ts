import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generate, type IConnectPacket } from 'mqtt-packet'
import type { Lab } from '../src/lab/lab.ts'
import type { SecuritySignal } from '../src/security/signals.ts'
import { connectAs, startTestLab } from './support/lab.ts'
import { exchange, rawInProcess, rawSession, tcpSocketFrom } from './support/raw-mqtt.ts'

const CONNACK_ACCEPTED = [0x20, 0x02, 0x00, 0x00]

function connect(fields: Partial<IConnectPacket> = {}, protocolVersion: 4 | 5 = 4): Buffer {
  return generate(
    { cmd: 'connect', protocolId: 'MQTT', protocolVersion, clean: true, clientId: `probe-${Math.random().toString(36).slice(2)}`, keepalive: 30, ...fields },
    { protocolVersion },
  )
}

/** A CONNECT with Will QoS 3, which mqtt-packet will not generate: made with QoS 1, then both QoS bits set (§3.1.2.3, the flags byte after the protocol level). */
function willQos3(protocolVersion: 4 | 5): Buffer {
  const packet = connect({ will: { topic: 'sandbox/will', payload: Buffer.from('gone'), qos: 1, retain: false } }, protocolVersion)
  packet[9] = packet[9]! | 0x18
  return packet
}

/** The `protocol-error` signals whose rule mentions `clause`. */
function violationsOf(signals: SecuritySignal[], clause: string): SecuritySignal[] {
  return signals.filter((s) => s.type === 'protocol-error' && s.error.includes(clause))
}

describe('MQTT rules Aedes 2 leaves open, enforced in the hooks', () => {
  let lab: Lab
  let strict: Lab
  const seen: SecuritySignal[] = []
  beforeAll(async () => {
    lab = await startTestLab('lab')
    strict = await startTestLab('strict')
    lab.signals.on((signal) => seen.push({ ...signal }))
    strict.signals.on((signal) => seen.push({ ...signal }))
  })
  afterAll(async () => {
    await lab?.stop()
    await strict?.stop()
  })

  it('MQTT-3.1.2-2: an unsupported protocol level gets CONNACK 0x01, then the connection closes (over TCP)', async () => {
    const packet = connect()
    packet[8] = 6 // the protocol level, after the fixed header and "MQTT"
    const socket = rawSession(await tcpSocketFrom(lab))
    const errorsBefore = lab.signals.counts.get('protocol-error') ?? 0
    socket.write(packet)
    expect([...(await socket.closed)]).toEqual([0x20, 0x02, 0x00, 0x01])
    expect(lab.signals.counts.get('protocol-error')).toBe(errorsBefore + 1)
  })

  it('MQTT-3.1.2-14: a will with QoS 3 is refused — 3.1.1 closed with no CONNACK, MQTT 5 CONNACK 0x81', async () => {
    expect([...(await exchange(lab, willQos3(4)))]).toEqual([])
    expect([...(await exchange(lab, willQos3(5)))]).toEqual([0x20, 0x03, 0x00, 0x81, 0x00])
    expect(violationsOf(seen, 'MQTT-3.1.2-14')).toHaveLength(2)
    expect(lab.broker.connectedClients).toBe(0)
  })

  it('MQTT-4.7.1-1: a wildcard in the will topic is refused — 3.1.1 closed with no CONNACK, MQTT 5 CONNACK 0x90', async () => {
    for (const topic of ['sandbox/#', 'sandbox/+/will']) {
      expect([...(await exchange(lab, connect({ will: { topic, payload: Buffer.from('x'), qos: 1, retain: false } })))]).toEqual([])
    }
    expect([...(await exchange(lab, connect({ will: { topic: 'sandbox/#', payload: Buffer.from('x'), qos: 0, retain: false } }, 5)))]).toEqual([
      0x20, 0x03, 0x00, 0x90, 0x00,
    ])
    expect(violationsOf(seen, 'MQTT-4.7.1-1')).toHaveLength(3)
    // A lawful will is still taken.
    const lawful = rawInProcess(lab, 'lawful-will')
    lawful.write(connect({ will: { topic: 'sandbox/will', payload: Buffer.from('x'), qos: 1, retain: false } }))
    expect([...(await lawful.receivedAtLeast(4))]).toEqual(CONNACK_ACCEPTED)
  })

  it('MQTT-2.3.1-1: PUBLISH QoS 1, SUBSCRIBE and UNSUBSCRIBE with packet identifier 0 close the connection, with no acknowledgement', async () => {
    const packets = {
      PUBLISH: generate({ cmd: 'publish', topic: 'sandbox/x', payload: Buffer.from('x'), qos: 1, messageId: 0, retain: false, dup: false }),
      SUBSCRIBE: generate({ cmd: 'subscribe', messageId: 0, subscriptions: [{ topic: 'sandbox/x', qos: 0 }] }),
      UNSUBSCRIBE: generate({ cmd: 'unsubscribe', messageId: 0, unsubscriptions: ['sandbox/x'] }),
    }
    for (const [name, packet] of Object.entries(packets)) {
      const session = rawInProcess(lab, `zero-id-${name}`)
      session.write(connect())
      await session.receivedAtLeast(4)
      session.write(packet)
      expect([...(await session.closed)], name).toEqual(CONNACK_ACCEPTED)
    }
    expect(violationsOf(seen, 'MQTT-2.3.1-1').map((s) => (s as { error: string }).error)).toEqual([
      'PUBLISH QoS 1 with packet identifier 0 (MQTT-2.3.1-1)',
      'SUBSCRIBE with packet identifier 0 (MQTT-2.3.1-1)',
      'UNSUBSCRIBE with packet identifier 0 (MQTT-2.3.1-1)',
    ])
  })

  it('MQTT-3.10.3-2: an UNSUBSCRIBE with no topic filter closes the connection; an MQTT 5 client is told DISCONNECT 0x82 first', async () => {
    const empty = Buffer.from([0xa2, 0x02, 0x00, 0x05]) // UNSUBSCRIBE, packet identifier 5, no payload
    const v311 = rawInProcess(lab, 'empty-unsubscribe-311')
    v311.write(connect())
    await v311.receivedAtLeast(4)
    v311.write(empty)
    expect([...(await v311.closed)]).toEqual(CONNACK_ACCEPTED)

    const v5 = rawInProcess(lab, 'empty-unsubscribe-5')
    v5.write(connect({}, 5))
    const connack = await v5.receivedAtLeast(2)
    v5.write(Buffer.from([0xa2, 0x03, 0x00, 0x05, 0x00])) // MQTT 5: packet identifier, empty properties, no payload
    const disconnect = (await v5.closed).subarray(connack.length)
    expect([disconnect[0], disconnect[2]]).toEqual([0xe0, 0x82]) // DISCONNECT, reason code 0x82 Protocol Error
    expect(violationsOf(seen, 'MQTT-3.10.3-2')).toHaveLength(2)
    // Every violation above is one for the malformed-packet detector too.
    expect(lab.monitor.alertCounts.get('malformed-packet')).toBeGreaterThanOrEqual(1)
  })

  it('strict: a 3.1.1 keep-alive of 0 or over 1,200 s is refused with CONNACK 5, not the undefined 6; MQTT 5 is told the server keep-alive', async () => {
    const credentials = { username: 'ward-obs', password: Buffer.from('observer-secret') }
    for (const keepalive of [0, 1201, 65535]) {
      expect([...(await exchange(strict, connect({ ...credentials, keepalive })))], `keep-alive ${keepalive}`).toEqual([0x20, 0x02, 0x00, 0x05])
    }
    expect(seen.filter((s) => s.type === 'connect-refused' && s.reason === 'keepalive-limit')).toHaveLength(3)
    // 1,200 s is still in, and an MQTT 5 client asking for none learns the limit in its CONNACK (§3.2.2.3.14).
    const within = await connectAs(strict, { clientId: 'obs-1200', username: 'ward-obs', password: 'observer-secret', keepalive: 1200 })
    await within.endAsync()
    const v5 = rawInProcess(strict, 'v5-no-keepalive')
    v5.write(connect({ ...credentials, clientId: 'obs-v5', keepalive: 0 }, 5))
    const connack = await v5.receivedAtLeast(5)
    expect(connack[3]).toBe(0x00) // reason code: success
    expect(connack.includes(Buffer.from([0x13, 0x04, 0xb0]))).toBe(true) // Server Keep Alive (0x13) = 1,200
  })
})
