import type { PipelineCounters } from '../pipeline/pipeline.ts'
import type { LoopSecond } from './loop-delay.ts'
import type { PipelineMode } from './target-spec.ts'
import type { BrokerAccount } from './subscriber-watch.ts'

/** What the bench and its broker process (src/cli/processes/bench-broker.ts) say to each other. */
export type ToBroker =
  | {
      type: 'start'
      devices: number
      gateway: number
      key: string
      pipeline: PipelineMode
      /** With `pipeline: 'on'`: how many worker threads run it. */
      pipelineWorkers: number
      outputDir: string
      seed: string
      /** Join a cluster of broker nodes on this Redis (Lab's `cluster` option): one node of `--target cluster:N`. */
      cluster?: { url: string; nodeId: string }
    }
  /** After the drain: what the broker saw of the device messages and the bench subscriber (subscriber-watch.ts). */
  | { type: 'account' }
  | { type: 'stop' }

/**
 * `clients`: connections this broker accepted (CONNACK sent) during the run. `skippedDeliveries`:
 * messages not delivered to a subscriber that had over 1 MiB waiting (src/broker/load-shedding.ts),
 * the broker's side of what the bench counts as lost.
 */
export type FromBroker =
  | { type: 'ready'; port: number }
  | { type: 'account'; account: BrokerAccount }
  | {
      type: 'stopped'
      pipeline: PipelineCounters | null
      quarantinedBy: Record<string, number>
      clients: number
      skippedDeliveries: number
      loopDelay: LoopSecond[]
    }
