import type { PipelineCounters } from '../pipeline/pipeline.ts'
import type { LatencySummary } from '../util/latency.ts'
import type { RatioSummary } from './ratios.ts'
import type { LoadOptions } from './load-options.ts'
import type { SeqTotals } from './seq-accounting.ts'
import type { LoopStalls } from './loop-delay.ts'
import type { MqttVersion } from '../simulation/mqtt-version.ts'
import type { UndeliveredAccount } from './undelivered.ts'

/** One second of a run, counted from the start of the load. */
export interface TimelinePoint {
  second: number
  /** Messages per second the schedule asked for, the generators wrote, and the subscriber got. */
  offered: number
  achieved: number
  delivered: number
  /** Latency of the messages that arrived in this second, ms. */
  p50: number | null
  p99: number | null
  max: number | null
  /** Cores busy (1 = one core). */
  brokerCpu: number | null
  generatorCpu: number | null
  /**
   * The longest the broker's event loop was held in this second, ms (its loop-delay histogram,
   * src/bench/loop-delay.ts): a latency spike with a long hold is the broker's own; without one,
   * the network's, the generator's or the subscriber's. Null where the target reports none.
   */
  brokerLoopMaxMs: number | null
}

export interface ProcessFigures {
  /** Average cores busy over the measured window. */
  cpuCores: number
  peakRssMB: number
}

export interface RunResult {
  variant: string
  round: number
  target: string
  /** What the generators and the subscriber spoke to the broker. */
  mqttVersion: MqttVersion
  connections: number
  /**
   * `retried`: connections refused at first as busy (CONNACK 3) that connected on a retry
   * (connect-pacer.ts). `refusedBy`: every login the broker turned away during the run, by reason
   * (`login-queue-full`, `address-limit`, `banned`, `wrong-password`, …), when it is one wardlab runs.
   */
  connect: {
    wallMs: number
    perConnection: LatencySummary
    failures: number
    firstFailure: string | null
    retried?: number
    refusedBy?: Record<string, number>
  }
  /** Messages per second over the measured window (after ramp-up). Offered is null flat out. */
  rates: { offered: number | null; achieved: number; delivered: number }
  totals: SeqTotals & { skipped: number; disconnects: number; acked: number }
  /** Delivered / sent over the whole run, in percent. */
  deliveredPct: number
  /** Null when the generator logs no send times (the plain mqtt.js baseline). */
  latency: LatencySummary | null
  /** Null for a broker the bench did not start. */
  broker: (ProcessFigures & { cpuUsPerMessage: number; mainThreadUsPerMessage: number }) | null
  /**
   * Each broker process the bench started, in node order (one for `embedded`, N for `cluster:N`;
   * `broker` is their sum). `clients`: connections the node accepted, null when it did not say
   * (Mosquitto, or a broker that crashed).
   */
  nodes: (ProcessFigures & { clients: number | null })[]
  /**
   * Messages the broker (every node) did not deliver to a subscriber with over 1 MiB waiting
   * (src/broker/load-shedding.ts): loss the broker chose, to keep one slow reader from holding
   * memory; null for a broker that does not say (Mosquitto, a remote one, a crash).
   */
  skippedDeliveries: number | null
  /** Times a cluster's Redis dropped a node's subscription, 32 MB behind (TargetReport); null without a Redis. */
  subscriptionsDropped: number | null
  /** The broker's event loop over the measured window (loop-delay.ts): how long and how often it was held; null when the bench did not start the broker. */
  brokerEventLoop: LoopStalls | null
  /** A cluster's redis-server, per device message delivered like the broker; null without one. */
  redis: (ProcessFigures & { cpuUsPerMessage: number }) | null
  generator: ProcessFigures & { workers: number; messagesPerCpuSecond: number }
  subscriber: ProcessFigures & { pipelineOutputs: number }
  pipeline: (PipelineCounters & { quarantinedBy: Record<string, number> }) | null
  /** Set when the broker process died before it could report (its last words). */
  brokerFailure: string | null
  timeline: TimelinePoint[]
  /**
   * The measured window on CLOCK_MONOTONIC (ms, clock.ts; a `--cpu-prof` profile's timestamps are
   * on the same clock) and the device messages delivered in it: what a profile is read over.
   */
  measuredWindow?: { fromMs: number; toMs: number; delivered: number }
  /** Every message sent and not delivered, by cause (undelivered.ts); absent from a multi-machine run. */
  undelivered?: UndeliveredAccount
  /** Set when the load came from several machines (`--coordinator`): each agent's share and figures. */
  distributed?: DistributedFigures
}

/** What was asked for, as recorded with the results (the run's key is left out). */
export type BenchSettings = Omit<LoadOptions, 'key' | 'payload'> & { payload: string; rounds: number }

export interface BenchReport {
  tool: 'wardlab bench'
  date: string
  machine: { cpus: number; model: string; memoryGB: number; node: string; loadAverage: number[]; openFileLimit: number }
  command: string
  settings: BenchSettings
  runs: RunResult[]
  /** Per compared figure, each variant against the first (baseline). */
  comparisons: { figure: string; ratios: RatioSummary[] }[]
}

/** Where an agent's share of the fleet was and how the coordinator timed its start. */
export interface AgentPlacement {
  address: string
  devices: { first: number; count: number }
  /** Median round trip of the pings before the start, ms. */
  rttMs: number
  /** When the agent started its load relative to the instant the coordinator meant: at the earliest, at the latest. */
  startOffsetMs: { min: number; max: number }
}

/** A multi-machine run (coordinator.ts): how closely the agents started together, and each one's figures. */
export interface DistributedFigures {
  /** The most the first and the last agent can have started apart, ms (from the round trips, see coordinator.ts). */
  startSkewBoundMs: number
  agents: AgentFigures[]
}

export interface AgentFigures extends AgentPlacement {
  connections: number
  rates: RunResult['rates']
  totals: RunResult['totals']
  deliveredPct: number
  latency: LatencySummary | null
  generator: RunResult['generator']
  subscriber: RunResult['subscriber']
}
