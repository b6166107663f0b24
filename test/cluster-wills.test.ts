import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, it } from 'vitest'
import { saveRegistry } from '../src/registry/load.ts'
import { type RunningCli, onFreePorts } from './support/cli.ts'
import { ClientPool, expectOnlyOwnWillsPublished, leaveForgedWills, startBroker } from './support/forged-wills.ts'
import { testRegistry } from './support/lab.ts'
import { startRedis, type RedisServer } from './support/redis.ts'

const running: RunningCli[] = []
const pool = new ClientPool()
let redis: RedisServer | undefined

afterEach(async () => {
  pool.endAll()
  for (const cli of running.splice(0)) if (cli.child.exitCode === null) cli.child.kill('SIGKILL')
  await redis?.stop()
})

/** A node of the cluster on `redis`, a real `wardlab start --cluster` process. */
function startNode(dir: string, nodeId: string) {
  return startBroker(running, [...onFreePorts(join(dir, nodeId)), '--registry', join(dir, 'registry.yaml'), '--cluster', redis!.url, '--node-id', nodeId])
}

describe('wills of a cluster node that dies (kill -9), published by the node that lives', () => {
  it("are published as the identity that registered them: forged outputs and another device's command are refused and alerted, a device's own status goes out", async () => {
    redis = await startRedis()
    const dir = mkdtempSync(join(tmpdir(), 'wardlab-cluster-wills-'))
    saveRegistry(join(dir, 'registry.yaml'), await testRegistry())
    const [doomed, survivor] = await Promise.all([startNode(dir, 'node-a'), startNode(dir, 'node-b')])
    await leaveForgedWills(pool, doomed.url)

    doomed.cli.child.kill('SIGKILL')
    await doomed.cli.exited
    pool.endAll()

    // node-b hears no heartbeat from node-a for 3 s, and its next sweep (every 4 s) publishes node-a's
    // clients' wills from Redis — with no client, so only the owner recorded on each will can judge it.
    await expectOnlyOwnWillsPublished(pool, survivor.url, 15_000)
  })
})
