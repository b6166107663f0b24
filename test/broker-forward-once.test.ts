import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { MqttClient } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import type { Lab } from '../src/lab/lab.ts'
import { PASSWORDS, connectAs, startTestLab } from './support/lab.ts'
import { until } from './support/reliability.ts'

/**
 * Aedes forwards a publish only if it was numbered after the last one a client got (aedes issues
 * #955, #994): a publish overtaken on its way through the broker vanished. src/broker/forward-once.ts.
 */
let lab: Lab | undefined

afterEach(async () => {
  await lab?.stop()
  lab = undefined
})

const publishAsBroker = (topic: string, payload: string, qos: 0 | 1) =>
  lab!.broker.publish({ cmd: 'publish', topic, payload, qos, retain: false, dup: false }, () => {})

function collect(client: MqttClient): string[] {
  const payloads: string[] = []
  client.on('message', (_topic, payload) => payloads.push(payload.toString()))
  return payloads
}

async function admin(options: { clean?: boolean; protocolVersion?: 4 | 5 } = {}): Promise<MqttClient> {
  return connectAs(lab!, { clientId: 'root-console', username: 'root', password: PASSWORDS.root, ...options })
}

describe('every publish reaches each subscriber once, in whatever order publishes reach it', () => {
  it.each([4, 5] as const)('a QoS 1 message overtaken by a QoS 0 one numbered after it still arrives (MQTT version %s)', async (protocolVersion) => {
    lab = await startTestLab('lab')
    const subscriber = await admin({ protocolVersion })
    await subscriber.subscribeAsync('lab/#', { qos: 1 })
    const received = collect(subscriber)
    // The QoS 1 publish is stored for persistent sessions before it is emitted; the QoS 0 one is emitted at once.
    publishAsBroker('lab/alarm', 'alarm', 1)
    publishAsBroker('lab/telemetry', 'telemetry', 0)
    await until(() => received.length === 2, 5000, 'both messages')
    expect(received.sort()).toEqual(['alarm', 'telemetry'])
  })

  it('300 QoS 1 messages to a persistent session stored on disk: every one arrives, once', async () => {
    lab = await startTestLab('lab', undefined, { persistenceDir: mkdtempSync(join(tmpdir(), 'wardlab-forward-once-')) })
    const subscriber = await admin({ clean: false })
    await subscriber.subscribeAsync('lab/#', { qos: 1 })
    const received = collect(subscriber)
    // Stores on disk finish in either order, so later numbers often reach the subscriber first.
    for (let i = 0; i < 300; i++) publishAsBroker(`lab/${i % 7}`, String(i), 1)
    await until(() => received.length >= 300, 10_000, '300 messages')
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(received.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i))
  })

  it('overlapping subscriptions still get one copy of each publish, as Aedes sends (MQTT 3.1.1 §3.3.5)', async () => {
    lab = await startTestLab('lab')
    const subscriber = await admin()
    await subscriber.subscribeAsync(['lab/#', 'lab/+', 'lab/ward'], { qos: 1 })
    const received = collect(subscriber)
    for (let i = 0; i < 20; i++) publishAsBroker('lab/ward', String(i), i % 2 === 0 ? 1 : 0)
    publishAsBroker('lab/end', 'end', 1)
    await until(() => received.includes('end'), 5000, 'the last message')
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(
      received
        .filter((p) => p !== 'end')
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual(Array.from({ length: 20 }, (_, i) => i))
  })
})
