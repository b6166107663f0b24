import { readdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { loadScenario } from '../src/scenarios/load.ts'
import { runScenario } from '../src/scenarios/runner.ts'
import { scenarioSchema } from '../src/scenarios/schema.ts'
import { silentLogger } from '../src/util/log.ts'
import { outputDir } from './support/lab.ts'
import { runWardlab } from './support/cli.ts'
import { openLab } from '../src/lab/open-lab.ts'

const LIBRARY = readdirSync('scenarios')
  .filter((f) => f.endsWith('.yaml'))
  .sort()
const dir = mkdtempSync(join(tmpdir(), 'wardlab-scenarios-'))

function scenarioFile(name: string, text: string): string {
  const file = join(dir, name)
  writeFileSync(file, text)
  return file
}

describe('the scenario library', () => {
  it('has the scenarios the project promises', () => {
    for (const name of [
      'icu-night-shift',
      'sepsis-deterioration',
      'cardiac-arrest',
      'mri-helium-loss',
      'telemedicine-degradation',
      'infusion-pump-tampering',
      'publish-flood',
      'brute-force-takeover',
      'slow-dos',
      'wildcard-snooping',
      'hospital-at-home',
      'mass-casualty-surge',
      'broker-restart',
    ]) {
      expect(LIBRARY).toContain(`${name}.yaml`)
    }
  })

  it.each(LIBRARY)(
    '%s passes every expectation at full speed',
    async (file) => {
      const scenario = await loadScenario(join('scenarios', file))
      expect(scenario.expect.length).toBeGreaterThan(0)
      const report = await runScenario(scenario, { openLab, log: silentLogger, outputDir: outputDir(), speed: 'max' })
      const failed = report.expectations.filter((e) => !e.passed)
      expect(failed, JSON.stringify(failed, null, 2)).toEqual([])
      expect(report.passed).toBe(true)
      expect(report.messages.received).toBe(report.messages.valid + report.messages.quarantined)
    },
    120_000,
  )
})

describe('scenario runs', () => {
  const SHORT = `
name: short-ward
seed: repeatable
duration: 10m
hospital:
  beds: [{ ward: icu, count: 2, devices: [bedside-monitor, infusion-pump] }]
  patients: [{ id: pt-x, ward: icu, trajectory: sepsis }]
  devices: [{ id: kit-x, kind: hospital-at-home-kit, ward: icu, patient: pt-x }]
timeline:
  - { at: 2m, event: outage, devices: infusion-pump-icu-01, duration: 1m }
expect:
  - quarantined: { max: 0 }
`

  it('produces the same telemetry and verdicts from the same seed, at any speed', async () => {
    const scenario = scenarioSchema.parse((await import('yaml')).parse(SHORT))
    const fast = await runScenario(scenario, { openLab, log: silentLogger, outputDir: outputDir(), speed: 'max' })
    const again = await runScenario(scenario, { openLab, log: silentLogger, outputDir: outputDir(), speed: 'max' })
    const paced = await runScenario(scenario, { openLab, log: silentLogger, outputDir: outputDir(), speed: 300 })
    expect(Object.keys(fast.telemetryDigests)).toHaveLength(5)
    expect(again.telemetryDigests, 'a second run at full speed').toEqual(fast.telemetryDigests)
    expect(paced.telemetryDigests, 'a paced run at 300×').toEqual(fast.telemetryDigests)
    expect(paced.expectations.map((e) => e.passed)).toEqual(fast.expectations.map((e) => e.passed))
    const other = await runScenario({ ...scenario, seed: 'different' }, { openLab, log: silentLogger, outputDir: outputDir(), speed: 'max' })
    expect(other.telemetryDigests['bedside-monitor-icu-01']).not.toBe(fast.telemetryDigests['bedside-monitor-icu-01'])
  }, 60_000)

  it('exits non-zero with a clear message when an expectation does not hold', async () => {
    const file = scenarioFile(
      'false.yaml',
      `
name: false-expectation
duration: 2m
hospital:
  patients: [{ id: pt-calm, ward: icu }]
  devices: [{ id: mon-calm, kind: bedside-monitor, ward: icu, patient: pt-calm }]
expect:
  - news2: { patient: pt-calm, atLeast: 7, by: 2m }
  - quarantined: { max: 0 }
`,
    )
    const reportFile = join(dir, 'false.json')
    const result = await runWardlab(['run', file, '--report', reportFile])
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/FAILED\s+false-expectation/)
    expect(result.stdout).toMatch(/FAIL\s+pt-calm reaches NEWS2 ≥ 7 by 2m\s+highest announced NEWS2 \d/)
    expect(result.stdout).toMatch(/ok\s+quarantined ≤ 0/)
    const report = JSON.parse(readFileSync(reportFile, 'utf8'))
    expect(report).toMatchObject({
      scenario: 'false-expectation',
      passed: false,
      messages: { quarantined: 0 },
      latencyMs: { p50: expect.any(Number), p99: expect.any(Number) },
    })
    expect(report.expectations).toHaveLength(2)
  }, 60_000)

  it('reports every problem in an invalid file with its line and field', async () => {
    const file = scenarioFile(
      'broken.yaml',
      [
        'name: broken',
        'duration: 2 hours',
        'hospital:',
        '  devices:',
        '    - { id: mon-1, kind: bedside-monitor }',
        'timeline:',
        '  - { at: 5m, event: explode }',
        'expect:',
        '  - news2: { patient: p, atLeast: 30 }',
        '',
      ].join('\n'),
    )
    const result = await runWardlab(['validate', file])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(`${file}:2:11: duration: "2 hours" is not a duration`)
    expect(result.stderr).toContain(`${file}:5:7: hospital.devices[0].ward: missing (a string is required here)`)
    expect(result.stderr).toMatch(new RegExp(`${file}:7:22: timeline\\[0\\]\\.event: Invalid discriminator value. Expected 'deterioration' \\| 'fault'`))
    expect(result.stderr).toMatch(new RegExp(`${file}:9:\\d+: expect\\[0\\]\\.news2\\.atLeast: `))
  })

  it('exports a labelled packet- and message-level dataset of the run', async () => {
    const scenario = scenarioSchema.parse((await import('yaml')).parse(SHORT))
    scenario.timeline.push(
      scenarioSchema.shape.timeline.parse([{ at: '5m', event: 'attack', attack: 'brute-force', duration: '20s', params: { address: '192.0.2.77' } }])[0]!,
    )
    const datasetDir = join(dir, 'dataset')
    const report = await runScenario(scenario, { openLab, log: silentLogger, outputDir: outputDir(), speed: 'max', exportDataset: datasetDir })
    const [header, ...rows] = readFileSync(join(datasetDir, 'packets.csv'), 'utf8').trimEnd().split('\n')
    expect(header).toBe(
      'time_ms,direction,connection,address,client_id,msg_type,dup,qos,retain,length,message_id,topic,payload_length,keep_alive,clean_session,username_flag,password_flag,will_flag,protocol_level,label',
    )
    const cells = rows.map((r) => r.split(','))
    const types = new Set(cells.map((c) => c[5]))
    for (const type of ['connect', 'connack', 'publish', 'puback', 'subscribe', 'suback']) expect(types).toContain(type)
    expect(types).not.toContain('malformed')
    const connect = cells.find((c) => c[5] === 'connect' && c[4] === 'bedside-monitor-icu-01')!
    expect(connect.slice(13, 19)).toEqual(['30', '1', '1', '1', '1', '4'])
    const devicePublishes = cells.filter((c) => c[1] === 'in' && c[5] === 'publish' && c[11]!.startsWith('hospital/'))
    // The pipeline also received the will the broker published for the pump cut off by the outage.
    expect(devicePublishes.length + 1).toBe(report.messages.received)
    // The attacker's packets, and only those, carry its label.
    const attack = cells.filter((c) => c.at(-1) === 'brute-force')
    expect(attack.length).toBeGreaterThan(50)
    expect(new Set(attack.map((c) => c[3]))).toEqual(new Set(['192.0.2.77']))
    expect(cells.filter((c) => c[3] === '192.0.2.77' && c.at(-1) !== 'brute-force')).toEqual([])
    expect(new Set(cells.map((c) => c.at(-1)))).toEqual(new Set(['benign', 'brute-force']))
    expect(report.dataset).toEqual({ dir: datasetDir, packetsByLabel: { benign: rows.length - attack.length, 'brute-force': attack.length } })
    const messages = readFileSync(join(datasetDir, 'messages.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l))
    // Every enveloped device message (status is the one channel without an envelope).
    expect(messages.length).toBe(devicePublishes.filter((c) => !c[11]!.endsWith('/status')).length)
    expect(messages[0]).toMatchObject({
      deviceId: expect.any(String),
      seq: expect.any(Number),
      ts: expect.any(Number),
      channel: expect.any(String),
      label: 'benign',
    })
  }, 60_000)

  it('keeps the editor JSON Schema in docs/ in step with the zod schema', () => {
    const committed = JSON.parse(readFileSync('docs/scenario.schema.json', 'utf8'))
    expect(committed).toEqual(JSON.parse(JSON.stringify(z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }))))
  })
})
