import { connect, MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Lab } from '../src/lab/lab.ts'
import type { SecurityAlert } from '../src/contract/security-alert.ts'
import { openInProcessStream } from '../src/simulation/connector.ts'
import { until } from '../src/util/until.ts'
import { connectDevice, PASSWORDS, startTestLab, urlOf } from './support/lab.ts'
import { startRedis, type RedisServer } from './support/redis.ts'

let redis: RedisServer
let nodes: Lab[] = []
const alerts: SecurityAlert[] = []

beforeAll(async () => {
  redis = await startRedis()
  for (const nodeId of ['node-a', 'node-b']) {
    const lab = await startTestLab('lab', undefined, { cluster: { url: redis.url, nodeId } })
    lab.monitor.onAlert((alert) => alerts.push(alert))
    nodes.push(lab)
  }
})

afterAll(async () => {
  for (const lab of nodes) await lab.stop()
  nodes = []
  await redis?.stop()
})

/** Alerts opened anywhere in the cluster (updates and closes of the same incident are not new ones). */
const opened = (type: string) => alerts.filter((a) => a.type === type && a.state === 'open' && a.count === 1)

/** One refused login: CONNACK 4, then the broker closes the connection. */
function wrongPassword(lab: Lab, attempt: number): Promise<void> {
  return new Promise((resolve) => {
    const client = connect(urlOf(lab), {
      protocolVersion: 4,
      clientId: `guess-${attempt}`,
      username: 'nurse-op',
      password: `guess-${attempt}`,
      reconnectPeriod: 0,
    })
    client.once('error', () => client.end(true, () => resolve()))
    client.once('close', () => resolve())
  })
}

describe('detection across two broker nodes on one Redis', () => {
  it('sees a password brute force spread over both nodes as one attack', async () => {
    const [a, b] = nodes as [Lab, Lab]
    // 12 guesses, 6 per node: neither node reaches the 10 a minute per address alone.
    for (let attempt = 0; attempt < 12; attempt++) await wrongPassword(attempt % 2 === 0 ? a : b, attempt)
    await until(() => opened('brute-force').length > 0, 5000)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(opened('brute-force')).toHaveLength(1)
    expect(opened('brute-force')[0]!.evidence.failuresFromAddress).toBeGreaterThanOrEqual(10)
  })

  it('detects a client id taken over on the other node, once', async () => {
    const [a, b] = nodes as [Lab, Lab]
    const device = await connectDevice(a, 'mon-01')
    const knockedOff = new Promise<void>((resolve) => device.once('close', () => resolve()))
    // The monitor's stolen credentials used from another address, on node B: Aedes on A closes the monitor.
    const impostor = new MqttClient(() => openInProcessStream((stream) => b.handleConnection(stream), '203.0.113.110'), {
      protocolVersion: 4,
      reconnectPeriod: 0,
      clientId: 'mon-01',
      username: 'mon-01',
      password: PASSWORDS['mon-01'],
    })
    await knockedOff
    await until(() => opened('client-takeover').length > 0, 5000)
    await new Promise((resolve) => setTimeout(resolve, 300))
    const takeovers = opened('client-takeover')
    expect(takeovers).toHaveLength(1)
    expect(takeovers[0]).toMatchObject({ severity: 'high', clientId: 'mon-01', address: '203.0.113.110', evidence: { previousAddress: '127.0.0.1' } })
    await impostor.endAsync()
    device.end(true)
  })
})
