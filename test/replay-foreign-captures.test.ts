import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { main } from '../src/cli/main.ts'
import type { CaptureReplayReport } from '../src/scenarios/capture-run.ts'
import type { LabelScore } from '../src/scenarios/label-scoring.ts'
import type { RunReport } from '../src/scenarios/report.ts'
import { collectStdout } from './support/stdout.ts'

/**
 * Each attack class on captures made with tools and rates the thresholds never saw: wardlab's own
 * attacker (a scenario run exported with --export-dataset, its pcapng replayed) and mosquitto_pub /
 * mosquitto_sub / Paho / raw sockets against Debian's mosquitto, recorded with dumpcap
 * (test/fixtures/captures/record.py). Every replay is scored against the attackers' addresses
 * through `wardlab replay --labels`: every flow alerted as a class is truly of it (precision 1),
 * every benign flow raises nothing, and the attacker's flows are caught.
 */

const CAPTURES = fileURLToPath(new URL('./fixtures/captures/', import.meta.url))
const PORTS: Record<string, number> = JSON.parse(readFileSync(join(CAPTURES, 'ports.json'), 'utf8'))
const BENIGN_ADDRESS = '127.0.0.10'

const printed = collectStdout()

const tempDir = () => mkdtempSync(join(tmpdir(), 'wardlab-foreign-'))

/** `wardlab replay --speed max --labels` with attackers' addresses labelled; the report and its scoring. */
async function replayScored(
  file: string,
  attackers: Record<string, string>,
  extra: string[] = [],
): Promise<{ code: number; report: CaptureReplayReport; scoring: LabelScore }> {
  const dir = tempDir()
  const labels = join(dir, 'labels.csv')
  writeFileSync(
    labels,
    `address,class\n${Object.entries(attackers)
      .map(([address, c]) => `${address},${c}\n`)
      .join('')}`,
  )
  const code = await main(['replay', file, '--speed', 'max', '--labels', labels, '--report', join(dir, 'report.json'), '--output', dir, ...extra])
  const written = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as CaptureReplayReport & { scoring: LabelScore }
  return { code, report: written, scoring: written.scoring }
}

/** Benign flows all predicted benign, no flow predicted a class it is not, and at least `caught` of the class's flows named. */
function expectClean(scoring: LabelScore, type: string, caught: number): void {
  expect(scoring.perClass.benign!.recall).toBe(1)
  expect(scoring.perClass[type]!.precision).toBe(1)
  expect(scoring.perClass[type]!.truePositives).toBeGreaterThanOrEqual(caught)
  expect(scoring.classes.filter((c) => c !== 'benign' && c !== type)).toEqual([])
}

describe('attack captures recorded with mosquitto and Paho (dumpcap on loopback, test/fixtures/captures)', () => {
  const cases: { name: string; type: string; attackers: string[]; caught: (flows: number) => number; why: string }[] = [
    { name: 'flood', type: 'publish-flood', attackers: ['127.0.0.66'], caught: () => 1, why: 'mosquitto_pub -l, 4,000 publishes on one connection' },
    {
      name: 'distributed',
      type: 'publish-flood',
      attackers: Array.from({ length: 15 }, (_, k) => `127.0.0.${70 + k}`),
      caught: (n) => n,
      why: '15 Paho clients, each 18/s (under the per-client limit), 270/s together',
    },
    // The first 9 refusals are under the threshold of 10: those flows are not yet a brute force.
    { name: 'bruteforce', type: 'brute-force', attackers: ['127.0.0.67'], caught: (n) => n - 9, why: 'mosquitto_pub, 25 wrong passwords at 4/s' },
    { name: 'slowdos', type: 'slow-dos', attackers: ['127.0.0.68'], caught: (n) => n - 19, why: 'mosquitto_sub -k 3600 ×30, held open' },
    { name: 'malformed', type: 'malformed-packet', attackers: ['127.0.0.69'], caught: (n) => n, why: 'raw sockets, 6 violations of MQTT 3.1.1' },
    { name: 'connectflood', type: 'connect-flood', attackers: ['127.0.0.71'], caught: (n) => n - 49, why: 'Paho, 150 connect/disconnect cycles' },
    { name: 'snooping', type: 'wildcard-snooping', attackers: ['127.0.0.72'], caught: (n) => n, why: 'mosquitto_sub on $SYS/broker/# and #' },
  ]
  for (const c of cases) {
    it(`${c.name}: ${c.why} → ${c.type}, benign flows nothing`, async () => {
      const { code, report, scoring } = await replayScored(join(CAPTURES, `${c.name}.pcapng`), Object.fromEntries(c.attackers.map((a) => [a, c.type])), [
        '--port',
        String(PORTS[c.name]),
      ])
      expect(code).toBe(0)
      const attackerFlows = report.flows.filter((f) => c.attackers.includes(f.client))
      const benignFlows = report.flows.filter((f) => f.client === BENIGN_ADDRESS)
      // The benign pair (a subscriber and a 1 Hz publisher) is in every capture, and raises nothing at all.
      expect(benignFlows).toHaveLength(2)
      for (const flow of benignFlows) expect(flow.alerts).toEqual([])
      expect(attackerFlows.length).toBeGreaterThan(0)
      expectClean(scoring, c.type, c.caught(attackerFlows.length))
      expect(printed()).toContain('confusion (rows: true, columns: predicted)')
    })
  }

  it('a capture of a broker on another port replays nothing without --port', async () => {
    const { report } = await replayScored(join(CAPTURES, 'flood.pcapng'), {})
    expect(report.capture.flows).toBe(0)
  })
})

