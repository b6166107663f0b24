import type { Socket } from 'node:net'
import type { Client } from 'aedes'
import type { Identity } from '../registry/registry.ts'

/**
 * What the broker knows about a connection beyond Aedes' own client object. A WeakMap rather
 * than properties on Client keeps Aedes' objects untouched and the memory tied to the client.
 */
const identities = new WeakMap<Client, Identity>()

export function setIdentity(client: Client, identity: Identity): void {
  identities.set(client, identity)
}

export function identityOf(client: Client | null | undefined): Identity | undefined {
  return client ? identities.get(client) : undefined
}

/**
 * The peer address: the TCP socket's, the WebSocket request's, or a label that in-memory
 * connections (simulated devices, capture replay) carry as `remoteAddress` on their stream.
 */
export function clientAddress(client: Client): string {
  const fromRequest = client.req?.socket?.remoteAddress
  const fromStream = (client.conn as Partial<Socket> | undefined)?.remoteAddress
  return fromRequest ?? fromStream ?? 'unknown'
}
