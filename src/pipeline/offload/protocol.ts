import type { HospitalRegistry } from '../../registry/registry.ts'
import type { Registry } from '../../registry/schema.ts'
import type { Detector } from '../../security/detector.ts'
import type { Finding } from '../../contract/security-alert.ts'
import type { PcdMessage } from '../../clinical/hl7/pcd-message.ts'
import type { PipelineConfig } from '../config.ts'
import type { QuarantineReason } from '../../contract/device-message.ts'
import type { PackedPayloads } from './packed-payloads.ts'
import type { TableChanges } from './string-table.ts'

/** What a pipeline worker is built from: plain data, cloned into the worker once. */
export interface WorkerSetup {
  registry: Registry
  config: PipelineConfig
  /**
   * The detectors the worker runs on its messages, chosen by the wiring (src/lab/lab-pipeline.ts),
   * which builds the broker thread's own from the same configuration: a module whose
   * `createDetectors(options, registry)` builds them, and the options, plain data.
   */
  detectors: { module: string; options: unknown }
  outputDir: string
  /** The lab has HL7 links: the worker's HL7 sinks hand their messages back with each batch. */
  hl7?: boolean
  /** The broker thread knows every session's subscriptions and sends their changes: broker outputs nobody can receive are not built. */
  interest?: boolean
}

/** Device messages as the broker received them, column by column; topics and sources by number (string-table.ts). */
export interface IngestBatch {
  topics: TableChanges
  /** `clientId` NUL `address`: one entry per connection. */
  sources: TableChanges
  topicIds: Uint32Array
  sourceIds: Uint32Array
  receivedAt: Float64Array
  payloads: PackedPayloads
}

/** What the worker's broker sinks published, serialised, for the broker thread to publish in order. */
export interface PublishBatch {
  topics: TableChanges
  topicIds: Uint32Array
  qos: Uint8Array
  retain: Uint8Array
  payloads: PackedPayloads
}

/** What the pipeline counted while processing one batch; the broker thread keeps the totals. */
export interface StatsDelta {
  valid: number
  quarantined: number
  derived: number
  routed: number
  quarantinedBy: [QuarantineReason, number][]
  /** Quarantined messages counted but not recorded, by device (src/pipeline/quarantine.ts). */
  suppressedBy: [device: string, count: number][]
  routedBy: [route: string, sink: string, count: number][]
  stageTimings: [stage: string, outcome: 'pass' | 'reject', seconds: number][]
}

export interface ProcessedBatch {
  /** Device messages of the ingest batch this answers: every one is now valid or quarantined. */
  count: number
  outputs: PublishBatch | null
  /** For the broker thread's security monitor, which de-duplicates, alerts and blocks. */
  findings: Finding[]
  /** What the worker's HL7 sinks produced, for the links on the broker thread (one MSH-13 sequence per link). */
  hl7: PcdMessage[] | null
  stats: StatsDelta
}

/**
 * Subscriptions that began or ended since the last batch (src/pipeline/output-interest.ts): sent
 * ahead of the batch, so a worker judges each output against the subscriptions of the moment its
 * batch left the broker thread.
 */
export interface InterestChanges {
  added: string[]
  removed: string[]
}

export type ToPipelineWorker =
  | { type: 'ingest'; batch: IngestBatch }
  | { type: 'interest'; changes: InterestChanges }
  /** The lab's registry file changed: the worker's copy is replaced before the next batch. */
  | { type: 'registry'; registry: Registry }
  | { type: 'drain' }
  | { type: 'close' }
export type FromPipelineWorker = { type: 'ready' } | { type: 'processed'; batch: ProcessedBatch } | { type: 'drained' } | { type: 'closed' }

/** What `WorkerSetup.detectors.module` exports (src/security/create-detectors.ts). */
export interface DetectorsModule {
  createDetectors(options: never, registry: HospitalRegistry): Detector[]
}
