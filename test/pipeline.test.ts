import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MqttClient } from 'mqtt'
import { Lab } from '../src/lab/lab.ts'
import { silentLogger } from '../src/util/log.ts'
import { closed, connectAs, connectDevice, outputDir, PASSWORDS, testRegistry } from './support/lab.ts'
import { until } from './support/reliability.ts'

const BASE = 'hospital/icu/bedside-monitor'
const vitals = { heartRate: 88, pulseRate: 87, spo2: 96, respiratoryRate: 18, temperature: 37.2 }
const alarm = (priority: 'high' | 'medium' | 'low', category: 'physiological' | 'technical') => ({
  code: category === 'technical' ? 'LEAD_OFF' : 'SPO2_LOW',
  category,
  priority,
  active: true,
  message: 'test alarm',
})

function envelopeOf(deviceId: string, seq: number, data: unknown, kind = 'bedside-monitor'): string {
  return JSON.stringify({ deviceId, kind, seq, ts: Date.parse('2026-11-29T12:00:00Z') + seq * 1000, data })
}

/** Collects everything a subscriber receives, for assertions after the fact. */
function collect(client: MqttClient): { topic: string; body: any }[] {
  const seen: { topic: string; body: any }[] = []
  client.on('message', (topic, payload) => seen.push({ topic, body: JSON.parse(payload.toString()) }))
  return seen
}