/** Every class a capture can show, each from its own address, apart in time so no window spans two. */
const EXPORTED = `
name: exported-attacks
seed: export-7
duration: 3m
hospital:
  beds: [{ ward: icu, count: 2, devices: [bedside-monitor, infusion-pump] }]
timeline:
  - { at: 10s, event: attack, attack: publish-flood, duration: 10s, params: { address: 203.0.113.40, rate: 100 } }
  - { at: 30s, event: attack, attack: publish-flood, duration: 10s, params: { address: 198.51.100.10, clients: 12, spread: true, rate: 20 } }
  - { at: 50s, event: attack, attack: brute-force, duration: 20s, params: { address: 203.0.113.10, rate: 2 } }
  - { at: 80s, event: attack, attack: slow-dos, duration: 10s, params: { address: 203.0.113.50, connections: 40, rate: 20 } }
  - { at: 100s, event: attack, attack: malformed-packet, duration: 8s, params: { address: 203.0.113.60, rate: 1 } }
  - { at: 120s, event: attack, attack: connect-flood, duration: 10s, params: { address: 203.0.113.30, rate: 20 } }
  - { at: 140s, event: attack, attack: wildcard-snooping, duration: 3s, params: { address: 203.0.113.100 } }
`

describe("wardlab's own attacker, exported with --export-dataset and replayed", () => {
  it('replays the run’s pcapng: each attacker’s flows raise its class, no other flow raises an attack', async () => {
    const dir = tempDir()
    const scenarioFile = join(dir, 'exported-attacks.yaml')
    writeFileSync(scenarioFile, EXPORTED)
    const runReport = join(dir, 'run.json')
    const dataset = join(dir, 'dataset')
    expect(await main(['run', scenarioFile, '--speed', 'max', '--export-dataset', dataset, '--report', runReport, '--output', join(dir, 'run')])).toBe(0)
    const run = JSON.parse(readFileSync(runReport, 'utf8')) as RunReport

    // Labels from the run's own ground truth: every address each attack used.
    const attackers: Record<string, string> = {}
    for (const entry of run.groundTruth) for (const address of entry.addresses) attackers[address] = entry.type
    const { code, report, scoring } = await replayScored(join(dataset, 'packets.pcapng'), attackers)
    expect(code).toBe(0)
    expect(scoring.perClass.benign!.recall).toBe(1)
    for (const type of new Set(Object.values(attackers))) {
      expect(scoring.perClass[type]!.precision, type).toBe(1)
      expect(scoring.perClass[type]!.truePositives, type).toBeGreaterThan(0)
    }
    // The devices' and the run's own clients' flows: refused in the replay lab, which does not know
    // the run's credentials (auth-failure is informational), and named no attack.
    const others = report.flows.filter((f) => attackers[f.client] === undefined)
    expect(others.length).toBeGreaterThanOrEqual(4)
    for (const flow of others) expect(flow.alerts.filter((a) => a !== 'auth-failure')).toEqual([])
    // Both floods seen as what they are: the single flooder over its own limit, the twelve together.
    expect(report.alerts.some((a) => a.type === 'publish-flood' && a.evidence.distributed === true)).toBe(true)
    expect(report.alerts.some((a) => a.type === 'publish-flood' && a.address === '203.0.113.40')).toBe(true)

    // With the run's registry, written beside the packets, the devices log in as they did in the
    // run: their flows are replayed to the end, and the attacks are still named.
    const withIdentities = await replayScored(join(dataset, 'packets.pcapng'), attackers, ['--registry', join(dataset, 'registry.yaml')])
    expect(withIdentities.code).toBe(0)
    const devices = withIdentities.report.flows.filter((f) => attackers[f.client] === undefined)
    expect(devices.length).toBe(others.length)
    for (const flow of devices) expect(flow.alerts).toEqual([])
    for (const flow of devices) expect(flow.outcome).not.toBe('server-closed')
    for (const type of new Set(Object.values(attackers))) expect(withIdentities.scoring.perClass[type]!.precision, type).toBe(1)
  }, 90_000)
})
