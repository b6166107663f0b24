import type { Identity } from '../registry/registry.ts'
import type { AlertSource } from '../contract/security-alert.ts'

/** How an alert names a client the broker knows: device id for devices, username for users, neither for anonymous ones. */
export function sourceOf(clientId: string, address: string, identity: Identity | undefined): AlertSource {
  if (!identity) return { clientId, address }
  if (identity.role === 'device') return { clientId, address, deviceId: identity.name }
  return identity.anonymous ? { clientId, address } : { clientId, address, username: identity.name }
}

/**
 * What makes one incident: a registered identity is the same actor wherever it connects from; an
 * anonymous one is known only by its address (it can pick a new client id every time).
 */
export function incidentKey(address: string, identity: Identity | undefined): string {
  if (identity && (identity.role === 'device' || !identity.anonymous)) return `${identity.role}:${identity.name}`
  return `address:${address}`
}
