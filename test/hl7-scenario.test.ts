import { describe, expect, it } from 'vitest'
import { openLab } from '../src/lab/open-lab.ts'
import { loadScenario } from '../src/scenarios/load.ts'
import { runScenario } from '../src/scenarios/runner.ts'
import { silentLogger } from '../src/util/log.ts'
import { outputDir } from './support/lab.ts'
import { PythonReceiver } from './support/hl7-python.ts'

/**
 * scenarios/hl7-receiver-outage.yaml at full speed: a 60 s receiver outage, a slow spell and
 * three PCD-03 orders. Once with python-hl7 as the integration engine (`--hl7`), whose own
 * record of MSH-13 numbers must have no gap; once with the run's own receiver, which the
 * scenario's `hl7-receiver` event can slow down (the scenario library runs it that way too).
 */

const FILE = 'scenarios/hl7-receiver-outage.yaml'

describe('hl7-receiver-outage scenario', () => {
  it('loses nothing through a 60 s outage of a python-hl7 receiver, and answers the orders as expected', async () => {
    const receiver = await PythonReceiver.start({})
    try {
      const scenario = await loadScenario(FILE)
      // The slow spell needs the run's own receiver; python-hl7 is the receiver here.
      const withoutReceiverEvent = { ...scenario, timeline: scenario.timeline.filter((e) => e.event !== 'hl7-receiver') }
      const report = await runScenario(withoutReceiverEvent, {
        openLab,
        log: silentLogger,
        outputDir: outputDir(),
        speed: 'max',
        hl7: { links: [{ url: `mllp://127.0.0.1:${receiver.port}`, reconnect: { initialDelayMs: 50, maxDelayMs: 1000 } }] },
      })
      const failed = report.expectations.filter((e) => !e.passed)
      expect(failed, JSON.stringify(failed, null, 2)).toEqual([])
      const delivery = report.expectations.find((e) => e.name.startsWith('HL7 all acknowledged'))!
      const [, acknowledged, generated] = delivery.detail.match(/: (\d+)\/(\d+) acknowledged/)!.map(Number)
      expect(acknowledged).toBe(generated)
      // The outage happened: connects failed while it lasted.
      expect(delivery.detail).toMatch(/[1-9]\d* failed connects/)
      await receiver.reported(generated!, 10_000)
      expect(receiver.invalid).toEqual([])
      expect(receiver.sequenceNumbers()).toEqual(Array.from({ length: generated! }, (_, i) => i + 1))
    } finally {
      await receiver.stop()
    }
  }, 120_000)

  it('passes every expectation with the run’s own receiver, slowed down by the scenario', async () => {
    const report = await runScenario(await loadScenario(FILE), { openLab, log: silentLogger, outputDir: outputDir(), speed: 'max' })
    const failed = report.expectations.filter((e) => !e.passed)
    expect(failed, JSON.stringify(failed, null, 2)).toEqual([])
    expect(report.timeline.map((n) => n.what)).toContain('HL7 receiver slow')
  }, 120_000)
})
