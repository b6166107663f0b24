import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMosquitto, type RunningMosquitto } from '../src/bench/mosquitto.ts'
import { runScenario } from '../src/scenarios/runner.ts'
import { scenarioSchema } from '../src/scenarios/schema.ts'
import { silentLogger } from '../src/util/log.ts'
import { outputDir } from './support/lab.ts'
import { openLab } from '../src/lab/open-lab.ts'

/**
 * The same scenario machinery against a broker wardlab does not run: Debian's Mosquitto
 * (package mosquitto, installed by .ci/run), on a free loopback port.
 */
describe('a scenario against an external broker (Mosquitto)', () => {
  let mosquitto: RunningMosquitto
  beforeAll(async () => {
    mosquitto = await startMosquitto()
  })
  afterAll(async () => mosquitto?.stop())

  it('runs the devices there, runs the pipeline as a subscriber, and judges the same expectations', async () => {
    const scenario = scenarioSchema.parse({
      name: 'external-ward',
      duration: '20m',
      hospital: {
        patients: [{ id: 'pt-ext', ward: 'icu', trajectory: 'sepsis' }],
        devices: [
          { id: 'mon-ext', kind: 'bedside-monitor', ward: 'icu', patient: 'pt-ext' },
          { id: 'pump-ext', kind: 'infusion-pump', ward: 'icu', patient: 'pt-ext' },
        ],
      },
      expect: [{ quarantined: { max: 0 } }, { delivered: { atLeastPercent: 99.9 } }, { noAlert: {} }],
    })
    const report = await runScenario(scenario, {
      openLab,
      log: silentLogger,
      outputDir: outputDir(),
      speed: 'max',
      broker: { url: `mqtt://127.0.0.1:${mosquitto.port}` },
    })
    expect(report.expectations.filter((e) => !e.passed)).toEqual([])
    expect(report.messages.received).toBeGreaterThan(1000)
    expect(report.messages.received).toBe(report.messages.published)
    expect(report.target.broker).toBe(`mqtt://127.0.0.1:${mosquitto.port}`)
    expect(report.target.detectors.length).toBeGreaterThan(0)
    expect(report.target.detectors).not.toContain('brute-force')
  }, 60_000)
})
