import { Writable } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { MqttClient } from 'mqtt'
import type { Lab } from '../src/lab/lab.ts'
import { openInProcessStream } from '../src/simulation/connector.ts'
import { createLogger } from '../src/util/log.ts'
import { closed, connectAs, connectDevice, startTestLab } from './support/lab.ts'
import { MON_01_TELEMETRY, keepPublishing, range, seqsOn, until } from './support/reliability.ts'

const RATE = 200
const FLOOD = 600

function capturedLog(lines: string[]) {
  return createLogger({
    level: 'warn',
    destination: new Writable({
      write: (chunk, _encoding, done) => {
        lines.push(chunk.toString())
        done()
      },
    }),
  })
}

/** An MQTT client over an in-memory connection from `address`, as many as the test likes without sockets. */
function clientFrom(lab: Lab, address: string, clientId: string): MqttClient {
  return new MqttClient(() => openInProcessStream((s) => lab.handleConnection(s), address), { protocolVersion: 4, clientId, reconnectPeriod: 0 })
}

describe('overload: the broker sheds load as configured and says so', () => {
  const labs: Lab[] = []
  afterAll(async () => {
    for (const lab of labs) await lab.stop()
  })

  it(`throttles a client over ${RATE} messages/s without losing its messages or slowing anyone else`, async () => {
    const log: string[] = []
    const lab = await startTestLab('lab', undefined, {
      log: capturedLog(log),
      security: { publishRateLimit: { messagesPerSecond: RATE, burstSeconds: 0.5, action: 'throttle' } },
    })
    labs.push(lab)
    const watcher = await connectAs(lab, { clientId: 'overload-watcher' })
    await watcher.subscribeAsync('sandbox/flood', { qos: 0 })
    await watcher.subscribeAsync(MON_01_TELEMETRY, { qos: 1 })
    const flooded: number[] = []
    watcher.on('message', (topic) => topic === 'sandbox/flood' && flooded.push(performance.now()))
    const deviceSeqs = seqsOn(watcher, MON_01_TELEMETRY)
    const device = await connectDevice(lab, 'mon-01')

    const flooder = await connectAs(lab, { clientId: 'flooder' })
    const publisher = keepPublishing(device, 5)
    const started = performance.now()
    for (let i = 0; i < FLOOD; i++) flooder.publish('sandbox/flood', `m${i}`, { qos: 0 })
    await until(() => flooded.length === FLOOD, 15_000, 'every throttled message arriving')
    const seconds = (flooded.at(-1)! - started) / 1000
    const sent = await publisher.stop()
    await until(() => deviceSeqs.length >= sent, 5000, 'the device’s messages arriving')

    // Throttled to the rate after the 0.5 s burst allowance: 600 messages take about (600 − 100) / 200 s.
    expect(seconds).toBeGreaterThan(((FLOOD - RATE * 0.5) / RATE) * 0.9)
    expect(flooder.connected).toBe(true)
    // The device on its own allowance was not held back, and lost nothing.
    expect(deviceSeqs).toEqual(range(sent))
    // Reported per episode, not per message: signal, log line, metric. One burst is one episode,
    // or two when a starved CPU lets the bucket refill mid-burst (seen on a loaded CI machine).
    const episodes = lab.shedding.counts.get('throttle') ?? 0
    expect(episodes).toBeGreaterThanOrEqual(1)
    expect(episodes).toBeLessThanOrEqual(2)
    expect(lab.signals.counts.get('load-shed')).toBe(episodes)
    expect(log.some((line) => line.includes(`load shed (throttle): flooder published over ${RATE} messages/s`))).toBe(true)
    expect(await lab.metrics.text()).toContain(`wardlab_broker_load_shed_total{action="throttle"} ${episodes}`)
    await Promise.all([watcher.endAsync(), device.endAsync(), flooder.endAsync()])
  })

  it('disconnects a client over its rate when configured to, and refuses connections over the per-address limit', async () => {
    const log: string[] = []
    const lab = await startTestLab('lab', undefined, {
      log: capturedLog(log),
      security: { publishRateLimit: { messagesPerSecond: RATE, burstSeconds: 1, action: 'disconnect' }, maxConnectionsPerAddress: 5 },
    })
    labs.push(lab)
    const flooder = await connectAs(lab, { clientId: 'flooder' })
    for (let i = 0; i < FLOOD; i++) flooder.publish('sandbox/flood', `m${i}`, { qos: 0 })
    await closed(flooder)
    expect(lab.shedding.counts.get('disconnect')).toBe(1)
    expect(log.some((line) => line.includes('load shed (disconnect): flooder'))).toBe(true)
    expect(await lab.metrics.text()).toContain('wardlab_broker_load_shed_total{action="disconnect"} 1')

    // Five connections from one address are let in; the sixth gets CONNACK 5 (src/broker/hooks/pre-connect.ts).
    const crowd: MqttClient[] = []
    const outcomes: string[] = []
    for (let i = 0; i < 6; i++) {
      const client = clientFrom(lab, '198.51.100.7', `crowd-${i}`)
      crowd.push(client)
      outcomes.push(
        await new Promise<string>((resolve) =>
          client.once('connect', () => resolve('connected')).once('error', (err) => resolve((err as { code?: number }).code === 5 ? 'refused' : err.message)),
        ),
      )
    }
    expect(outcomes.filter((o) => o === 'connected')).toHaveLength(5)
    expect(outcomes.filter((o) => o === 'refused')).toHaveLength(1)
    expect(lab.signals.counts.get('connect-refused')).toBe(1)
    for (const client of crowd) client.end(true)
  })
})
