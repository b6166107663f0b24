/** What a ban holds back: every client from an address, or one client id wherever it comes from. */
export type BanTarget = 'address' | 'clientId'

export interface Ban {
  by: BanTarget
  value: string
  /** Simulated epoch ms when the ban lifts. */
  until: number
  /** The alert type that caused it, for the refusal's log line and signal. */
  reason: string
}

/**
 * Bans in force, as EMQX keeps them (by client id, username or address, each with an expiry). The
 * preConnect hook asks it for every CONNECT; expired bans are dropped as they are found.
 */
export class BanList {
  private readonly bans = new Map<string, Ban>()

  ban(by: BanTarget, value: string, until: number, reason: string): void {
    const key = `${by}\u0000${value}`
    const existing = this.bans.get(key)
    if (!existing || existing.until < until) this.bans.set(key, { by, value, until, reason })
  }

  /** The ban that holds this connection back at `now`, if any. */
  banned(address: string, clientId: string, now: number): Ban | undefined {
    return this.active(`address\u0000${address}`, now) ?? this.active(`clientId\u0000${clientId}`, now)
  }

  isBanned(by: BanTarget, value: string, now: number): boolean {
    return this.active(`${by}\u0000${value}`, now) !== undefined
  }

  list(now: number): Ban[] {
    return [...this.bans.keys()].map((key) => this.active(key, now)).filter((ban) => ban !== undefined)
  }

  private active(key: string, now: number): Ban | undefined {
    const ban = this.bans.get(key)
    if (!ban) return undefined
    if (ban.until > now) return ban
    this.bans.delete(key)
    return undefined
  }
}
