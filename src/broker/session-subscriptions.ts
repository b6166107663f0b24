import type { Aedes, Client, Subscription } from 'aedes'
import { TopicInterest } from '../contract/topic-interest.ts'
import type { InterestFeed } from '../pipeline/output-interest.ts'

/**
 * Which topics some session can receive: every MQTT session's subscriptions, kept from the
 * broker's subscribe and unsubscribe events. A clean session's go when it disconnects; a
 * persistent session's stay while it is offline, since the broker queues for it (MQTT 3.1.1
 * §3.1.2.4, MQTT 5 §3.1.2.4). The pipeline asks it before building a broker output: an output
 * on a topic nobody can receive is not built or published (src/pipeline/sinks/broker.ts).
 *
 * Only for a broker whose sessions all live in this process since it started: with durable
 * persistence, sessions restored from disk subscribed before any event here, and in a cluster
 * other nodes' sessions subscribe elsewhere — there the wiring passes no interest and every
 * output is published.
 */
export class SessionSubscriptions implements InterestFeed {
  private readonly interest = new TopicInterest()
  /** Per client id: the connection now holding the session, and its filters. */
  private readonly sessions = new Map<string, { client: Client; filters: Set<string> }>()
  private readonly listeners: ((added: readonly string[], removed: readonly string[]) => void)[] = []

  constructor(broker: Aedes) {
    broker.on('client', (client: Client) => {
      // Connecting clean ends the session the id had (the broker drops its subscriptions); resuming adopts it.
      if (client.clean) this.forget(client.id)
      else {
        const session = this.sessions.get(client.id)
        if (session) session.client = client
      }
    })
    broker.on('subscribe', (subscriptions: Subscription[], client: Client) => {
      const session = this.session(client)
      const added = subscriptions.map(({ topic }) => topic).filter((topic) => !session.filters.has(topic))
      for (const topic of added) {
        session.filters.add(topic)
        this.interest.add(topic)
      }
      this.changed(added, [])
    })
    broker.on('unsubscribe', (topics: string[], client: Client) => {
      const filters = this.sessions.get(client.id)?.filters
      const removed = topics.filter((topic) => filters?.delete(topic))
      for (const topic of removed) this.interest.remove(topic)
      this.changed([], removed)
    })
    // A clean session ends with its connection — unless another connection has taken the id over since.
    broker.on('clientDisconnect', (client: Client) => {
      if (client.clean && this.sessions.get(client.id)?.client === client) this.forget(client.id)
    })
  }

  /** A reader in this process that is not an MQTT session (the dashboard's ward state) holds `filter` for as long as the broker runs. */
  hold(filter: string): void {
    this.interest.add(filter)
    this.changed([filter], [])
  }

  filters(): string[] {
    return this.interest.filters()
  }

  matches(topic: string): boolean {
    return this.interest.matches(topic)
  }

  /** Called after every change, for copies of the interest elsewhere (pipeline workers). */
  onChange(listener: (added: readonly string[], removed: readonly string[]) => void): void {
    this.listeners.push(listener)
  }

  private session(client: Client): { client: Client; filters: Set<string> } {
    let session = this.sessions.get(client.id)
    if (!session) this.sessions.set(client.id, (session = { client, filters: new Set() }))
    session.client = client
    return session
  }

  private forget(clientId: string): void {
    const session = this.sessions.get(clientId)
    if (!session) return
    this.sessions.delete(clientId)
    for (const topic of session.filters) this.interest.remove(topic)
    this.changed([], [...session.filters])
  }

  private changed(added: readonly string[], removed: readonly string[]): void {
    if (added.length === 0 && removed.length === 0) return
    for (const listener of this.listeners) listener(added, removed)
  }
}
