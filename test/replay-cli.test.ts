import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it, vi } from 'vitest'
import { main } from '../src/cli/main.ts'
import type { CaptureReplayReport } from '../src/scenarios/capture-run.ts'
import { describeWithMqttset, mqttsetPath } from './support/mqttset.ts'
import { collectStdout } from './support/stdout.ts'

const printed = collectStdout()

/** Runs `wardlab replay` and returns its exit code and the report it wrote. */
async function replay(args: string[]): Promise<{ code: number; report: CaptureReplayReport }> {
  const file = join(mkdtempSync(join(tmpdir(), 'wardlab-replay-test-')), 'report.json')
  const code = await main(['replay', ...args, '--report', file, '--output', mkdtempSync(join(tmpdir(), 'wardlab-replay-out-'))])
  return { code, report: JSON.parse(readFileSync(file, 'utf8')) }
}

describeWithMqttset('wardlab replay on MQTTset captures', () => {
  it('replays benign sensors (anonymous, plain topics) into the lab sandbox without an attack alert', async () => {
    const { code, report } = await replay([mqttsetPath('benign'), '--speed', '60', '--window', '120', '--expect', 'none'])
    expect(code).toBe(0)
    expect(report).toMatchObject({
      scenario: 'replay benign-train.pcap',
      passed: true,
      alerts: [],
      capture: { flows: 7, replayedFlows: 7, windowSeconds: 120 },
    })
    expect(report.flows).toHaveLength(7)
    for (const flow of report.flows) expect(flow).toMatchObject({ outcome: 'completed', alerts: [] })
    // Every benign client kept its own captured address.
    expect(new Set(report.flows.map((f) => f.client)).size).toBe(7)
    expect(printed()).toContain('7 flows raised no alert')
  })

  it('names brute-force for the brute forcer, per flow and in the alert list', async () => {
    const { code, report } = await replay([mqttsetPath('bruteforce'), '--speed', '30', '--window', '60', '--expect', 'brute-force'])
    expect(code).toBe(0)
    const bruteForce = report.alerts.filter((a) => a.type === 'brute-force')
    expect(bruteForce).toHaveLength(1)
    expect(bruteForce[0]).toMatchObject({ address: '192.168.1.90', evidence: { lastUsername: 'user' } })
    // The capture's 1–3 s between guesses: the 10th refusal comes within the first half-minute.
    expect(bruteForce[0]!.firstSeen - Math.min(...report.alerts.map((a) => a.firstSeen))).toBeLessThan(30_000)
    const raising = report.flows.filter((f) => f.alerts.includes('brute-force'))
    expect(raising.length).toBeGreaterThan(10)
    expect(printed()).toMatch(/→ .*brute-force/)
    expect(report.expectations).toContainEqual({ name: 'raises brute-force', passed: true, detail: '1 alert(s)' })
  })

  it('removes the temporary folder it used when no --output names one to keep', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'wardlab-replay-scratch-'))
    const previous = process.env.TMPDIR
    process.env.TMPDIR = scratch
    try {
      expect(await main(['replay', mqttsetPath('benign'), '--speed', '100', '--window', '10'])).toBe(0)
    } finally {
      process.env.TMPDIR = previous
    }
    expect(printed()).toContain('flows raised no alert')
    expect(readdirSync(scratch)).toEqual([])
  })

  it('exits 1 when an expected alert is not raised, and 2 on an unknown alert type', async () => {
    const { code, report } = await replay([mqttsetPath('benign'), '--speed', '100', '--window', '10', '--expect', 'publish-flood'])
    expect(code).toBe(1)
    expect(report.passed).toBe(false)
    expect(printed()).toContain('FAIL raises publish-flood: not raised')
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    expect(await main(['replay', mqttsetPath('benign'), '--expect', 'brute-farce'])).toBe(2)
  })
})
