import type { Aedes, AedesPublishPacket, Client } from 'aedes'
import type { Logger } from 'pino'
import type { LoadShedAction, SignalBus } from '../security/signals.ts'
import { clientAddress, connectionIdOf } from './client-info.ts'
import { atTheEndOfTheTurn } from '../util/end-of-turn.ts'

/** What load shedding reads of a connection: what it holds, and (sockets) what it has sent. */
interface OutgoingStream {
  writableLength?: number
  /**
   * A socket's bytes handed to the kernel so far (node lib/net.js, kept since Node 0.x). Not
   * `bytesWritten`: that also counts what waits in the stream and walks its whole buffer to do
   * so — called per delivery to a subscriber with thousands of chunks waiting, it held the
   * broker's thread for minutes (`wardlab bench --devices 15000 --pipeline on`).
   */
  _bytesDispatched?: number
  once(event: 'drain', listener: () => void): unknown
}

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
   * socket buffer (megabytes on loopback) fills first. Keep it at or above a connection's
   * high-water mark (16 KiB): below it, skipping would keep a stuck subscriber's writes from ever
   * returning false, and Aedes' drainTimeout, which starts on that, would never drop it.
   */
  maxQueuedBytes = 1024 * 1024
  /** How long a subscriber may stay over `maxQueuedBytes` taking nothing before it counts as stuck (see forwardUnlessCongested). */
  stallMs = 250
  private readonly signals: SignalBus
  private readonly log: Logger
  private readonly congested = new WeakSet<Client>()
  /** Subscribers over `maxQueuedBytes`: since when (and which turn) their connection last took anything, until it drains. */
  private readonly stalls = new WeakMap<Client, { since: number; turn: number; taken: number | undefined }>()
  private turn = 0
  /** Counts turns of the event loop while some subscriber is being watched: one immediate a turn. */
  private readonly countTurn = atTheEndOfTheTurn(() => this.turn++)

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
   * `maxQueuedBytes` waiting to be written, and has taken none of it for `stallMs`, is skipped.
   * Aedes writes every delivery into the connection and holds it until the connection drains.
   * With its emitter capped (Aedes' default, 100 in flight) one frozen subscriber stalls every
   * other subscriber for the whole drainTimeout (measured: a 936 ms pause with a 1 s timeout);
   * uncapped, as create-broker.ts runs it, nobody waits, but the frozen connection buffers all it
   * is sent until drainTimeout — 10 s of a busy ward per subscriber that subscribes to `#` and
   * never reads, a slow-read denial of service. What is skipped is what the subscriber
   * would lose anyway when drainTimeout drops it (a clean session ends with its connection, MQTT
   * 3.1.1 §3.1.2.4); Mosquitto likewise drops beyond a client's queue limit. A persistent session
   * (CleanSession = 0) is never skipped: its QoS 1 messages are stored for it.
   *
   * Bytes alone do not tell a stuck subscriber from one that reads more slowly than a ward
   * publishes flat out: 100 devices with 32 QoS 1 publishes in flight each have about 1 MB on its
   * way to one subscriber, and `wardlab bench --rate max` had a quarter of the deliveries to its
   * reading subscriber skipped (BENCHMARKS.md (q)). So it takes progress too: one that reads at
   * all keeps taking bytes (and while it is over the bound, each publisher's next message waits
   * for it: Aedes finishes a PUBLISH once every subscriber's connection has taken it). One that
   * has stopped reading takes nothing.
   */
  forwardUnlessCongested(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
    if (!client.clean) return packet
    const conn = client.conn as unknown as OutgoingStream
    if ((conn.writableLength ?? 0) <= this.maxQueuedBytes) return packet
    if (!this.stuck(client, conn)) return packet
    this.skippedDeliveries++
    if (!this.congested.has(client)) {
      this.congested.add(client)
      this.record(
        'skip',
        client,
        `has had over ${this.maxQueuedBytes} bytes waiting for ${this.stallMs} ms without taking any; deliveries to it are skipped until it does or drainTimeout drops it`,
      )
    }
    return null
  }

  /**
   * Over the bound: stuck once the connection has taken nothing for `stallMs` and for at least
   * two turns of the event loop. Taken is what the socket handed the kernel (Node hands it more
   * only once the kernel has taken the last of it), or, for streams that do not count
   * (in-process, WebSocket), a drain.
   * The turns matter: the broker's own loop can be held for seconds (a major GC at 15,000
   * devices, BENCHMARKS.md (b)), and no write completes until it turns again — a subscriber must
   * not be judged on time in which nothing could reach it.
   */
  private stuck(client: Client, conn: OutgoingStream): boolean {
    this.countTurn()
    const now = performance.now()
    const taken = conn._bytesDispatched
    const watch = this.stalls.get(client)
    if (watch === undefined) {
      this.stalls.set(client, { since: now, turn: this.turn, taken })
      conn.once('drain', () => this.stalls.delete(client))
      return false
    }
    if (taken !== undefined && watch.taken !== undefined && taken > watch.taken) {
      watch.since = now
      watch.turn = this.turn
      watch.taken = taken
      return false
    }
    return now - watch.since >= this.stallMs && this.turn - watch.turn >= 2
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
