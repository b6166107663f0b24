import { parentPort, workerData } from 'node:worker_threads'
import type { PublishPacket } from 'aedes'
import { buildPipeline } from '../pipeline/build.ts'
import { loadPipelineConfig } from '../pipeline/config.ts'
import type { PipelineCounters } from '../pipeline/pipeline.ts'
import type { BrokerPublisher } from '../pipeline/sinks/bounded-publisher.ts'
import { HospitalRegistry } from '../registry/registry.ts'
import type { Registry } from '../registry/schema.ts'
import { SecurityMonitor } from '../security/monitor.ts'
import { SignalBus } from '../security/signals.ts'
import { silentLogger } from '../util/log.ts'
import { packPayloads, unpackPayloads, type PackedPayloads } from './message-batch.ts'

/** Device messages as the broker saw them. */
export interface IngestBatch {
  topics: string[]
  clientIds: string[]
  addresses: string[]
  receivedAt: Float64Array
  payloads: PackedPayloads
}

/** What the pipeline's broker sinks published, serialised, for the broker thread to publish. */
export interface PublishBatch {
  topics: string[]
  qos: Uint8Array
  retain: Uint8Array
  payloads: PackedPayloads
}

export type ToPipelineWorker = { type: 'ingest'; batch: IngestBatch } | { type: 'stop' }
export type FromPipelineWorker = { type: 'publish'; batch: PublishBatch } | { type: 'stopped'; counters: PipelineCounters; quarantinedBy: Record<string, number> }

/**
 * The experiment behind `--pipeline worker` (BENCHMARKS.md, issue 4): the unchanged pipeline —
 * same stages, sinks, routes and files — in a worker thread of the broker process. Device
 * messages arrive in batches; what its broker sinks publish goes back in batches, already
 * serialised, for the broker thread to publish. Only message-level detectors run here: the
 * broker's connection signals stay on its own thread.
 */
const { registry: registryData, outputDir } = workerData as { registry: Registry; outputDir: string }
const registry = new HospitalRegistry(registryData)
let outgoing: PublishPacket[] = []
const publisher: BrokerPublisher = {
  publish(packet, done) {
    outgoing.push(packet)
    done()
  },
}
const monitor = new SecurityMonitor({
  signals: new SignalBus(),
  registry,
  log: silentLogger,
  publish: (alert) => outgoing.push({ cmd: 'publish', topic: `security/alerts/${alert.type}`, payload: Buffer.from(JSON.stringify(alert)), qos: 1, retain: false, dup: false }),
})
const pipeline = buildPipeline({ config: loadPipelineConfig(), registry, detectors: monitor.messages, broker: publisher, outputDir })

parentPort!.on('message', (message: ToPipelineWorker) => {
  if (message.type === 'ingest') {
    const { batch } = message
    const payloads = unpackPayloads(batch.payloads)
    for (let i = 0; i < payloads.length; i++) pipeline.ingest(batch.topics[i]!, payloads[i]!, { clientId: batch.clientIds[i]!, address: batch.addresses[i]! }, batch.receivedAt[i]!)
    if (outgoing.length === 0) return
    const out: PublishBatch = {
      topics: outgoing.map((p) => p.topic),
      qos: Uint8Array.from(outgoing, (p) => p.qos),
      retain: Uint8Array.from(outgoing, (p) => (p.retain ? 1 : 0)),
      payloads: packPayloads(outgoing.map((p) => p.payload as Buffer)),
    }
    outgoing = []
    parentPort!.postMessage({ type: 'publish', batch: out } satisfies FromPipelineWorker, [out.payloads.bytes.buffer])
  } else {
    void pipeline.drain().then(async () => {
      await pipeline.close()
      parentPort!.postMessage({ type: 'stopped', counters: { ...pipeline.counters }, quarantinedBy: Object.fromEntries(pipeline.quarantinedBy) } satisfies FromPipelineWorker)
    })
  }
})
