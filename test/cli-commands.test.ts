import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runWardlab } from './support/cli.ts'

/** The command line's conveniences (README "Commands"), through the real process. */
describe('the wardlab command line', () => {
  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }
    for (const flag of ['--version', '-V']) {
      const result = await runWardlab([flag])
      expect(result.code).toBe(0)
      expect(result.stdout.trim()).toBe(version)
    }
  })

  it('wardlab help start is start --help; the overview lists every command and the exit codes', async () => {
    const viaHelp = await runWardlab(['help', 'start'])
    const viaFlag = await runWardlab(['start', '--help'])
    expect(viaHelp.code).toBe(0)
    expect(viaHelp.stdout).toBe(viaFlag.stdout)
    expect(viaHelp.stdout).toMatch(/^wardlab start — run the broker/)
    expect(viaHelp.stdout).toContain('--port <port|off>')
    const overview = await runWardlab(['--help'])
    for (const command of ['start', 'run', 'replay', 'device', 'user', 'schema', 'validate', 'bench'])
      expect(overview.stdout).toMatch(new RegExp(`^  ${command} `, 'm'))
  })

  it.each([
    [['start', '--prot', '1883'], "wardlab start: unknown option '--prot' (did you mean --port?)"],
    [['strat'], "wardlab: unknown command 'strat' (did you mean start?)"],
    [['start', '--speed', '-1'], 'wardlab start: --speed must be a number ≥ 0.001, got "-1"'],
    [['bench', '--duration', 'soon'], 'wardlab bench: --duration must be a number ≥ 1, got "soon"'],
    [['run'], "wardlab run: missing required argument 'scenario'"],
    [['validate', 'a.yaml', 'b.yaml'], "wardlab validate: too many arguments for 'validate'"],
  ])('refuses %j with a clear message and exit 2', async (args, message) => {
    const result = await runWardlab(args)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(message)
    expect(result.stderr).not.toMatch(/\n\s+at |node:internal/)
  })

  it('device and user: add, list, remove', { timeout: 60_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wardlab-registry-cli-'))
    const files = ['--data-dir', dataDir]
    expect((await runWardlab(['device', 'add', '--id', 'pump-bed9', '--kind', 'infusion-pump', '--ward', 'icu', '--bed', 'icu-08', ...files])).code).toBe(0)
    expect((await runWardlab(['user', 'add', '--username', 'nurse9', '--role', 'operator', ...files])).code).toBe(0)
    const devices = await runWardlab(['device', 'list', ...files])
    expect(devices.stdout).toMatch(/^id\s+kind\s+ward\s+bed\s+patient\s+runs as$/m)
    expect(devices.stdout).toMatch(/^pump-bed9\s+infusion-pump\s+icu\s+icu-08\s+-\s+real$/m)
    expect(devices.stdout).toMatch(/^mon-icu-01\s+bedside-monitor\s+icu\s+icu-01\s+\S+\s+simulated$/m)
    expect((await runWardlab(['user', 'list', ...files])).stdout).toMatch(/^nurse9\s+operator$/m)

    expect((await runWardlab(['device', 'remove', '--id', 'pump-bed9', ...files])).code).toBe(0)
    expect((await runWardlab(['user', 'remove', '--username', 'nurse9', ...files])).code).toBe(0)
    expect((await runWardlab(['device', 'list', ...files])).stdout).not.toContain('pump-bed9')
    expect((await runWardlab(['user', 'list', ...files])).stdout).not.toContain('nurse9')
    const again = await runWardlab(['device', 'remove', '--id', 'pump-bed9', ...files])
    expect(again.code).toBe(2)
    expect(again.stderr).toContain('no device "pump-bed9" in')
    const unknown = await runWardlab(['user', 'rename', ...files])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('wardlab user: unknown action "rename" (add, list, remove)')
  })
})
