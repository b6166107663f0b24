import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { ProfileName } from '../src/broker/profile.ts'
import type { Lab } from '../src/lab/lab.ts'
import { startTestLab } from './support/lab.ts'
import { IMPLEMENTATIONS, VERSIONS, anonymous, as, run, stopClients, subscribed, type Outcome, type Version } from './support/mqtt-clients.ts'
import { monitorTelemetry, until } from './support/reliability.ts'

/**
 * Who may connect, publish and subscribe, as three real client implementations see it over MQTT 5
 * and MQTT 3.1.1 on the same listener: Debian's mosquitto clients, Eclipse Paho for Python and
 * mqtt.js (test/support/mqtt-clients.ts).
 */

const OWN = 'hospital/icu/bedside-monitor/mon-01/telemetry'
const OTHERS = 'hospital/icu/bedside-monitor/mon-02/telemetry'

/** CONNACK for a wrong password and SUBACK for a refused filter, by protocol. */
const REFUSALS = VERSIONS.map((v) => ({ ...v, badPassword: v.version === 5 ? 0x86 : 4, deniedFilter: v.version === 5 ? 0x87 : 0x80 }))

/**
 * How a refused PUBLISH (QoS 1) is answered, by profile and protocol: MQTT 5 can say it in the
 * PUBACK and keep the connection (lab), or with a DISCONNECT (strict); MQTT 3.1.1 has no way to
 * say it and the connection closes.
 */
const REFUSED: Record<ProfileName & ('lab' | 'strict'), Record<Version, Partial<Outcome>>> = {
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

describe.each(REFUSALS)('$label clients, lab profile', ({ version, badPassword, deniedFilter }) => {
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
      const outcome = await run(client, as(lab, version, 'mon-01', { password: 'not-the-password' }), { publish: [{ topic: OWN, payload: telemetry(), qos: 1 }] })
      expect(outcome).toMatchObject({ connack: badPassword, pubacks: [] })
    })

    it(`gets SUBACK ${deniedFilter} subscribing to # as a device, and keeps its connection`, async () => {
      const outcome = await run(client, as(lab, version, 'mon-02'), { subscribe: '#' })
      expect(outcome).toMatchObject({ connack: 0, granted: [deniedFilter], closed: false })
    })
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