// The same assertions inline and in worker threads: moving the pipeline off the broker's thread changes nothing a client sees.
describe.each([
  { workers: 0, where: 'inline' },
  { workers: 2, where: 'in two worker threads' },
])('pipeline on a live broker, $where', ({ workers }) => {
  let lab: Lab
  let dir: string
  let watcher: MqttClient
  let seen: { topic: string; body: any }[]

  beforeAll(async () => {
    dir = outputDir()
    lab = await Lab.start({
      registry: await testRegistry(),
      provisioningKey: Buffer.alloc(32),
      profile: 'lab',
      listeners: [{ kind: 'mqtt', host: '127.0.0.1', port: 0, flag: '--port' }],
      seed: 'pipeline',
      speed: 1,
      simulate: false,
      log: silentLogger,
      outputDir: dir,
      pipelineWorkers: workers,
    })
    watcher = await connectAs(lab, { clientId: 'pipeline-watcher' })
    await watcher.subscribeAsync(['alerts/#', 'fhir/#', 'quarantine/#'], { qos: 1 })
    seen = collect(watcher)

    const monitor = await connectDevice(lab, 'mon-01')
    await monitor.publishAsync(`${BASE}/mon-01/telemetry`, envelopeOf('mon-01', 0, vitals), { qos: 1 })
    await monitor.publishAsync(`${BASE}/mon-01/telemetry`, envelopeOf('mon-01', 1, { ...vitals, nibpSystolic: 128, nibpDiastolic: 76, nibpMean: 93 }), {
      qos: 1,
    })
    await monitor.publishAsync(`${BASE}/mon-01/alarm`, envelopeOf('mon-01', 2, alarm('high', 'physiological')), { qos: 1 })
    await monitor.publishAsync(`${BASE}/mon-01/alarm`, envelopeOf('mon-01', 3, alarm('low', 'technical')), { qos: 1 })
    await monitor.publishAsync(`${BASE}/mon-01/status`, JSON.stringify({ state: 'online', reason: 'startup' }), { qos: 1, retain: true })
    // The invalid ones, each a different reason.
    await monitor.publishAsync(`${BASE}/mon-01/telemetry`, 'HR=88;SPO2=96', { qos: 1 })
    await monitor.publishAsync(`${BASE}/mon-01/telemetry`, envelopeOf('mon-01', 4, { ...vitals, spo2: 140 }), { qos: 1 })
    await monitor.publishAsync(`${BASE}/mon-01/telemetry`, JSON.stringify({ pad: 'x'.repeat(70 * 1024) }), { qos: 1 })
    await monitor.publishAsync(`${BASE}/mon-01/telemetry`, envelopeOf('mon-02', 5, vitals), { qos: 1 })
    await monitor.endAsync()
    const admin = await connectAs(lab, { clientId: 'root-console', username: 'root', password: PASSWORDS.root })
    await admin.publishAsync('hospital/icu/toaster/toaster-01/telemetry', envelopeOf('toaster-01', 0, { crumbs: 3 }, 'toaster'), { qos: 1 })
    await admin.endAsync()
    await until(() => seen.filter((m) => m.topic.startsWith('quarantine/')).length >= 5)
  })

  afterAll(async () => {
    await watcher?.endAsync()
    await lab?.stop()
  })

  it('accounts for every message: received = valid + quarantined', () => {
    const c = lab.pipeline.counters
    expect(c.received).toBe(10)
    expect(c.valid).toBe(5)
    expect(c.quarantined).toBe(5)
    expect(c.received).toBe(c.valid + c.quarantined)
  })

  it('quarantines each invalid message with its reason and original bytes', () => {
    const held = seen.filter((m) => m.topic.startsWith('quarantine/'))
    const byReason = Object.fromEntries(held.map((m) => [m.body.reason, m]))
    expect(Object.keys(byReason).sort()).toEqual(['identity-mismatch', 'not-json', 'oversize', 'schema', 'unknown-kind'])
    expect(byReason['not-json']!.topic).toBe('quarantine/icu/mon-01')
    expect(Buffer.from(byReason['not-json']!.body.payloadBase64, 'base64').toString()).toBe('HR=88;SPO2=96')
    expect(byReason.schema!.body.issues).toEqual([{ path: 'data.spo2', message: expect.any(String) }])
    expect(byReason.schema!.body.detail).toMatch(/data\.spo2/)
    expect(byReason.oversize!.body.payloadBytes).toBeGreaterThan(70 * 1024)
    expect(byReason['unknown-kind']!.topic).toBe('quarantine/icu/toaster-01')
    expect(byReason['unknown-kind']!.body).toMatchObject({ clientId: 'root-console', detail: 'no device kind "toaster"' })
  })

  it('routes physiological and technical alarms by ward and priority', () => {
    const clinical = seen.find((m) => m.topic === 'alerts/clinical/icu/high')
    expect(clinical?.body).toMatchObject({ deviceId: 'mon-01', data: { code: 'SPO2_LOW' }, context: { ward: 'icu', bed: 'icu-01', patientId: 'pt-01' } })
    expect(seen.find((m) => m.topic === 'alerts/technical/icu/low')?.body).toMatchObject({ data: { code: 'LEAD_OFF' } })
  })

  it('publishes vital signs as FHIR R4 Observations, one blood-pressure panel included', () => {
    const observations = seen.filter((m) => m.topic === 'fhir/Observation').map((m) => m.body)
    expect(observations.every((o) => o.resourceType === 'Observation' && o.subject.reference === 'Patient/pt-01')).toBe(true)
    const bp = observations.filter((o) => o.code.coding[0].code === '85354-9')
    expect(bp).toHaveLength(1)
    expect(bp[0].component.map((c: any) => c.code.coding[0].code)).toEqual(['8480-6', '8462-4', '8478-0'])
    expect(observations.find((o) => o.code.coding.some((c: any) => c.code === '8867-4'))?.valueQuantity).toMatchObject({
      value: 88,
      code: '/min',
      system: 'http://unitsofmeasure.org',
    })
  })

  it('writes the quarantine, alerts and FHIR files, flushed on stop', async () => {
    await lab.pipeline.drain()
    const lines = (name: string) =>
      readFileSync(join(dir, name), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
    expect(lines('quarantine.jsonl')).toHaveLength(5)
    // One file of every alert: the routes' clinical and technical alarms, and the security monitor's alerts beside them.
    const filed = lines('alerts.jsonl').map((a) => a.topic)
    expect(filed.filter((t) => t.startsWith('alerts/')).sort()).toEqual(['alerts/clinical/icu/high', 'alerts/technical/icu/low'])
    const raised = [...lab.monitor.alertCounts.keys()].map((type) => `security/alerts/${type}`)
    expect(raised).toContain('security/alerts/false-data')
    expect(new Set(filed.filter((t) => t.startsWith('security/alerts/')))).toEqual(new Set(raised))
    expect(lines('fhir-observations.ndjson').length).toBe(seen.filter((m) => m.topic === 'fhir/Observation').length)
  })

  it('leaves the device connected after a quarantined message: bad data is not an attack by itself', async () => {
    const monitor = await connectDevice(lab, 'mon-01')
    await monitor.publishAsync(`${BASE}/mon-01/telemetry`, '{', { qos: 1 })
    expect(monitor.connected).toBe(true)
    const gone = closed(monitor)
    await monitor.endAsync()
    await gone
  })
})
