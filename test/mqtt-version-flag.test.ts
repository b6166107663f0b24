import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runWardlab } from './support/cli.ts'

describe('--mqtt-version', () => {
  it.each([
    ['start', ['start', '--port', '0', '--ws-port', '0', '--http-port', '0', '--devices', '0', '--data-dir', mkdtempSync(join(tmpdir(), 'wardlab-flag-'))]],
    ['run', ['run', 'scenarios/icu-night-shift.yaml']],
    ['bench', ['bench', '--devices', '1']],
  ])('wardlab %s refuses a version it does not speak, naming the flag, with exit code 2', async (command, args) => {
    const result = await runWardlab([...args, '--mqtt-version', '4'])
    expect(result.code).toBe(2)
    expect(result.stderr.trim()).toBe(`wardlab ${command}: --mqtt-version must be 3.1.1 or 5, got "4"`)
  })

  it('is listed in the help of every command that builds MQTT clients', async () => {
    const helps = await Promise.all(['start', 'run', 'bench'].map((command) => runWardlab([command, '--help'])))
    for (const help of helps) expect(help.stdout).toMatch(/--mqtt-version <3\.1\.1\|5>/)
  })
})
