import type { Redis } from 'ioredis'
import { z } from 'zod'
import type { Ban } from '../security/ban-list.ts'
import type { SharedBans } from '../security/response.ts'

/**
 * Keeps the ban unless one lifting later is already there, and announces it, in one step: two
 * nodes banning the same source at once leave the longer ban behind, announced by whoever set it.
 */
const SHARE = `
local current = redis.call('GET', KEYS[1])
if current and tonumber(cjson.decode(current)['until']) >= tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[1])
return 1`

/** What a node writes for a ban, in its key and on the channel. */
const noticeSchema = z.object({
  node: z.string(),
  by: z.enum(['address', 'clientId']),
  value: z.string(),
  until: z.number(),
  reason: z.string(),
})

type Notice = z.infer<typeof noticeSchema>

/**
 * A cluster's bans in Redis, one key per banned source that expires when the ban lifts (`SET … PX`),
 * and a pub/sub channel that tells every node at once. Each node keeps the bans in its own BanList,
 * so the preConnect hook checks a CONNECT against memory, never against Redis: a ban decided on
 * another node holds here from the moment its notice arrives (well under a millisecond on a LAN),
 * and a node that joins later reads the bans still in force before it accepts connections.
 *
 * `until` is a node's clock, as every count the cluster shares (src/cluster/redis-state.ts): the
 * nodes of one cluster run on wall-clock-paced time.
 */
export class RedisBans implements SharedBans {
  private readonly redis: Redis
  private readonly subscriber: Redis
  private readonly node: string
  private readonly prefix: string
  private listener: ((ban: Ban, node: string) => void) | null = null
  /** Bans known before a listener was there: those in force when this node joined. */
  private readonly early: Notice[] = []

  private constructor(redis: Redis, node: string, prefix: string) {
    this.redis = redis
    this.subscriber = redis.duplicate()
    this.node = node
    this.prefix = prefix
  }

  /** Subscribes first, then reads the bans in force, so none decided in between is missed. */
  static async join(redis: Redis, node: string, prefix = 'wardlab'): Promise<RedisBans> {
    const bans = new RedisBans(redis, node, prefix)
    try {
      bans.subscriber.on('message', (_channel: string, message: string) => {
        const notice = parseNotice(message)
        // A node hears its own bans too; it has carried them out already.
        if (notice && notice.node !== node) bans.heard(notice)
      })
      await bans.subscriber.subscribe(bans.channel)
      for await (const keys of redis.scanStream({ match: `${prefix}:ban:*`, count: 100 }) as AsyncIterable<string[]>) {
        if (keys.length === 0) continue
        for (const value of await redis.mget(keys)) {
          const notice = value === null ? null : parseNotice(value)
          if (notice) bans.heard(notice)
        }
      }
    } catch (err) {
      bans.subscriber.disconnect()
      throw err
    }
    return bans
  }

  async share(ban: Ban, now: number): Promise<void> {
    const notice: Notice = { node: this.node, by: ban.by, value: ban.value, until: ban.until, reason: ban.reason }
    const ttlMs = Math.max(1, Math.ceil(ban.until - now))
    await this.redis.eval(SHARE, 1, this.keyOf(ban), JSON.stringify(notice), ban.until, ttlMs, this.channel)
  }

  onBan(listener: (ban: Ban, node: string) => void): void {
    this.listener = listener
    for (const notice of this.early.splice(0)) this.heard(notice)
  }

  async close(): Promise<void> {
    await this.subscriber.quit().catch(() => undefined)
  }

  private get channel(): string {
    return `${this.prefix}:bans`
  }

  private keyOf(ban: Pick<Ban, 'by' | 'value'>): string {
    return `${this.prefix}:ban:${ban.by}:${ban.value}`
  }

  private heard(notice: Notice): void {
    if (!this.listener) return void this.early.push(notice)
    const { node, ...ban } = notice
    this.listener(ban, node)
  }
}

/** A notice as a node wrote it, or null for anything else on the channel or under the prefix. */
function parseNotice(text: string): Notice | null {
  try {
    const parsed = noticeSchema.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}
