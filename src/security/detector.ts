import { z } from 'zod'
import type { DeviceMessage, QuarantineReason } from '../contract/device-message.ts'
import type { Finding } from '../contract/security-alert.ts'
import type { HospitalRegistry } from '../registry/registry.ts'
import type { WindowCounts } from './shared-counts.ts'
import type { SecuritySignal, SignalType } from './signals.ts'

/** Where a detector puts what it found; calling it is the only way a detector speaks. */
export type Report = (finding: Finding) => void

/**
 * A detector is one module with one job: it watches connection-level signals from the broker's
 * hooks and events, message-level traffic from the pipeline, or both, and reports findings. It
 * keeps whatever window state it needs, bounded, and never publishes or blocks anything itself.
 * Detectors report through a callback rather than returning arrays, so the common case — nothing
 * found — allocates nothing on the broker's hot path.
 */
export interface Detector {
  readonly name: string
  /** The signal types it wants; the monitor hands it no others. */
  readonly signals?: readonly SignalType[]
  onSignal?(signal: SecuritySignal, now: number, report: Report): void
  /** Every message that passed validation and enrichment (the pipeline's detect stage). */
  onMessage?(message: DeviceMessage, now: number, report: Report): void
  /** Every device message the pipeline quarantined, with the reason. */
  onQuarantine?(message: DeviceMessage, reason: QuarantineReason, now: number, report: Report): void
  /** Forgets keys idle for longer than its windows (called about once a second). */
  sweep?(now: number): void
}

/** A threshold's duration in milliseconds, and a threshold's count: 0 would silently disable a detector. */
export const durationMs = z.number().int().positive()
export const positiveCount = z.number().int().positive()

/** How long a detector remembers a key (address, client, device) it has not heard from: the configuration's `memory`. */
export const detectorMemorySchema = z
  .object({
    /** 10 min: longer than every detector's window, so eviction never cuts a window short. */
    idleMs: durationMs.default(600_000),
    /** Keys per detector table at most; the oldest go first. 100k keys is a few MB per table. */
    maxKeys: positiveCount.default(100_000),
  })
  .strict()
export type DetectorMemory = z.infer<typeof detectorMemorySchema>

/** What a detector is built from. */
export interface DetectorContext<Config> {
  /** Its own thresholds: the security configuration's entry under its `configKey`. */
  config: Config
  memory: DetectorMemory
  registry: HospitalRegistry
  /** A cluster's counts, which must add up across broker nodes (failed logins, connection rates); undefined on one broker. */
  sharedCounts: WindowCounts | undefined
}

/**
 * A detector as it registers itself in detectors/index.ts: how to build it and, if it has
 * thresholds, their zod schema and the key they sit under in the security configuration
 * (config.ts composes the configuration from these). Adding a detector is its file and one line there.
 */
export type DetectorDefinition =
  | { readonly configKey?: undefined; create(context: DetectorContext<undefined>): Detector }
  | ConfiguredDetector<string, z.ZodObject>

export interface ConfiguredDetector<Key extends string, Schema extends z.ZodObject> {
  readonly configKey: Key
  readonly config: Schema
  create(context: DetectorContext<z.output<Schema>>): Detector
}

export function defineDetector<const Key extends string, Schema extends z.ZodObject>(
  definition: ConfiguredDetector<Key, Schema>,
): ConfiguredDetector<Key, Schema>
export function defineDetector(definition: { create(context: DetectorContext<undefined>): Detector }): DetectorDefinition
export function defineDetector(definition: DetectorDefinition): DetectorDefinition {
  return definition
}
