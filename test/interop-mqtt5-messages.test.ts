import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Lab } from '../src/lab/lab.ts'
import { deriveDevicePassword, EPHEMERAL_COST, hashPassword } from '../src/registry/passwords.ts'
import type { Registry } from '../src/registry/schema.ts'
import { PASSWORDS, TEST_PATIENT, startTestLab, testRegistry, urlOf } from './support/lab.ts'
import { IMPLEMENTATIONS, VERSIONS, anonymous, as, hex, run, stopClients, subscribed, type Conn, type V5Properties } from './support/mqtt-clients.ts'
import { monitorTelemetry } from './support/reliability.ts'

/**
 * What a message carries from one client implementation to another: MQTT 5 properties between v5
 * clients, the payload between any two protocol versions on the one TCP listener, and MQTT 5
 * request/response between an operator console and a simulated device.
 */

const OWN = 'hospital/icu/bedside-monitor/mon-01/telemetry'
/** Distinct keys: mosquitto_sub's JSON output holds user properties in an object. */
const PROPERTIES: V5Properties = {
  userProperties: [
    ['site', 'ward-7'],
    ['trace', 'a1b2'],
  ],
  contentType: 'application/json',
  payloadFormatIndicator: 1,
}
const telemetry = monitorTelemetry()

afterEach(stopClients)

describe('a message between clients of either protocol version, on one TCP listener', () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await startTestLab('lab')
  })
  afterAll(async () => lab?.stop())

  const everyClient = IMPLEMENTATIONS.flatMap((client) => VERSIONS.map(({ version, label }) => ({ client, version, title: `${client.name} ${label}` })))
  it.each(everyClient)(
    'from $title reaches every implementation: payload to all, v5 properties unchanged from a v5 publisher to v5 subscribers',
    async ({ client, version }) => {
      const subscribers = everyClient.map((sub) => {
        const conn = anonymous(lab, sub.version, `sub-${sub.client.name}-${sub.version}`)
        return { ...sub, ready: subscribed(lab, conn.clientId), done: sub.client.start(conn, { subscribe: OWN, expect: 1 }).done }
      })
      await Promise.all(subscribers.map((s) => s.ready))
      const payload = telemetry()
      const publisher = await run(client, as(lab, version, 'mon-01'), {
        publish: [{ topic: OWN, payload, qos: 1, ...(version === 5 ? { properties: PROPERTIES } : {}) }],
      })
      expect(publisher).toMatchObject({ connack: 0, pubacks: [0] })
      for (const s of subscribers) {
        const properties = version === 5 && s.version === 5 ? PROPERTIES : {}
        expect({ subscriber: s.title, messages: (await s.done).messages }).toEqual({
          subscriber: s.title,
          messages: [{ topic: OWN, payload, qos: 1, retain: false, properties }],
        })
      }
    },
  )
})

const SIMULATED = 'mon-sim'
const COMMANDS = `hospital/icu/bedside-monitor/${SIMULATED}/cmd`
const KEY = Buffer.alloc(32, 5)
const SECOND_OPERATOR = { username: 'nurse-two', password: 'operator-two-secret' }

/** The test registry plus a simulated bedside monitor (it answers commands) and a second operator. */
async function requestResponseRegistry(): Promise<Registry> {
  const base = await testRegistry()
  return {
    ...base,
    wards: [{ ...base.wards[0]!, beds: [...base.wards[0]!.beds, 'icu-03'] }],
    patients: [...base.patients, { ...TEST_PATIENT, id: 'pt-03', bed: 'icu-03' }],
    devices: [
      ...base.devices,
      {
        id: SIMULATED,
        kind: 'bedside-monitor',
        ward: 'icu',
        bed: 'icu-03',
        patient: 'pt-03',
        options: {},
        simulated: true,
        passwordHash: await hashPassword(deriveDevicePassword(KEY, SIMULATED), EPHEMERAL_COST),
      },
    ],
    users: [
      ...base.users,
      { username: SECOND_OPERATOR.username, role: 'operator', passwordHash: await hashPassword(SECOND_OPERATOR.password, EPHEMERAL_COST) },
    ],
  }
}

describe('request/response: an operator commands a simulated device and gets its answer on the Response Topic', () => {
  let lab: Lab
  beforeAll(async () => {
    // MQTT 5 devices: a 3.1.1 device never sees a command's Response Topic.
    lab = await startTestLab('lab', await requestResponseRegistry(), { simulate: true, provisioningKey: KEY, mqttVersion: '5' })
    await subscribed(lab, SIMULATED, 10_000)
  })
  afterAll(async () => lab?.stop())

  it.each(IMPLEMENTATIONS)('$name: the answer comes on reply/nurse-op/… with the same correlation data', async (client) => {
    const commandId = `silence-${client.name}`
    const responseTopic = `reply/nurse-op/${client.name}`
    const correlationData = hex(`req-${client.name}`)
    const operator: Conn = { url: urlOf(lab), version: 5, clientId: `console-${client.name}`, username: 'nurse-op', password: PASSWORDS['nurse-op'] }
    const outcome = await run(client, operator, {
      subscribe: 'reply/nurse-op/#',
      publish: [
        { topic: COMMANDS, payload: JSON.stringify({ id: commandId, action: 'silence', seconds: 60 }), qos: 1, properties: { responseTopic, correlationData } },
      ],
      expect: 1,
    })
    expect(outcome).toMatchObject({ connack: 0, granted: [1], pubacks: [0] })
    expect(outcome.messages).toEqual([expect.objectContaining({ topic: responseTopic, properties: expect.objectContaining({ correlationData }) })])
    expect(outcome.messages[0]!.payload).toContain(`"${commandId}"`)
  })

  describe.each(VERSIONS)('$label', ({ version }) => {
    it.each(IMPLEMENTATIONS)("$name: another operator may not subscribe to nurse-op's replies", async (client) => {
      const other: Conn = { url: urlOf(lab), version, clientId: `other-${client.name}`, ...SECOND_OPERATOR }
      const outcome = await run(client, other, { subscribe: 'reply/nurse-op/#' })
      expect(outcome).toMatchObject({ connack: 0, granted: [version === 5 ? 0x87 : 0x80], closed: false })
    })
  })
})
