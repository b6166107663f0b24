import { Aedes, type AedesOptions } from 'aedes'
import type { HospitalRegistry } from '../registry/registry.ts'
import { BanList } from '../security/ban-list.ts'
import type { SignalBus } from '../security/signals.ts'
import { ConnectionWatch } from './connection-signals.ts'
import { authenticateHook } from './hooks/authenticate.ts'
import { authorizePublishHook } from './hooks/authorize-publish.ts'
import { authorizeSubscribeHook } from './hooks/authorize-subscribe.ts'
import { preConnectHook } from './hooks/pre-connect.ts'
import type { Profile } from './profile.ts'

export interface BrokerDeps {
  registry: HospitalRegistry
  profile: Profile
  signals: SignalBus
  /** Extra Aedes options (persistence, mq) for later layers; hooks are always ours. */
  aedes?: Pick<AedesOptions, 'persistence' | 'mq' | 'id'>
  /** Connection signals, bans and the per-address limit; a lab passes its own to share them with the monitor. */
  security?: BrokerSecurity
}

export interface BrokerSecurity {
  connections: ConnectionWatch
  bans: BanList
  now: () => number
  maxConnectionsPerAddress: number
}

/**
 * Limits chosen for a ward of small devices rather than left at Aedes' defaults:
 * - connectTimeout 10 s: a TCP connection that never sends CONNECT (a scan, a SlowITe opener)
 *   holds a socket for 10 s, not 30.
 * - drainTimeout 10 s: a subscriber that stops reading is dropped instead of stalling delivery to
 *   everyone behind it.
 * - maxTopicLevels 16: the contract uses five; deep topics are abuse, not data.
 * - keepaliveLimit: off in the lab profile, so a slow-DoS replay gets in and can be detected;
 *   1,200 s in the strict profile, where Aedes refuses longer keep-alives (and keep-alive 0).
 */
export function brokerLimits(profile: Profile): Pick<AedesOptions, 'connectTimeout' | 'drainTimeout' | 'maxTopicLevels' | 'keepaliveLimit'> {
  return {
    connectTimeout: 10_000,
    drainTimeout: 10_000,
    maxTopicLevels: 16,
    keepaliveLimit: profile.name === 'strict' ? 1200 : 0,
  }
}

export async function createBroker(deps: BrokerDeps): Promise<Aedes> {
  const security = deps.security ?? { connections: new ConnectionWatch({ signals: deps.signals, now: Date.now }), bans: new BanList(), now: Date.now, maxConnectionsPerAddress: 0 }
  const broker = await Aedes.createBroker({
    ...deps.aedes,
    ...brokerLimits(deps.profile),
    preConnect: preConnectHook({ ...security, signals: deps.signals }),
    authenticate: authenticateHook(deps),
    authorizePublish: authorizePublishHook(deps),
    authorizeSubscribe: authorizeSubscribeHook(deps),
  })
  security.connections.attach(broker)
  return broker
}
