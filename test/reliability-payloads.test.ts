import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MqttClient } from 'mqtt'
import type { Lab } from '../src/lab/lab.ts'
import type { QuarantineRecord } from '../src/pipeline/quarantine.ts'
import type { QuarantineReason } from '../src/contract/device-message.ts'
import { Rng } from '../src/util/rng.ts'
import { connectDevice, outputDir, startTestLab } from './support/lab.ts'
import { MON_01_TELEMETRY, monitorReadings, until } from './support/reliability.ts'

const envelope = (fields: Record<string, unknown> = {}, data: unknown = monitorReadings(1)[0]) => ({
  deviceId: 'mon-01',
  kind: 'bedside-monitor',
  seq: 1,
  ts: Date.now(),
  data,
  ...fields,
})
const json = (value: unknown) => Buffer.from(JSON.stringify(value))

/** Every kind of bad payload, with the quarantine reason it must get. */
const BAD: readonly { kind: string; payload: Buffer; reason: QuarantineReason }[] = [
  { kind: 'truncated JSON', payload: Buffer.from('{"deviceId":"mon-01","kind":"bedside-'), reason: 'not-json' },
  { kind: 'not UTF-8', payload: Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0xc3, 0x28]), reason: 'not-json' },
  { kind: 'UTF-16 JSON', payload: Buffer.from(JSON.stringify(envelope()), 'utf16le'), reason: 'not-json' },
  { kind: 'empty', payload: Buffer.alloc(0), reason: 'not-json' },
  { kind: 'huge', payload: json(envelope({}, { note: 'x'.repeat(70_000) })), reason: 'oversize' },
  { kind: 'a JSON array', payload: json([1, 2, 3]), reason: 'not-envelope' },
  { kind: 'a bare number', payload: Buffer.from('42'), reason: 'not-envelope' },
  { kind: 'seq as a string', payload: json(envelope({ seq: 'one' })), reason: 'not-envelope' },
  { kind: 'negative seq', payload: json(envelope({ seq: -1 })), reason: 'not-envelope' },
  { kind: 'ts in the wrong unit type', payload: json(envelope({ ts: '2024-01-01T00:00:00Z' })), reason: 'not-envelope' },
  { kind: 'heart rate as text', payload: json(envelope({}, { ...(monitorReadings(1)[0] as object), heartRate: 'fast' })), reason: 'schema' },
  { kind: 'data null', payload: json(envelope({}, null)), reason: 'schema' },
  { kind: 'another device’s envelope', payload: json(envelope({ deviceId: 'mon-02' })), reason: 'identity-mismatch' },
  {
    kind: 'nested 10,000 deep in data',
    payload: Buffer.from(JSON.stringify(envelope({}, 'HOLE')).replace('"HOLE"', '['.repeat(10_000) + ']'.repeat(10_000))),
    reason: 'schema',
  },
  { kind: 'nested 20,000 deep at the top', payload: Buffer.from('['.repeat(20_000) + ']'.repeat(20_000)), reason: 'not-envelope' },
  {
    kind: '__proto__ key in the envelope',
    payload: Buffer.from(JSON.stringify(envelope({ seq: 'x' })).replace('{', '{"__proto__":{"polluted":true},')),
    reason: 'not-envelope',
  },
  {
    kind: '__proto__ key in data',
    payload: Buffer.from(
      JSON.stringify(envelope({}, { heartRate: 'x' })).replace(
        '"data":{',
        '"data":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},',
      ),
    ),
    reason: 'schema',
  },
]

/** Seeded byte mutations of valid envelopes: each is either still valid or quarantined, never lost. */
function fuzzedEnvelopes(count: number): Buffer[] {
  const readings = monitorReadings(count)
  return readings.map((data, i) => {
    const rng = Rng.derive('payload-fuzz', String(i))
    const bytes = Buffer.from(JSON.stringify(envelope({ seq: 100 + i }, data)))
    for (let n = rng.int(1, 3); n > 0; n--) bytes[rng.int(0, bytes.length - 1)] = rng.int(0, 255)
    return bytes
  })
}

describe('bad payloads from a registered device', () => {
  let lab: Lab
  let device: MqttClient
  const dir = outputDir()
  beforeAll(async () => {
    lab = await startTestLab('lab', undefined, { outputDir: dir })
    device = await connectDevice(lab, 'mon-01')
  })
  afterAll(async () => {
    await device?.endAsync()
    await lab?.stop()
  })

  it('quarantines every kind of invalid payload with its reason, loses none, crashes no stage', async () => {
    const fuzzed = fuzzedEnvelopes(300)
    const payloads = [...BAD.map((b) => b.payload), ...fuzzed]
    for (const payload of payloads) await device.publishAsync(MON_01_TELEMETRY, payload, { qos: 1 })
    await until(() => lab.pipeline.counters.received === payloads.length, 10_000, 'every payload entering the pipeline')
    await lab.pipeline.drain()

    const { received, valid, quarantined } = lab.pipeline.counters
    expect(received).toBe(valid + quarantined)
    expect(quarantined).toBeGreaterThanOrEqual(BAD.length)
    expect(lab.pipeline.quarantinedBy.get('stage-error')).toBeUndefined()
    // Each kind, in order, with its reason, its bytes (the first 4 KiB of a longer one) and its
    // size and SHA-256 in the quarantine file. They come first, within the device's burst of 50 records.
    const records: QuarantineRecord[] = readFileSync(join(dir, 'quarantine.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    BAD.forEach((bad, i) => {
      expect({ kind: bad.kind, reason: records[i]!.reason }).toEqual({ kind: bad.kind, reason: bad.reason })
      expect(Buffer.from(records[i]!.payloadBase64, 'base64').equals(bad.payload.subarray(0, 4096)), bad.kind).toBe(true)
      expect(records[i]).toMatchObject({ payloadBytes: bad.payload.length, payloadSha256: createHash('sha256').update(bad.payload).digest('hex') })
    })
    // What the rate limit left out of the file is counted, per device: every quarantined message is accounted for.
    const suppressed = Number((await lab.metrics.text()).match(/wardlab_quarantine_suppressed_total\{device="mon-01"\} (\d+)/)?.[1] ?? 0)
    expect(records.length + suppressed).toBe(quarantined)
    // Prototype-pollution keys stayed data.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    // The broker and the device are fine, and the detectors noticed a device sending junk.
    expect(device.connected).toBe(true)
    expect(lab.monitor.alertCounts.get('malformed-payload')).toBe(1)
  })
})
