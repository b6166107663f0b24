import { connect } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Lab } from '../src/lab/lab.ts'
import { until } from '../src/util/until.ts'
import { OBSERVER, connectAs, connectDevice, envelope, nextMessage, startTestLab, urlOf } from './support/lab.ts'
import { startRedis, type RedisServer } from './support/redis.ts'

let redis: RedisServer
let nodeA: Lab
let nodeB: Lab

beforeAll(async () => {
  redis = await startRedis()
  nodeA = await startTestLab('lab', undefined, { cluster: { url: redis.url, nodeId: 'node-a' } })
  nodeB = await startTestLab('lab', undefined, { cluster: { url: redis.url, nodeId: 'node-b' } })
})

afterAll(async () => {
  await nodeA?.stop()
  await nodeB?.stop()
  await redis?.stop()
})

describe('two broker nodes on one Redis', () => {
  it("delivers a device's message on node A to an observer on node B, and runs the pipeline once, on A", async () => {
    const observer = await connectAs(nodeB, { clientId: 'obs-b' })
    await observer.subscribeAsync('hospital/#', { qos: 1 })
    const device = await connectDevice(nodeA, 'mon-01')
    const arrived = nextMessage(observer, (topic) => topic === 'hospital/icu/bedside-monitor/mon-01/telemetry')
    await device.publishAsync('hospital/icu/bedside-monitor/mon-01/telemetry', envelope('mon-01', 1), { qos: 1 })
    expect(JSON.parse((await arrived).payload.toString()).deviceId).toBe('mon-01')
    await device.endAsync()
    await observer.endAsync()
    expect(nodeA.pipeline.counters.received).toBe(1)
    // The message reached B through Redis pub/sub: Aedes emits 'publish' only where it entered.
    expect(nodeB.pipeline.counters.received).toBe(0)
  })

  it("relays node A's pipeline outputs to node B without B processing them again", async () => {
    const observer = await connectAs(nodeB, { clientId: 'obs-b-derived' })
    await observer.subscribeAsync('derived/#', { qos: 1 })
    const before = nodeB.pipeline.counters.received
    const output = nextMessage(observer, (topic) => topic.startsWith('derived/news2-score/'))
    nodeA.publishAsBroker('derived/news2-score/icu/pt-01', Buffer.from(JSON.stringify({ score: 3 })))
    expect((await output).topic).toBe('derived/news2-score/icu/pt-01')
    await observer.endAsync()
    expect(nodeB.pipeline.counters.received).toBe(before)
  })

  it('keeps retained messages in Redis, where a subscriber on the other node finds them', async () => {
    const operator = await connectAs(nodeA, { clientId: 'op-a', username: 'nurse-op', password: 'operator-secret' })
    await operator.publishAsync('noticeboard/icu', 'ward round at 10:00', { qos: 1, retain: true })
    await operator.endAsync()
    const observer = await connectAs(nodeB, { clientId: 'obs-b-retained' })
    const retained = nextMessage(observer, (topic) => topic === 'noticeboard/icu')
    await observer.subscribeAsync('noticeboard/#', { qos: 1 })
    expect((await retained).payload.toString()).toBe('ward round at 10:00')
    await observer.endAsync()
  })

  it('moves a persistent session to the other node: QoS 1 messages published while it was away arrive on B, after the CONNACK, once each, in order', async () => {
    const first = await connectAs(nodeA, { clientId: 'obs-persistent', ...OBSERVER, clean: false })
    await first.subscribeAsync('hospital/icu/bedside-monitor/mon-02/#', { qos: 1 })
    await first.endAsync()
    const device = await connectDevice(nodeB, 'mon-02')
    for (let seq = 1; seq <= 20; seq++) await device.publishAsync('hospital/icu/bedside-monitor/mon-02/telemetry', envelope('mon-02', seq), { qos: 1 })
    await device.endAsync()
    // Aedes acknowledges a publish before routing it, so some of the 20 are still on their way
    // through Redis pub/sub when the subscriber comes back: they reach its restored subscription
    // as well as its stored queue (src/broker/session-resume.ts).
    const received: string[] = []
    const seqs: number[] = []
    const again = connect(urlOf(nodeB), { protocolVersion: 4, clientId: 'obs-persistent', ...OBSERVER, clean: false, reconnectPeriod: 0 })
    again.on('packetreceive', (packet) => received.push(packet.cmd))
    again.on('message', (_topic, payload) => seqs.push(JSON.parse(payload.toString()).seq))
    await until(() => seqs.length >= 20, 5000)
    await again.endAsync()
    expect(received[0]).toBe('connack')
    // None was in flight when the first connection ended, so none may come twice (MQTT 3.1.1 §4.6: in order).
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
  })

  it("delivers a resumed session's whole queue, past the 1,000 that aedes-persistence-redis replays by default", async () => {
    const away = await connectAs(nodeA, { clientId: 'obs-backlog', ...OBSERVER, clean: false })
    await away.subscribeAsync('noticeboard/backlog', { qos: 1 })
    await away.endAsync()
    const operator = await connectAs(nodeA, { clientId: 'backlog-op', username: 'nurse-op', password: 'operator-secret' })
    await Promise.all(Array.from({ length: 1_500 }, (_, i) => operator.publishAsync('noticeboard/backlog', String(i), { qos: 1 })))
    await operator.endAsync()
    const received: number[] = []
    const back = connect(urlOf(nodeB), { protocolVersion: 4, clientId: 'obs-backlog', ...OBSERVER, clean: false, reconnectPeriod: 0 })
    back.on('message', (_topic, payload) => received.push(Number(payload.toString())))
    await until(() => received.length >= 1_500, 15_000).catch(() => undefined)
    await back.endAsync()
    expect(received.length).toBe(1_500)
    expect(new Set(received).size).toBe(1_500)
  })
})
