import { connect, type IClientOptions, type MqttClient } from 'mqtt'
import { expect } from 'vitest'
import type { SecurityAlert } from '../../src/contract/security-alert.ts'
import { type RunningCli, spawnWardlab } from './cli.ts'
import { PASSWORDS } from './lab.ts'
import { until } from './reliability.ts'

/**
 * Wills left on a broker that then dies without a word (`kill -9`, a crashed cluster node), and what
 * the broker that sweeps them up must do: publish each as the identity that registered it
 * (src/broker/will-owner.ts). Shared by the restart test (broker-wills-crash) and the cluster test
 * (cluster-wills), which differ only in who publishes the dead broker's wills.
 */

export const MON_02_CMD = 'hospital/icu/bedside-monitor/mon-02/cmd'
export const MON_02_STATUS = 'hospital/icu/bedside-monitor/mon-02/status'
/** Where an attacker would like a retained will to land: every broker-owned root, and a device's commands. */
export const FORGED = ['alerts/clinical/forged', 'security/alerts/forged', 'ops/news2/icu/pt-01', 'fhir/Observation', 'quarantine/icu/mon-02']

/**
 * A real `wardlab start` with no simulated devices and 1 s heartbeats, so a dead broker's wills are
 * swept up within seconds (every 4 heartbeats); `args` choose its ports, registry and persistence.
 */
export async function startBroker(running: RunningCli[], args: string[]): Promise<{ cli: RunningCli; url: string }> {
  const cli = spawnWardlab(['start', '--devices', '0', ...args, '--heartbeat', '1', '--log-level', 'warn'])
  running.push(cli)
  const [, port] = await cli.waitFor(/mqtt\s+mqtt:\/\/127\.0\.0\.1:(\d+)/)
  return { cli, url: `mqtt://127.0.0.1:${port}` }
}

/** The clients of one test, ended together (`endAll`) in its afterEach or once their broker is dead. */
export class ClientPool {
  private readonly clients: MqttClient[] = []

  /**
   * `onMessage` is attached before the CONNACK: mqtt.js emits (and acknowledges) a resumed session's
   * messages that arrive in the CONNACK's read before `connect` fires, so a listener added after it
   * can miss them (the crash harness's lesson, test/reliability-crash-harness.test.ts).
   */
  async open(url: string, options: IClientOptions, onMessage?: (topic: string, payload: Buffer) => void): Promise<MqttClient> {
    const client = connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...options })
    this.clients.push(client)
    if (onMessage) client.on('message', (topic, payload) => onMessage(topic, payload))
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve())
      client.once('error', reject)
    })
    return client
  }

  endAll(): void {
    for (const client of this.clients.splice(0)) client.end(true)
  }
}

/**
 * On the broker at `url`: mon-02 keeps a persistent session on its command topic and leaves a will on
 * its own status; anonymous clients (the lab profile lets them in) aim retained QoS 1 wills at every
 * broker-owned root, and mon-01 aims one at mon-02's commands.
 */
export async function leaveForgedWills(pool: ClientPool, url: string): Promise<void> {
  const mon02 = await pool.open(url, {
    clientId: 'mon-02',
    username: 'mon-02',
    password: PASSWORDS['mon-02'],
    clean: false,
    will: { topic: MON_02_STATUS, payload: Buffer.from('{"state":"offline"}'), qos: 1, retain: true },
  })
  await mon02.subscribeAsync(MON_02_CMD, { qos: 1 })
  for (const [i, topic] of FORGED.entries()) {
    await pool.open(url, { clientId: `forger-${i}`, will: { topic, payload: Buffer.from('{"forged":true}'), qos: 1, retain: true } })
  }
  await pool.open(url, {
    clientId: 'mon-01',
    username: 'mon-01',
    password: PASSWORDS['mon-01'],
    will: { topic: MON_02_CMD, payload: Buffer.from('{"id":"x","action":"silence-alarm"}'), qos: 1, retain: true },
  })
}

/**
 * Watches the broker at `url` sweep the dead broker's wills (it has until `sweepMs` to publish
 * mon-02's own), then asserts that only that one went out: the forged ones refused, each refusal an
 * alert naming who left the will, nothing forged retained or queued in mon-02's resumed session.
 */
export async function expectOnlyOwnWillsPublished(pool: ClientPool, url: string, sweepMs: number): Promise<void> {
  const seen: string[] = []
  const alerts: SecurityAlert[] = []
  const watcher = await pool.open(url, { clientId: 'watcher', username: 'root', password: PASSWORDS.root }, (topic, payload) => {
    seen.push(topic)
    if (topic.startsWith('security/alerts/')) alerts.push(JSON.parse(payload.toString()) as SecurityAlert)
  })
  await watcher.subscribeAsync(['alerts/#', 'security/#', 'ops/#', 'fhir/#', 'quarantine/#', 'hospital/#'], { qos: 1 })
  await until(() => seen.includes(MON_02_STATUS), sweepMs, "mon-02's own will")
  await until(() => alerts.length >= 2, 5_000, 'the alerts about the refused wills')
  await new Promise((resolve) => setTimeout(resolve, 1_500))

  expect(seen.filter((t) => FORGED.includes(t) || t === MON_02_CMD)).toEqual([])
  expect(seen).toContain('security/alerts/retained-poisoning')
  expect(seen).toContain('security/alerts/unauthorized-command')
  // Each names who left the will: mon-01's command, not the broker that published it after the crash.
  expect(alerts.find((a) => a.type === 'unauthorized-command')).toMatchObject({ clientId: 'mon-01' })
  // Nothing forged was retained for later subscribers either, and mon-02's resumed session holds no forged command.
  const retained: string[] = []
  const late = await pool.open(url, { clientId: 'late', username: 'root', password: PASSWORDS.root }, (topic) => retained.push(topic))
  await late.subscribeAsync(['alerts/#', 'security/alerts/forged', 'ops/#', 'fhir/#', 'quarantine/#', MON_02_CMD], { qos: 1 })
  const commands: string[] = []
  await pool.open(url, { clientId: 'mon-02', username: 'mon-02', password: PASSWORDS['mon-02'], clean: false }, (topic) => commands.push(topic))
  await new Promise((resolve) => setTimeout(resolve, 500))
  expect(retained).toEqual([])
  expect(commands).toEqual([])
}
