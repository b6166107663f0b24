import { parentPort, workerData } from 'node:worker_threads'
import type { PublishPacket } from 'aedes'
import { HospitalRegistry } from '../../registry/registry.ts'
import type { PcdMessage } from '../../clinical/hl7/pcd-message.ts'
import type { Finding } from '../../contract/security-alert.ts'
import { MessageDetectors } from '../../security/message-detectors.ts'
import { buildPipeline } from '../build.ts'
import { packPayloads, unpackPayloads } from './packed-payloads.ts'
import type { DetectorsModule, FromPipelineWorker, IngestBatch, ProcessedBatch, PublishBatch, ToPipelineWorker, WorkerSetup } from './protocol.ts'
import { StatsCollector } from './stats-delta.ts'
import { StringTable, StringTableMirror } from './string-table.ts'
import { splitPair } from '../../util/pair-key.ts'
import { TopicInterest } from '../../contract/topic-interest.ts'

/** Idle detector state is forgotten about once a second of the messages' own time, as the monitor does. */
const SWEEP_EVERY_MS = 1000

/**
 * One pipeline worker: the unchanged pipeline — stages, sinks, routes, files — for the patients
 * sharded to it (src/pipeline/offload/shard.ts). Its broker sinks publish into a list that goes
 * back to the broker thread with each batch's answer, with the message detectors' findings (the
 * broker thread's monitor de-duplicates, alerts and blocks) and the counts for metrics. A message
 * is judged at the time the broker received it, so detection does not depend on queueing delay.
 */
const setup = workerData as WorkerSetup
const port = parentPort!
const registry = new HospitalRegistry(setup.registry)
let outgoing: PublishPacket[] = []
let findings: Finding[] = []
let hl7: PcdMessage[] = []
const { createDetectors } = (await import(setup.detectors.module)) as DetectorsModule
const detectors = new MessageDetectors(
  createDetectors(setup.detectors.options as never, registry),
  (message) => message.receivedAt,
  (finding) => findings.push(finding),
)
const stats = new StatsCollector()
/** The broker's sessions' subscriptions, as of the batch being processed (changes arrive ahead of it). */
const interest = new TopicInterest()
const pipeline = buildPipeline({
  config: setup.config,
  registry,
  detectors,
  broker: {
    publish(packet, done) {
      outgoing.push(packet)
      done()
    },
    ...(setup.interest ? { hasSubscribers: (topic: string) => interest.matches(topic) } : {}),
  },
  outputDir: setup.outputDir,
  observer: stats,
  hl7: setup.hl7 ? (message) => hl7.push(message) : null,
})
let lastSweep = -Infinity
const topics = new StringTableMirror((topic) => topic)
const sources = new StringTableMirror((key) => {
  const [clientId, address] = splitPair(key)
  return { clientId, address }
})
const outputTopics = new StringTable()

function processBatch(batch: IngestBatch): ProcessedBatch {
  topics.apply(batch.topics)
  sources.apply(batch.sources)
  const payloads = unpackPayloads(batch.payloads)
  let latest = lastSweep
  for (let i = 0; i < payloads.length; i++) {
    const receivedAt = batch.receivedAt[i]!
    pipeline.ingest(topics.get(batch.topicIds[i]!), payloads[i]!, sources.get(batch.sourceIds[i]!), receivedAt)
    if (receivedAt > latest) latest = receivedAt
  }
  if (latest - lastSweep >= SWEEP_EVERY_MS) {
    detectors.sweep(latest)
    lastSweep = latest
  }
  const answer: ProcessedBatch = {
    count: payloads.length,
    outputs: outgoing.length > 0 ? packOutputs(outgoing) : null,
    findings,
    hl7: hl7.length > 0 ? hl7 : null,
    stats: stats.take(pipeline.counters),
  }
  outgoing = []
  findings = []
  hl7 = []
  return answer
}

function packOutputs(packets: PublishPacket[]): PublishBatch {
  const topicIds = Uint32Array.from(packets, (p) => outputTopics.idOf(p.topic))
  return {
    topics: outputTopics.takeChanges(),
    topicIds,
    qos: Uint8Array.from(packets, (p) => p.qos),
    retain: Uint8Array.from(packets, (p) => (p.retain ? 1 : 0)),
    payloads: packPayloads(packets.map((p) => p.payload)),
  }
}

function send(message: FromPipelineWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer)
}

port.on('message', (message: ToPipelineWorker) => {
  if (message.type === 'interest') {
    for (const filter of message.changes.added) interest.add(filter)
    for (const filter of message.changes.removed) interest.remove(filter)
  } else if (message.type === 'ingest') {
    const batch = processBatch(message.batch)
    send({ type: 'processed', batch }, batch.outputs ? [batch.outputs.payloads.bytes.buffer] : [])
  } else if (message.type === 'registry') {
    registry.replace(message.registry)
  } else if (message.type === 'drain') {
    void pipeline.drain().then(() => send({ type: 'drained' }))
  } else {
    void pipeline.close().then(() => send({ type: 'closed' }))
  }
})
send({ type: 'ready' })
