import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectAsync, type IPublishPacket, type MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deviceKind } from '../devices/index.ts'
import type { Lab } from '../src/lab/lab.ts'
import { hashPassword } from '../src/registry/passwords.ts'
import { createSimClock, type PacedClock } from '../src/simulation/clock.ts'
import { urlConnector } from '../src/simulation/connector.ts'
import { SimulatedDevice } from '../src/simulation/device-runner.ts'
import { silentLogger } from '../src/util/log.ts'
import { runWardlab, spawnWardlab } from './support/cli.ts'
import { PASSWORDS, connectAs, startTestLab, testRegistry, urlOf } from './support/lab.ts'
import { until } from './support/reliability.ts'

const PUMP = { id: 'pump-v5', kind: 'infusion-pump', ward: 'icu', bed: 'icu-01', patient: 'pt-01', options: { bedsideCare: false }, simulated: true }
const PUMP_TOPIC = 'hospital/icu/infusion-pump/pump-v5'
const PUMP_PASSWORD = 'pump-v5-secret'

interface Received {
  topic: string
  payload: string
  properties: IPublishPacket['properties']
}

function collect(client: MqttClient): Received[] {
  const seen: Received[] = []
  client.on('message', (topic, payload, packet) => seen.push({ topic, payload: payload.toString(), properties: packet.properties }))
  return seen
}

const command = (body: object, properties: IPublishPacket['properties'] = {}) => ({ payload: JSON.stringify(body), options: { qos: 1 as const, properties } })

describe('a simulated MQTT 5 device asked for a reply', () => {
  let lab: Lab
  let clock: PacedClock
  let device: SimulatedDevice
  let admin: MqttClient
  let seen: Received[]

  beforeAll(async () => {
    const registry = await testRegistry()
    lab = await startTestLab('lab', { ...registry, devices: [...registry.devices, { ...PUMP, passwordHash: await hashPassword(PUMP_PASSWORD) }] })
    clock = createSimClock({ start: Date.now(), speed: 1 })
    device = new SimulatedDevice({
      entry: { ...PUMP, passwordHash: '' },
      kind: deviceKind('infusion-pump')!,
      patient: null,
      seed: 'reply',
      clock,
      connector: urlConnector(urlOf(lab)),
      password: PUMP_PASSWORD,
      log: silentLogger,
      mqttVersion: '5',
    })
    device.start()
    // The admin asks: its replies arrive under its own reply/root/, and it also watches the pump's event channel.
    admin = await connectAs(lab, { protocolVersion: 5, clientId: 'root-console', username: 'root', password: PASSWORDS.root })
    seen = collect(admin)
    await admin.subscribeAsync(['reply/root/#', `${PUMP_TOPIC}/event`], { qos: 1 })
    await until(() => device.connected && lab.broker.connectedClients === 2, 10_000, 'the pump connected')
  })

  afterAll(async () => {
    await admin?.endAsync()
    await device?.stop()
    clock?.stop()
    await lab?.stop()
  })

  it('answers on the response topic with the event-channel ack, its correlation data and a JSON content type', async () => {
    const correlation = Buffer.from([0x00, 0xff, 0x10, 0x42])
    const { payload, options } = command({ id: 'c-ok', action: 'change-rate', rate: 6 }, { responseTopic: 'reply/root/c-ok', correlationData: correlation })
    await admin.publishAsync(`${PUMP_TOPIC}/cmd`, payload, options)
    const ackOf = (m: Received) => m.topic === `${PUMP_TOPIC}/event` && JSON.parse(m.payload).data.commandId === 'c-ok'
    await until(() => seen.some((m) => m.topic === 'reply/root/c-ok') && seen.some(ackOf), 5000, 'the reply and the event ack')
    const replies = seen.filter((m) => m.topic === 'reply/root/c-ok')
    // The pump also reports its status change on `event`; only the acknowledgement answers the request.
    expect(seen.filter((m) => m.topic === `${PUMP_TOPIC}/event`).length).toBeGreaterThan(1)
    expect(replies).toHaveLength(1)
    const reply = replies[0]!
    expect(reply.payload).toBe(seen.find(ackOf)!.payload)
    expect(JSON.parse(reply.payload)).toMatchObject({
      deviceId: 'pump-v5',
      data: { type: 'command-ack', commandId: 'c-ok', action: 'change-rate', accepted: true },
    })
    expect(reply.properties?.correlationData).toEqual(correlation)
    expect(reply.properties?.contentType).toBe('application/json')
    // The event-channel ack reached the pipeline as before: the reply did not, it is not a device message.
    expect(lab.pipeline.counters.quarantined).toBe(0)
  })

  it('answers an invalid command there too, refused with the reason, and without correlation data when none was sent', async () => {
    const { payload, options } = command({ id: 'c-bad', action: 'explode' }, { responseTopic: 'reply/root/c-bad' })
    await admin.publishAsync(`${PUMP_TOPIC}/cmd`, payload, options)
    await until(() => seen.some((m) => m.topic === 'reply/root/c-bad'), 5000, 'the refusal')
    const reply = seen.find((m) => m.topic === 'reply/root/c-bad')!
    expect(JSON.parse(reply.payload).data).toMatchObject({
      type: 'command-ack',
      commandId: 'c-bad',
      accepted: false,
      reason: expect.stringMatching(/^invalid command/),
    })
    expect(reply.properties?.correlationData).toBeUndefined()
    expect(reply.properties?.contentType).toBe('application/json')
  })

  it('acknowledges a command without a response topic on its event channel only', async () => {
    const replies = device.counters.replies
    const { payload, options } = command({ id: 'c-plain', action: 'change-rate', rate: 5 })
    await admin.publishAsync(`${PUMP_TOPIC}/cmd`, payload, options)
    await until(() => seen.some((m) => m.topic.endsWith('/event') && JSON.parse(m.payload).data.commandId === 'c-plain'), 5000, 'the event ack')
    expect(device.counters.replies).toBe(replies)
    expect(device.connected).toBe(true)
  })
})

