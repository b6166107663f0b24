import { Aedes, type AedesOptions, type PublishPacket } from 'aedes'
import type { HospitalRegistry } from '../registry/registry.ts'
import { BanList } from '../security/ban-list.ts'
import type { PublishRateLimit } from '../security/config.ts'
import type { SignalBus } from '../security/signals.ts'
import { silentLogger } from '../util/log.ts'
import { ConnectionWatch } from './connection-signals.ts'
import { ackAfterStore } from './ack-after-store.ts'
import { mayReceive } from './acl.ts'
import { cachedOwners, type ClientIdOwners } from './client-id-owners.ts'
import { identityOf } from './client-info.ts'
import { authenticateHook } from './hooks/authenticate.ts'
import { authorizePublishHook, authorizeStoredWill } from './hooks/authorize-publish.ts'
import { authorizeSubscribeHook } from './hooks/authorize-subscribe.ts'
import { conformingPreConnect, conformingPublish, conformingSubscribe } from './hooks/conformance.ts'
import { enforcePacketRules } from './hooks/packet-conformance.ts'
import { preConnectHook } from './hooks/pre-connect.ts'
import { LoadShedding } from './load-shedding.ts'
import { honourOutboundLimits } from './outbound-v5.ts'
import { recordWillOwners } from './will-owner.ts'
import { limitOfflineQueues } from './offline-queue-limit.ts'
import { limitPacketSize, MAX_PACKET_BYTES } from './packet-size-limit.ts'
import { forwardEachPublishOnce } from './forward-once.ts'
import { coalesceWrites } from './write-coalescing.ts'
import type { Profile } from './profile.ts'
import type { PublishAdmission } from './publish-admission.ts'
import { rateLimitedPublish } from './publish-rate-limit.ts'
import { ReplyGrants } from './reply-grants.ts'
import { RetainedQuota } from './retained-quota.ts'
import { DEFAULT_MAX_SESSION_EXPIRY_S, expireSessions, memorySessionClocks, type SessionClockStore } from './session-expiry.ts'
import { resumeSessionsInOrder } from './session-resume.ts'

export interface BrokerDeps {
  registry: HospitalRegistry
  profile: Profile
  signals: SignalBus
  /** Extra Aedes options (persistence, mq) for later layers; hooks are always ours. */
  aedes?: Pick<AedesOptions, 'persistence' | 'mq' | 'id'>
  /** Connection signals, bans and the per-address limit; a lab passes its own to share them with the monitor. */
  security?: BrokerSecurity
  /** Where shed load is reported; a lab passes its own to read the counts for its metrics. */
  shedding?: LoadShedding
  /** Overrides of brokerLimits (a test shortens drainTimeout). */
  limits?: Partial<BrokerLimits>
  /** Largest packet a client may send (default MAX_PACKET_BYTES, src/broker/packet-size-limit.ts). */
  maxPacketBytes?: number
  /** How long a client may take to finish a packet it has begun (default PARTIAL_PACKET_DEADLINE_MS). */
  partialPacketMs?: number
  /** Holds client publishes while the pipeline's workers catch up (src/broker/publish-admission.ts). */
  admission?: PublishAdmission
  /** Where session expiry clocks survive a restart (the LevelDB with --persistence); in memory when left out. */
  sessionClocks?: SessionClockStore
  /** Who owns each client id (the LevelDB with --persistence, Redis in a cluster); in memory when left out. */
  clientIdOwners?: ClientIdOwners
  /** What one identity may keep retained (default RETAINED_QUOTA, retained-quota.ts). */
  retainedQuota?: { messages: number; bytes: number }
  /** What one persistent session may have queued (default OFFLINE_QUEUE_LIMIT, offline-queue-limit.ts). */
  offlineQueueLimit?: { messages: number; bytes: number }
}

export interface BrokerSecurity {
  connections: ConnectionWatch
  bans: BanList
  now: () => number
  maxConnectionsPerAddress: number
  /** Per-client publish rate the broker enforces; none when left out. */
  publishRateLimit?: PublishRateLimit
}

export type BrokerLimits = Required<
  Pick<
    AedesOptions,
    | 'connectTimeout'
    | 'drainTimeout'
    | 'maxTopicLevels'
    | 'keepaliveLimit'
    | 'concurrency'
    | 'sessionExpiryIntervalLimit'
    | 'topicAliasMaximum'
    | 'heartbeatInterval'
  >
>

/**
 * Topic aliases an MQTT 5 client may set up towards the broker (§3.2.2.3.8). A device publishes on
 * four topics and a gateway relaying a ward on a few dozen; each alias keeps one topic string for
 * the connection's life, so the bound is memory: 32 topics of at most MAX_PACKET_BYTES each.
 * Mosquitto's default is 10, EMQX's 65,535.
 */
export const TOPIC_ALIAS_MAXIMUM = 32

