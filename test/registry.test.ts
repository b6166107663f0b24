import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadRegistry, saveRegistry } from '../src/registry/load.ts'
import { deriveDevicePassword, hashPassword, verifyPassword } from '../src/registry/passwords.ts'
import { HospitalRegistry } from '../src/registry/registry.ts'
import { testRegistry } from './support/lab.ts'

const dir = mkdtempSync(join(tmpdir(), 'wardlab-registry-'))

function writeFile(name: string, text: string): string {
  const file = join(dir, name)
  writeFileSync(file, text)
  return file
}

describe('registry file', () => {
  it('points at the line and field of every problem at once', () => {
    const file = writeFile(
      'bad.yaml',
      [
        'version: 1',
        'site: Test',
        'wards:',
        '  - id: icu',
        '    name: ICU',
        '    beds: [icu-01]',
        'devices:',
        '  - id: mon/01',
        '    kind: bedside-monitor',
        '    ward: icu',
        '    passwordHash: hunter2',
        '  - id: pump-01',
        '    kind: infusion-pump',
        '    ward: theatre',
        '    passwordHash: scrypt$16384$8$1$c2FsdA==$aGFzaA==',
        '',
      ].join('\n'),
    )
    let message = ''
    try {
      loadRegistry(file)
    } catch (err) {
      message = (err as Error).message
      expect(err).toMatchObject({ code: 'WL_CONFIG_INVALID' })
    }
    expect(message).toContain(`${file}:8:9: devices[0].id:`)
    expect(message).toContain(`${file}:11:19: devices[0].passwordHash: an scrypt hash`)
    expect(message).toContain(`${file}:14:11: devices[1].ward: unknown ward "theatre"`)
    // The kind check runs even though the schema failed: every mistake in one pass.
    expect(message).toContain(`${file}:8:5: devices[0].patient: a bedside-monitor needs a patient`)
  })

  it('takes rooms that list the ward’s beds, each bed in one room, and refuses any other', () => {
    const ward = (rooms: string) =>
      ['version: 1', 'site: Test', 'wards:', '  - id: icu', '    name: ICU', '    beds: [icu-01, icu-02, icu-03]', `    rooms: ${rooms}`, ''].join('\n')
    const good = loadRegistry(writeFile('rooms.yaml', ward('{ r1: [icu-01, icu-02], r2: [icu-03] }')))
    const registry = new HospitalRegistry(good)
    expect([registry.roomOf('icu', 'icu-02'), registry.roomOf('icu', 'icu-03'), registry.roomOf('icu', 'icu-09')]).toEqual(['r1', 'r2', undefined])
    const bad = writeFile('bad-rooms.yaml', ward('{ r1: [icu-01, icu-07], r2: [icu-01] }'))
    expect(() => loadRegistry(bad)).toThrow(/room "r1" names bed "icu-07", which the ward does not have/)
    expect(() => loadRegistry(bad)).toThrow(/bed "icu-01" is in room "r1" already/)
  })

  it('reports YAML syntax errors with their position', () => {
    const file = writeFile('syntax.yaml', 'version: 1\nsite: [unclosed\n')
    expect(() => loadRegistry(file)).toThrow(/syntax\.yaml:\d+:\d+: YAML syntax/)
  })

  it('checks device options and patients against the device kind', async () => {
    const registry = await testRegistry()
    const file = join(dir, 'kinds.yaml')
    saveRegistry(file, { ...registry, devices: [...registry.devices, { ...registry.devices[0]!, id: 'x-01', kind: 'toaster' }] })
    expect(() => loadRegistry(file)).toThrow(/devices\[2\]\.kind: unknown device kind "toaster"/)
  })

  it('round-trips through YAML and never stores a plain password', async () => {
    const registry = await testRegistry()
    const file = join(dir, 'good.yaml')
    saveRegistry(file, registry)
    expect(loadRegistry(file)).toEqual(registry)
    const text = readFileSync(file, 'utf8')
    for (const secret of ['mon-01-secret', 'operator-secret', 'observer-secret']) expect(text).not.toContain(secret)
  })
})

describe('credentials', () => {
  it('hashes with scrypt and verifies', async () => {
    const hash = await hashPassword('correct horse')
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/)
    expect(await verifyPassword('correct horse', hash)).toBe(true)
    expect(await verifyPassword('wrong horse', hash)).toBe(false)
  })

  it('derives stable, distinct passwords for simulated devices', () => {
    const key = Buffer.alloc(32, 1)
    expect(deriveDevicePassword(key, 'mon-01')).toBe(deriveDevicePassword(key, 'mon-01'))
    expect(deriveDevicePassword(key, 'mon-01')).not.toBe(deriveDevicePassword(key, 'mon-02'))
    expect(deriveDevicePassword(Buffer.alloc(32, 2), 'mon-01')).not.toBe(deriveDevicePassword(key, 'mon-01'))
  })

  it('resolves identities and refuses wrong or unknown credentials', async () => {
    const registry = new HospitalRegistry(await testRegistry())
    expect(await registry.checkCredentials('mon-01', Buffer.from('mon-01-secret'))).toMatchObject({ ok: true, identity: { role: 'device', name: 'mon-01' } })
    expect(await registry.checkCredentials('mon-01', Buffer.from('mon-01-secret'))).toMatchObject({ ok: true })
    expect(await registry.checkCredentials('mon-01', Buffer.from('nope'))).toEqual({ ok: false, reason: 'wrong-password' })
    expect(await registry.checkCredentials('ghost', Buffer.from('x'))).toEqual({ ok: false, reason: 'unknown-user' })
    expect(await registry.checkCredentials('nurse-op', Buffer.from('operator-secret'))).toMatchObject({
      ok: true,
      identity: { role: 'operator', anonymous: false },
    })
  })
})
