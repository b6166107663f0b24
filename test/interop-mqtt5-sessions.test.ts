import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Lab } from '../src/lab/lab.ts'
import { portOf, startTestLab } from './support/lab.ts'
import {
  IMPLEMENTATIONS,
  anonymous,
  as,
  mqttjs,
  run,
  stopClients,
  type Conn,
  type Message,
  type MqttImplementation,
  type Outcome,
} from './support/mqtt-clients.ts'
import { monitorTelemetry } from './support/reliability.ts'

/**
 * MQTT 5 sessions and message expiry as three client implementations see them: a persistent
 * session (Clean Start 0, Session Expiry Interval > 0) keeps its QoS 1 messages while away — in
 * memory and across a broker restart on --persistence — but not past a message's or the session's
 * own expiry interval.
 */

const OWN = 'hospital/icu/bedside-monitor/mon-01/telemetry'
const STATUS = (device: string) => `hospital/icu/bedside-monitor/${device}/status`
const telemetry = monitorTelemetry()

/** A v5 device publishing `messages` with mqtt.js: the publisher is not what these tests look at. */
async function publishAsDevice(lab: Lab, device: 'mon-01' | 'mon-02', messages: Message[]): Promise<void> {
  expect(await run(mqttjs, as(lab, 5, device), { publish: messages })).toMatchObject({ connack: 0, pubacks: messages.map(() => 0) })
}

/** One persistent v5 session per implementation, subscribed at QoS 1 to OWN and then gone. */
async function leaveSessions(lab: Lab, prefix: string, sessionExpiry: number) {
  // As the registered observer: anonymous clients keep no session in the lab profile.
  const sessions = IMPLEMENTATIONS.map((client) => ({
    client,
    conn: as(lab, 5, 'ward-obs', { clientId: `${prefix}-${client.name}`, clean: false, sessionExpiry }),
  }))
  const subscribed = await Promise.all(sessions.map(({ client, conn }) => run(client, conn, { subscribe: OWN })))
  for (const outcome of subscribed) expect(outcome).toMatchObject({ connack: 0, granted: [1] })
  return sessions
}

/**
 * Each session comes back on its URL (a restarted lab listens on the same port), re-subscribing —
 * mosquitto_sub does not connect without — and waits for `count` messages, then `settleMs` more.
 */
function comeBack(sessions: { client: MqttImplementation; conn: Conn }[], count: number, settleMs: number) {
  return Promise.all(
    sessions.map(async ({ client, conn }) => ({ client: client.name, ...(await run(client, conn, { subscribe: OWN, expect: count, settleMs })) })),
  )
}

/** What each client should report on coming back: session present where the client tells it (mosquitto does not), and these payloads. */
function expected(sessionPresent: boolean, payloads: string[]) {
  return IMPLEMENTATIONS.map((client) => ({ client: client.name, connack: 0, sessionPresent: client.name === 'mosquitto' ? null : sessionPresent, payloads }))
}

/** The same, as the clients saw it. */
const seen = (outcomes: (Outcome & { client: string })[]) =>
  outcomes.map(({ client, connack, sessionPresent, messages }) => ({ client, connack, sessionPresent, payloads: messages.map((m) => m.payload) }))

/** The Message Expiry Interval each client received, which must be what was left of `sent`. */
function expectRemaining(outcomes: Outcome[], sent: number): void {
  for (const interval of outcomes.map((o) => o.messages[0]?.properties.messageExpiryInterval)) {
    expect(interval).toBeGreaterThanOrEqual(sent - 5)
    expect(interval).toBeLessThanOrEqual(sent)
  }
}

afterEach(stopClients)

