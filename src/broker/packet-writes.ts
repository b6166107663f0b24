import type { Client } from 'aedes'
import mqttPacket, { type Packet } from 'mqtt-packet'

/** Sees, and may replace, each packet as it is written to one client; null holds it back (see `writePacket`). */
export type WriteWatcher = (packet: Packet) => Packet | null

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
  const earlier = watchers.get(client)
  watchers.set(
    client,
    earlier
      ? (packet) => {
          const seen = earlier(packet)
          return seen && watcher(seen)
        }
      : watcher,
  )
}

/** Writes a packet to a client now, past its watchers, in its protocol version. */
export function writePacket(client: Client, packet: Packet): void {
  if (client.closed) return
  originalWrite(packet, client.conn, { protocolVersion: client.version === 5 || client.version === 3 ? client.version : 4 })
}

let originalWrite = mqttPacket.writeToStream

function install(): void {
  if (installed) return
  installed = true
  originalWrite = mqttPacket.writeToStream
  mqttPacket.writeToStream = ((packet: Packet, stream: NodeJS.WritableStream & { client?: Client }, opts?: object) => {
    const watcher = stream.client && watchers.get(stream.client)
    if (!watcher) return originalWrite(packet, stream, opts)
    const seen = watcher(packet)
    return seen ? originalWrite(seen, stream, opts) : true
  }) as typeof mqttPacket.writeToStream
}
