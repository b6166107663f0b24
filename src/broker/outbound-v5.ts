import type { Aedes, AedesPublishPacket, Client, ConnectPacket } from 'aedes'
import type { Packet, IPublishPacket } from 'mqtt-packet'
import type { LoadShedding } from './load-shedding.ts'
import { parserOf } from './client-info.ts'
import { watchWrites } from './packet-writes.ts'

type Deliver = (packet: AedesPublishPacket, callback: () => void) => void

/**
 * Deliveries held for one client while its window is full: past this, a clean session's
 * deliveries are skipped (as load-shedding.ts skips a congested subscriber's) and a persistent
 * session is disconnected to resume from its stored queue, so holding never grows without bound.
 */
export const MAX_HELD_DELIVERIES = 1_000

/** The MQTT 5 limits a client set on what the broker sends it (§3.1.2.11.3, §3.1.2.11.5). */
interface Limits {
  receiveMaximum: number
  topicAliasMaximum: number
}

/**
 * What an MQTT 5 client asked, in its CONNECT, of the packets the broker sends it, which Aedes 2
 * (2.0.0-beta.1) records but does not act on (lib/handlers/connect.js: "ADVISORY"):
 *
 * - Receive Maximum (§4.9): at most that many QoS 1/2 PUBLISHes unacknowledged at once. A strict
 *   client disconnects a broker that sends more (0x93). Live deliveries beyond the window wait in
 *   order (the publisher is not held up); a resumed session's stored queue is replayed no faster
 *   than the client acknowledges. A window that stays full for `drainTimeoutMs` is a frozen
 *   client, and is disconnected as a frozen reader is.
 * - Topic Alias Maximum (§3.3.2.3.4): the broker may replace a topic it has sent before with a
 *   number. The first `topicAliasMaximum` distinct topics get an alias each for the connection's
 *   life and are sent as an empty topic afterwards; later topics go in full, which is always allowed.
 *
 * 3.1.1 clients, and v5 clients that set neither, are not touched.
 */
export function honourOutboundLimits(broker: Aedes, deps: { shedding: LoadShedding; drainTimeoutMs: number }): void {
  const windows = new WeakMap<Client, Window>()
  const handle = broker.handle
  broker.handle = (conn, req) => {
    const client = handle(conn, req)
    // Wrapped now, before anything else wraps it (session-resume.ts holds deliveries until the
    // session is resumed, and must hand them to this gate), and opened once the CONNECT is read.
    const delivering = client as unknown as { deliverQoS: Deliver }
    const deliverQoS = delivering.deliverQoS
    delivering.deliverQoS = (packet, callback) => {
      const window = windows.get(client)
      return window ? window.deliver(deliverQoS, packet, callback) : deliverQoS(packet, callback)
    }
    const parser = parserOf(client)
    parser?.once('packet', (packet: Packet) => {
      const limits = limitsOf(packet)
      if (!limits) return
      const window = limits.receiveMaximum < 0xffff ? new Window(client, limits.receiveMaximum, deps) : null
      if (window) windows.set(client, window)
      const aliases = new Map<string, number>()
      watchWrites(client, (written) => {
        if (written.cmd !== 'publish') return written
        if (window && written.qos > 0) window.sent()
        return limits.topicAliasMaximum > 0 ? aliased(written, aliases, limits.topicAliasMaximum) : written
      })
    })
    return client
  }
  broker.on('ack', (_packet, client) => windows.get(client)?.acknowledged())
  // A resumed session's stored queue is written between the CONNACK and `clientReady`, one message
  // at a time, each after its outgoingUpdate (lib/handlers/connect.js emptyQueue): held there.
  broker.on('connackSent', (_connack, client) => windows.get(client)?.replaying(true))
  broker.on('clientReady', (client) => windows.get(client)?.replaying(false))
  const persistence = (broker as unknown as { persistence: { outgoingUpdate(c: Client, p: AedesPublishPacket): Promise<void> } }).persistence
  const outgoingUpdate = persistence.outgoingUpdate.bind(persistence)
  persistence.outgoingUpdate = (client, packet) => {
    const window = windows.get(client)
    return window?.isReplaying ? window.whenOpen().then(() => outgoingUpdate(client, packet)) : outgoingUpdate(client, packet)
  }
}

