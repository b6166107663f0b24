/**
 * Vitest global setup: the whole test run writes its temporary files under one folder of its own,
 * removed when the run ends.
 *
 * Tests make folders with `mkdtempSync(join(tmpdir(), …))` for pipeline outputs, session stores,
 * captures and browser profiles; one scenario alone writes ~300 MB of FHIR. Left in /tmp they
 * filled a CI disk after a few hundred runs. Setting TMPDIR here, before the forked workers start,
 * reaches `os.tmpdir()` in every worker and every process a test spawns (wardlab, mosquitto,
 * Python, Chromium). A run killed before its teardown leaves its folder behind; the next run
 * removes the folders whose process is gone.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const PREFIX = 'wardlab-tests-'

export default function setup(): () => void {
  const parent = tmpdir()
  removeAbandonedRuns(parent)
  const root = mkdtempSync(join(parent, `${PREFIX}${process.pid}-`))
  process.env.TMPDIR = root
  return () => rmSync(root, { recursive: true, force: true })
}

function removeAbandonedRuns(parent: string): void {
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(PREFIX)) continue
    const pid = Number(name.slice(PREFIX.length).split('-')[0])
    if (Number.isInteger(pid) && !isRunning(pid)) rmSync(join(parent, name), { recursive: true, force: true })
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
