import type { Aedes, Client } from 'aedes'

/** Which publish was last offered to this connection: its broker and that broker's number for it (aedes-packet `brokerId`, `brokerCounter`). */
const lastBroker = Symbol('wardlab.lastOfferedBroker')
const lastCounter = Symbol('wardlab.lastOfferedCounter')

type Forwarding = Client & { duplicates: object; [lastBroker]: string | undefined; [lastCounter]: number }

/**
 * Stands in for Aedes' per-client record of the highest broker counter forwarded: reads as never
 * forwarded, ignores writes (and the deletes Aedes makes when another cluster node is born).
 */
const NOTHING_FORWARDED: object = new Proxy(Object.create(null), {
  get: () => undefined,
  set: () => true,
  deleteProperty: () => true,
})

/**
 * Every publish reaches each connection once, in whatever order publishes reach it.
 *
 * Aedes (lib/client.js `dedupe`) forwards a publish to a client only if its broker counter is
 * above the highest it has forwarded to that client, assuming publishes reach subscribers in the
 * order they were numbered. They do not: a QoS 1/2 publish is stored for every persistent
 * subscription before it is emitted (aedes.js `enqueueOffline`, a persistence round trip) and a
 * QoS 0 one is not, so a QoS 0 message numbered later overtakes it; on disk, two QoS 1 publishes'
 * stores finish in either order. The overtaken message is dropped without a trace — and, for a
 * persistent session, cleared from its stored queue (lib/client.js `deliverQoS`). Measured before
 * this module (test/broker-forward-once.test.ts): a QoS 1 message followed in the same turn by a
 * QoS 0 one never reached a subscriber of both; 17 of 300 QoS 1 messages never reached a
 * persistent session stored on disk. Reported upstream as aedes issues #955 and #994 (open, no fix
 * in Aedes 2.0.0-beta.1). A clinical alarm (QoS 1) overtaken by another bed's telemetry (QoS 0)
 * would vanish on its way to the central station.
 *
 * What that check was for is kept here without assuming an order: when a client's subscriptions
 * overlap, the emitter offers one publish once per matching filter, one offer right after the
 * other (each a copy with the publish's broker id and number), and only the first is forwarded
 * (MQTT 3.1.1 §3.3.5 allows one copy or more; Aedes sends one). A stored queue replayed on
 * reconnect against live deliveries is session-resume.ts's to order and de-duplicate.
 */
export function forwardEachPublishOnce(broker: Aedes): void {
  const handle = broker.handle
  broker.handle = (conn, req) => {
    const client = handle(conn, req) as Forwarding
    if (typeof client.duplicates !== 'object') throw new Error('aedes Client has no duplicates record: forward-once.ts needs updating for this aedes')
    client.duplicates = NOTHING_FORWARDED
    client[lastBroker] = undefined
    client[lastCounter] = 0
    return client
  }
  const authorizeForward = broker.authorizeForward
  // Aedes asks authorizeForward once per offer, right after its own (now inert) counter check.
  broker.authorizeForward = (client, packet) => {
    const forwarding = client as Forwarding
    if (forwarding[lastCounter] === packet.brokerCounter && forwarding[lastBroker] === packet.brokerId) return null
    forwarding[lastBroker] = packet.brokerId
    forwarding[lastCounter] = packet.brokerCounter
    return authorizeForward.call(broker, client, packet)
  }
}
