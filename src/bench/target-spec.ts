import type { PipelineCounters } from '../pipeline/pipeline.ts'
import type { LoopSecond } from './loop-delay.ts'
import type { BrokerAccount } from './subscriber-watch.ts'

/** on: the pipeline in a worker thread, as `wardlab start` runs it; inline: on the broker's own thread (as scenario runs do); off: none. */
export const PIPELINE_MODES = ['on', 'off', 'inline'] as const
export type PipelineMode = (typeof PIPELINE_MODES)[number]

export type TargetSpec =
  | { type: 'embedded'; pipeline: PipelineMode }
  | { type: 'cluster'; nodes: number; pipeline: PipelineMode }
  | { type: 'mosquitto' }
  /** A bare Aedes of the version wardlab runs: the baseline for the cost of wardlab's own broker layer. */
  | { type: 'aedes' }
  | { type: 'url'; url: string; host: string; port: number }

/** What a target reports when it stops. */
export interface TargetReport {
  /** The pipeline's counts, summed over a cluster's nodes; null without a pipeline. */
  pipeline: PipelineReport | null
  /** Connections each broker node accepted (the subscriber's included); empty for a broker the bench did not start. */
  clientsPerNode: number[]
  /** Deliveries the broker nodes skipped to a subscriber too far behind; null for a broker the bench did not start. */
  skippedDeliveries: number | null
  /**
   * Times a cluster's Redis closed a node's pub/sub connection for falling 32 MB behind (its
   * output buffer limit): the messages in that buffer are gone. Null without a Redis.
   */
  subscriptionsDropped: number | null
  /** The broker nodes' event-loop delay, worst per second (loop-delay.ts); null for a broker the bench did not start. */
  loopDelay: LoopSecond[] | null
}

export interface RunningTarget {
  host: string
  /** One port per broker node: the subscriber connects to the first, the generators spread their connections over all. */
  ports: number[]
  /** The broker processes the bench started, one per node, for CPU and memory; empty for a remote one. */
  brokerPids: number[]
  /** A cluster's redis-server, sampled like the brokers; null without one. */
  redisPid: number | null
  /** Holds every connection in one local process, which the open-file limit applies to. */
  local: boolean
  stop(): Promise<TargetReport>
  /** Each broker node's account of the device messages and the bench subscriber (subscriber-watch.ts); absent for a broker wardlab does not run. */
  account?: () => Promise<BrokerAccount[]>
}

export type PipelineReport = PipelineCounters & { quarantinedBy: Record<string, number> }
