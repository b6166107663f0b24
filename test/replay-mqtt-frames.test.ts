import { generate } from 'mqtt-packet'
import { describe, expect, it } from 'vitest'
import { splitMqttStream } from '../src/capture/mqtt-frames.ts'
import { summarizeFrames } from '../src/capture/mqtt-summary.ts'

const connect = generate({
  cmd: 'connect',
  protocolId: 'MQTT',
  protocolVersion: 4,
  clientId: 'slowiteslowitesl33',
  keepalive: 65535,
  clean: true,
  username: 'user',
  password: Buffer.from('123456'),
})
const subscribe = generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$SYS/#', qos: 0 }] })
const publish = generate({
  cmd: 'publish',
  topic: 'hospital/icu/infusion-pump/pump-01/telemetry',
  payload: Buffer.alloc(300, 0x41), // 300 bytes: the remaining length needs two bytes
  qos: 1,
  messageId: 7,
  retain: true,
  dup: false,
})
const pingreq = generate({ cmd: 'pingreq' })

/** A 3.1.1 CONNECT built by hand, for flag combinations mqtt-packet refuses to generate. */
function rawConnect(connectFlags: number, clientId: string, trailer: Buffer = Buffer.alloc(0)): Buffer {
  const str = (s: string) => Buffer.concat([Buffer.from([0, Buffer.byteLength(s)]), Buffer.from(s)])
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, connectFlags, 0, 60]), str(clientId), trailer])
  return Buffer.concat([Buffer.from([0x10, body.length]), body])
}

describe('MQTT stream splitting', () => {
  it('frames packets by their remaining length and describes each', () => {
    const stream = Buffer.concat([connect, subscribe, publish, pingreq])
    const frames = splitMqttStream(stream)
    expect(frames.map((f) => [f.type, f.offset, f.length])).toEqual([
      ['connect', 0, connect.length],
      ['subscribe', connect.length, subscribe.length],
      ['publish', connect.length + subscribe.length, publish.length],
      ['pingreq', stream.length - 2, 2],
    ])
    expect(frames[0]).toMatchObject({
      clientId: 'slowiteslowitesl33',
      keepalive: 65535,
      usernameFlag: true,
      username: 'user',
      passwordFlag: true,
      cleanSession: true,
      protocolVersion: 4,
    })
    expect(frames[0]).not.toHaveProperty('password')
    expect(frames[1]).toMatchObject({ topicFilters: ['$SYS/#'], messageId: 1 })
    expect(frames[2]).toMatchObject({ qos: 1, retain: true, dup: false, messageId: 7, payloadLength: 300 })
    expect(frames[2]).toHaveProperty('topic', 'hospital/icu/infusion-pump/pump-01/telemetry')
  })

  it('reports a bad packet as malformed and goes on framing the packets after it', () => {
    const pubrelWithWrongFlags = Buffer.from([0x60, 0x02, 0x00, 0x01]) // §2.2.2: PUBREL flags must be 0010
    const reservedType = Buffer.from([0xf0, 0x00]) // type 15 is reserved in 3.1.1
    const badProtocolName = rawConnect(0x02, 'x').fill(0x51, 4, 8) // "QQQQ" instead of "MQTT"
    const frames = splitMqttStream(Buffer.concat([connect, pubrelWithWrongFlags, reservedType, badProtocolName, pingreq]))
    expect(frames.map((f) => f.type)).toEqual(['connect', 'malformed', 'malformed', 'malformed', 'pingreq'])
    expect(frames[1]).toMatchObject({ reason: expect.stringContaining('header flag') })
    expect(frames[3]).toMatchObject({ reason: 'Invalid protocolId' })
  })

  it('parses the packets after an MQTT 5 CONNECT as MQTT 5, properties and all', () => {
    const v5 = { protocolVersion: 5 }
    const connect5 = generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'mon-01', keepalive: 30, clean: true }, v5)
    const publish5 = generate(
      {
        cmd: 'publish',
        topic: 'hospital/icu/bedside-monitor/mon-01/telemetry',
        payload: '{}',
        qos: 0,
        retain: false,
        dup: false,
        properties: { contentType: 'application/json' },
      },
      v5,
    )
    const frames = splitMqttStream(Buffer.concat([connect5, publish5]))
    expect(frames.map((f) => f.type)).toEqual(['connect', 'publish'])
    expect(frames[1]).toMatchObject({ payloadLength: 2, topic: 'hospital/icu/bedside-monitor/mon-01/telemetry' })
  })

  it('gives up framing at a remaining length longer than four bytes (§2.2.3)', () => {
    const frames = splitMqttStream(Buffer.concat([pingreq, Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f]), pingreq]))
    expect(frames).toEqual([
      expect.objectContaining({ type: 'pingreq' }),
      { type: 'malformed', offset: 2, length: 8, reason: 'remaining length exceeds four bytes' },
    ])
  })

  it('marks a stream that ends inside a packet as truncated', () => {
    expect(splitMqttStream(Buffer.concat([pingreq, publish.subarray(0, 40)])).at(-1)).toEqual({
      type: 'truncated',
      offset: 2,
      length: 40,
      expectedLength: publish.length,
    })
    expect(splitMqttStream(publish.subarray(0, 2)).at(-1)).toMatchObject({ type: 'truncated', expectedLength: null })
    expect(splitMqttStream(Buffer.alloc(0))).toEqual([])
  })
})

