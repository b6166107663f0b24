import type { Aedes, AedesPublishPacket, Client } from 'aedes'
import type { Logger } from 'pino'
import type { LoadShedAction, SignalBus } from '../security/signals.ts'
import { clientAddress, connectionIdOf } from './client-info.ts'

/** The error Aedes 1.2 destroys a connection with when its drainTimeout runs out (lib/client.js). */
const DRAIN_TIMEOUT = 'drain timeout'

/**
 * Every time the broker sheds load — throttles or disconnects a client over its publish rate, or
 * drops a subscriber that stopped reading — it says so three ways: a `load-shed` security signal
 * (so detectors and the signal metric see it), a warning in the log, and a count by action for the
 * `wardlab_broker_load_shed_total` metric.
 */
export class LoadShedding {
  readonly counts = new Map<LoadShedAction, number>()
  /** Deliveries skipped because their subscriber was not reading (see forwardUnlessCongested). */
  skippedDeliveries = 0
  /**
   * Bytes a clean-session subscriber may have waiting in its connection's write buffer before
   * deliveries to it are skipped: 1 MiB, Mosquitto's idea of a per-client queue limit in bytes
   * (`max_queued_bytes`) at a size no subscriber that keeps up ever reaches — over TCP the kernel's
   * socket buffer (megabytes on loopback) fills first.
   */
  maxQueuedBytes = 1024 * 1024
  /** How long a subscriber may stay over `maxQueuedBytes` without draining before it counts as stuck (see forwardUnlessCongested). */
  stallMs = 250
  private readonly signals: SignalBus
  private readonly log: Logger
  private readonly congested = new WeakSet<Client>()
  /** Subscribers over `maxQueuedBytes` now: since when, until their connection next drains. */
  private readonly overSince = new WeakMap<Client, number>()

  constructor(deps: { signals: SignalBus; log: Logger }) {
    this.signals = deps.signals
    this.log = deps.log
  }

  /** Watches for subscribers Aedes dropped because they did not drain within `drainTimeout`. */
  attach(broker: Aedes, drainTimeoutMs: number): void {
    // Aedes fails every write that was waiting for the drain with the same error: one report per client.
    const dropped = new WeakSet<Client>()
    broker.on('clientError', (client, error) => {
      if (error.message !== DRAIN_TIMEOUT || dropped.has(client)) return
      dropped.add(client)
      this.record('drain-timeout', client, `did not read what it was sent for ${drainTimeoutMs} ms; disconnected so it stalls nobody else`)
    })
  }

  /**
   * For Aedes' `authorizeForward`: a delivery to a clean-session subscriber that has had more than
   * `maxQueuedBytes` waiting to be written for `stallMs` without its connection draining once is
   * skipped. Aedes writes every delivery into the connection and holds it until the connection
   * drains. With its emitter capped (Aedes' default, 100 in flight) one frozen subscriber stalls
   * every other subscriber for the whole drainTimeout (measured: a 936 ms pause with a 1 s
   * timeout); uncapped, as create-broker.ts runs it, nobody waits, but the frozen connection
   * buffers all it is sent until drainTimeout — 10 s of a busy ward per subscriber that subscribes
   * to `#` and never reads, a slow-read denial of service. What is skipped is what the subscriber
   * would lose anyway when drainTimeout drops it (a clean session ends with its connection, MQTT
   * 3.1.1 §3.1.2.4); Mosquitto likewise drops beyond a client's queue limit. A persistent session
   * (CleanSession = 0) is never skipped: its QoS 1 messages are stored for it.
   *
   * Bytes alone do not tell a stuck subscriber from one that reads more slowly than a ward
   * publishes flat out: 100 devices with 32 QoS 1 publishes in flight each have about 1 MB on its
   * way to one subscriber, and `wardlab bench --rate max` had a third of the deliveries to its
   * reading subscriber skipped (BENCHMARKS.md (q)). So it takes time too: while a subscriber is
   * over the bound, each publisher's next message waits for its connection to drain (Aedes
   * finishes a PUBLISH once every subscriber's connection has taken it), and one that reads at
   * all drains — a megabyte in a quarter second is 32 Mbit/s. One that has stopped reading does not.
   */
  forwardUnlessCongested(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
    if (!client.clean) return packet
    const conn = client.conn as unknown as { writableLength?: number; once(event: 'drain', listener: () => void): unknown }
    if ((conn.writableLength ?? 0) <= this.maxQueuedBytes) return packet
    const now = performance.now()
    const since = this.overSince.get(client)
    if (since === undefined) {
      this.overSince.set(client, now)
      conn.once('drain', () => this.overSince.delete(client))
      return packet
    }
    if (now - since < this.stallMs) return packet
    this.skippedDeliveries++
    if (!this.congested.has(client)) {
      this.congested.add(client)
      this.record(
        'skip',
        client,
        `has had over ${this.maxQueuedBytes} bytes waiting for ${this.stallMs} ms; deliveries to it are skipped until it drains or drainTimeout drops it`,
      )
    }
    return null
  }

  record(action: LoadShedAction, client: Client, detail: string): void {
    this.report(action, { connectionId: connectionIdOf(client), clientId: client.id ?? '', address: clientAddress(client) }, detail)
  }

  /** For a session with no connection (an offline queue): the client id is all there is. */
  recordOffline(action: LoadShedAction, clientId: string, detail: string): void {
    this.report(action, { connectionId: 0, clientId, address: 'offline session' }, detail)
  }

  private report(action: LoadShedAction, source: { connectionId: number; clientId: string; address: string }, detail: string): void {
    this.counts.set(action, (this.counts.get(action) ?? 0) + 1)
    this.signals.emit({ type: 'load-shed', ...source, action, detail })
    this.log.warn({ clientId: source.clientId, address: source.address, action }, `load shed (${action}): ${source.clientId || source.address} ${detail}`)
  }
}
