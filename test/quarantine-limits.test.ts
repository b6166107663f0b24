import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MqttClient } from 'mqtt'
import type { Lab } from '../src/lab/lab.ts'
import type { QuarantineRecord } from '../src/pipeline/quarantine.ts'
import { connectAs, connectDevice, nextMessage, outputDir, startTestLab } from './support/lab.ts'
import { MON_01_TELEMETRY, until } from './support/reliability.ts'

const FLOOD = 200

function records(dir: string): QuarantineRecord[] {
  return readFileSync(join(dir, 'quarantine.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
}

/** `wardlab_quarantine_suppressed_total{device="…"}` as /metrics reports it. */
async function suppressedInMetrics(lab: Lab, device: string): Promise<number> {
  return Number((await lab.metrics.text()).match(new RegExp(`wardlab_quarantine_suppressed_total\\{device="${device}"\\} (\\d+)`))?.[1] ?? 0)
}

describe.each([0, 1])('the quarantine, pipeline workers: %i', (workers) => {
  let lab: Lab
  let device: MqttClient
  let watcher: MqttClient
  const dir = outputDir()
  beforeAll(async () => {
    lab = await startTestLab('lab', undefined, { outputDir: dir, pipelineWorkers: workers })
    device = await connectDevice(lab, 'mon-01')
    watcher = await connectAs(lab, { clientId: `quarantine-watcher-${workers}` })
    await watcher.subscribeAsync('quarantine/#', { qos: 1 })
  })
  afterAll(async () => {
    await Promise.all([device?.endAsync(), watcher?.endAsync()])
    await lab?.stop()
  })

  it('keeps 4 KiB of an oversize payload with its full size and SHA-256, in the file and on quarantine/#', async () => {
    const payload = Buffer.alloc(900_000, 0x61)
    payload.write('{"deviceId":"mon-01"')
    const published = nextMessage(watcher, (t) => t === 'quarantine/icu/mon-01')
    await device.publishAsync(MON_01_TELEMETRY, payload, { qos: 1 })
    const onTheBroker = await published
    await lab.pipeline.drain()
    const [record] = records(dir)
    expect(record).toMatchObject({
      reason: 'oversize',
      payloadBytes: 900_000,
      payloadSha256: createHash('sha256').update(payload).digest('hex'),
      payloadTruncated: true,
    })
    expect(Buffer.from(record!.payloadBase64, 'base64').equals(payload.subarray(0, 4096))).toBe(true)
    expect(onTheBroker.payload.length).toBeLessThan(8 * 1024)
    expect(JSON.parse(onTheBroker.payload.toString())).toMatchObject({ payloadBytes: 900_000, payloadTruncated: true })
    expect(statSync(join(dir, 'quarantine.jsonl')).size).toBeLessThan(8 * 1024)
  })

  it(`records at most 50 at once and 5 a second per device, counts the rest in /metrics and in the next record, and still counts every message quarantined`, {
    timeout: 30_000,
  }, async () => {
    const before = { ...lab.pipeline.counters }
    for (let i = 0; i < FLOOD; i++) await device.publishAsync(MON_01_TELEMETRY, `not json ${i}`, { qos: 1 })
    await until(() => lab.pipeline.counters.received - before.received === FLOOD, 10_000, 'the flood entering the pipeline')
    await lab.pipeline.drain()
    const suppressed = await suppressedInMetrics(lab, 'mon-01')
    const written = records(dir).length - 1 // the oversize one before
    console.info(`quarantine flood (${workers} workers): ${FLOOD} bad messages, ${written} recorded, ${suppressed} counted in /metrics`)
    expect(written).toBeLessThanOrEqual(60)
    expect(written + suppressed).toBe(FLOOD)
    // Counted as quarantined, every one: received = valid + quarantined holds.
    const { received, valid, quarantined } = lab.pipeline.counters
    expect(quarantined - before.quarantined).toBe(FLOOD)
    expect(received).toBe(valid + quarantined)

    // A second later the device has allowance again; its next record says how many were left out
    // since its previous one, so the records account for every message the metric counted.
    await new Promise((resolve) => setTimeout(resolve, 1100))
    await device.publishAsync(MON_01_TELEMETRY, 'not json, later', { qos: 1 })
    await until(() => lab.pipeline.counters.quarantined - before.quarantined === FLOOD + 1, 10_000, 'the last message quarantined')
    await lab.pipeline.drain()
    const all = records(dir)
    expect(all.at(-1)).toMatchObject({ reason: 'not-json', suppressedBefore: expect.any(Number) })
    expect(all.reduce((sum, record) => sum + (record.suppressedBefore ?? 0), 0)).toBe(suppressed)
    expect(await suppressedInMetrics(lab, 'mon-01')).toBe(suppressed)
  })
})
