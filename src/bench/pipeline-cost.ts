import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { buildPipeline } from '../pipeline/build.ts'
import { loadPipelineConfig } from '../pipeline/config.ts'
import { HospitalRegistry } from '../registry/registry.ts'
import { createDetectors } from '../security/create-detectors.ts'
import { securityConfig } from '../security/config.ts'
import { MessageDetectors } from '../security/message-detectors.ts'
import { benchRegistry } from './bench-registry.ts'
import { benchDevices, benchTopic } from './fleet-layout.ts'
import { fleetPayloads } from './payloads.ts'

/**
 * The pipeline's own cost per device message, on one thread with nothing else running: the
 * default pipeline (stages, NEWS2, FHIR, routes, file sinks) fed the bench fleet's real payloads,
 * its broker outputs serialised and dropped. What a pipeline worker spends per message, without
 * the broker or the network, so a change to a stage can be measured in seconds:
 *
 *   node --import tsx src/bench/pipeline-cost.ts [--devices 100] [--messages 200000] [--batch 100]
 *
 * `--batch`: messages a turn of the event loop, as a worker takes a batch and its sinks then
 * write; flat out a worker takes up to 1,024 a batch (offload/pipeline-pool.ts), at ward rates far fewer.
 */
const { values } = parseArgs({
  options: { devices: { type: 'string', default: '100' }, messages: { type: 'string', default: '200000' }, batch: { type: 'string', default: '100' } },
})
const devices = Number(values.devices)
const total = Number(values.messages)
const key = Buffer.alloc(32, 1)
const data = benchRegistry({ devices, gateway: 1, key })
const registry = new HospitalRegistry(data)
const outputDir = mkdtempSync(join(tmpdir(), 'wardlab-pipeline-cost-'))
const fleet = benchDevices(devices)
const payloads = fleetPayloads(fleet, 'cost')
const security = securityConfig()
const pipeline = buildPipeline({
  config: loadPipelineConfig(),
  registry,
  detectors: new MessageDetectors(
    createDetectors(security, registry),
    (m) => m.receivedAt,
    () => undefined,
  ),
  broker: { publish: (_packet, done) => done() },
  outputDir,
})
// A worker gets each topic as one string object for all its messages (offload/string-table.ts), not a fresh one each time.
const topics = new Map<string, string>()
const interned = (topic: string) => {
  if (!topics.has(topic)) topics.set(topic, topic)
  return topics.get(topic)!
}
// Payloads are made before the clock starts: generating them is the generator's cost, not the pipeline's.
const start0 = Date.parse('2026-11-29T12:00:00Z')
const messages = Array.from({ length: total }, (_, i) => {
  const device = i % devices
  const seq = Math.floor(i / devices)
  const ts = start0 + seq * 1000
  return {
    topic: interned(benchTopic(fleet[device]!, payloads.channel(device, seq))),
    payload: Buffer.from(payloads.text(device, seq, ts)),
    clientId: fleet[device]!.id,
    ts,
  }
})
const warmUp = Math.min(20_000, Math.floor(total / 5))
/** As a worker gets them: a batch, then a turn of the event loop in which the sinks write. */
const BATCH = Number(values.batch)
const run = async (from: number, to: number) => {
  for (let i = from; i < to; i++) {
    const m = messages[i]!
    pipeline.ingest(m.topic, m.payload, { clientId: m.clientId, address: '127.0.0.1' }, m.ts + 5)
    if (i % BATCH === BATCH - 1) await new Promise(setImmediate)
  }
}
await run(0, warmUp)
const cpu0 = process.cpuUsage()
const wall0 = performance.now()
await run(warmUp, total)
await pipeline.drain()
const cpu = process.cpuUsage(cpu0)
const wallMs = performance.now() - wall0
const measured = total - warmUp
await pipeline.close()
rmSync(outputDir, { recursive: true, force: true })
const { received, valid, quarantined, routed } = pipeline.counters
console.log(`${measured.toLocaleString('en-US')} device messages from ${devices} devices after ${warmUp.toLocaleString('en-US')} to warm up`)
console.log(
  `pipeline CPU ${((cpu.user + cpu.system) / measured).toFixed(2)} µs per message (wall ${((wallMs * 1000) / measured).toFixed(2)} µs), ${(routed / received).toFixed(2)} outputs each`,
)
console.log(`received ${received} = valid ${valid} + quarantined ${quarantined}`)
