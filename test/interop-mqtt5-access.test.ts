import { parser as packetParser, type Packet } from 'mqtt-packet'
import { connect, type MqttClient } from 'mqtt'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Lab } from '../src/lab/lab.ts'
import { PASSWORDS, connectAs, startTestLab, urlOf } from './support/lab.ts'
import { IMPLEMENTATIONS, VERSIONS, anonymous, as, pahoClient, run, stopClients, subscribed, type Outcome, type Version } from './support/mqtt-clients.ts'
import { monitorTelemetry, until } from './support/reliability.ts'

/**
 * Who may connect, publish and subscribe, as three real client implementations see it over MQTT 5
 * and MQTT 3.1.1 on the same listener: Debian's mosquitto clients, Eclipse Paho for Python and
 * mqtt.js (test/support/mqtt-clients.ts).
 */

const OWN = 'hospital/icu/bedside-monitor/mon-01/telemetry'
const OTHERS = 'hospital/icu/bedside-monitor/mon-02/telemetry'

/**
 * By protocol: CONNACK for a wrong password, for a client over the per-address connection limit
 * (MQTT 5 says why: 0x97 quota exceeded; 3.1.1 has only 5, not authorized), and for a zero-byte
 * client id with Clean Start 0 (MQTT 5 may accept it and assign an id, or refuse it with 0x85; no
 * client here sends it over 3.1.1, where MQTT-3.1.3-8 has it refused); SUBACK for a refused filter.
 */
const REFUSALS = VERSIONS.map((v) => ({
  ...v,
  badPassword: v.version === 5 ? 0x86 : 4,
  overLimit: v.version === 5 ? 0x97 : 5,
  emptyIdKept: v.version === 5 ? [0, 0x85] : null,
  deniedFilter: v.version === 5 ? 0x87 : 0x80,
}))

/**
 * How a refused PUBLISH (QoS 1) is answered, by profile and protocol: MQTT 5 can say it in the
 * PUBACK and keep the connection (lab), or with a DISCONNECT (strict); MQTT 3.1.1 has no way to
 * say it and the connection closes.
 */
const REFUSED: Record<'lab' | 'strict', Record<Version, Partial<Outcome>>> = {
  lab: { 5: { pubacks: [0x87], disconnect: null, closed: false }, 4: { pubacks: [], closed: true } },
  strict: { 5: { pubacks: [], disconnect: 0x87, closed: true }, 4: { pubacks: [], closed: true } },
}

const telemetry = monitorTelemetry()

/** Findings in the open topic-spoofing alerts raised for `clientId`. */
function spoofingFindings(lab: Lab, clientId: string): number {
  return lab.monitor.book
    .openAlerts()
    .filter((a) => a.type === 'topic-spoofing' && a.clientId === clientId)
    .reduce((n, a) => n + a.count, 0)
}

afterEach(stopClients)

describe.each(REFUSALS)('$label clients, lab profile', ({ version, badPassword, emptyIdKept, deniedFilter }) => {
  let lab: Lab
  beforeAll(async () => {
    lab = await startTestLab('lab')
  })
  afterAll(async () => lab?.stop())

  describe.each(IMPLEMENTATIONS)('$name', (client) => {
    it.each(client.transports)('publishes telemetry as its device; an anonymous observer over %s receives it; the pipeline validates it', async (kind) => {
      const valid = lab.pipeline.counters.valid
      const payload = telemetry()
      const watcherId = `watch-${client.name}-${kind}`
      const watcher = client.start(anonymous(lab, version, watcherId, { kind }), { subscribe: 'hospital/+/+/+/telemetry', expect: 1 })
      await subscribed(lab, watcherId)
      const device = await run(client, as(lab, version, 'mon-01'), { publish: [{ topic: OWN, payload, qos: 1 }] })
      expect(device).toMatchObject({ connack: 0, pubacks: [0], closed: false })
      const seen = await watcher.done
      expect(seen.messages).toEqual([expect.objectContaining({ topic: OWN, payload })])
      await until(() => lab.pipeline.counters.valid > valid, 3000, 'the pipeline validating the reading')
    })

    it(`is refused with CONNACK ${badPassword} for a wrong password`, async () => {
      const outcome = await run(client, as(lab, version, 'mon-01', { password: 'not-the-password' }), {
        publish: [{ topic: OWN, payload: telemetry(), qos: 1 }],
      })
      expect(outcome).toMatchObject({ connack: badPassword, pubacks: [] })
    })

    it(`gets SUBACK ${deniedFilter} subscribing to # as a device, and keeps its connection`, async () => {
      const outcome = await run(client, as(lab, version, 'mon-02'), { subscribe: '#' })
      expect(outcome).toMatchObject({ connack: 0, granted: [deniedFilter], closed: false })
    })
  })

  // mosquitto_sub and mqtt.js refuse to send this CONNECT; paho sends it over MQTT 5 only.
  if (emptyIdKept) {
    it(`answers a zero-byte client id with Clean Start 0 with a CONNACK paho can read (${emptyIdKept.join(' or ')})`, async () => {
      const outcome = await run(pahoClient, anonymous(lab, version, '', { clean: false, sessionExpiry: 30 }))
      expect(outcome.errors).toEqual([])
      expect(emptyIdKept).toContain(outcome.connack)
    })
  }
})

