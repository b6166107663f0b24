import type { Client, Subscription } from 'aedes'
import { decideSubscribe } from '../acl.ts'
import { clientAddress, connectionIdOf, identityOf } from '../client-info.ts'
import type { SignalBus } from '../../security/signals.ts'

/**
 * The `authorizeSubscribe` hook. A refused filter is answered with `null`, which Aedes turns into
 * SUBACK return code 0x80 for that filter alone (MQTT 3.1.1 §3.9.3) — the client stays connected
 * and keeps its other subscriptions.
 */
export function authorizeSubscribeHook(deps: { signals: SignalBus }) {
  return (client: Client, subscription: Subscription, callback: (error: Error | null, subscription?: Subscription | null) => void) => {
    const identity = identityOf(client)
    if (!identity) return callback(new Error('subscribe from an unauthenticated client'))
    const decision = decideSubscribe(identity, subscription.topic)
    if (decision.allowed) return callback(null, subscription)
    deps.signals.emit({
      type: 'subscribe-denied',
      connectionId: connectionIdOf(client),
      clientId: client.id,
      address: clientAddress(client),
      identity,
      filter: subscription.topic,
      reason: decision.reason,
    })
    callback(null, null)
  }
}
