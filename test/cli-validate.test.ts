import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runWardlab } from './support/cli.ts'

const dir = mkdtempSync(join(tmpdir(), 'wardlab-validate-'))
const file = (name: string, lines: string[]) => {
  const path = join(dir, name)
  writeFileSync(path, `${lines.join('\n')}\n`)
  return path
}

/** Every reference a run would trip over, one per line, so each problem's line:column is known. */
const BAD_REFERENCES = file('bad-refs.yaml', [
  'name: bad-refs',
  'duration: 10m',
  'hospital:',
  '  beds:',
  '    - { ward: icu, count: 2, devices: [bedside-monitor, toaster] }',
  '  patients:',
  '    - { id: pt-a, ward: icu, bed: icu-77 }',
  'timeline:',
  '  - { at: 1m, event: outage, devices: mon-99, duration: 1m }',
  '  - { at: 2m, event: deterioration, patient: pt-ghost, trajectory: sepsis }',
  '  - { at: 3m, event: attack, attack: replay, params: { target: pump-404 } }',
  '  - { at: 4m, event: command, device: pump-x, command: { action: pause } }',
  'expect:',
  '  - clinicalAlert: { patient: pt-nobody }',
  '  - alert: { type: brute-force, within: 5 parsecs }',
])

describe('wardlab validate', () => {
  it('reports every bad reference of a scenario at once, each with file:line:column and its field', { timeout: 60_000 }, async () => {
    const result = await runWardlab(['validate', BAD_REFERENCES])
    expect(result.code).toBe(2)
    const f = BAD_REFERENCES
    // The schema problem (a bad duration inside a union) names its field, not "expect.1: Invalid input".
    expect(result.stderr).toContain(`${f}:15:41: expect[1].alert.within: "5 parsecs" is not a duration`)
    const withoutSchema = file('refs-only.yaml', [...readLines(f).slice(0, 14)])
    const refs = await runWardlab(['validate', withoutSchema])
    expect(refs.code).toBe(2)
    const w = withoutSchema
    expect(refs.stderr).toContain(`${w} has 7 problems:`)
    expect(refs.stderr).toContain(`${w}:5:57: hospital.beds[0].devices[1]: unknown device kind "toaster" (kinds: bedside-monitor,`)
    expect(refs.stderr).toContain(`${w}:7:35: hospital.patients[0].bed: ward "icu" has no bed "icu-77"`)
    expect(refs.stderr).toContain(`${w}:9:39: timeline[0].devices: unknown device "mon-99" (known: bedside-monitor-icu-01,`)
    expect(refs.stderr).toContain(`${w}:10:46: timeline[1].patient: unknown patient "pt-ghost"`)
    expect(refs.stderr).toContain(`${w}:11:64: timeline[2].params.target: attack target "pump-404" is not in the registry`)
    expect(refs.stderr).toContain(`${w}:12:39: timeline[3].device: unknown device "pump-x"`)
    expect(refs.stderr).toContain(`${w}:14:31: expect[0].clinicalAlert.patient: unknown patient "pt-nobody"`)
  })

  it('run rejects the same file with the same lines before anything starts', { timeout: 60_000 }, async () => {
    const validated = await runWardlab(['validate', file('refs-run.yaml', readLines(BAD_REFERENCES).slice(0, 14))])
    const run = await runWardlab(['run', join(dir, 'refs-run.yaml')])
    expect(run.code).toBe(2)
    expect(run.stderr).toBe(validated.stderr)
  })

  it('reports every mistake of a registry, with users[1].username rather than users.1.username', { timeout: 60_000 }, async () => {
    const hash = '"scrypt$1$1$1$AA==$AA=="'
    const registry = file('registry.yaml', [
      'version: 1',
      'site: test',
      'wards:',
      '  - { id: icu, name: ICU, beds: [icu-01] }',
      'patients:',
      '  - { id: pt-1, ward: ward-x, sex: female, ageYears: 50, heightCm: 170, weightKg: 70 }',
      'devices:',
      `  - { id: mon-1, kind: toaster, ward: icu, passwordHash: ${hash} }`,
      'users:',
      `  - { username: a, role: observer, passwordHash: ${hash} }`,
      `  - { username: "b/c", role: observer, passwordHash: ${hash} }`,
    ])
    const result = await runWardlab(['validate', registry])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(`${registry} has 3 problems:`)
    expect(result.stderr).toContain(`${registry}:6:23: patients[0].ward: unknown ward "ward-x"`)
    expect(result.stderr).toContain(`${registry}:8:24: devices[0].kind: unknown device kind "toaster"`)
    expect(result.stderr).toContain(`${registry}:11:17: users[1].username: letters, digits`)
  })

  it('tells a pipeline file from a scenario, and refuses a file that is neither', { timeout: 60_000 }, async () => {
    const good = await runWardlab(['validate', 'src/pipeline/default-pipeline.yaml'])
    expect(good.stdout).toContain('src/pipeline/default-pipeline.yaml: valid pipeline (6 stages')
    const bad = file('pipeline.yaml', [
      'stages: [decode, validate, route]',
      'sinks: { out: { type: stdout } }',
      'routes:',
      '  - { name: vitals, topic: "hospital/#", to: [{ sink: nowhere }] }',
    ])
    const result = await runWardlab(['validate', bad])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(new RegExp(`${bad}:4:\\d+: routes\\[0\\]\\.to\\[0\\]\\.sink: no sink named "nowhere"`))
    expect(result.stderr).not.toMatch(/timeline|hospital/)
    const neither = await runWardlab(['validate', file('notes.yaml', ['shopping: [milk]'])])
    expect(neither.code).toBe(2)
    expect(neither.stderr).toContain('not a scenario, registry or pipeline file')
  })

  it('passes every scenario in the library', { timeout: 60_000 }, async () => {
    for (const name of ['sepsis-deterioration', 'infusion-pump-tampering', 'mass-casualty-surge']) {
      const result = await runWardlab(['validate', `scenarios/${name}.yaml`])
      expect(result.code, result.stderr).toBe(0)
    }
  })
})

function readLines(path: string): string[] {
  return readFileSync(path, 'utf8').trimEnd().split('\n')
}
