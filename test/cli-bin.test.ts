import { execFile } from 'node:child_process'
import { mkdtempSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)

describe('the wardlab executable', () => {
  it('runs the CLI when started through a link, as npx and global installs start it', async () => {
    const link = join(mkdtempSync(join(tmpdir(), 'wardlab-bin-')), 'wardlab')
    symlinkSync(resolve('bin/wardlab.js'), link)
    const { stdout } = await run(process.execPath, [link, 'validate', 'scenarios/slow-dos.yaml'], { timeout: 30_000 })
    expect(stdout).toContain('scenarios/slow-dos.yaml: valid scenario "slow-dos"')
  })
})
