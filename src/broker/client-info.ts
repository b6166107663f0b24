import type { Socket } from 'node:net'
import type { Client } from 'aedes'
import type { Identity } from '../registry/registry.ts'

/**
 * What the broker knows about a connection beyond Aedes' own client object. A WeakMap rather
 * than properties on Client keeps Aedes' objects untouched and the memory tied to the client.
 */
const identities = new WeakMap<Client, Identity>()
const connectionIds = new WeakMap<Client, number>()

export function setIdentity(client: Client, identity: Identity): void {
  identities.set(client, identity)
}

export function identityOf(client: Client | null | undefined): Identity | undefined {
  return client ? identities.get(client) : undefined
}

/** Set by the connection watch (connection-signals.ts) as each connection is accepted. */
export function setConnectionId(client: Client, id: number): void {
  connectionIds.set(client, id)
}

/** The broker's number for this connection, which every security signal about it carries (0 if unwatched). */
export function connectionIdOf(client: Client): number {
  return connectionIds.get(client) ?? 0
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
