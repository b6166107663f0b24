import type { Envelope } from './envelope.ts'
import type { DeviceTopic } from './topics.ts'

/**
 * A device message as the broker received it, and what was learned about it on the way: the
 * contract between whoever reads device traffic (the pipeline's stages) and whoever judges it
 * (the security detectors). Nothing is thrown away, so a message quarantined at any point still
 * carries its original bytes.
 */
export interface DeviceMessage {
  /** The publish topic, or a synthetic `derived/...` topic for events stages create (NEWS2). */
  topic: string
  /** The original bytes, kept for the quarantine record. */
  payload: Buffer
  /** Simulated epoch ms when the broker received it. */
  receivedAt: number
  source: { clientId: string; address: string }
  /** The topic's parts, once decoded. */
  device?: DeviceTopic
  /** The parsed JSON; for derived events, the event itself. */
  body?: unknown
  /** Set once the envelope and the kind's schema have accepted it (outbound device channels). */
  envelope?: Envelope
  /** Where the device sits, from the registry. */
  context?: RegistryContext
}

export interface RegistryContext {
  deviceId: string
  kind: string
  ward: string
  wardName: string
  bed?: string
  patientId?: string
}

/**
 * Why a device message was quarantined: the `reason` of every quarantine record
 * (quarantine/{ward}/{deviceId}, quarantine.jsonl) and of the detectors' quarantine hook.
 */
export const QUARANTINE_REASONS = [
  'oversize',
  'not-json',
  'not-envelope',
  'unknown-device',
  'unknown-kind',
  'identity-mismatch',
  'schema',
  'stage-error',
] as const
export type QuarantineReason = (typeof QUARANTINE_REASONS)[number]
