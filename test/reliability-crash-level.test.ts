import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { saveRegistry } from '../src/registry/load.ts'
import { CRASHES, cleanUp, crashUnderLoad, startBroker } from './support/crash.ts'
import { testRegistry } from './support/lab.ts'

afterEach(cleanUp)

describe('a QoS 1 PUBACK means the message is stored (--persistence)', () => {
  let registryFile: string

  beforeAll(async () => {
    registryFile = join(mkdtempSync(join(tmpdir(), 'wardlab-crash-')), 'registry.yaml')
    saveRegistry(registryFile, await testRegistry())
  })

  it(`loses no acknowledged message when the broker is killed (-9) under load, ${CRASHES} times in a row`, async () => {
    const store = mkdtempSync(join(tmpdir(), 'wardlab-crash-db-'))
    const { perCrash, lost } = await crashUnderLoad(() => startBroker(['--registry', registryFile, '--persistence', store]))
    expect(perCrash.every((n) => n >= 200)).toBe(true)
    expect(lost).toEqual([])
  }, 120_000)
})
