import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Lab } from '../src/lab/lab.ts'
import { OBSERVER, connectAs, connectDevice, envelope, outputDir, startTestLab } from './support/lab.ts'

/**
 * A broker output is built and published only where a session can receive it (or it is retained);
 * files keep every output. Held for the inline pipeline and for pipeline workers, whose copy of the
 * broker's subscriptions travels ahead of each batch.
 */
describe.each([
  { workers: 0, where: 'inline' },
  { workers: 1, where: 'in a worker thread' },
])('outputs nobody can receive, pipeline $where', ({ workers }) => {
  let lab: Lab
  let device: MqttClient
  let dir: string
  let seq = 0
  /** Observations the broker itself published, as any subscriber would have been offered them. */
  let published = 0

  beforeAll(async () => {
    dir = outputDir()
    lab = await startTestLab('lab', undefined, { outputDir: dir, pipelineWorkers: workers })
    lab.embedded!.broker.on('publish', (packet, client) => {
      if (!client && packet.topic === 'fhir/Observation') published++
    })
    device = await connectDevice(lab, 'mon-01')
  })
  afterAll(async () => {
    await device.endAsync()
    await lab.stop()
  })

  /** A heart rate each: one vital-sign Observation per message. */
  async function vitals(count: number): Promise<void> {
    for (let i = 0; i < count; i++) await device.publishAsync('hospital/icu/bedside-monitor/mon-01/telemetry', envelope('mon-01', seq++), { qos: 1 })
    await lab.pipeline.drain()
  }
  const filed = () => readFileSync(join(dir, 'fhir-observations.ndjson'), 'utf8').trim().split('\n').length

  it('builds no broker output while nobody subscribes, and files every one', async () => {
    await vitals(5)
    expect(published).toBe(0)
    expect(filed()).toBe(5)
  })

  it('publishes to a subscriber from its SUBACK on, and stops when its clean session ends', async () => {
    const observer = await connectAs(lab, { clientId: `fhir-watch-${workers}` })
    await observer.subscribeAsync('fhir/#', { qos: 1 })
    const received: string[] = []
    observer.on('message', (topic) => received.push(topic))
    await vitals(4)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(received).toHaveLength(4)
    expect(published).toBe(4)
    await observer.endAsync()
    await vitals(3)
    expect(published).toBe(4)
    expect(filed()).toBe(12)
  })

  it('keeps publishing for a persistent session while it is offline, which gets them on return', async () => {
    const clientId = `fhir-persist-${workers}`
    const first = await connectAs(lab, { ...OBSERVER, clientId, clean: false })
    await first.subscribeAsync('fhir/Observation', { qos: 1 })
    await first.endAsync()
    await vitals(3)
    expect(published).toBe(7)
    const back = await connectAs(lab, { ...OBSERVER, clientId, clean: false })
    const queued: string[] = []
    back.on('message', (topic) => queued.push(topic))
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(queued).toEqual(['fhir/Observation', 'fhir/Observation', 'fhir/Observation'])
    // Back clean: the session and its subscription are gone, and so are the outputs.
    await back.endAsync()
    const clean = await connectAs(lab, { ...OBSERVER, clientId, clean: true })
    await vitals(2)
    expect(published).toBe(7)
    await clean.endAsync()
  })
})