describe('message expiry (MQTT 5)', () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await startTestLab('lab')
  })
  afterAll(async () => lab?.stop())

  it('a session away for longer than a message expiry interval does not get it; one with a long expiry arrives with what is left of it', async () => {
    const sessions = await leaveSessions(lab, 'away', 30)
    const [short, long] = [telemetry(), telemetry()]
    await publishAsDevice(lab, 'mon-01', [
      { topic: OWN, payload: short, qos: 1, properties: { messageExpiryInterval: 1 } },
      { topic: OWN, payload: long, qos: 1, properties: { messageExpiryInterval: 60 } },
    ])
    await sleep(1300)
    const back = await comeBack(sessions, 1, 300)
    expect(seen(back)).toEqual(expected(true, [long]))
    expectRemaining(back, 60)
  })

  it('a retained message past its expiry interval is not sent to a new subscriber; one within it is, with what is left of it', async () => {
    const online = JSON.stringify({ state: 'online' })
    await publishAsDevice(lab, 'mon-01', [{ topic: STATUS('mon-01'), payload: online, qos: 1, retain: true, properties: { messageExpiryInterval: 1 } }])
    await publishAsDevice(lab, 'mon-02', [{ topic: STATUS('mon-02'), payload: online, qos: 1, retain: true, properties: { messageExpiryInterval: 60 } }])
    await sleep(1300)
    const late = await Promise.all(
      IMPLEMENTATIONS.map((client) => run(client, anonymous(lab, 5, `late-${client.name}`), { subscribe: STATUS('+'), expect: 1, settleMs: 300 })),
    )
    expect(late.map((o) => o.messages.map((m) => ({ topic: m.topic, retain: m.retain })))).toEqual(
      IMPLEMENTATIONS.map(() => [{ topic: STATUS('mon-02'), retain: true }]),
    )
    expectRemaining(late, 60)
  })

  it('a session away for longer than its own expiry interval comes back without session or messages', async () => {
    const sessions = await leaveSessions(lab, 'brief', 2)
    await publishAsDevice(lab, 'mon-01', [{ topic: OWN, payload: telemetry(), qos: 1 }])
    await sleep(2300)
    expect(seen(await comeBack(sessions, 0, 500))).toEqual(expected(false, []))
  })
})

describe('persistent MQTT 5 sessions across a broker restart (--persistence)', () => {
  const labs: Lab[] = []
  afterAll(async () => {
    for (const lab of labs) await lab.stop().catch(() => undefined)
  })

  /** A lab keeping its sessions in `dir`, on `port` (0: a free one), restartable on the same port. */
  async function durableLab(dir: string, port = 0): Promise<Lab> {
    const lab = await startTestLab('lab', undefined, { persistenceDir: dir, listeners: [{ kind: 'mqtt', host: '127.0.0.1', port, flag: '--port' }] })
    labs.push(lab)
    return lab
  }

  async function restart(lab: Lab, dir: string, downMs = 0): Promise<Lab> {
    const port = portOf(lab)
    await lab.stop()
    labs.splice(labs.indexOf(lab), 1)
    await sleep(downMs)
    return durableLab(dir, port)
  }

  it('a session with expiry 30 s gets, after the restart, session present and every QoS 1 message published while it was away, properties included, but not one that expired meanwhile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wardlab-interop-sessions-'))
    const lab = await durableLab(dir)
    const sessions = await leaveSessions(lab, 'keeper', 30)
    const sent = Array.from({ length: 5 }, (_, i) => ({
      topic: OWN,
      payload: telemetry(),
      qos: 1 as const,
      properties: { userProperties: [['n', String(i)]] as [string, string][], contentType: 'application/json' },
    }))
    const expiring = { topic: OWN, payload: telemetry(), qos: 1 as const, properties: { messageExpiryInterval: 1 } }
    await publishAsDevice(lab, 'mon-01', [expiring, ...sent])
    await restart(lab, dir, 1100)
    const back = await comeBack(sessions, sent.length, 300)
    expect(seen(back)).toEqual(
      expected(
        true,
        sent.map((m) => m.payload),
      ),
    )
    expect(back.map((o) => o.messages.map((m) => ({ qos: m.qos, properties: m.properties })))).toEqual(
      IMPLEMENTATIONS.map(() => sent.map((m) => ({ qos: 1, properties: m.properties }))),
    )
  })

  it('a session with expiry 2 s that stays away longer, over a restart, comes back without session or messages', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wardlab-interop-sessions-'))
    const lab = await durableLab(dir)
    const sessions = await leaveSessions(lab, 'short', 2)
    await publishAsDevice(lab, 'mon-01', [{ topic: OWN, payload: telemetry(), qos: 1 }])
    await restart(lab, dir, 2300)
    expect(seen(await comeBack(sessions, 0, 500))).toEqual(expected(false, []))
  })
})
