import type { Logger } from 'pino'
import type { Finding } from './alert.ts'
import type { BanList, BanTarget } from './ban-list.ts'
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

/** Sources that name nobody in particular: banning them would ban everyone or no one. */
const UNBANNABLE = new Set(['', 'unknown'])

/**
 * Block = ban the source for the policy's period, then disconnect whatever it has open. The ban
 * comes first so a client reconnecting at once is already refused (CONNACK 5 by preConnect).
 */
export class BanResponder implements Responder {
  private readonly bans: BanList
  private readonly connections: Disconnector
  private readonly log: Logger

  constructor(parts: { bans: BanList; connections: Disconnector; log: Logger }) {
    this.bans = parts.bans
    this.connections = parts.connections
    this.log = parts.log
  }

  block(finding: Finding, policy: Extract<ResponsePolicy, { action: 'block' }>, now: number): void {
    const value = policy.by === 'address' ? finding.source.address : finding.source.clientId
    if (UNBANNABLE.has(value) || this.bans.isBanned(policy.by, value, now)) return
    this.bans.ban(policy.by, value, now + policy.banMs, finding.type)
    const closed = this.connections.disconnect(policy.by, value)
    this.log.warn({ type: finding.type, by: policy.by, value, banMs: policy.banMs, closed }, `security response: banned ${policy.by} ${value} after ${finding.type}`)
  }
}
