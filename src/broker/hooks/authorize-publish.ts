import type { Client, PublishPacket } from 'aedes'
import { COMMAND_CHANNEL, parseDeviceTopic } from '../../contract/topics.ts'
import type { SignalBus } from '../../security/signals.ts'
import { decidePublish } from '../acl.ts'
import { clientAddress, connectionIdOf, identityOf } from '../client-info.ts'
import type { Profile } from '../profile.ts'
import type { HospitalRegistry, Identity } from '../../registry/registry.ts'
import type { LoadShedding } from '../load-shedding.ts'
import type { ReplyGrants } from '../reply-grants.ts'
import type { RetainedQuota } from '../retained-quota.ts'
import { willOwnerIdentity } from '../will-owner.ts'
import { ReasonCode, disconnectForPublish } from '../v5-refusal.ts'

/**
 * The `authorizePublish` hook. A refusal of a 3.1.1 client closes its connection (no PUBACK, the
 * will fires), which is the right answer to a device writing outside its namespace. An MQTT 5
 * client is told why — PUBACK 0x87 with the connection kept, or DISCONNECT 0x87 — as its profile
 * says (profile.ts `v5PublishRefusal`); the security signal is the same either way. Publishes with
 * no client are wills a dead broker left behind (authorizeStoredWill); Aedes' default guard for
 * `$SYS` lives in decidePublish so replacing the hook keeps it.
 *
 * MQTT 5 request/response: a command allowed with a Response Topic lets the device it addresses
 * answer there once (reply-grants.ts); that answer is the one publish outside a device's namespace.
 */
export function authorizePublishHook(deps: {
  signals: SignalBus
  profile: Profile
  replies: ReplyGrants
  registry: HospitalRegistry
  retained: RetainedQuota
  shedding: LoadShedding
}) {
  const allowed = new AllowedTopics()
  return (client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void) => {
    if (!client) return authorizeStoredWill(deps, packet, callback)
    const identity = identityOf(client)
    if (!identity) return callback(new Error('publish from an unauthenticated client'))
    const responseTopic = packet.properties?.responseTopic
    // A device publishing again where it was allowed before: the same answer, without parsing the topic again.
    const plain = identity.role === 'device' && !packet.retain && responseTopic === undefined
    if (plain && allowed.has(identity, packet.topic)) return callback(null)
    if (identity.role === 'device' && deps.replies.consume(identity.name, packet.topic)) return callback(null)
    const decision = decidePublish(identity, packet.topic, deps.profile, responseTopic)
    if (decision.allowed) {
      if (plain) allowed.add(identity, packet.topic)
      if (packet.retain) {
        const quota = deps.retained.admit(identity, packet.topic, packet.payload.length)
        if (!quota.admitted) {
          deps.shedding.record('retained-quota', client, quota.reason)
          return disconnectForPublish(client, ReasonCode.QUOTA_EXCEEDED, new Error(`retained publish to ${packet.topic} refused: ${quota.reason}`), callback)
        }
      }
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

/**
 * Aedes asks about a publish with no client only for a will a dead broker left in the persistence
 * (aedes.js `_clearWills`; the broker's own outputs never pass this hook): judged as the identity
 * that registered it (will-owner.ts), and refused — with the same signal as a live publish — when
 * that identity may not write there or is unknown.
 */
export function authorizeStoredWill(
  deps: { signals: SignalBus; profile: Profile; registry: HospitalRegistry },
  will: PublishPacket,
  callback: (error?: Error | null) => void,
): void {
  const clientId = (will as PublishPacket & { clientId?: string }).clientId ?? ''
  const owner = willOwnerIdentity(will, deps.registry)
  const decision = owner
    ? decidePublish(owner, will.topic, deps.profile)
    : { allowed: false as const, reason: 'a stored will with no registered owner on record' }
  if (decision.allowed) return callback(null)
  deps.signals.emit({
    type: 'publish-denied',
    connectionId: 0,
    clientId,
    address: 'stored will',
    identity: owner ?? { role: 'observer', name: clientId, anonymous: true },
    topic: will.topic,
    retain: will.retain,
    reason: `will: ${decision.reason}`,
  })
  callback(new Error(`stored will of ${clientId} to ${will.topic} refused: ${decision.reason}`))
}

function grantReply(replies: ReplyGrants, topic: string, responseTopic: string): void {
  const target = parseDeviceTopic(topic)
  if (target?.channel === COMMAND_CHANNEL) replies.grant(target.deviceId, responseTopic)
}

/**
 * Topics a device identity was allowed to publish on, so its next PUBLISH there skips
 * decidePublish's topic parsing (issue 21: the broker layer's cost per message). decidePublish is
 * a pure function of the identity, the topic and the profile, and the profile is fixed per hook,
 * so a remembered allowance gives exactly the answer it would. Only plain publishes are
 * remembered — no retain (its quota is counted per message) and no Response Topic (checked per
 * message) —, and never a refusal (each refusal raises its signal). A reply topic is never
 * allowed by decidePublish, so reply grants (checked next) are unaffected. Keyed by the identity
 * object, which authenticate.ts makes per login and which lives as long as its connection (device
 * entries are never changed in place); at most MAX_TOPICS_PER_IDENTITY per identity — a device
 * publishes on its four outbound channels — so a few hundred bytes per connected device.
 */
class AllowedTopics {
  private readonly byIdentity = new WeakMap<Identity, Set<string>>()

  has(identity: Identity, topic: string): boolean {
    return this.byIdentity.get(identity)?.has(topic) === true
  }

  add(identity: Identity, topic: string): void {
    let topics = this.byIdentity.get(identity)
    if (!topics) this.byIdentity.set(identity, (topics = new Set()))
    if (topics.size < MAX_TOPICS_PER_IDENTITY) topics.add(topic)
  }
}

const MAX_TOPICS_PER_IDENTITY = 8
