import type { Identity } from '../registry/registry.ts'

/**
 * What the broker's hooks and events observe that may matter for security, as plain data. Hooks
 * and src/broker/connection-signals.ts emit these; detectors consume them. Keeping the two apart
 * means a hook never decides what is an attack, and a detector never touches Aedes.
 */
export interface ConnectionFacts {
  clientId: string
  address: string
}

/** Facts about one network connection; `connectionId` is unique per connection for the broker's lifetime. */
export interface ConnectionScoped extends ConnectionFacts {
  connectionId: number
}

/** Why Aedes dropped a connection, sorted by what it says about the peer. */
export type ProtocolErrorKind =
  /** The bytes are not MQTT: mqtt-packet could not parse them (MQTT 3.1.1 §4.8: close the connection). */
  | 'parse'
  /** Well-formed packets in a forbidden order or with forbidden content: PUBLISH before CONNECT (§3.1.0-1), a second CONNECT (§3.1.0-2), wildcards in a PUBLISH topic (§3.3.2-2). */
  | 'violation'
  /** A TCP connection that never sent CONNECT within the broker's connectTimeout: a scan or a SlowITe opener. */
  | 'connect-timeout'

export type LoadShedAction = 'throttle' | 'disconnect' | 'skip' | 'drain-timeout' | 'queue-full' | 'retained-quota'

export type SecuritySignal =
  | (ConnectionScoped & {
      type: 'auth-failed'
      username: string | undefined
      /** `too-many-failures`: refused unchecked, the address has spent its failure budget (src/registry/login-budget.ts). */
      reason: 'unknown-user' | 'wrong-password' | 'too-many-failures' | 'missing-password' | 'anonymous-refused' | 'anonymous-session' | 'identity-mismatch'
      /** The name the client tried to pass as: a device id is worse than a random name. */
      claimsDevice: boolean
    })
  | (ConnectionScoped & { type: 'publish-denied'; identity: Identity; topic: string; retain: boolean; reason: string })
  | (ConnectionScoped & { type: 'subscribe-denied'; identity: Identity; filter: string; reason: string })
  /** A transport connection was accepted (before any MQTT byte). */
  | (ConnectionScoped & { type: 'connection-opened' })
  /** It closed, for whatever reason; `sentConnect` tells a scan from a session. */
  | (ConnectionScoped & { type: 'connection-closed'; sentConnect: boolean; openMs: number })
  /** A CONNECT packet's facts (MQTT 3.1.1 §3.1.2), seen by the preConnect hook before authentication. */
  | (ConnectionScoped & {
      type: 'connect-attempt'
      keepaliveSeconds: number
      usernamePresent: boolean
      passwordPresent: boolean
      cleanSession: boolean
      protocolVersion: number
      willPresent: boolean
    })
  /**
   * The broker turned a CONNECT away before authentication could: a ban in force, too many
   * connections from one address, a 3.1.1 keep-alive over the limit (preConnect hook), or no room
   * left to verify the password (`login-queue-full`, src/registry/hash-queue.ts).
   */
  | (ConnectionScoped & { type: 'connect-refused'; reason: 'banned' | 'address-limit' | 'keepalive-limit' | 'login-queue-full'; detail: string })
  /** A CONNACK with a non-zero return code (§3.2.2.3), sent by Aedes. */
  | (ConnectionScoped & { type: 'connack-refused'; returnCode: number })
  /** The session is established (CONNACK 0 sent). */
  | (ConnectionScoped & { type: 'connected'; identity: Identity | undefined; keepaliveSeconds: number })
  /** A CONNECT with a client id that had a live session: Aedes closed the older one (§3.1.4-2). */
  | (ConnectionScoped & {
      type: 'session-takeover'
      identity: Identity | undefined
      /** The broker refused it: the client id belongs to another identity (src/broker/client-id-owners.ts). */
      refused?: boolean
      previous: { address: string; identityName: string | undefined; connectedForMs: number }
    })
  | (ConnectionScoped & { type: 'protocol-error'; kind: ProtocolErrorKind; error: string; beforeConnect: boolean })
  /**
   * The broker shed load from this connection (src/broker/load-shedding.ts): it stopped reading a
   * client over its publish rate (`throttle`) or closed it (`disconnect`), skipped deliveries to a
   * subscriber that stopped reading (`skip`), or dropped it (`drain-timeout`, Aedes' drainTimeout),
   * or did not queue a message for an offline session that was full (`queue-full`), or refused a
   * retained publish past its identity's quota (`retained-quota`).
   */
  | (ConnectionScoped & { type: 'load-shed'; action: LoadShedAction; detail: string })
  /** No packet for 1.5 × keep-alive (§3.1.2.10): the peer went silent. */
  | (ConnectionScoped & { type: 'keepalive-timeout' })
  | (ConnectionScoped & { type: 'ping' })
  | (ConnectionScoped & { type: 'subscribed'; filters: readonly string[] })
  | PublishSignal

/**
 * An accepted PUBLISH. This one signal object is reused for every publish (the hot path allocates
 * nothing for it): a listener must copy what it wants to keep, never hold on to the object.
 */
export interface PublishSignal extends ConnectionScoped {
  type: 'publish'
  identity: Identity | undefined
  topic: string
  payloadBytes: number
  qos: number
  retain: boolean
}

export type SignalType = SecuritySignal['type']
export type SignalOf<T extends SignalType> = Extract<SecuritySignal, { type: T }>
export type SignalListener = (signal: SecuritySignal) => void

export class SignalBus {
  private readonly listeners: SignalListener[] = []
  readonly counts = new Map<SignalType, number>()

  on(listener: SignalListener): void {
    this.listeners.push(listener)
  }

  emit(signal: SecuritySignal): void {
    this.counts.set(signal.type, (this.counts.get(signal.type) ?? 0) + 1)
    for (const listener of this.listeners) listener(signal)
  }
}
