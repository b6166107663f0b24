import type { ClientIdOwners } from '../broker/client-id-owners.ts'
import type { Redis } from 'ioredis'
import type { SessionDirectory, SessionHolder } from '../broker/connection-signals.ts'
import type { ClusterSecurity } from '../security/monitor.ts'
import type { WindowCounts } from '../security/shared-counts.ts'

/**
 * Two fixed buckets per key, the same estimate as SlidingCount (src/security/windows.ts), kept in
 * Redis so every node adds to one count. Buckets are aligned on the epoch, so nodes agree on them
 * without talking; each expires two windows after it was opened.
 */
const ADD_TO_WINDOW = `
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
return {current, previous}`

/** SET NX, or refresh when this node already holds it: the first node to see an incident keeps it. */
const CLAIM = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`

/** Deletes a session entry only if the connection releasing it still holds it (a takeover may have replaced it). */
const RELEASE = `
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. '\\n' then return redis.call('DEL', KEYS[1]) end
return 0`

/**
 * A live session entry outlives a node that dies without releasing it; after this long it is
 * gone. An hour is longer than any device session in the lab, so takeovers are still seen.
 */
const SESSION_TTL_MS = 3_600_000

/**
 * Detector state that must be global across a cluster's broker nodes — failed logins per
 * address, connection rates, live client ids, incidents — kept in Redis with expiry. Per-device
 * state (publish rates, sequence numbers, plausibility) stays on the node holding the device's
 * connection: one connection is on one node.
 */
export class RedisClusterState implements WindowCounts, ClusterSecurity, SessionDirectory {
  readonly node: string
  readonly counts: WindowCounts = this
  private readonly redis: Redis
  private readonly prefix: string

  constructor(redis: Redis, node: string, prefix = 'wardlab') {
    this.redis = redis
    this.node = node
    this.prefix = prefix
  }

  async add(key: string, windowMs: number, now: number): Promise<number> {
    const bucket = Math.floor(now / windowMs)
    const base = `${this.prefix}:count:${windowMs}:${key}`
    const [current, previous] = (await this.redis.eval(ADD_TO_WINDOW, 2, `${base}:${bucket}`, `${base}:${bucket - 1}`, 2 * windowMs)) as [number, number]
    const overlap = 1 - (now - bucket * windowMs) / windowMs
    return current + previous * overlap
  }

  /** Redis expires the buckets itself. */
  sweep(): void {}

  async claimIncident(key: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(CLAIM, 1, `${this.prefix}:incident:${key}`, this.node, Math.max(1, Math.round(ttlMs)))) === 1
  }

  async hold(clientId: string, holder: SessionHolder): Promise<SessionHolder | null> {
    const previous = await this.redis.set(this.sessionKey(clientId), `${holder.token}\n${JSON.stringify(holder)}`, 'PX', SESSION_TTL_MS, 'GET')
    if (!previous) return null
    return JSON.parse(previous.slice(previous.indexOf('\n') + 1)) as SessionHolder
  }

  release(clientId: string, token: string): void {
    this.redis.eval(RELEASE, 1, this.sessionKey(clientId), token).catch(() => undefined)
  }

  /** Client id owners (src/broker/client-id-owners.ts) in one hash, claimed atomically by the first node. */
  readonly clientIdOwners: ClientIdOwners = {
    claim: async (clientId, name) => {
      await this.redis.hsetnx(`${this.prefix}:client-id-owners`, clientId, name)
      return (await this.redis.hget(`${this.prefix}:client-id-owners`, clientId)) ?? name
    },
    owner: async (clientId) => (await this.redis.hget(`${this.prefix}:client-id-owners`, clientId)) ?? undefined,
  }

  private sessionKey(clientId: string): string {
    return `${this.prefix}:session:${clientId}`
  }
}
