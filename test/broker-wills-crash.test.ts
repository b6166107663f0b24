import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, it } from 'vitest'
import { saveRegistry } from '../src/registry/load.ts'
import { type RunningCli, onFreePorts } from './support/cli.ts'
import { ClientPool, expectOnlyOwnWillsPublished, leaveForgedWills, startBroker } from './support/forged-wills.ts'
import { testRegistry } from './support/lab.ts'

const running: RunningCli[] = []
const pool = new ClientPool()

afterEach(async () => {
  pool.endAll()
  for (const cli of running.splice(0)) if (cli.child.exitCode === null) cli.child.kill('SIGKILL')
})

function startLeveldbBroker(dir: string) {
  return startBroker(running, [...onFreePorts(dir), '--registry', join(dir, 'registry.yaml'), '--persistence', join(dir, 'db')])
}

describe('wills after an unclean stop of the broker (kill -9)', () => {
  it("are published as the identity that registered them: forged outputs and another device's command are refused and alerted, a device's own status goes out", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wardlab-wills-'))
    saveRegistry(join(dir, 'registry.yaml'), await testRegistry())
    const first = await startLeveldbBroker(dir)
    await leaveForgedWills(pool, first.url)

    first.cli.child.kill('SIGKILL')
    await first.cli.exited
    pool.endAll()

    // The restarted broker sweeps the wills every 4 heartbeats (4 s here, time to subscribe first).
    const second = await startLeveldbBroker(dir)
    await expectOnlyOwnWillsPublished(pool, second.url, 10_000)
  })
})
