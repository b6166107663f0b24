import type { Identity } from '../registry/registry.ts'

/**
 * What the broker's hooks observe that may matter for security, as plain data. Hooks emit these;
 * detectors consume them. Keeping the two apart means a hook never decides what is an attack, and
 * a detector never touches Aedes.
 */
export interface ConnectionFacts {
  clientId: string
  address: string
}

export type SecuritySignal =
  | (ConnectionFacts & {
      type: 'auth-failed'
      username: string | undefined
      reason: 'unknown-user' | 'wrong-password' | 'missing-password' | 'anonymous-refused' | 'identity-mismatch'
      /** The name the client tried to pass as: a device id is worse than a random name. */
      claimsDevice: boolean
    })
  | (ConnectionFacts & { type: 'publish-denied'; identity: Identity; topic: string; retain: boolean; reason: string })
  | (ConnectionFacts & { type: 'subscribe-denied'; identity: Identity; filter: string; reason: string })

export type SignalListener = (signal: SecuritySignal) => void

export class SignalBus {
  private readonly listeners: SignalListener[] = []
  readonly counts = new Map<SecuritySignal['type'], number>()

  on(listener: SignalListener): void {
    this.listeners.push(listener)
  }

  emit(signal: SecuritySignal): void {
    this.counts.set(signal.type, (this.counts.get(signal.type) ?? 0) + 1)
    for (const listener of this.listeners) listener(signal)
  }
}
