import type { Aedes, Client, PublishPacket } from 'aedes'
import { DEVICE_ROOT } from '../contract/topics.ts'
import { monoMs } from './clock.ts'
import type { SignalBus } from '../security/signals.ts'

/** The bench subscriber's client ids start with this (subscriber.ts), so its broker can tell it from the fleet. */
export const BENCH_SUBSCRIBER_PREFIX = 'bench-subscriber-'

const DEVICE_PREFIX = `${DEVICE_ROOT}/`

type ClientPublish = (packet: PublishPacket, client: Client | null, done: (error?: Error) => void) => void

/**
 * What one broker process saw of a bench run's device messages and of the bench subscriber: the
 * broker's half of the account of every message the bench did not see delivered (undelivered.ts).
 * Counts are device messages (topics under `hospital/`); times are CLOCK_MONOTONIC ms (clock.ts),
 * which the bench shares.
 */
export interface BrokerAccount {
  /** PUBLISHes from clients the broker accepted (past every hook). */
  accepted: number
  /** Of those, accepted while no bench subscriber was connected to this broker (before it came, after it went). */
  acceptedWithoutSubscriber: number
  /** PUBLISHes the ACL refused (`publish-denied` signals). */
  refused: number
  /** Logins the broker turned away, by reason (`connect-refused` and `auth-failed` signals): why a bench connection failed or was retried. */
  refusedLogins: Record<string, number>
  /** The bench subscriber(s) this broker held, in the order they connected. */
  subscribers: SubscriberAccount[]
}

export interface SubscriberAccount {
  clientId: string
  /** Deliveries the broker wrote (or queued to write) into its connection. */
  forwarded: number
  /** Deliveries it skipped because the subscriber had too much waiting (src/broker/load-shedding.ts). */
  skipped: number
  /** Bytes waiting in its connection's write buffer when the account was taken (Aedes' side; the kernel holds more). */
  queuedBytes: number
  /** When its connection closed while the bench still wanted it, and why; null while connected. */
  closed: { atMs: number; reason: string } | null
}

interface Watched extends SubscriberAccount {
  client: Client
  lastError: string | null
}

/**
 * Watches a broker for the bench (src/cli/processes/bench-broker.ts): counts the device messages
 * it accepts and, for the bench subscriber, what it forwarded, what it skipped and when and why
 * the connection ended. It wraps `publish` and `authorizeForward`, so it costs the measured broker
 * a function call and a comparison per publish and per delivery: nothing it allocates per message.
 */
export class SubscriberWatch {
  private accepted = 0
  private acceptedWithoutSubscriber = 0
  private readonly watched: Watched[] = []
  private live = 0
  private refused = 0
  private readonly refusedLogins: Record<string, number> = {}

  constructor(broker: Aedes, signals: SignalBus) {
    signals.on((signal) => {
      if (signal.type === 'publish-denied') this.refused++
      else if (signal.type === 'connect-refused' || signal.type === 'auth-failed')
        this.refusedLogins[signal.reason] = (this.refusedLogins[signal.reason] ?? 0) + 1
    })
    const forward = broker.authorizeForward.bind(broker)
    broker.authorizeForward = (client, packet) => {
      const out = forward(client, packet)
      if (this.live > 0 && packet.topic.startsWith(DEVICE_PREFIX)) {
        const watched = this.find(client)
        if (watched) {
          if (out) watched.forwarded++
          else watched.skipped++
        }
      }
      return out
    }
    // Counted as the hooks let a PUBLISH into the broker, not at Aedes' `publish` event: with QoS 1
    // that comes only once every subscriber's write has completed, which a stalled one never does.
    // Aedes' handlers call it as publish(packet, client, done); its typings know only (packet, done).
    const inner = broker as unknown as { publish: ClientPublish }
    const publish = inner.publish.bind(broker)
    inner.publish = (packet, client, done) => {
      if (client && packet.topic.startsWith(DEVICE_PREFIX)) {
        this.accepted++
        if (this.live === 0) this.acceptedWithoutSubscriber++
      }
      publish(packet, client, done)
    }
    broker.on('clientReady', (client) => {
      if (!client.id.startsWith(BENCH_SUBSCRIBER_PREFIX)) return
      this.watched.push({ client, clientId: client.id, forwarded: 0, skipped: 0, queuedBytes: 0, closed: null, lastError: null })
      this.live++
    })
    // Aedes' drainTimeout fails the waiting writes with `drain timeout`, keep-alive and socket errors say theirs.
    const failed = (client: Client, error: Error) => {
      const watched = this.find(client)
      if (watched && watched.lastError === null) watched.lastError = error.message
    }
    broker.on('clientError', failed)
    broker.on('connectionError', failed)
    broker.on('keepaliveTimeout', (client) => failed(client, new Error('keep-alive timeout')))
    broker.on('clientDisconnect', (client) => {
      const watched = this.find(client)
      if (!watched || watched.closed) return
      watched.closed = { atMs: monoMs(), reason: watched.lastError ?? 'the connection closed (DISCONNECT or the network)' }
      this.live--
    })
  }

  /** The account so far; the write buffers as they are now. */
  account(): BrokerAccount {
    return {
      accepted: this.accepted,
      acceptedWithoutSubscriber: this.acceptedWithoutSubscriber,
      refused: this.refused,
      refusedLogins: { ...this.refusedLogins },
      subscribers: this.watched.map(({ client, lastError: _, ...account }) => ({
        ...account,
        queuedBytes: account.closed ? 0 : ((client.conn as { writableLength?: number }).writableLength ?? 0),
      })),
    }
  }

  private find(client: Client): Watched | undefined {
    // One subscriber per run (two or three with agents): a scan is cheaper than a map lookup.
    for (const w of this.watched) if (w.client === client) return w
    return undefined
  }
}
