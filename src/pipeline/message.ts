import type { Envelope } from '../contract/envelope.ts'
import type { DeviceTopic } from '../contract/topics.ts'

/**
 * What flows between pipeline stages. It starts as the raw publish (topic, bytes, who sent it)
 * and each stage fills in what it learned; nothing is thrown away, so a message quarantined at
 * any stage still carries its original bytes.
 */
export interface PipelineMessage {
  /** The publish topic, or a synthetic `derived/...` topic for events stages create (NEWS2). */
  topic: string
  /** The original bytes, kept for the quarantine record. */
  payload: Buffer
  /** Simulated epoch ms when the broker received it. */
  receivedAt: number
  source: { clientId: string; address: string }
  /** Set by decode: the topic's parts. */
  device?: DeviceTopic
  /** Set by decode: the parsed JSON; for derived events, the event itself. */
  body?: unknown
  /** Set by validate for outbound device channels. */
  envelope?: Envelope
  /** Set by enrich: where the device sits. */
  context?: RegistryContext
  /** Set by route: what goes to which sink. */
  outputs: Output[]
}

export interface RegistryContext {
  deviceId: string
  kind: string
  ward: string
  wardName: string
  bed?: string
  patientId?: string
}

export interface Output {
  /** Name of the sink in the pipeline configuration. */
  sink: string
  /** For sinks that publish: the rendered topic. */
  topic?: string
  body: unknown
  /** The route that produced it, for metrics and debugging. */
  route: string
}
