import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { inTerminal } from './support/terminal.ts'

const run = promisify(execFile)
const CLEAR_LINE = '\r\x1b[2K'
const STATUS = /^ devices \d+\/\d+ · clients \d+ · \d+ msg\/s · received \d+ · quarantined \d+ · security alerts \d+/

describe('wardlab start in a terminal', () => {
  it('keeps the status line and log lines apart: each log line replaces the status line, which comes back under it', { timeout: 120_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wardlab-terminal-'))
    const terminal = inTerminal(`node bin/wardlab.js start --port 0 --ws-port 0 --http-port 0 --devices 2 --data-dir ${dataDir}`, { NO_COLOR: '1' })
    try {
      const [, port] = await terminal.waitFor(/mqtt:\/\/127\.0\.0\.1:(\d+)/)
      await terminal.waitFor(/ devices 2\/2 /)
      // Wrong passwords: the security monitor logs an auth-failure and then a brute-force alert while the status line is up.
      for (let i = 0; i < 12; i++)
        await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', port!, '-u', 'mon-icu-01', '-P', 'wrong', '-i', `guess-${i}`, '-t', 'x', '-m', 'x']).catch(
          () => undefined,
        )
      await terminal.waitFor(/security alert: brute-force/)
      await terminal.waitFor(/security alerts [1-9]/)
    } finally {
      terminal.write('\x03')
    }
    expect(await terminal.exited).toBe(0)

    const pieces = terminal.output().split(CLEAR_LINE).slice(1)
    const logs = pieces.filter((p) => /^\[\d\d:\d\d:\d\d\.\d{3}\] (INFO|WARN)/.test(p))
    // The banner, too, is written by the terminal's one owner: a piece of its own.
    expect(pieces.some((p) => p.startsWith('\r\nwardlab is running:'))).toBe(true)
    expect(logs.some((p) => p.includes('security alert: brute-force'))).toBe(true)
    for (const piece of pieces) {
      // A status line never has a log line written onto it...
      if (STATUS.test(piece)) expect(piece).not.toMatch(/\n|\[\d\d:\d\d:\d\d/)
      // ...and a log entry is one line (the alert's evidence inline), then at most the status line again.
      else if (logs.includes(piece)) expect(piece.split('\r\n').length, JSON.stringify(piece)).toBeLessThanOrEqual(2)
    }
    expect(logs.filter((p) => p.split('\r\n')[1]).every((p) => STATUS.test(p.split('\r\n')[1]!))).toBe(true)
  })
})
