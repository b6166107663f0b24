import type { Client, PublishPacket } from 'aedes'
import { decidePublish } from '../acl.ts'
import { clientAddress, connectionIdOf, identityOf } from '../client-info.ts'
import type { Profile } from '../profile.ts'
import type { SignalBus } from '../../security/signals.ts'

/**
 * The `authorizePublish` hook. A refusal makes Aedes close the connection (no PUBACK, the will
 * fires), which is the right answer to a device writing outside its namespace. Publishes with no
 * client are the broker's own (pipeline outputs, $SYS) and pass; Aedes' default guard for `$SYS`
 * lives in decidePublish so replacing the hook keeps it.
 */
export function authorizePublishHook(deps: { signals: SignalBus; profile: Profile }) {
  return (client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void) => {
    if (!client) return callback(null)
    const identity = identityOf(client)
    if (!identity) return callback(new Error('publish from an unauthenticated client'))
    const decision = decidePublish(identity, packet.topic, deps.profile)
    if (decision.allowed) return callback(null)
    deps.signals.emit({
      type: 'publish-denied',
      connectionId: connectionIdOf(client),
      clientId: client.id,
      address: clientAddress(client),
      identity,
      topic: packet.topic,
      retain: packet.retain,
      reason: decision.reason,
    })
    callback(new Error(`publish to ${packet.topic} refused: ${decision.reason}`))
  }
}