describe('wardlab start --mqtt-version 5, end to end', () => {
  it("has the ward's pump answer an operator's MQTT 5 command in the operator's reply namespace", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wardlab-reply-'))
    const added = await runWardlab(['user', 'add', '--username', 'charge-nurse', '--role', 'operator', '--data-dir', dataDir])
    expect(added.code).toBe(0)
    const password = added.stdout.match(/password \(shown once\): (\S+)/)![1]!
    // The default ward's first two devices: mon-icu-01 and pump-icu-01.
    const cli = spawnWardlab(['start', '--mqtt-version', '5', '--devices', '2', '--port', '0', '--ws-port', '0', '--http-port', '0', '--data-dir', dataDir])
    let operator: MqttClient | null = null
    try {
      const [url] = await cli.waitFor(/mqtt:\/\/127\.0\.0\.1:\d+/)
      await cli.waitFor(/"msg":"wardlab started"/)
      operator = await connectAsync(url, { protocolVersion: 5, clientId: 'charge-nurse', username: 'charge-nurse', password, reconnectPeriod: 0 })
      const seen = collect(operator)
      await operator.subscribeAsync(['reply/charge-nurse/#', 'hospital/icu/infusion-pump/pump-icu-01/status'], { qos: 1 })
      await until(() => seen.some((m) => m.topic.endsWith('/status') && JSON.parse(m.payload).state === 'online'), 20_000, 'the pump online')
      const { payload, options } = command(
        { id: 'e2e-1', action: 'change-rate', rate: 6 },
        { responseTopic: 'reply/charge-nurse/e2e-1', correlationData: Buffer.from('e2e-1') },
      )
      await operator.publishAsync('hospital/icu/infusion-pump/pump-icu-01/cmd', payload, options)
      await until(() => seen.some((m) => m.topic === 'reply/charge-nurse/e2e-1'), 10_000, 'the reply')
      const reply = seen.find((m) => m.topic === 'reply/charge-nurse/e2e-1')!
      expect(JSON.parse(reply.payload)).toMatchObject({ deviceId: 'pump-icu-01', data: { type: 'command-ack', commandId: 'e2e-1' } })
      expect(reply.properties?.correlationData?.toString()).toBe('e2e-1')
    } finally {
      await operator?.endAsync()
      cli.child.kill('SIGINT')
    }
    expect(await cli.exited).toBe(0)
  }, 60_000)
})
