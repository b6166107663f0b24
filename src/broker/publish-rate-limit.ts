import type { Client, PublishPacket } from 'aedes'
import { ReasonCode, disconnectForPublish } from './v5-refusal.ts'
import type { PublishRateLimit } from '../security/config.ts'
import type { LoadShedding } from './load-shedding.ts'

type AuthorizePublish = (client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void) => void

interface Bucket {
  tokens: number
  refilledAt: number
  /** Inside a throttle episode: reported once when it starts, not for every publish it delays. */
  throttled: boolean
}

/**
 * Enforces a per-client publish rate in front of `authorizePublish`, with a token bucket on wall
 * time. Aedes reads a client's next chunk only once every packet of the last one has been through
 * this hook (lib/client.js `_parsingBatch`), so holding the callback back *is* "stop reading from
 * that client": what waits is at most one read's worth of packets, the rest stays in the socket and
 * TCP flow control slows the sender down. `disconnect` closes the connection instead (no PUBACK;
 * the will fires; an MQTT 5 client gets DISCONNECT 0x96, message rate too high). Publishes with no client (the
 * broker's own) and wills published as a connection closes are never limited.
 */
export function rateLimitedPublish(limit: PublishRateLimit, shedding: LoadShedding, next: AuthorizePublish): AuthorizePublish {
  if (limit.messagesPerSecond <= 0) return next
  const rate = limit.messagesPerSecond / 1000
  const depth = Math.max(1, limit.messagesPerSecond * limit.burstSeconds)
  const buckets = new WeakMap<Client, Bucket>()
  return (client, packet, callback) => {
    if (!client || client.closed) return next(client, packet, callback)
    const now = performance.now()
    let bucket = buckets.get(client)
    if (!bucket) buckets.set(client, (bucket = { tokens: depth, refilledAt: now, throttled: false }))
    bucket.tokens = Math.min(depth, bucket.tokens + (now - bucket.refilledAt) * rate)
    bucket.refilledAt = now
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      bucket.throttled = false
      return next(client, packet, callback)
    }
    if (limit.action === 'disconnect') {
      shedding.record('disconnect', client, `published over ${limit.messagesPerSecond} messages/s; disconnected`)
      return disconnectForPublish(client, ReasonCode.MESSAGE_RATE_TOO_HIGH, new Error(`publish rate over ${limit.messagesPerSecond}/s`), callback)
    }
    if (!bucket.throttled) {
      bucket.throttled = true
      shedding.record('throttle', client, `published over ${limit.messagesPerSecond} messages/s; reading paused until it is back under`)
    }
    // The publish takes a token it does not have yet and waits until the bucket has refilled it.
    bucket.tokens -= 1
    setTimeout(() => (client.closed ? callback(new Error('connection closed while throttled')) : next(client, packet, callback)), -bucket.tokens / rate)
  }
}
