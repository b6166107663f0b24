import { describe, expect, it } from 'vitest'
import { openLab } from '../src/lab/open-lab.ts'
import { loadScenario } from '../src/scenarios/load.ts'
import { runScenario } from '../src/scenarios/runner.ts'
import { scenarioSchema } from '../src/scenarios/schema.ts'
import { silentLogger } from '../src/util/log.ts'
import { outputDir } from './support/lab.ts'
import { fieldText, PythonReceiver, segments } from './support/hl7-python.ts'

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

describe('hl7-receiver event: a receiver that refuses or goes silent', () => {
  it.each([
    ['nak', 'answers AE: each message refused is sent again and acknowledged once the receiver is back'],
    ['silent', 'never answers: the ACK timeout drops the connection and the message is sent again'],
  ] as const)(
    '%s — %s',
    async (behaviour, _what) => {
      const scenario = scenarioSchema.parse({
        name: `receiver-${behaviour}`,
        seed: `receiver-${behaviour}`,
        duration: '3m',
        hospital: { preset: 'default-ward' },
        timeline: [{ at: '60s', event: 'hl7-receiver', behaviour, duration: '20s' }],
        expect: [{ hl7Delivery: {} }],
      })
      const report = await runScenario(scenario, { openLab, log: silentLogger, outputDir: outputDir(), speed: 'max' })
      expect(report.timeline.map((n) => n.what)).toContain(`HL7 receiver ${behaviour}`)
      const delivery = report.expectations[0]!
      expect(delivery.passed, delivery.detail).toBe(true)
      const [, acknowledged, generated, retransmitted] = delivery.detail.match(/: (\d+)\/(\d+) acknowledged, (\d+) retransmitted/)!.map(Number)
      expect(acknowledged).toBe(generated)
      expect(retransmitted).toBeGreaterThan(0)
    },
    120_000,
  )
})

/** An HL7 DTM (`YYYYMMDDHHMMSS.SSS+0000`) as epoch ms. */
function dtm(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d+)?/.exec(text)!
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) + Math.round(Number(m[7] ?? 0) * 1000)
}

describe('hl7-chart-now event', () => {
  it("sends the bed's PCD-01 with the next reading, before the 60 s cadence would", async () => {
    const receiver = await PythonReceiver.start({})
    const wallBefore = Date.now()
    try {
      const scenario = scenarioSchema.parse({
        name: 'chart-now',
        seed: 'chart-now',
        duration: '3m',
        hospital: { preset: 'default-ward' },
        timeline: [{ at: '90s', event: 'hl7-chart-now', bed: 'icu-01' }],
        expect: [{ hl7Delivery: {} }],
      })
      const report = await runScenario(scenario, {
        openLab,
        log: silentLogger,
        outputDir: outputDir(),
        speed: 'max',
        hl7: { links: [{ url: `mllp://127.0.0.1:${receiver.port}` }] },
      })
      expect(report.expectations.filter((e) => !e.passed)).toEqual([])
      expect(report.timeline.map((n) => n.what).join('; ')).toMatch(/HL7 chart now: [^;]*mon-icu-01/)
      const generated = Number(/: \d+\/(\d+) acknowledged/.exec(report.expectations[0]!.detail)![1])
      await receiver.reported(generated, 10_000)
      const start = Date.parse(scenario.start)
      // The bed's monitor: OBR-4 is its MDS code; OBR-7 the observation time (simulated clock).
      const charted = receiver.messages
        .filter((m) => m.type === 'ORU^R01^ORU_R01' && fieldText(segments(m, 'PV1')[0], 3) === 'icu^^icu-01')
        .filter((m) => fieldText(segments(m, 'OBR')[0], 4).startsWith('69965^'))
        .map((m) => dtm(fieldText(segments(m, 'OBR')[0], 7)) - start)
      const gaps = charted.slice(1).map((t, i) => t - charted[i]!)
      // Two clocks (README): MSH-7 the wall clock at which the message was built, OBR-7 the simulated one.
      for (const m of receiver.messages) {
        const built = dtm(fieldText(segments(m, 'MSH')[0], 7))
        expect(built).toBeGreaterThanOrEqual(Math.floor(wallBefore / 1000) * 1000)
        expect(built).toBeLessThanOrEqual(Date.now())
        const observed = dtm(fieldText(segments(m, 'OBR')[0], 7)) - start
        expect(observed).toBeGreaterThanOrEqual(0)
        expect(observed).toBeLessThanOrEqual(3 * 60_000)
      }
      // Chart-now at 90 s: a chart within seconds of it, though the last was under 60 s before.
      const onDemand = charted.findIndex((t) => t >= 90_000 && t < 100_000)
      expect(onDemand, `charted at ${charted.join(', ')} ms`).toBeGreaterThan(0)
      expect(charted[onDemand]! - charted[onDemand - 1]!).toBeLessThan(60_000)
      // Every other chart keeps the cadence: nothing else came early.
      expect(gaps.filter((gap) => gap < 60_000)).toHaveLength(1)
    } finally {
      await receiver.stop()
    }
  }, 60_000)
})
