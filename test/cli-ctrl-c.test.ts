import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { QUIET_START, spawnWardlab } from './support/cli.ts'
import { inTerminal } from './support/terminal.ts'

/**
 * The README's `npm start`, in a real pseudo-terminal, stopped the way a user stops it: Ctrl-C
 * typed into the terminal, which the line discipline turns into SIGINT for the whole foreground
 * process group — npm, and wardlab — and npm passes it on once more.
 */
describe('Ctrl-C in a terminal', () => {
  it.each([
    ['npm start --silent --', () => process.cwd()],
    // As a project that installed wardlab runs it: npx finds node_modules/.bin/wardlab (--no: never download).
    ['npx --no -- wardlab start', projectUsingWardlab],
  ])('%s: shuts down cleanly once and exits 0, without a second-signal warning', { timeout: 120_000 }, async (command, cwd) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wardlab-ctrl-c-'))
    const terminal = inTerminal(`${command} --port 0 --ws-port 0 --http-port 0 --devices 2 --data-dir ${dataDir}`, { NO_COLOR: '1' }, cwd())
    await terminal.waitFor(/wardlab started/)
    terminal.write('\x03')
    const code = await terminal.exited
    const output = terminal.output()
    expect(output).toMatch(/shutting down: devices disconnect, sinks flush/)
    expect(output).toMatch(/wardlab stopped/)
    expect(output).not.toMatch(/second signal/)
    expect(code, output).toBe(0)
  })
})

/** A project with wardlab installed: its package.json and the link npm makes in node_modules/.bin. */
function projectUsingWardlab(): string {
  const project = mkdtempSync(join(tmpdir(), 'wardlab-npx-'))
  writeFileSync(join(project, 'package.json'), '{"name":"uses-wardlab","private":true}')
  mkdirSync(join(project, 'node_modules/.bin'), { recursive: true })
  symlinkSync(resolve('bin/wardlab.js'), join(project, 'node_modules/.bin/wardlab'))
  return project
}

describe('Ctrl-\\ in a terminal', () => {
  it('exits at once with 130, without the clean shutdown', { timeout: 120_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wardlab-ctrl-quit-'))
    const terminal = inTerminal(`node bin/wardlab.js start --port 0 --ws-port 0 --http-port 0 --devices 0 --data-dir ${dataDir}`, { NO_COLOR: '1' })
    // Pressed on the banner's first line, as impatiently as a user can: the key must already be
    // wardlab's, not the terminal's SIGQUIT (that race failed CI once, with the key echoed as ^\).
    await terminal.waitFor(/wardlab is running/)
    terminal.write('\x1c')
    const code = await terminal.exited
    const output = terminal.output()
    expect(output).toMatch(/exiting without a clean shutdown/)
    expect(output).not.toMatch(/wardlab stopped/)
    expect(output).not.toContain('^\\')
    expect(code, output).toBe(130)
  })

  it('takes SIGQUIT from outside a terminal the same way: a word, and 130', { timeout: 120_000 }, async () => {
    const cli = spawnWardlab([...QUIET_START, '--data-dir', mkdtempSync(join(tmpdir(), 'wardlab-quit-'))])
    await cli.waitFor(/"msg":"wardlab started"/)
    cli.child.kill('SIGQUIT')
    expect(await cli.exited).toBe(130)
    expect(cli.stdout()).toMatch(/"signal":"SIGQUIT".*exiting without a clean shutdown/)
    expect(cli.stdout()).not.toMatch(/wardlab stopped/)
  })
})