function limitsOf(packet: Packet): Limits | null {
  if (packet.cmd !== 'connect' || (packet as ConnectPacket).protocolVersion !== 5) return null
  const properties = (packet as ConnectPacket).properties
  const receiveMaximum = properties?.receiveMaximum ?? 0xffff
  const topicAliasMaximum = properties?.topicAliasMaximum ?? 0
  return receiveMaximum < 0xffff || topicAliasMaximum > 0 ? { receiveMaximum, topicAliasMaximum } : null
}

function aliased(packet: Packet, aliases: Map<string, number>, maximum: number): Packet {
  const publish = packet as IPublishPacket
  const known = aliases.get(publish.topic)
  if (known !== undefined) return { ...publish, topic: '', properties: { ...publish.properties, topicAlias: known } }
  if (aliases.size >= maximum) return packet
  const alias = aliases.size + 1
  aliases.set(publish.topic, alias)
  return { ...publish, properties: { ...publish.properties, topicAlias: alias } }
}

/** One client's Receive Maximum window. */
class Window {
  private inFlight = 0
  /** Deliveries let through and not yet written or dropped by Aedes. */
  private passing = 0
  private readonly held: (() => void)[] = []
  private frozen: NodeJS.Timeout | null = null
  private readonly client: Client
  private readonly size: number
  private readonly deps: { shedding: LoadShedding; drainTimeoutMs: number }

  isReplaying = false
  /** Inside a skipping episode: reported once when it starts. */
  private skipping = false

  constructor(client: Client, size: number, deps: { shedding: LoadShedding; drainTimeoutMs: number }) {
    this.client = client
    this.size = size
    this.deps = deps
    client.conn.once('close', () => this.clear())
  }

  replaying(on: boolean): void {
    this.isReplaying = on
  }

  private get isOpen(): boolean {
    return this.inFlight + this.passing < this.size
  }

  sent(): void {
    this.inFlight++
  }

  acknowledged(): void {
    if (this.inFlight > 0) this.inFlight--
    this.release()
  }

  deliver(deliverQoS: Deliver, packet: AedesPublishPacket, callback: () => void): void {
    if (packet.qos === 0) return deliverQoS(packet, callback)
    const pass = (done: () => void) => {
      this.passing++
      deliverQoS(packet, () => {
        this.passing--
        this.release()
        done()
      })
    }
    if (this.held.length === 0 && this.isOpen) return pass(callback)
    this.hold(() => pass(noop))
    // The publisher goes on; this client's deliveries wait, in order.
    callback()
  }

  whenOpen(): Promise<void> {
    if (this.held.length === 0 && this.isOpen) return Promise.resolve()
    return new Promise((resolve) => this.hold(resolve))
  }

  private hold(proceed: () => void): void {
    if (this.held.length >= MAX_HELD_DELIVERIES) {
      if (this.client.clean) {
        if (this.skipping) return
        this.skipping = true
        this.deps.shedding.record(
          'skip',
          this.client,
          `has ${this.size} unacknowledged messages (its Receive Maximum) and ${MAX_HELD_DELIVERIES} more waiting; deliveries to it are skipped until it acknowledges`,
        )
        return
      }
      this.deps.shedding.record(
        'drain-timeout',
        this.client,
        `has ${MAX_HELD_DELIVERIES} deliveries waiting behind its Receive Maximum; disconnected to resume from its stored queue`,
      )
      this.client.close()
      return
    }
    this.held.push(proceed)
    this.frozen ??= setTimeout(() => {
      this.deps.shedding.record(
        'drain-timeout',
        this.client,
        `acknowledged nothing for ${this.deps.drainTimeoutMs} ms with its Receive Maximum of ${this.size} reached; disconnected so it holds nothing up`,
      )
      this.client.close()
    }, this.deps.drainTimeoutMs).unref()
  }

  private release(): void {
    while (this.held.length > 0 && this.isOpen) this.held.shift()!()
    if (this.held.length === 0) this.skipping = false
    if (this.frozen && this.held.length === 0) {
      clearTimeout(this.frozen)
      this.frozen = null
    } else this.frozen?.refresh()
  }

  private clear(): void {
    this.held.length = 0
    if (this.frozen) clearTimeout(this.frozen)
    this.frozen = null
  }
}

function noop(): void {}
