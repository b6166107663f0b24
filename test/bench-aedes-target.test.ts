import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectAsync } from 'mqtt'
import { describe, expect, it } from 'vitest'
import { startTarget, parseTarget, describeTarget } from '../src/bench/targets.ts'

describe('wardlab bench --target aedes', () => {
  it('starts a bare Aedes in a process of its own that real clients use, with none of the wardlab layer', async () => {
    const spec = parseTarget('aedes', 'off')
    expect(describeTarget(spec)).toBe('aedes')
    // From a folder with no node_modules, as `npx wardlab bench` runs in a user's project.
    const cwd = process.cwd()
    process.chdir(mkdtempSync(join(tmpdir(), 'wardlab-elsewhere-')))
    const target = await startTarget(spec, {} as never).finally(() => process.chdir(cwd))
    try {
      expect(target.brokerPids).toHaveLength(1)
      const url = `mqtt://${target.host}:${target.ports[0]}`
      // No identities and no ACL: any client id, any topic, even wardlab's output roots.
      const subscriber = await connectAsync(url, { clientId: 'anyone' })
      await subscriber.subscribeAsync('alerts/#', { qos: 1 })
      const received = new Promise<string>((resolve) => subscriber.on('message', (_topic, payload) => resolve(payload.toString())))
      const publisher = await connectAsync(url, { clientId: 'no-such-device' })
      await publisher.publishAsync('alerts/clinical/icu/high', 'forged', { qos: 1 })
      expect(await received).toBe('forged')
      await Promise.all([subscriber.endAsync(), publisher.endAsync()])
    } finally {
      expect(await target.stop()).toMatchObject({ pipeline: null, clientsPerNode: [] })
    }
  })
})
