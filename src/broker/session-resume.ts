import type { Aedes, AedesPublishPacket, Client } from 'aedes'

type Deliver = (packet: AedesPublishPacket, callback: () => void) => void

/** The two functions aedes 1.2's Client (lib/client.js, set in its constructor) hands its subscriptions to deliver through. */
interface Delivering {
  deliver0: Deliver
  deliverQoS: Deliver
}

/** The part of Aedes' persistence that replays a persistent session's stored packets after its CONNACK. */
interface StoredQueue {
  outgoingStream(client: Client): AsyncIterable<AedesPublishPacket>
}

/** Which publish a packet is, the same on every node of a cluster (aedes-packet's brokerId and brokerCounter). */
const publishKey = (packet: AedesPublishPacket) => `${packet.brokerId}\u0000${packet.brokerCounter}`

function noop(): void {}

class Resumption {
  /** Deliveries that reached this connection before its session was resumed, in arrival order; null once resumed. */
  held: { deliver: Deliver; packet: AedesPublishPacket }[] | null = []
  /** Publishes the stored queue has replayed on this connection. */
  readonly replayed = new Set<string>()

  pass(deliver: Deliver, packet: AedesPublishPacket, callback: () => void): void {
    // Already sent from the stored queue: a second copy would reach the client after newer messages.
    if (this.replayed.size > 0 && this.replayed.has(publishKey(packet))) return void setImmediate(callback)
    deliver(packet, callback)
  }
}

/**
 * Makes a persistent session resume as MQTT 3.1.1 says it must: CONNACK first (MQTT-3.2.0-1), then
 * the messages stored while the client was away, then new ones, each once and in order (§4.6).
 *
 * Aedes 1.2 (lib/handlers/connect.js) restores the session's subscriptions in the emitter
 * (`restoreSubs`) several persistence round trips before it writes the CONNACK (`doConnack`), and
 * replays the stored queue (`emptyQueue`) only after it; its `write` sends to a client still
 * `connecting`. A message that reaches the node through the emitter in between is written before
 * the CONNACK and, as Aedes stores every QoS 1/2 message for every persistent subscription before
 * emitting it (aedes.js `enqueueOffline`), sent again by the replay, after newer ones (aedes issue
 * #649, "offline messages not sent in order", on a two-node cluster). If the first copy is
 * acknowledged before the second goes out, the in-memory persistence throws "no such packet"
 * (aedes-persistence asyncPersistence.js `outgoingUpdate`) and Aedes closes the connection.
 *
 * On a cluster the window is wide: publishes Aedes has acknowledged (the PUBACK goes out before
 * routing) still come through Redis pub/sub while the subscriber reconnects. mqtt.js 5.16 then
 * hangs: it answers the early PUBLISH with a PUBACK it queues until connected, and reads the
 * CONNACK only after that PUBACK's callback (build/lib/client.js `_storePacket`), so the session
 * stalls until the client's connectTimeout.
 *
 * Here each connection's deliveries are held until Aedes reports the session ready (`clientReady`,
 * emitted once the replay is written), then handed on in arrival order, leaving out the publishes
 * the replay already sent; those are also left out if they arrive later.
 */
export function resumeSessionsInOrder(broker: Aedes): void {
  const resumptions = new WeakMap<Client, Resumption>()
  const handle = broker.handle
  broker.handle = (conn, req) => {
    const client = handle(conn, req)
    const resumption = new Resumption()
    resumptions.set(client, resumption)
    const delivering = client as unknown as Delivering
    if (typeof delivering.deliverQoS !== 'function' || typeof delivering.deliver0 !== 'function')
      throw new Error('aedes Client has no deliverQoS/deliver0: session-resume.ts needs updating for this aedes')
    delivering.deliver0 = holding(resumption, delivering.deliver0)
    delivering.deliverQoS = holding(resumption, delivering.deliverQoS)
    // A connection that closes before its session resumed drops what it held: QoS 1/2 messages of a
    // persistent session are in its stored queue for the next connection.
    conn.once('close', () => (resumption.held = null))
    return client
  }
  broker.on('clientReady', (client) => {
    const resumption = resumptions.get(client)
    const held = resumption?.held
    if (!resumption || !held) return
    resumption.held = null
    for (const { deliver, packet } of held) resumption.pass(deliver, packet, noop)
  })
  // Aedes 1.2 sets `persistence` in listen() and does not type it.
  const queue = (broker as unknown as { persistence: StoredQueue }).persistence
  const outgoingStream = queue.outgoingStream.bind(queue)
  queue.outgoingStream = (client) => {
    const resumption = resumptions.get(client)
    return resumption ? recordReplay(outgoingStream(client), resumption) : outgoingStream(client)
  }
}

function holding(resumption: Resumption, deliver: Deliver): Deliver {
  return (packet, callback) => {
    if (!resumption.held) return resumption.pass(deliver, packet, callback)
    resumption.held.push({ deliver, packet })
    // The emitter moves on at once; a held delivery is not a slow subscriber.
    callback()
  }
}

async function* recordReplay(packets: AsyncIterable<AedesPublishPacket>, resumption: Resumption): AsyncGenerator<AedesPublishPacket> {
  for await (const packet of packets) {
    resumption.replayed.add(publishKey(packet))
    yield packet
  }
}
