import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Lab } from '../src/lab/lab.ts'
import { loadPipelineConfig } from '../src/pipeline/config.ts'
import { routeSchema } from '../src/pipeline/routing/rules.ts'
import { deriveDevicePassword, hashPassword } from '../src/registry/passwords.ts'
import type { Registry } from '../src/registry/schema.ts'
import { silentLogger } from '../src/util/log.ts'
import { TEST_PATIENT, outputDir } from './support/lab.ts'

const KEY = Buffer.alloc(32, 4)

async function busyWard(): Promise<Registry> {
  const beds = Array.from({ length: 24 }, (_, i) => `bed-${i}`)
  const devices = beds.flatMap((bed, i) => [
    { id: `mon-${i}`, kind: 'bedside-monitor', ward: 'icu', bed, patient: `pt-${i}` },
    { id: `vent-${i}`, kind: 'ventilator', ward: 'icu', bed, patient: `pt-${i}` },
  ])
  return {
    version: 1,
    site: 'Shutdown test',
    wards: [{ id: 'icu', name: 'ICU', beds }],
    patients: beds.map((bed, i) => ({ ...TEST_PATIENT, id: `pt-${i}`, bed })),
    devices: await Promise.all(
      devices.map(async (d) => ({ ...d, options: {}, simulated: true, passwordHash: await hashPassword(deriveDevicePassword(KEY, d.id)) })),
    ),
    users: [],
  }
}

describe.each([
  { workers: 0, where: 'inline' },
  { workers: 2, where: 'in two worker threads' },
])('clean shutdown under load, pipeline $where', ({ workers }) => {
  it('loses nothing: every message a device sent is counted, and every valid one is in the archive sink', async () => {
    const dir = outputDir()
    const base = loadPipelineConfig()
    const pipeline = {
      ...base,
      sinks: { ...base.sinks, archive: { type: 'jsonl' as const, file: 'archive.jsonl', withTopic: false } },
      routes: [...base.routes, routeSchema.parse({ name: 'archive', topic: 'hospital/#', to: [{ sink: 'archive' }] })],
    }
    const lab = await Lab.start({
      registry: await busyWard(),
      provisioningKey: KEY,
      profile: 'lab',
      listeners: [{ kind: 'mqtt', host: '127.0.0.1', port: 0, flag: '--port' }],
      seed: 'shutdown',
      // 48 devices at 1 Hz (monitors) and 1 Hz ticks (ventilators) × 100 ≈ 3,000 messages a second.
      speed: 100,
      simulate: true,
      log: silentLogger,
      outputDir: dir,
      pipeline,
      pipelineWorkers: workers,
    })
    // Under load means every device connected and sending; one still mid-CONNECT when stopped
    // would have its will published by the broker — a message the device never sent.
    while (lab.fleet!.connectedCount() < lab.fleet!.devices.length) await new Promise((resolve) => setTimeout(resolve, 20))
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(lab.pipeline.counters.received).toBeGreaterThan(1000)
    await lab.stop()

    const sent = lab.fleet!.totals().published
    const { received, valid, quarantined } = lab.pipeline.counters
    expect(received).toBe(sent)
    expect(quarantined).toBe(0)
    expect(valid).toBe(received)
    const archived = readFileSync(join(dir, 'archive.jsonl'), 'utf8').trimEnd().split('\n')
    expect(archived).toHaveLength(valid)
  })
})
