import type { Duplex } from 'node:stream'
import type { Aedes } from 'aedes'
import type { Logger } from 'pino'
import type { ListenerSpec } from '../broker/listeners.ts'
import type { ProfileName } from '../broker/profile.ts'
import type { Envelope } from '../contract/envelope.ts'
import type { LinkConfigInput } from '../hl7/link-config.ts'
import type { LinkStats } from '../hl7/link-stats.ts'
import type { MllpLink } from '../hl7/link.ts'
import type { PipelineCounters, PipelineObserver } from '../pipeline/pipeline.ts'
import type { HospitalRegistry } from '../registry/registry.ts'
import type { Registry } from '../registry/schema.ts'
import type { SecurityConfigInput } from '../security/config.ts'
import type { SecurityMonitor } from '../security/monitor.ts'
import type { SignalBus } from '../security/signals.ts'
import type { SimClock } from '../simulation/clock.ts'
import type { Fleet } from '../simulation/fleet.ts'
import type { MqttVersion } from '../simulation/mqtt-version.ts'

/**
 * A running lab as the tools see it — scenario runs, capture runs, the dashboard — whether wardlab
 * runs the broker (src/lab/lab.ts) or drives one it does not (src/lab/remote-lab.ts). The wiring
 * implements it and hands an `OpenLab` in; the tools never import the wiring (ARCHITECTURE.md,
 * "Layers").
 */
export interface LabHandle {
  readonly clock: SimClock
  readonly registry: HospitalRegistry
  readonly signals: SignalBus
  readonly monitor: SecurityMonitor
  readonly pipeline: { readonly counters: PipelineCounters }
  /** The simulated devices; null when the lab simulates none. */
  readonly fleet: Fleet | null
  /** Where clients reach the broker. */
  readonly bound: readonly { kind: string; url: string }[]
  /** The detectors that can see this lab's traffic (only message-level ones at an external broker). */
  readonly activeDetectors: readonly string[]
  /** What only a broker wardlab runs itself offers; null against an external broker. */
  readonly embedded: EmbeddedBroker | null
  /** The HL7 links and order listener, when the lab was asked for them (`hl7` in the request). */
  readonly hl7?: Hl7Handle | null
  /** Where the live dashboard is served, when the lab serves it (`dashboard` in the request). */
  readonly dashboardUrl: string | null
  stats(): LabStats
  /** A number that grows with the broker's work, and whether work is pending off the loop: a virtual clock waits for both to settle. */
  activity(): { count: number; pending: boolean }
  /** Publishes as the broker itself (the run's end marker, after the pipeline has drained). */
  publishAsBroker(topic: string, payload: Buffer): void
  /** Stops the devices and drains the pipeline; the broker stays up for observers. */
  quiesce(): Promise<void>
  stop(): Promise<void>
}

export interface EmbeddedBroker {
  readonly broker: Aedes
  /** An in-process connection through the listeners' gate, limits included (attackers). */
  handleConnection(stream: Duplex): void
  /** Every connection drops at once and new ones are refused for `downtimeMs` of simulated time. */
  restartBroker(downtimeMs: number): void
  /**
   * An in-process reader of the broker's outputs (`broker.on('publish')`) names what it reads here:
   * outputs on topics no session subscribes to are otherwise not built (src/broker/session-subscriptions.ts).
   */
  watchOutputs(filter: string): void
}

/** HL7 receivers (`--hl7`) and the PCD-03 order listener (`--hl7-listen`) a lab is asked for. */
export interface Hl7Request {
  links: LinkConfigInput[]
  listen?: { host: string; port: number }
}

/** One PCD-03 order and what became of it. */
export interface OrderOutcomeRecord {
  controlId: string
  accepted: boolean
  reason?: string
  code?: string
  pump?: string
}

/** The lab's HL7 side as tools see it: links to pause (outages), their accounts, the orders. */
export interface Hl7Handle {
  readonly gateway: { readonly links: readonly MllpLink[]; stats(): LinkStats[]; drain(timeoutMs: number): Promise<boolean> }
  readonly orders: readonly OrderOutcomeRecord[]
  readonly ordersPort: number | null
  /** "Chart now": each device's next reading goes out as PCD-01 at once, not at the cadence. */
  chartNow(deviceIds: readonly string[]): void
}

export interface LabStats {
  devicesConnected: number
  devicesSimulated: number
  clientsConnected: number
  received: number
  quarantined: number
  alerts: number
}

/** What a tool asks the wiring for: a lab on the embedded broker, or one against `broker`. */
export interface LabRequest {
  registry: Registry
  provisioningKey: Buffer
  seed: string | number
  log: Logger
  /** Where the pipeline's files go. */
  outputDir: string
  clock: SimClock
  /** Start the registry's simulated devices. */
  simulate: boolean
  mqttVersion?: MqttVersion
  deferredDevices?: ReadonlySet<string>
  observer?: PipelineObserver
  onDevicePublish?: (topic: string, envelope: Envelope) => void
  onDeviceGenerate?: (envelope: Envelope) => void
  /** Run against this broker instead of the embedded one; the fields below are the embedded broker's. */
  broker?: { url: string; username?: string; password?: string }
  profile?: ProfileName
  listeners?: ListenerSpec[]
  /** Simulated time runs this many times faster than wall time (paced clocks). */
  speed?: number
  security?: SecurityConfigInput
  /** Serve the live dashboard here (with a WebSocket listener among `listeners`). */
  dashboard?: { host: string; port: number }
  /** Sees every connection the broker accepts, before the broker reads from it (packet capture). */
  onConnection?: (stream: Duplex) => void
  /** HL7 links and order listener (embedded broker only). */
  hl7?: Hl7Request
}

export type OpenLab = (request: LabRequest) => Promise<LabHandle>
