import { Redis } from 'ioredis'
import { MqttClient, type IClientOptions } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Lab } from '../src/lab/lab.ts'
import { openInProcessStream } from '../src/simulation/connector.ts'
import { until } from '../src/util/until.ts'
import { closed, connectAs, PASSWORDS, startTestLab } from './support/lab.ts'
import { startRedis, type RedisServer } from './support/redis.ts'

/** A documentation address (RFC 5737) for the attacker, so the ban spares the test's own loopback clients. */
const ATTACKER = '203.0.113.66'
const BAN_KEY = `wardlab:ban:address:${ATTACKER}`
/** Short enough to watch the ban lift within the test, on wall-clock-paced nodes (speed 1). */
const BAN_MS = 2000

let redis: RedisServer
let store: Redis
let nodeA: Lab
let nodeB: Lab

beforeAll(async () => {
  redis = await startRedis()
  store = new Redis(redis.url)
  const security = { response: { 'brute-force': { action: 'block' as const, by: 'address' as const, banMs: BAN_MS } } }
  nodeA = await startTestLab('lab', undefined, { cluster: { url: redis.url, nodeId: 'node-a' }, security })
  nodeB = await startTestLab('lab', undefined, { cluster: { url: redis.url, nodeId: 'node-b' }, security })
})

afterAll(async () => {
  await nodeA?.stop()
  await nodeB?.stop()
  store?.disconnect()
  await redis?.stop()
})

/** An MQTT client on `lab` from the attacker's address, over an in-process stream. */
function fromAttacker(lab: Lab, options: IClientOptions): MqttClient {
  return new MqttClient(() => openInProcessStream((stream) => lab.handleConnection(stream), ATTACKER), { protocolVersion: 4, reconnectPeriod: 0, ...options })
}

/**
 * The CONNACK return code `lab` answers a CONNECT from the attacker's address with (0: accepted),
 * or null when the connection closes without one (a ban made meanwhile closes it).
 */
function connackFor(lab: Lab, options: IClientOptions): Promise<number | null> {
  return new Promise((resolve) => {
    let returnCode: number | null = null
    const client = fromAttacker(lab, options)
    client.once('connect', () => {
      returnCode = 0
      client.end(true)
    })
    client.once('error', (err) => {
      returnCode = (err as Error & { code: number }).code
      client.end(true)
    })
    client.once('close', () => resolve(returnCode))
  })
}

const observer = (clientId: string): IClientOptions => ({ clientId, username: 'ward-obs', password: PASSWORDS['ward-obs'] })

let guesses = 0

/**
 * Wrong passwords from the attacker's address on `lab` until a ban stops them (CONNACK 5, or the
 * connection closed by the ban); how many were tried. Guessing on until then, rather than exactly
 * as many as the threshold, keeps the test whole when the guesses straddle the boundary of the
 * window's buckets, where the sliding estimate (src/security/windows.ts) counts a little less.
 */
async function bruteForce(lab: Lab): Promise<number> {
  for (let tried = 1; tried <= 30; tried++) {
    const guess = guesses++
    if ((await connackFor(lab, { clientId: `guess-${guess}`, username: 'nurse-op', password: `guess-${guess}` })) !== 4) return tried
  }
  throw new Error('30 wrong passwords and no ban')
}

describe('bans across two broker nodes on one Redis', () => {
  it('refuses on node B a source banned on node A, and B closes what that source holds on B', async () => {
    // An observer behind the attacker's address (one NAT) is on node B before the attack.
    const onB = fromAttacker(nodeB, observer('obs-behind-nat'))
    await new Promise((resolve) => onB.once('connect', resolve))
    // 10 wrong passwords a minute from one address is a brute force (src/security/config.ts); all on A.
    expect(await bruteForce(nodeA)).toBeGreaterThan(10)
    await closed(onB, 5000)
    // CONNACK 5, not authorized, even with the right password (MQTT 3.1.1 §3.2.2.3), on both nodes.
    expect(await connackFor(nodeB, observer('obs-after-ban-b'))).toBe(5)
    expect(await connackFor(nodeA, observer('obs-after-ban-a'))).toBe(5)
    // Only that address: the test's own clients on loopback still get in.
    const bystander = await connectAs(nodeB, observer('obs-bystander'))
    await bystander.endAsync()
    // The ban is in Redis, to expire when it lifts.
    const ttl = await store.pttl(BAN_KEY)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(BAN_MS)
  })

  it('lifts the ban on both nodes when it expires, and Redis forgets it', async () => {
    const ban = JSON.parse((await store.get(BAN_KEY))!) as { until: number; node: string }
    expect(ban.node).toBe('node-a')
    await until(() => nodeA.clock.now() > ban.until && nodeB.clock.now() > ban.until, BAN_MS + 1000)
    expect(await connackFor(nodeB, observer('obs-after-expiry-b'))).toBe(0)
    expect(await connackFor(nodeA, observer('obs-after-expiry-a'))).toBe(0)
    expect(await store.exists(BAN_KEY)).toBe(0)
  })

  it('bans again from node B a source that goes on there, and a node that joins later gets the ban', async () => {
    const onA = fromAttacker(nodeA, observer('obs-flapping'))
    await new Promise((resolve) => onA.once('connect', resolve))
    // More guesses, on B this time: A holds the brute-force incident (one alert), B still bans.
    await bruteForce(nodeB)
    await closed(onA, 5000)
    expect(JSON.parse((await store.get(BAN_KEY))!)).toMatchObject({ node: 'node-b', reason: 'brute-force' })
    const nodeC = await startTestLab('lab', undefined, { cluster: { url: redis.url, nodeId: 'node-c' } })
    try {
      expect(await connackFor(nodeC, observer('obs-on-c'))).toBe(5)
    } finally {
      await nodeC.stop()
    }
  })
})
