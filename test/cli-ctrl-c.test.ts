import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { inTerminal } from './support/terminal.ts'

/**
 * The README's `npm start`, in a real pseudo-terminal, stopped the way a user stops it: Ctrl-C
 * typed into the terminal, which the line discipline turns into SIGINT for the whole foreground
 * process group — npm, and wardlab — and npm passes it on once more.
 */
describe('Ctrl-C after npm start, in a terminal', () => {
  it('shuts down cleanly once and exits 0, without a second-signal warning', { timeout: 120_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wardlab-ctrl-c-'))
    const terminal = inTerminal(`npm start --silent -- --port 0 --ws-port 0 --http-port 0 --devices 2 --data-dir ${dataDir}`, { NO_COLOR: '1' })
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
