import type { Client } from 'aedes'
import mqttPacket, { type Packet } from 'mqtt-packet'

/** Sees, and may replace, each packet as it is written to one client. */
export type WriteWatcher = (packet: Packet) => Packet

const watchers = new WeakMap<Client, WriteWatcher>()
let installed = false

/**
 * Lets the broker see each packet at the moment it is serialised for a client: the one place where
 * a PUBLISH is both final and not yet on the wire. Aedes 2 writes every packet through mqtt-packet's
 * `writeToStream(packet, client.conn)` (lib/write.js) and has no hook there; outbound topic aliases
 * and the client's Receive Maximum (outbound-v5.ts) need one, because the packet Aedes delivers is
 * also the one it stores for a session resume, where a connection-scoped alias must not end up.
 * Streams with no Aedes client (`conn.client`, set in lib/client.js) and clients with no watcher —
 * mqtt.js clients in the same process, 3.1.1 clients — pass straight through.
 */
export function watchWrites(client: Client, watcher: WriteWatcher): void {
  install()
  watchers.set(client, watcher)
}

function install(): void {
  if (installed) return
  installed = true
  const write = mqttPacket.writeToStream
  mqttPacket.writeToStream = ((packet: Packet, stream: NodeJS.WritableStream & { client?: Client }, opts?: object) => {
    const watcher = stream.client && watchers.get(stream.client)
    return write(watcher ? watcher(packet) : packet, stream, opts)
  }) as typeof mqttPacket.writeToStream
}
