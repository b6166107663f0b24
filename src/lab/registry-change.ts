import type { Aedes, Client } from 'aedes'
import { identityOf } from '../broker/client-info.ts'
import { ReasonCode } from '../broker/v5-refusal.ts'
import type { PipelineRunner } from '../pipeline/pipeline.ts'
import type { HospitalRegistry } from '../registry/registry.ts'
import type { Registry } from '../registry/schema.ts'
import type { Fleet } from '../simulation/fleet.ts'

/** What a new registry changes for a running lab, by device id and user name. */
export interface RegistryChange {
  added: string[]
  removed: string[]
  /** Entries whose kind, ward, bed, patient, password or role changed: their sessions start over. */
  changed: string[]
}

export interface RegistryChangeParts {
  broker: Aedes
  registry: HospitalRegistry
  pipeline: PipelineRunner
  fleet: Fleet | null
}

/**
 * Puts a validated registry into force in a running lab, all of it at once: from the swap on,
 * every login, ACL decision and pipeline lookup answers from the new one. Then the clients
 * logged in as a removed or changed entry are disconnected — their identity (ward, bed, role)
 * was fixed at login, so a changed device logs in again under its new entry, and a removed one
 * is refused as unknown — and simulated devices start or stop with their entries.
 */
export async function applyRegistryChange(parts: RegistryChangeParts, next: Registry): Promise<RegistryChange> {
  const change = registryChange(parts.registry.data, next)
  parts.registry.replace(next)
  parts.pipeline.registryChanged?.(next)
  const ended = [...change.removed, ...change.changed]
  // A simulated device says goodbye (offline status) before it goes; others are cut off.
  await parts.fleet?.remove(ended)
  for (const client of clientsOf(parts.broker, new Set(ended))) {
    client.disconnect({ reasonCode: ReasonCode.ADMINISTRATIVE_ACTION })
  }
  const restarted = new Set([...change.added, ...change.changed])
  parts.fleet?.add(
    next.devices.filter((d) => restarted.has(d.id)),
    next.patients,
  )
  return change
}

/** Devices by id and users by name that appear, disappear or differ between two registries. */
export function registryChange(before: Registry, after: Registry): RegistryChange {
  const entries = (registry: Registry) =>
    new Map<string, string>([...registry.devices.map((d) => [d.id, canonical(d)] as const), ...registry.users.map((u) => [u.username, canonical(u)] as const)])
  const old = entries(before)
  const now = entries(after)
  return {
    added: [...now.keys()].filter((name) => !old.has(name)),
    removed: [...old.keys()].filter((name) => !now.has(name)),
    changed: [...now].filter(([name, entry]) => old.has(name) && old.get(name) !== entry).map(([name]) => name),
  }
}

/** An entry as text with its keys sorted: a registry built in memory and the same one read back from YAML list keys in different orders. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  )
}

/** Connected clients whose login identity is one of `names` (Aedes keeps its clients by client id). */
function clientsOf(broker: Aedes, names: ReadonlySet<string>): Client[] {
  const clients = Object.values((broker as unknown as { clients: Record<string, Client> }).clients)
  return clients.filter((client) => {
    const identity = identityOf(client)
    return identity !== undefined && !('anonymous' in identity && identity.anonymous) && names.has(identity.name)
  })
}
