import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CONFIG = fileURLToPath(new URL('../.dependency-cruiser.cjs', import.meta.url))
const DEPCRUISE = fileURLToPath(new URL('../node_modules/.bin/depcruise', import.meta.url))

interface Violation {
  from: string
  to: string
  rule: { name: string }
}

/** dependency-cruiser's verdict on `paths`, run from `cwd` with the repository's layer rules. */
function violations(cwd: string, paths: string[]): Violation[] {
  let out: string
  try {
    out = execFileSync(DEPCRUISE, [...paths, '--config', CONFIG, '--output-type', 'json'], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  } catch (err) {
    // depcruise exits non-zero when it finds violations; its JSON is still on stdout.
    out = (err as { stdout: string }).stdout
  }
  return (JSON.parse(out) as { summary: { violations: Violation[] } }).summary.violations
}

describe('the layer rule (ARCHITECTURE.md, .dependency-cruiser.cjs)', () => {
  it('holds for every module: no upward import, no cycle, the pipeline and detectors never load the simulator', () => {
    const found = violations(ROOT, ['src', 'devices'])
    expect(found.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([])
  }, 60_000)

  it('fails on an upward import (a pipeline module importing the simulator)', () => {
    const found = violations(fileURLToPath(new URL('fixtures/upward-import/', import.meta.url)), ['src'])
    expect(found.map((v) => v.rule.name).sort()).toEqual(['core-below-drivers', 'pipeline-never-loads-simulation'])
    expect(found[0]).toMatchObject({ from: 'src/pipeline/stage.ts', to: 'src/simulation/clock.ts' })
  }, 60_000)
})
