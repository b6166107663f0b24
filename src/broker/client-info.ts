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

/** mqtt-packet's parser as Aedes holds it: an emitter of `packet` and `error` that parses chunks. */
export interface PacketParser extends NodeJS.EventEmitter {
  parse(chunk: Buffer): number
  /** The packet being parsed; its length is known once the fixed header is (-1 between packets). */
  packet: { length: number }
}

/**
 * The client's packet parser: a field of Aedes' Client (lib/client.js `_parser`, the same in 1.2
 * and 2.0.0-beta.1) that the broker wraps where no hook sees the bytes — the packet size cap,
 * packet-level rules, parse errors, an MQTT 5 client's CONNECT. Undefined if Aedes renames it;
 * test/security-connection-signals.test.ts pins it.
 */
export function parserOf(client: Client): PacketParser | undefined {
  return (client as unknown as { _parser?: PacketParser })._parser
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
