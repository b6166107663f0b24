import type { Identity } from '../registry/registry.ts'

/**
 * What one identity may keep retained on the broker: 1,000 messages or 16 MiB. A device retains
 * its status (one topic, well under a kilobyte); a person's tools a few dashboards' settings; a
 * sandbox experiment some hundreds of small topics. All anonymous clients share one allowance —
 * a new client id is free to make, so a per-client-id allowance would bound nothing: 200 anonymous
 * clients retaining 1 MB each took 200 MB (issue 16).
 */
export const RETAINED_QUOTA = { messages: 1_000, bytes: 16 * 1024 * 1024 }

interface Holding {
  messages: number
  bytes: number
}

/** Who keeps what retained, so each identity's share is bounded. Counted from this run's start. */
export class RetainedQuota {
  private readonly topics = new Map<string, { owner: string; bytes: number }>()
  private readonly holdings = new Map<string, Holding>()
  private readonly limit: { messages: number; bytes: number }

  constructor(limit = RETAINED_QUOTA) {
    this.limit = limit
  }

  /** Records a retained publish if the identity has room for it; an empty payload clears the topic (MQTT-3.3.1-10). */
  admit(identity: Identity, topic: string, payloadBytes: number): { admitted: true } | { admitted: false; reason: string } {
    const owner = identity.role === 'device' || !identity.anonymous ? identity.name : 'anonymous clients'
    const previous = this.topics.get(topic)
    if (payloadBytes === 0) {
      if (previous) this.release(topic, previous)
      return { admitted: true }
    }
    const holding = this.holdings.get(owner) ?? { messages: 0, bytes: 0 }
    const replacing = previous?.owner === owner ? previous.bytes : null
    const messages = holding.messages + (replacing === null ? 1 : 0)
    const bytes = holding.bytes - (replacing ?? 0) + payloadBytes
    if (messages > this.limit.messages || bytes > this.limit.bytes) {
      return {
        admitted: false,
        reason: `${owner} would keep ${messages} retained messages, ${bytes} bytes; the quota is ${this.limit.messages} messages, ${this.limit.bytes} bytes`,
      }
    }
    if (previous && replacing === null) this.release(topic, previous)
    this.topics.set(topic, { owner, bytes: payloadBytes })
    this.holdings.set(owner, { messages, bytes })
    return { admitted: true }
  }

  private release(topic: string, held: { owner: string; bytes: number }): void {
    this.topics.delete(topic)
    const holding = this.holdings.get(held.owner)
    if (!holding) return
    holding.messages--
    holding.bytes -= held.bytes
    if (holding.messages <= 0) this.holdings.delete(held.owner)
  }
}
