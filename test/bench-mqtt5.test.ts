import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runBench } from '../src/bench/bench.ts'
import type { BenchReport } from '../src/bench/result.ts'
import { parseVariants } from '../src/cli/commands/bench.ts'
import { runWardlab } from './support/cli.ts'
import { testLoad } from './support/bench-load.ts'

const tempDir = () => mkdtempSync(join(tmpdir(), 'wardlab-bench-mqtt5-'))

describe('wardlab bench --mqtt-version 5', () => {
  let report: BenchReport
  beforeAll(async () => {
    report = await runBench({
      load: testLoad({ devices: 6, seed: 'mqtt5', key: Buffer.alloc(32, 6) }),
      // Both generators: the hand-written PUBLISH bytes and mqtt.js' own.
      variants: parseVariants('embedded', 'on', 'wardlab', 'generator=wardlab,mqttjs', '5'),
      rounds: 1,
      outputDir: tempDir(),
      command: 'test',
    })
  }, 60_000)

  it('delivers every message from both generators over MQTT 5, and the pipeline validates them all', () => {
    expect(report.runs.map((r) => [r.variant, r.mqttVersion])).toEqual([
      ['generator wardlab', '5'],
      ['generator mqttjs', '5'],
    ])
    for (const run of report.runs) {
      expect(run.totals.sent).toBeGreaterThan(100)
      expect(run.totals).toMatchObject({ lost: 0, duplicates: 0, reordered: 0 })
      expect(run.deliveredPct).toBe(100)
      expect(run.pipeline).toMatchObject({ received: run.totals.sent, valid: run.totals.sent, quarantined: 0 })
    }
  })
})

describe('--compare mqtt-version', () => {
  it('makes one variant per version, labelled with it, and refuses a version it does not know', () => {
    expect(parseVariants('embedded', 'on', 'wardlab', 'mqtt-version=3.1.1,5').map((v) => [v.label, v.mqttVersion])).toEqual([
      ['MQTT 3.1.1', '3.1.1'],
      ['MQTT 5', '5'],
    ])
    expect(() => parseVariants('embedded', 'on', 'wardlab', 'mqtt-version=3.1.1,4')).toThrow(/--compare mqtt-version= takes 3.1.1 and 5, got "3.1.1,4"/)
    // Every other comparison runs in the version --mqtt-version names.
    expect(parseVariants('embedded', 'on', 'wardlab', 'pipeline=off,on', '5').map((v) => v.mqttVersion)).toEqual(['5', '5'])
  })

  it('prints the versions side by side, each column saying which it used, both delivering everything', async () => {
    const json = join(tempDir(), 'bench.json')
    const result = await runWardlab([
      'bench',
      '--devices',
      '4',
      '--rate',
      '10',
      '--qos',
      '1',
      '--duration',
      '2',
      '--pipeline',
      'off',
      '--compare',
      'mqtt-version=3.1.1,5',
      '--json',
      json,
    ])
    expect(result.code, result.stderr).toBe(0)
    const lines = result.stdout.split('\n')
    expect(lines[0]).toMatch(/^\s+MQTT 3\.1\.1\s+MQTT 5$/)
    expect(lines.find((l) => l.startsWith('MQTT version'))).toMatch(/^MQTT version\s+3\.1\.1\s+5$/)
    expect(lines.find((l) => l.startsWith('delivered %'))).toMatch(/^delivered %\s+100\.000\s+100\.000$/)
    expect(result.stdout).toContain('delivered msg/s: MQTT 5 / MQTT 3.1.1 = ')
    const written = JSON.parse(readFileSync(json, 'utf8')) as BenchReport
    expect(written.runs.map((r) => [r.variant, r.mqttVersion, r.deliveredPct])).toEqual([
      ['MQTT 3.1.1', '3.1.1', 100],
      ['MQTT 5', '5', 100],
    ])
  }, 90_000)
})
