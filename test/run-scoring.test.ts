import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { GroundTruthEntry } from '../src/attacks/ground-truth.ts'
import type { SecurityAlert } from '../src/contract/security-alert.ts'
import type { RunReport } from '../src/scenarios/report.ts'
import { scoreRun } from '../src/scenarios/run-scoring.ts'
import { runWardlab } from './support/cli.ts'

const entry = (type: GroundTruthEntry['type'], attacker: string, address: string, startMs: number, endMs: number): GroundTruthEntry => ({
  type,
  attacker,
  target: null,
  addresses: [address],
  clientIds: [],
  startMs,
  endMs,
  params: {},
})

const alert = (id: string, type: SecurityAlert['type'], address: string, ts: number, extra: Partial<SecurityAlert> = {}): SecurityAlert => ({
  id,
  type,
  severity: 'high',
  state: 'open',
  ts,
  clientId: `c-${address}`,
  address,
  evidence: {},
  firstSeen: ts,
  lastSeen: ts,
  count: 1,
  ...extra,
})

describe('scoring a run against the attacks it injected', () => {
  it('counts each injection and each benign source once, by the alerts that are theirs', () => {
    const truth = [
      entry('brute-force', 'brute-force#1', '203.0.113.10', 1000, 20_000),
      entry('publish-flood', 'publish-flood#2', '203.0.113.40', 30_000, 40_000),
      entry('slow-dos', 'slow-dos#3', '203.0.113.50', 50_000, 60_000),
    ]
    const alerts = [
      alert('a1', 'brute-force', '203.0.113.10', 5000),
      // The same alert closing long after the attack: still the attack's, not a false alert.
      alert('a1', 'brute-force', '203.0.113.10', 500_000, { state: 'closed' }),
      // The flooder also tripped the connect-flood detector: a detected flood all the same.
      alert('a2', 'connect-flood', '203.0.113.40', 31_000),
      alert('a3', 'publish-flood', '203.0.113.40', 32_000),
      // The slow DoS was missed, and a device raised a false alert of its own.
      alert('a4', 'publish-flood', 'sim:mon-1', 52_000, { deviceId: 'mon-1' }),
      // An alert from an address that is neither an attack's nor a device's.
      alert('a5', 'wildcard-snooping', '192.0.2.9', 70_000),
    ]
    const score = scoreRun(truth, alerts, ['mon-1', 'pump-1'])
    expect(score.matrix).toEqual({
      'brute-force': { 'brute-force': 1 },
      'publish-flood': { 'publish-flood': 1 },
      'slow-dos': { benign: 1 },
      benign: { 'publish-flood': 1, benign: 1, 'wildcard-snooping': 1 },
    })
    expect(score.perClass['publish-flood']).toMatchObject({ support: 1, predicted: 2, precision: 0.5, recall: 1 })
    expect(score.perClass['slow-dos']).toMatchObject({ support: 1, recall: 0, precision: null })
    expect(score.perClass.benign).toMatchObject({ support: 3, truePositives: 1 })
  })

  it('wardlab run prints the scoring and writes it into the JSON and HTML reports (scenarios/wildcard-snooping.yaml)', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wardlab-run-scoring-'))
    const json = join(dir, 'run.json')
    const html = join(dir, 'run.html')
    const result = await runWardlab([
      'run',
      'scenarios/wildcard-snooping.yaml',
      '--speed',
      'max',
      '--output',
      join(dir, 'out'),
      '--report',
      json,
      '--html',
      html,
    ])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('scoring against labels (sources: each injected attack, each device and other benign source)')
    expect(result.stdout).toMatch(/wildcard-snooping\s+100\.0%\s+100\.0%\s+1/)
    const report = JSON.parse(readFileSync(json, 'utf8')) as RunReport
    // The ground truth is the run's one injection; the benign sources are its two monitors.
    expect(report.scoring!.matrix).toEqual({ 'wildcard-snooping': { 'wildcard-snooping': 1 }, benign: { benign: 2 } })
    expect(report.scoring!.perClass['wildcard-snooping']).toMatchObject({ precision: 1, recall: 1, support: 1 })
    const page = readFileSync(html, 'utf8')
    expect(page).toContain('<h2>Scoring against the injected attacks</h2>')
    expect(page).toContain('<h3>Confusion matrix</h3>')
  })

  it('with nothing injected and nothing raised, every device is a true benign', () => {
    expect(scoreRun([], [], ['mon-1']).perClass.benign).toMatchObject({ support: 1, recall: 1 })
  })
})
