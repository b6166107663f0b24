import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import type { BrokerLimits } from '../broker/create-broker.ts'
import type { ListenerSpec } from '../broker/listeners.ts'
import type { ProfileName } from '../broker/profile.ts'
import type { Envelope } from '../contract/envelope.ts'
import type { LabHl7Options } from './lab-hl7.ts'
import type { PipelineConfig } from '../pipeline/config.ts'
import type { PipelineObserver } from '../pipeline/pipeline.ts'
import type { Registry } from '../registry/schema.ts'
import type { SecurityConfigInput } from '../security/config.ts'
import type { SimClock } from '../simulation/clock.ts'
import type { MqttVersion } from '../simulation/mqtt-version.ts'

/** What the embedded lab is started with (Lab.start). */
export interface LabOptions {
  registry: Registry
  provisioningKey: Buffer
  profile: ProfileName
  listeners: ListenerSpec[]
  seed: string | number
  /** Simulated time runs this many times faster than wall time. */
  speed: number
  /** Start the registry's simulated devices. */
  simulate: boolean
  /** The MQTT version the simulated devices connect with (`--mqtt-version`); 3.1.1 when left out. */
  mqttVersion?: MqttVersion
  log: Logger
  /** Where the pipeline's files go (alerts, FHIR NDJSON, quarantine). */
  outputDir: string
  /**
   * Defaults to the built-in pipeline (src/pipeline/default-pipeline.yaml). `false` runs the
   * broker alone — device messages are relayed, not checked — the baseline `wardlab bench
   * --compare pipeline=off,on` measures the pipeline's cost against.
   */
  pipeline?: PipelineConfig | false
  /**
   * 0 (the default) runs the pipeline inline on the broker's thread; N runs it in N worker
   * threads, messages sharded by patient, with back-pressure to the devices when they fall behind
   * (src/pipeline/offload). `wardlab start` uses workers; scenario runs, which need determinism, inline.
   */
  pipelineWorkers?: number
  /** Defaults to a clock paced at `speed` from now; scenario runs pass a virtual clock. */
  clock?: SimClock
  /** Detector thresholds and response policy (src/security/config.ts); defaults when left out. */
  security?: SecurityConfigInput
  /** Serve /metrics (and the dashboard) here; no HTTP server when left out. */
  http?: { host: string; port: number }
  /** Simulated devices that wait to be started (load ramps). */
  deferredDevices?: ReadonlySet<string>
  /** Watches the pipeline beside the metrics (scenario recording). */
  observer?: PipelineObserver
  /** Called for every envelope a simulated device publishes (scenario latency and accounting). */
  onDevicePublish?: (topic: string, envelope: Envelope) => void
  /** Called for every envelope a simulated device produces, sent or lost (telemetry digests). */
  onDeviceGenerate?: (envelope: Envelope) => void
  /** Sees every connection the broker accepts, before the broker reads from it (packet capture). */
  onConnection?: (stream: Duplex) => void
  /**
   * Keep persistent sessions, their queued QoS 1/2 messages, retained messages and wills in an
   * on-disk LevelDB in this folder, so they survive a restart (src/broker/persistence.ts); in memory
   * when left out.
   */
  persistenceDir?: string
  /** Overrides of the broker's limits (brokerLimits in src/broker/create-broker.ts), e.g. a shorter drainTimeout. */
  brokerLimits?: Partial<BrokerLimits>
  /** What one persistent session may have queued (src/broker/offline-queue-limit.ts). */
  offlineQueueLimit?: { messages: number; bytes: number }
  /** The largest packet a client may send, on every listener, and how long a begun packet may take to finish (src/broker/packet-size-limit.ts). */
  packetLimits?: { maxBytes: number; partialMs: number }
  /** What one identity may keep retained (src/broker/retained-quota.ts). */
  retainedQuota?: { messages: number; bytes: number }
  /**
   * Join a cluster of broker nodes on this Redis (`redis://host:port`): messages, sessions and
   * retained messages go through it, and so does the detector state that must be global.
   * `nodeId` defaults to a random one; nodes of one cluster need distinct ids.
   */
  cluster?: { url: string; nodeId?: string }
  /** HL7 v2 receivers the pipeline's HL7 sinks send to (`--hl7`), and the PCD-03 order listener (`--hl7-listen`). */
  hl7?: LabHl7Options
}
