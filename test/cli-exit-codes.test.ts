import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { QUIET_START, runWardlab } from './support/cli.ts'

/**
 * The exit codes README promises, one failure class at a time: 1 the system under test failed,
 * 2 the test itself is broken (usage, missing or invalid files, references to nothing), 3 the
 * machine is (a port in use). CI scripts branch on these.
 */
const dir = mkdtempSync(join(tmpdir(), 'wardlab-exit-'))
const file = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}
const ONE_BED = `
duration: 1m
hospital:
  patients: [{ id: pt-calm, ward: icu }]
  devices: [{ id: mon-calm, kind: bedside-monitor, ward: icu, patient: pt-calm }]
`

describe('exit codes', () => {
  it('1: an expectation that does not hold', { timeout: 60_000 }, async () => {
    const result = await runWardlab(['run', file('fails.yaml', `name: fails${ONE_BED}expect:\n  - news2: { patient: pt-calm, atLeast: 7 }\n`)])
    expect(result.code, result.stderr).toBe(1)
    expect(result.stdout).toMatch(/FAILED\s+fails/)
  })

  it.each([
    ['a flag wardlab does not have', ['start', '--prot', '1883'], /--prot/],
    ['a missing scenario file', ['run', join(dir, 'nowhere.yaml')], /nowhere\.yaml does not exist/],
    [
      'an unknown device in a timeline',
      ['run', file('ghost.yaml', `name: ghost${ONE_BED}timeline:\n  - { at: 10s, event: outage, devices: mon-99, duration: 5s }\n`)],
      /mon-99/,
    ],
    [
      'an invalid pipeline file',
      [...QUIET_START, '--data-dir', dir, '--pipeline', file('pipeline.yaml', 'stages: [decode]\nsinks: {}\nroutes: []\n')],
      /decode, validate and route are required/,
    ],
    [
      'a missing registry',
      ['start', '--port', '0', '--registry', join(dir, 'no-registry.yaml'), '--data-dir', dir],
      /no-registry\.yaml \(--registry\) does not exist/,
    ],
  ])('2: %s', { timeout: 60_000 }, async (_what, args, message) => {
    const result = await runWardlab(args)
    expect(result.code, result.stderr).toBe(2)
    expect(result.stderr).toMatch(message)
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })

  it('3: a port already in use', { timeout: 60_000 }, async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    try {
      const port = String((blocker.address() as { port: number }).port)
      const dataDir = mkdtempSync(join(tmpdir(), 'wardlab-exit-port-'))
      const result = await runWardlab(['start', '--port', port, '--ws-port', '0', '--http-port', '0', '--devices', '0', '--data-dir', dataDir])
      expect(result.code).toBe(3)
      expect(result.stderr).toContain(`port ${port} (MQTT/TCP) on 127.0.0.1 is already in use`)
      // A failed start leaves no empty run folder behind.
      expect(existsSync(join(dataDir, 'runs')) ? readdirSync(join(dataDir, 'runs')) : []).toEqual([])
    } finally {
      blocker.close()
    }
  })
})

describe('exit codes, documented', () => {
  it('--help and the README name the same four codes', async () => {
    const help = await runWardlab(['--help'])
    expect(help.stdout).toContain('Exit codes: 0 passed, 1 expectations or thresholds failed, 2 usage or invalid input, 3 runtime error.')
    const readme = readFileSync('README.md', 'utf8')
    for (const row of ['| 0 | passed', '| 1 | failed', '| 2 | invalid input', '| 3 | runtime error']) expect(readme).toContain(row)
  })
})

describe('README promises about ports', () => {
  it('says ports are changed with npm start -- --port 0', () => {
    const readme = readFileSync('README.md', 'utf8')
    expect(readme).toContain('`npm start -- --port 0 --ws-port 0 --http-port 0`')
  })
})
