import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { Lab } from '../src/lab/lab.ts'
import { runScenario } from '../src/scenarios/runner.ts'
import { scenarioSchema } from '../src/scenarios/schema.ts'
import { silentLogger } from '../src/util/log.ts'
import { runWardlab } from './support/cli.ts'
import { outputDir } from './support/lab.ts'
import { openLab } from '../src/lab/open-lab.ts'

/**
 * A short ward with an outage (a reconnect) and, unless left out, an operator's command, judged on
 * what the pipeline got. The outage drops a link mid-write, which loses the one reading in flight
 * whatever the version.
 */
const WARD = (version: string, { command = true } = {}) => `
name: ward-over-mqtt-${version.replace(/\./g, '')}
seed: mqtt5
duration: 10m
${version === 'default' ? '' : `mqttVersion: '${version}'`}
hospital:
  beds: [{ ward: icu, count: 2, devices: [bedside-monitor, infusion-pump] }]
timeline:
${command ? '  - { at: 1m, event: command, device: infusion-pump-icu-01, command: { action: change-rate, rate: 6 } }' : ''}
  - { at: 2m, event: outage, devices: bedside-monitor-icu-02, duration: 1m }
expect:
  - quarantined: { max: 0 }
  - delivered: { atLeastPercent: 99.9 }
`

describe("a scenario's mqttVersion", () => {
  it("runs the devices and the run's own clients on MQTT 5 and passes its expectations", async () => {
    const protocols = new Set<number>()
    const report = await runScenario(scenarioSchema.parse(parse(WARD('5'))), {
      openLab,
      log: silentLogger,
      outputDir: outputDir(),
      onStarted: (lab) => {
        if (lab instanceof Lab) lab.broker.on('clientReady', (client) => protocols.add(client.version))
      },
    })
    expect(report.expectations.filter((e) => !e.passed)).toEqual([])
    expect(report.passed).toBe(true)
    expect(report.target.mqttVersion).toBe('5')
    expect(report.messages.valid).toBeGreaterThan(1000)
    // The monitor that went through the outage came back, on MQTT 5 like everything else.
    expect([...protocols]).toEqual([5])
    expect(report.timeline.some((note) => /outage/.test(note.what))).toBe(true)
  }, 60_000)

  it('gives the same telemetry and the same counts as 3.1.1 from the same seed', async () => {
    // Without the command: the runner waits for quiet between simulated seconds, and on a loaded
    // machine a command crossing TCP can land a second later, whatever the version.
    const run = (version: string) =>
      runScenario(scenarioSchema.parse(parse(WARD(version, { command: false }))), { openLab, log: silentLogger, outputDir: outputDir() })
    const v5 = await run('5')
    const v311 = await run('3.1.1')
    expect([v5.target.mqttVersion, v311.target.mqttVersion]).toEqual(['5', '3.1.1'])
    expect(Object.keys(v5.telemetryDigests)).toHaveLength(4)
    expect(v5.telemetryDigests).toEqual(v311.telemetryDigests)
    expect(v5.messages).toEqual(v311.messages)
  }, 60_000)

  it('defaults to 3.1.1, takes an unquoted 5, and refuses any other version with the field named', () => {
    expect(scenarioSchema.parse(parse(WARD('default'))).mqttVersion).toBe('3.1.1')
    expect(scenarioSchema.parse(parse(WARD('5').replace("'5'", '5'))).mqttVersion).toBe('5')
    const refused = scenarioSchema.safeParse(parse(WARD('4')))
    expect(refused.error?.issues).toEqual([expect.objectContaining({ path: ['mqttVersion'], message: 'must be "3.1.1" or "5"' })])
  })

  it('gives way to wardlab run --mqtt-version, and the report says which version ran', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wardlab-scenario-mqtt5-'))
    const file = join(dir, 'ward.yaml')
    writeFileSync(file, WARD('default'))
    const result = await runWardlab(['run', file, '--mqtt-version', '5', '--report', join(dir, 'run.json'), '--output', join(dir, 'out')])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/PASSED\s+ward-over-mqtt-default\s+\(seed mqtt5, MQTT 5,/)
    expect(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).target).toMatchObject({ broker: 'embedded', mqttVersion: '5' })
  }, 60_000)
})
