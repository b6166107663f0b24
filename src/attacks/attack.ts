import { z } from 'zod'
import { type COMMAND_CHANNEL, deviceTopic, type OutboundChannel } from '../contract/topics.ts'
import type { HospitalRegistry } from '../registry/registry.ts'
import type { DeviceEntry } from '../registry/schema.ts'
import type { AlertType } from '../contract/security-alert.ts'
import type { Attacker } from './attacker.ts'

/**
 * One attack class: its parameters (zod, every one with a default, so a scenario can say just
 * `attack: brute-force`) and how it runs. Source addresses default to the documentation ranges
 * (RFC 5737), one per class, so attacks in one run never share a source.
 */
export interface AttackDefinition<P extends z.ZodType = z.ZodType> {
  type: AlertType
  summary: string
  params: P
  /** The device or user attacked, for the ground truth. */
  target(params: z.infer<P>, registry: HospitalRegistry): string | null
  run(attacker: Attacker, params: z.infer<P>, durationMs: number): Promise<void>
}

export function defineAttack<P extends z.ZodType>(definition: AttackDefinition<P>): AttackDefinition<P> {
  return definition
}

/** A source address label: an IP literal for realism, or any label (`sim:…` is the simulator's). */
export const addressParam = (fallback: string) => z.string().min(1).default(fallback)
/** A rate in actions per simulated second. */
export const rateParam = (fallback: number) => z.number().positive().max(100_000).default(fallback)

/** The registry device an attack aims at: the one named, or the first of a kind that fits. */
export function targetDevice(registry: HospitalRegistry, id: string | undefined, kinds: readonly string[] = []): DeviceEntry {
  const device = id ? registry.device(id) : registry.data.devices.find((d) => kinds.length === 0 || kinds.includes(d.kind))
  if (!device) throw new Error(id ? `attack target "${id}" is not in the registry` : `no ${kinds.join(' or ') || ''} device in the registry to attack`)
  return device
}

export function topicOf(device: DeviceEntry, channel: OutboundChannel | typeof COMMAND_CHANNEL): string {
  return deviceTopic({ ward: device.ward, kind: device.kind, deviceId: device.id, channel })
}