/**
 * Limits chosen for a ward of small devices rather than left at Aedes' defaults:
 * - connectTimeout 10 s: a TCP connection that never sends CONNECT (a scan, a SlowITe opener)
 *   holds a socket for 10 s, not 30.
 * - drainTimeout 10 s: a subscriber that stops reading is dropped instead of stalling delivery to
 *   everyone behind it.
 * - maxTopicLevels 16: the contract uses five; deep topics are abuse, not data.
 * - keepaliveLimit: off in the lab profile, so a slow-DoS replay gets in and can be detected;
 *   1,200 s in the strict profile, where Aedes refuses longer keep-alives (and keep-alive 0).
 * - concurrency 0 (uncapped): Aedes' default caps its emitter at 100 messages in flight and queues
 *   the rest in an array emptied by shift() — O(n) per message once 15,000 devices fill it — and
 *   drains that queue by recursion until the stack overflows (mqemitter PR #204, aedes #193).
 *   Measured with `wardlab bench --devices 15000 --rate 1` (BENCHMARKS.md (b)): 16 % delivered
 *   and a crash with the cap, 100 % delivered and p99 218 ms without it.
 * - sessionExpiryIntervalLimit: the longest a persistent session outlives its connection, for MQTT 5
 *   and 3.1.1 clients alike (`--max-session-expiry`, session-expiry.ts).
 * - topicAliasMaximum: TOPIC_ALIAS_MAXIMUM.
 * - heartbeatInterval (`--heartbeat`, Aedes' default 60 s): how often a broker tells the others it
 *   is alive. A broker silent for three heartbeats is dead, and every fourth heartbeat the living
 *   publish the wills its clients left (aedes.js `_clearWills`) — also a single broker's own, left
 *   by its previous run after a crash.
 */
export const DEFAULT_HEARTBEAT_MS = 60_000
export function brokerLimits(profile: Profile): BrokerLimits {
  return {
    connectTimeout: 10_000,
    drainTimeout: 10_000,
    maxTopicLevels: 16,
    keepaliveLimit: profile.name === 'strict' ? 1200 : 0,
    concurrency: 0,
    sessionExpiryIntervalLimit: DEFAULT_MAX_SESSION_EXPIRY_S,
    topicAliasMaximum: TOPIC_ALIAS_MAXIMUM,
    heartbeatInterval: DEFAULT_HEARTBEAT_MS,
  }
}

export async function createBroker(deps: BrokerDeps): Promise<Aedes> {
  const security = deps.security ?? {
    connections: new ConnectionWatch({ signals: deps.signals, now: Date.now }),
    bans: new BanList(),
    now: Date.now,
    maxConnectionsPerAddress: 0,
  }
  const shedding = deps.shedding ?? new LoadShedding({ signals: deps.signals, log: silentLogger })
  const limits = { ...brokerLimits(deps.profile), ...deps.limits }
  const acl = authorizePublishHook({ ...deps, replies: new ReplyGrants(security.now), retained: new RetainedQuota(deps.retainedQuota), shedding })
  const authorizeWill = (will: PublishPacket, callback: (error?: Error | null) => void) => authorizeStoredWill(deps, will, callback)
  const authorizePublish = deps.admission ? deps.admission.gate(acl) : acl
  const broker = await Aedes.createBroker({
    ...deps.aedes,
    ...limits,
    preConnect: conformingPreConnect(deps.signals, preConnectHook({ ...security, signals: deps.signals, keepaliveLimit: limits.keepaliveLimit })),
    authenticate: authenticateHook({ ...deps, owners: deps.clientIdOwners ?? cachedOwners() }),
    authorizePublish: conformingPublish(
      deps.signals,
      security.publishRateLimit ? rateLimitedPublish(security.publishRateLimit, shedding, authorizePublish) : authorizePublish,
    ),
    authorizeSubscribe: conformingSubscribe(deps.signals, authorizeSubscribeHook(deps)),
    authorizeForward: (client, packet) => (mayReceive(identityOf(client), packet.topic) ? shedding.forwardUnlessCongested(client, packet) : null),
  })
  forwardEachPublishOnce(broker)
  recordWillOwners(broker, authorizeWill)
  limitOfflineQueues(broker, shedding, deps.offlineQueueLimit)
  // In memory a crash loses everything anyway; on disk or in Redis, a PUBACK promises the message is there.
  if (deps.aedes?.persistence) ackAfterStore(broker)
  await expireSessions(broker, { maxSeconds: limits.sessionExpiryIntervalLimit, store: deps.sessionClocks ?? memorySessionClocks() })
  // Before session-resume.ts: it must hand the deliveries it holds to the Receive Maximum gate.
  honourOutboundLimits(broker, { shedding, drainTimeoutMs: limits.drainTimeout })
  resumeSessionsInOrder(broker)
  security.connections.attach(broker)
  limitPacketSize(broker, deps.maxPacketBytes ?? MAX_PACKET_BYTES, deps.partialPacketMs)
  enforcePacketRules(broker, deps.signals)
  shedding.attach(broker, limits.drainTimeout)
  coalesceWrites(broker)
  return broker
}
