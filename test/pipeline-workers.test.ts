import { createServer, type AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { connectAsync } from 'mqtt'
import { createBroker } from '../src/broker/create-broker.ts'
import { profile } from '../src/broker/profile.ts'
import { PublishAdmission } from '../src/broker/publish-admission.ts'
import { loadPipelineConfig } from '../src/pipeline/config.ts'
import { PipelinePool } from '../src/pipeline/offload/pipeline-pool.ts'
import { HospitalRegistry } from '../src/registry/registry.ts'
import type { Finding } from '../src/contract/security-alert.ts'
import { securityConfig } from '../src/security/config.ts'
import { SignalBus } from '../src/security/signals.ts'
import type { Lab } from '../src/lab/lab.ts'
import { connectAs, connectDevice, envelope, nextMessage, outputDir, PASSWORDS, startTestLab, testRegistry } from './support/lab.ts'

const TELEMETRY = 'hospital/icu/bedside-monitor/mon-01/telemetry'
const vitals = { heartRate: 88, pulseRate: 87, spo2: 96, respiratoryRate: 18, temperature: 37.2 }
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function brokerWithPool(highWater: number) {
  const data = await testRegistry()
  const registry = new HospitalRegistry(data)
  const admission = new PublishAdmission()
  const broker = await createBroker({ registry, profile: profile('lab'), signals: new SignalBus(), admission })
  cleanups.push(() => new Promise<void>((resolve) => broker.close(() => resolve())))
  const findings: Finding[] = []
  const pool = await PipelinePool.start({
    workers: 1,
    setup: {
      registry: data,
      config: loadPipelineConfig(),
      detectors: { module: new URL('../src/security/create-detectors.ts', import.meta.url).href, options: securityConfig() },
      outputDir: outputDir(),
    },
    registry,
    broker,
    findings: (finding) => findings.push(finding),
    admission,
    highWater,
  })
  cleanups.push(() => pool.close())
  return { broker, pool, admission, findings }
}

describe('pipeline in worker threads', () => {
  it('holds client publishes once the workers are a high-water mark behind, lets them go when they catch up, and loses nothing', async () => {
    const { pool, admission } = await brokerWithPool(100)
    const source = { clientId: 'mon-01', address: '127.0.0.1' }
    for (let seq = 0; seq < 2000; seq++) pool.ingest(TELEMETRY, Buffer.from(envelope('mon-01', seq, vitals)), source, Date.now())
    expect(admission.isPaused).toBe(true)
    expect(pool.backlog).toBe(2000)
    await pool.drain()
    expect(admission.isPaused).toBe(false)
    expect(admission.pauses).toBe(1)
    expect(pool.backlog).toBe(0)
    expect(pool.counters).toMatchObject({ received: 2000, valid: 2000, quarantined: 0 })
    // Each reading becomes FHIR Observations (heart rate, pulse, SpO2, respiration, temperature).
    expect(pool.counters.routed).toBeGreaterThanOrEqual(2000 * 5)
  })

  it('answers a held QoS 1 publish only once admission reopens: back-pressure reaches the device as a late PUBACK', async () => {
    const { broker, admission } = await brokerWithPool(4096)
    const server = createServer((socket) => broker.handle(socket))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise((resolve) => server.close(resolve)))
    const device = await connectAsync(`mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`, {
      clientId: 'mon-01',
      username: 'mon-01',
      password: PASSWORDS['mon-01'],
      reconnectPeriod: 0,
    })
    cleanups.push(() => device.endAsync())
    const published: string[] = []
    broker.on('publish', (packet, client) => client && published.push(packet.topic))

    admission.pause()
    let acknowledged = false
    const puback = device.publishAsync(TELEMETRY, envelope('mon-01', 0, vitals), { qos: 1 }).then(() => (acknowledged = true))
    // Nothing observable can prove a negative sooner: give the broker ample time to (wrongly) answer.
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(acknowledged).toBe(false)
    expect(published).toEqual([])
    const arrived = new Promise((resolve) => broker.once('publish', resolve))
    admission.resume()
    await Promise.all([puback, arrived])
    expect(published).toEqual([TELEMETRY])
  })

  it("turns the workers' detector findings into the broker's alerts", async () => {
    const { pool, findings } = await brokerWithPool(4096)
    const source = { clientId: 'mon-01', address: '127.0.0.1' }
    const now = Date.now()
    pool.ingest(TELEMETRY, Buffer.from(JSON.stringify({ deviceId: 'mon-01', kind: 'bedside-monitor', seq: 7, ts: now, data: vitals })), source, now)
    // The same seq again with another timestamp: not a redelivery but a replay.
    pool.ingest(TELEMETRY, Buffer.from(JSON.stringify({ deviceId: 'mon-01', kind: 'bedside-monitor', seq: 7, ts: now - 5000, data: vitals })), source, now + 10)
    await pool.drain()
    expect(findings.map((f) => [f.type, f.source.deviceId])).toEqual([['replay', 'mon-01']])
  })

  describe('in a lab', () => {
    let lab: Lab
    afterEach(async () => await lab?.stop())

    it('publishes the alert and counts the outputs in /metrics as inline', async () => {
      lab = await startTestLab('lab', undefined, { pipelineWorkers: 2 })
      const watcher = await connectAs(lab, { clientId: 'sec-watch', username: 'root', password: PASSWORDS.root })
      // FHIR too: a broker output is built only for a topic someone subscribes to.
      await watcher.subscribeAsync(['security/alerts/#', 'fhir/#'], { qos: 1 })
      const alert = nextMessage(watcher, (topic) => topic === 'security/alerts/replay')
      const device = await connectDevice(lab, 'mon-01')
      const now = Date.now()
      await device.publishAsync(TELEMETRY, JSON.stringify({ deviceId: 'mon-01', kind: 'bedside-monitor', seq: 3, ts: now, data: vitals }), { qos: 1 })
      await device.publishAsync(TELEMETRY, JSON.stringify({ deviceId: 'mon-01', kind: 'bedside-monitor', seq: 3, ts: now - 5000, data: vitals }), { qos: 1 })
      expect(JSON.parse((await alert).payload.toString())).toMatchObject({ type: 'replay', deviceId: 'mon-01' })
      await lab.pipeline.drain()
      expect(lab.pipeline.counters).toMatchObject({ received: 2, valid: 2 })
      const metrics = await lab.metrics.text()
      expect(metrics).toMatch(/wardlab_pipeline_routed_total\{route="vital-signs-fhir",sink="broker"\} 10/)
      expect(metrics).toMatch(/wardlab_pipeline_messages_total\{outcome="valid"\} 2/)
      expect(metrics).toMatch(/^wardlab_pipeline_backpressure_pauses_total 0$/m)
      expect(metrics).toMatch(/^wardlab_pipeline_backlog_messages 0$/m)
      await device.endAsync()
      await watcher.endAsync()
    })
  })
})
