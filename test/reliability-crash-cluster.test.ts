import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { saveRegistry } from '../src/registry/load.ts'
import { CRASHES, cleanUp, crashUnderLoad, startBroker } from './support/crash.ts'
import { testRegistry } from './support/lab.ts'
import { startRedis } from './support/redis.ts'

afterEach(cleanUp)

describe('a QoS 1 PUBACK means the message is stored (--cluster)', () => {
  let registryFile: string

  beforeAll(async () => {
    registryFile = join(mkdtempSync(join(tmpdir(), 'wardlab-crash-')), 'registry.yaml')
    saveRegistry(registryFile, await testRegistry())
  })

  it(`loses no acknowledged message when a cluster node is killed (-9) under load, ${CRASHES} times in a row`, async () => {
    const redis = await startRedis()
    try {
      const { perCrash, lost } = await crashUnderLoad(() => startBroker(['--registry', registryFile, '--cluster', redis.url, '--node-id', 'crash-node']))
      expect(perCrash.every((n) => n >= 200)).toBe(true)
      expect(lost).toEqual([])
    } finally {
      await redis.stop()
    }
  }, 120_000)
})
