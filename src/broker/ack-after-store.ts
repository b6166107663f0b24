import type { Aedes, AedesPublishPacket, Client } from 'aedes'
import type { Packet } from 'mqtt-packet'
import { watchWrites, writePacket } from './packet-writes.ts'

interface PendingAck {
  packet: Packet
  stored: boolean
}

/**
 * A QoS 1 PUBACK that means the message is stored. Aedes 2.0.0-beta.1 (lib/handlers/publish.js
 * `enqueuePublish`, as Aedes 1.2 before it) writes the PUBACK first and publishes after, so a broker
 * killed between the two has acknowledged a message it never stored: measured here before this
 * change, 18–49 acknowledged messages a run never reached a persistent subscriber after a kill -9
 * and restart (issue 16). MQTT 3.1.1 §4.3.2 and MQTT 5 §4.3.2 let the receiver acknowledge once it
 * has taken ownership, and that is when it is stored.
 *
 * Here, with a durable persistence (LevelDB or the cluster's Redis), each client's PUBACKs without
 * a failure reason code are held back as Aedes writes them, and sent once the broker has reported
 * the publish done — after it stored the message for every persistent subscription, stored it if
 * retained, and handed it to the emitter (aedes.js `publish`: storeRetained, enqueueOffline,
 * emitPacket, then the 'publish' event). They go out in the order the PUBLISHes came, as §4.6 asks.
 * A publish that fails is never acknowledged, so the client sends it again.
 *
 * Upstream: no Aedes issue reports this order for QoS 1 (searched 2026-12). The maintainers' own
 * rule is that "message delivery in QoS 1 and 2 must pass through the storage by the spec"
 * (moscajs/aedes-persistence-redis#35), and moscajs/aedes#1056 (merged 2025-10) reorders the QoS 2
 * handler around taking ownership (MQTT-4.3.3-2) but leaves QoS 1's PUBACK first. Cost: 4–7 % of
 * the broker's CPU per message on a cluster node, no added delivery latency (BENCHMARKS.md (u)).
 */
export function ackAfterStore(broker: Aedes): void {
  const pending = new WeakMap<Client, PendingAck[]>()
  broker.on('client', (client) => {
    const acks: PendingAck[] = []
    pending.set(client, acks)
    watchWrites(client, (packet) => {
      if (packet.cmd !== 'puback' || (packet.reasonCode ?? 0) >= 0x80) return packet
      acks.push({ packet, stored: false })
      return null
    })
  })
  broker.on('publish', (packet: AedesPublishPacket, client: Client | null) => {
    const acks = client && packet.qos === 1 ? pending.get(client) : undefined
    if (!acks) return
    const ack = acks.find((a) => !a.stored && (a.packet as { messageId?: number }).messageId === packet.messageId)
    if (!ack) return
    ack.stored = true
    while (acks[0]?.stored) writePacket(client!, acks.shift()!.packet)
  })
}
