import { joinPair } from '../util/pair-key.ts'

/**
 * How long a device may take to answer a command on its Response Topic: a minute, far past any
 * simulated device's answer (immediate) and a real device's (seconds), short enough that a grant
 * nobody uses does not linger.
 */
export const REPLY_GRANT_MS = 60_000
/** Unanswered commands remembered per device: a bound, so a flood of commands cannot grow memory. */
export const MAX_GRANTS_PER_DEVICE = 64

/**
 * The MQTT 5 Response Topics devices may answer on. A command an operator or admin was allowed to
 * send names one (under its own `reply/{name}/`, src/broker/acl.ts); the device it was sent to may
 * then publish there once, within REPLY_GRANT_MS. So a device cannot write into another identity's
 * replies uninvited, and a command cannot turn a device into a writer anywhere else.
 */
export class ReplyGrants {
  private readonly grants = new Map<string, number>()
  private readonly perDevice = new Map<string, string[]>()
  private readonly now: () => number

  constructor(now: () => number = Date.now) {
    this.now = now
  }

  grant(deviceId: string, responseTopic: string): void {
    const key = joinPair(deviceId, responseTopic)
    const keys = this.perDevice.get(deviceId) ?? []
    if (!this.grants.has(key)) keys.push(key)
    if (keys.length > MAX_GRANTS_PER_DEVICE) this.grants.delete(keys.shift()!)
    this.perDevice.set(deviceId, keys)
    this.grants.set(key, this.now() + REPLY_GRANT_MS)
  }

  /** True once for a granted, unexpired answer; the grant is spent. */
  consume(deviceId: string, topic: string): boolean {
    // Asked of every device PUBLISH; almost no device holds a grant, so no key is built for those.
    if (!this.perDevice.has(deviceId)) return false
    const key = joinPair(deviceId, topic)
    const until = this.grants.get(key)
    if (until === undefined) return false
    this.grants.delete(key)
    const keys = this.perDevice.get(deviceId)!.filter((k) => k !== key)
    if (keys.length > 0) this.perDevice.set(deviceId, keys)
    else this.perDevice.delete(deviceId)
    return until >= this.now()
  }
}