describe.each(REFUSALS)('$label clients refused before authentication (over the per-address connection limit)', ({ version, overLimit }) => {
  let lab: Lab
  let holder: MqttClient
  beforeAll(async () => {
    lab = await startTestLab('lab', undefined, { security: { maxConnectionsPerAddress: 1 } })
    holder = await connectAs(lab, { clientId: 'holder' })
  })
  afterAll(async () => {
    await holder?.endAsync()
    await lab?.stop()
  })

  it.each(IMPLEMENTATIONS)(`$name gets CONNACK ${overLimit}, in a form it can read`, async (client) => {
    const outcome = await run(client, anonymous(lab, version, `second-${client.name}`), { subscribe: 'hospital/#' })
    expect({ connack: outcome.connack, errors: outcome.errors }).toEqual({ connack: overLimit, errors: [] })
  })
})

describe.each(['lab', 'strict'] as const)("publishing on another device's topic, %s profile", (profile) => {
  let lab: Lab
  beforeAll(async () => {
    lab = await startTestLab(profile)
  })
  afterAll(async () => lab?.stop())

  describe.each(VERSIONS)('$label', ({ version }) => {
    const answer = REFUSED[profile][version]
    it.each(IMPLEMENTATIONS)(`$name is answered with ${JSON.stringify(answer)} and raises topic-spoofing`, async (client) => {
      const before = spoofingFindings(lab, 'mon-01')
      const outcome = await run(client, as(lab, version, 'mon-01'), { publish: [{ topic: OTHERS, payload: telemetry(), qos: 1 }] })
      expect(outcome).toMatchObject({ connack: 0, ...answer })
      expect(spoofingFindings(lab, 'mon-01')).toBe(before + 1)
    })
  })
})

/**
 * Aedes 2 reads a client's packets again once the CONNACK is out, but counts it connected only when
 * a resumed session's stored queue has been replayed; Client#disconnect sends the DISCONNECT only
 * to a connected client and otherwise just closes. A device that publishes as soon as it has its
 * CONNACK races that replay: here the replay is held open (three stored commands, Receive Maximum 1,
 * the first one not yet acknowledged), so the race is lost every time rather than every other time.
 */
describe('strict profile, MQTT 5: a refused publish while a resumed session is still being replayed', () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await startTestLab('strict')
  })
  afterAll(async () => lab?.stop())

  it('is answered with DISCONNECT 0x87 all the same', async () => {
    const commands = 'hospital/icu/bedside-monitor/mon-01/cmd'
    const session = {
      protocolVersion: 5 as const,
      clientId: 'mon-01',
      username: 'mon-01',
      password: PASSWORDS['mon-01'],
      clean: false,
      properties: { sessionExpiryInterval: 60, receiveMaximum: 1 },
    }
    const first = await connectAs(lab, session)
    await first.subscribeAsync(commands, { qos: 1 })
    await first.endAsync()
    const operator = await connectAs(lab, { protocolVersion: 5, clientId: 'console', username: 'nurse-op', password: PASSWORDS['nurse-op'] })
    for (let i = 0; i < 3; i++) await operator.publishAsync(commands, JSON.stringify({ id: `c${i}`, action: 'silence', seconds: 60 }), { qos: 1 })
    await operator.endAsync()

    const device = connect(urlOf(lab), { ...session, reconnectPeriod: 0, customHandleAcks: () => undefined })
    // Read off the wire: mqtt.js, stuck on the command it never acknowledges, would not parse the DISCONNECT.
    const answer = new Promise<string>((resolve) => {
      const wire = packetParser({ protocolVersion: 5 })
      wire.on('packet', (packet: Packet) => {
        if (packet.cmd === 'disconnect') resolve(`DISCONNECT ${packet.reasonCode}`)
      })
      device.stream.on('data', (chunk: Buffer) => wire.parse(chunk))
      device.on('close', () => setTimeout(() => resolve('closed without a DISCONNECT'), 100))
    })
    device.on('connect', () => device.publish(OTHERS, telemetry(), { qos: 1 }))
    try {
      expect(await answer).toBe('DISCONNECT 135')
    } finally {
      device.end(true)
    }
  })
})
