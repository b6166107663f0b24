import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { pollOutput } from './support/cli.ts'

/**
 * The README's `npm start`, in a real pseudo-terminal (util-linux `script`), stopped the way a
 * user stops it: Ctrl-C typed into the terminal, which the line discipline turns into SIGINT for
 * the whole foreground process group — npm, and wardlab — and npm passes it on once more.
 */
function inTerminal(command: string): { write(text: string): void; output: () => string; waitFor(pattern: RegExp, ms?: number): Promise<void>; exited: Promise<number | null> } {
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, VITEST: '', NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {
    write: (text) => child.stdin.write(text),
    output: () => out,
    exited,
    waitFor: async (pattern, ms = 60_000) => void (await pollOutput(() => out, pattern, () => child.exitCode !== null, ms)),
  }
}

describe('Ctrl-C after npm start, in a terminal', () => {
  it('shuts down cleanly once and exits 0, without a second-signal warning', { timeout: 120_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wardlab-ctrl-c-'))
    const terminal = inTerminal(`npm start --silent -- --port 0 --ws-port 0 --http-port 0 --devices 2 --data-dir ${dataDir}`)
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
