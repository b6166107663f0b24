import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, type IClientOptions, type MqttClient } from 'mqtt'
import type { SecurityAlert } from '../src/contract/security-alert.ts'
import { afterEach, describe, expect, it } from 'vitest'
import { saveRegistry } from '../src/registry/load.ts'
import { spawnWardlab, type RunningCli, onFreePorts } from './support/cli.ts'
import { PASSWORDS, testRegistry } from './support/lab.ts'
import { until } from './support/reliability.ts'

const MON_02_CMD = 'hospital/icu/bedside-monitor/mon-02/cmd'
const MON_02_STATUS = 'hospital/icu/bedside-monitor/mon-02/status'
/** Where an attacker would like a retained will to land: every broker-owned root, and a device's commands. */
const FORGED = ['alerts/clinical/forged', 'security/alerts/forged', 'ops/news2/icu/pt-01', 'fhir/Observation', 'quarantine/icu/mon-02']

const running: RunningCli[] = []
const clients: MqttClient[] = []

afterEach(async () => {
  for (const client of clients.splice(0)) client.end(true)
  for (const cli of running.splice(0)) if (cli.child.exitCode === null) cli.child.kill('SIGKILL')
})

async function startBroker(dir: string): Promise<{ cli: RunningCli; url: string }> {
  const cli = spawnWardlab([
    'start',
    '--devices',
    '0',
    ...onFreePorts(dir),
    '--registry',
    join(dir, 'registry.yaml'),
    '--persistence',
    join(dir, 'db'),
    '--heartbeat',
    '1',
    '--log-level',
    'warn',
  ])
  running.push(cli)
  const [, port] = await cli.waitFor(/mqtt\s+mqtt:\/\/127\.0\.0\.1:(\d+)/)
  return { cli, url: `mqtt://127.0.0.1:${port}` }
}

/**
 * `onMessage` is attached before the CONNACK: mqtt.js emits (and acknowledges) a resumed session's
 * messages that arrive in the CONNACK's read before `connectAsync` resolves, so a listener added
 * after it can miss them (the crash harness's lesson, test/reliability-crash-harness.test.ts).
 */
async function open(url: string, options: IClientOptions, onMessage?: (topic: string) => void): Promise<MqttClient> {
  const client = connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...options })
  clients.push(client)
  if (onMessage) client.on('message', (topic) => onMessage(topic))
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  })
  return client
}

describe('wills after an unclean stop of the broker (kill -9)', () => {
  it("are published as the identity that registered them: forged outputs and another device's command are refused and alerted, a device's own status goes out", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wardlab-wills-'))
    saveRegistry(join(dir, 'registry.yaml'), await testRegistry())
    const first = await startBroker(dir)

    // mon-02 keeps a persistent session on its command topic, and leaves a will on its own status.
    const mon02 = await open(first.url, {
      clientId: 'mon-02',
      username: 'mon-02',
      password: PASSWORDS['mon-02'],
      clean: false,
      will: { topic: MON_02_STATUS, payload: Buffer.from('{"state":"offline"}'), qos: 1, retain: true },
    })
    await mon02.subscribeAsync(MON_02_CMD, { qos: 1 })
    // Anonymous clients (the lab profile lets them in) and a device aim retained QoS 1 wills where they may not write.
    for (const [i, topic] of FORGED.entries()) {
      await open(first.url, { clientId: `forger-${i}`, will: { topic, payload: Buffer.from('{"forged":true}'), qos: 1, retain: true } })
    }
    await open(first.url, {
      clientId: 'mon-01',
      username: 'mon-01',
      password: PASSWORDS['mon-01'],
      will: { topic: MON_02_CMD, payload: Buffer.from('{"id":"x","action":"silence-alarm"}'), qos: 1, retain: true },
    })

    first.cli.child.kill('SIGKILL')
    await first.cli.exited
    for (const client of clients.splice(0)) client.end(true)

    const second = await startBroker(dir)
    const watcher = await open(second.url, { clientId: 'watcher', username: 'root', password: PASSWORDS.root })
    const seen: string[] = []
    const alerts: SecurityAlert[] = []
    watcher.on('message', (topic, payload) => {
      seen.push(topic)
      if (topic.startsWith('security/alerts/')) alerts.push(JSON.parse(payload.toString()) as SecurityAlert)
    })
    await watcher.subscribeAsync(['alerts/#', 'security/#', 'ops/#', 'fhir/#', 'quarantine/#', 'hospital/#'], { qos: 1 })
    // The sweep runs every 4 heartbeats (4 s here, time to subscribe first); the wills are out once mon-02's own one is.
    await until(() => seen.includes(MON_02_STATUS), 10_000, "mon-02's own will")
    await until(() => seen.filter((t) => t.startsWith('security/alerts/')).length >= 2, 5_000, 'the alerts about the refused wills')
    await new Promise((resolve) => setTimeout(resolve, 1_500))

    expect(seen.filter((t) => FORGED.includes(t) || t === MON_02_CMD)).toEqual([])
    expect(seen).toContain('security/alerts/retained-poisoning')
    expect(seen).toContain('security/alerts/unauthorized-command')
    // Each names who left the will: mon-01's command, not the broker that published it after the crash.
    expect(alerts.find((a) => a.type === 'unauthorized-command')).toMatchObject({ clientId: 'mon-01' })
    // Nothing forged was retained for later subscribers either, and mon-02's resumed session holds no forged command.
    const late = await open(second.url, { clientId: 'late', username: 'root', password: PASSWORDS.root })
    const retained: string[] = []
    late.on('message', (topic) => retained.push(topic))
    await late.subscribeAsync(['alerts/#', 'security/alerts/forged', 'ops/#', 'fhir/#', 'quarantine/#', MON_02_CMD], { qos: 1 })
    const commands: string[] = []
    await open(second.url, { clientId: 'mon-02', username: 'mon-02', password: PASSWORDS['mon-02'], clean: false }, (topic) => commands.push(topic))
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(retained).toEqual([])
    expect(commands).toEqual([])
  })
})