describe('MQTT stream summary', () => {
  it('counts packets, connects and publishes', () => {
    const summary = summarizeFrames(splitMqttStream(Buffer.concat([connect, subscribe, publish, publish, pingreq])))
    expect(summary).toMatchObject({
      packets: 5,
      byType: { connect: 1, subscribe: 1, publish: 2, pingreq: 1 },
      malformed: 0,
      truncatedBytes: 0,
      violations: [],
      publishPayloadBytes: 600,
      maxPublishPayload: 300,
      publishesByQos: [0, 2, 0],
      topics: ['hospital/icu/infusion-pump/pump-01/telemetry'],
    })
    expect(summary.connects).toEqual([
      {
        clientId: 'slowiteslowitesl33',
        keepalive: 65535,
        usernameFlag: true,
        username: 'user',
        passwordFlag: true,
        protocolVersion: 4,
        cleanSession: true,
      },
    ])
  })

  it('names the MQTT 3.1.1 rule each client packet breaks', () => {
    const publishFirst = generate({ cmd: 'publish', topic: 'Temperature', payload: '21', qos: 0, retain: false, dup: false })
    const wildcardPublish = generate({ cmd: 'publish', topic: 'hospital/#', payload: 'x', qos: 0, retain: false, dup: false })
    const idZero = generate({ cmd: 'publish', topic: 'a', payload: 'x', qos: 1, messageId: 0, retain: false, dup: false })
    const connack = generate({ cmd: 'connack', returnCode: 0, sessionPresent: false })
    const passwordOnly = rawConnect(0x40 | 0x02, 'pump-01', Buffer.from([0, 2, 0x70, 0x77]))
    const emptyIdPersistent = rawConnect(0x00, '')
    const summary = summarizeFrames(splitMqttStream(Buffer.concat([publishFirst, passwordOnly, emptyIdPersistent, wildcardPublish, idZero, connack])))
    expect(summary.violations.map((v) => v.rule)).toEqual([
      'MQTT-3.1.0-1',
      'MQTT-3.1.2-22',
      'MQTT-3.1.0-2',
      'MQTT-3.1.3-8',
      'MQTT-3.3.2-2',
      'MQTT-2.3.1-1',
      'MQTT-2.2.1',
    ])
    expect(summary.violations[0]).toMatchObject({ offset: 0, detail: 'first packet is PUBLISH, not CONNECT' })
  })

  it('lists each malformed reason once', () => {
    const bad = Buffer.from([0x60, 0x02, 0x00, 0x01])
    const summary = summarizeFrames(splitMqttStream(Buffer.concat([connect, bad, bad, publish.subarray(0, 10)])))
    expect(summary.malformed).toBe(2)
    expect(summary.malformedReasons).toHaveLength(1)
    expect(summary.truncatedBytes).toBe(10)
  })
})
