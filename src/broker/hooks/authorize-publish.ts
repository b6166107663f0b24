import type { Client, PublishPacket } from 'aedes'
import { COMMAND_CHANNEL, parseDeviceTopic } from '../../contract/topics.ts'
import type { SignalBus } from '../../security/signals.ts'
import { decidePublish } from '../acl.ts'
import { clientAddress, connectionIdOf, identityOf } from '../client-info.ts'
import type { Profile } from '../profile.ts'
import type { ReplyGrants } from '../reply-grants.ts'
import { ReasonCode, disconnectForPublish } from '../v5-refusal.ts'

/**
 * The `authorizePublish` hook. A refusal of a 3.1.1 client closes its connection (no PUBACK, the
 * will fires), which is the right answer to a device writing outside its namespace. An MQTT 5
 * client is told why — PUBACK 0x87 with the connection kept, or DISCONNECT 0x87 — as its profile
 * says (profile.ts `v5PublishRefusal`); the security signal is the same either way. Publishes with
 * no client are the broker's own (pipeline outputs, $SYS) and pass; Aedes' default guard for
 * `$SYS` lives in decidePublish so replacing the hook keeps it.
 *
 * MQTT 5 request/response: a command allowed with a Response Topic lets the device it addresses
 * answer there once (reply-grants.ts); that answer is the one publish outside a device's namespace.
 */
export function authorizePublishHook(deps: { signals: SignalBus; profile: Profile; replies: ReplyGrants }) {
  return (client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void) => {
    if (!client) return callback(null)
    const identity = identityOf(client)
    if (!identity) return callback(new Error('publish from an unauthenticated client'))
    if (identity.role === 'device' && deps.replies.consume(identity.name, packet.topic)) return callback(null)
    const responseTopic = packet.properties?.responseTopic
    const decision = decidePublish(identity, packet.topic, deps.profile, responseTopic)
    if (decision.allowed) {
      if (responseTopic !== undefined) grantReply(deps.replies, packet.topic, responseTopic)
      return callback(null)
    }
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
    const error = new Error(`publish to ${packet.topic} refused: ${decision.reason}`)
    if (deps.profile.v5PublishRefusal === 'disconnect') return disconnectForPublish(client, ReasonCode.NOT_AUTHORIZED, error, callback)
    callback(error)
  }
}

function grantReply(replies: ReplyGrants, topic: string, responseTopic: string): void {
  const target = parseDeviceTopic(topic)
  if (target?.channel === COMMAND_CHANNEL) replies.grant(target.deviceId, responseTopic)
}
