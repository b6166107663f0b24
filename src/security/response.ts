import type { Logger } from 'pino'
import type { Finding } from '../contract/security-alert.ts'
import type { Ban, BanList, BanTarget } from './ban-list.ts'
import type { ResponsePolicy } from './config.ts'

/** Carries out a `block` response for a finding. */
export interface Responder {
  block(finding: Finding, policy: Extract<ResponsePolicy, { action: 'block' }>, now: number): void
}

/** Closes live connections; the broker side implements it (src/broker/connection-signals.ts). */
export interface Disconnector {
  /** Closes every connection matching the target and returns how many there were. */
  disconnect(by: BanTarget, value: string): number
}

/**
 * Bans shared by a cluster's broker nodes (src/cluster/redis-bans.ts): a source banned on one
 * node is refused by all of them until the ban lifts, as EMQX's banned table is cluster-wide.
 */
export interface SharedBans {
  /** Hands a ban decided on this node to the others; `now` is when it was decided. */
  share(ban: Ban, now: number): Promise<void>
  /**
   * Calls `listener` with every ban another node decides, and at once with the bans that were in
   * force when this node joined.
   */
  onBan(listener: (ban: Ban, node: string) => void): void
}

/** Sources that name nobody in particular: banning them would ban everyone or no one. */
const UNBANNABLE = new Set(['', 'unknown'])

/**
 * Block = ban the source for the policy's period, then disconnect whatever it has open. The ban
 * comes first so a client reconnecting at once is already refused (CONNACK 5 by preConnect). In a
 * cluster the ban goes to the other nodes, and a ban from another node is carried out here the same
 * way: each node closes the connections it holds.
 */
export class BanResponder implements Responder {
  private readonly bans: BanList
  private readonly connections: Disconnector
  private readonly log: Logger
  private readonly shared: SharedBans | undefined

  constructor(parts: { bans: BanList; connections: Disconnector; log: Logger; shared?: SharedBans }) {
    this.bans = parts.bans
    this.connections = parts.connections
    this.log = parts.log
    this.shared = parts.shared
    this.shared?.onBan((ban, node) => {
      const closed = this.enforce(ban)
      this.log.warn({ ...ban, node, closed }, `security response: ${ban.by} ${ban.value} banned by node ${node} after ${ban.reason}`)
    })
  }

  block(finding: Finding, policy: Extract<ResponsePolicy, { action: 'block' }>, now: number): void {
    const value = policy.by === 'address' ? finding.source.address : finding.source.clientId
    if (UNBANNABLE.has(value) || this.bans.isBanned(policy.by, value, now)) return
    const ban: Ban = { by: policy.by, value, until: now + policy.banMs, reason: finding.type }
    const closed = this.enforce(ban)
    this.log.warn(
      { type: finding.type, by: policy.by, value, banMs: policy.banMs, closed },
      `security response: banned ${policy.by} ${value} after ${finding.type}`,
    )
    // Redis unreachable: the ban still holds on this node.
    this.shared
      ?.share(ban, now)
      .catch((err: unknown) => this.log.error({ err, by: ban.by, value }, `security response: ban of ${ban.by} ${value} not shared with the cluster`))
  }

  private enforce(ban: Ban): number {
    this.bans.ban(ban.by, ban.value, ban.until, ban.reason)
    return this.connections.disconnect(ban.by, ban.value)
  }
}
