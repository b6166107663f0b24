import type { Client, ConnectPacket } from 'aedes'
import { generate } from 'mqtt-packet'
import type { BanList } from '../../security/ban-list.ts'
import type { SignalBus } from '../../security/signals.ts'
import type { ConnectionWatch } from '../connection-signals.ts'
import { ReasonCode } from '../v5-refusal.ts'

const NOT_AUTHORIZED_CONNACK = generate({ cmd: 'connack', returnCode: 5, sessionPresent: false })

/**
 * The CONNACK a refused client is told, in its protocol: 3.1.1 has one code for it, 5 "not
 * authorized" (§3.2.2.3); MQTT 5 says which — 0x8A banned, 0x97 quota exceeded (§3.2.2.2). A
 * keep-alive over the limit is refused only in 3.1.1, which has no code for it: Aedes 2 sends 6,
 * a code 3.1.1 does not define (§3.2.2.3 stops at 5, "reserved for future use" beyond). An MQTT 5
 * client is not refused but told the Server Keep Alive in its CONNACK (§3.2.2.3.14), by Aedes.
 */
const REFUSAL_CONNACK = {
  banned: { 4: NOT_AUTHORIZED_CONNACK, 5: generate({ cmd: 'connack', reasonCode: ReasonCode.BANNED, sessionPresent: false }, { protocolVersion: 5 }) },
  'address-limit': {
    4: NOT_AUTHORIZED_CONNACK,
    5: generate({ cmd: 'connack', reasonCode: ReasonCode.QUOTA_EXCEEDED, sessionPresent: false }, { protocolVersion: 5 }),
  },
  'keepalive-limit': { 4: NOT_AUTHORIZED_CONNACK, 5: NOT_AUTHORIZED_CONNACK },
} as const

export interface PreConnectDeps {
  connections: ConnectionWatch
  bans: BanList
  signals: SignalBus
  now: () => number
  /** Connections one address may hold at once; 0 for no limit. */
  maxConnectionsPerAddress: number
  /** Longest keep-alive, in seconds, a 3.1.1 client may ask for (0, none, is refused too); 0 for no limit (brokerLimits). */
  keepaliveLimit?: number
}

/**
 * The `preConnect` hook, the first thing Aedes runs for a CONNECT (before authentication):
 * records the packet's facts for the detectors, then turns away a client whose address or client
 * id is banned by the response policy, or whose address already holds too many connections — the
 * per-address limit Aedes' documentation suggests this hook for — or a 3.1.1 client asking for a
 * keep-alive beyond the broker's limit (the strict profile's, brokerLimits). A refused client gets a refusing
 * CONNACK and the connection closes (§3.2.2.3: after a non-zero return code the server closes it).
 */
export function preConnectHook(deps: PreConnectDeps) {
  return (client: Client, packet: ConnectPacket, callback: (error: Error | null, success: boolean) => void) => {
    // A client may send packets right after CONNECT without waiting for CONNACK (MQTT 3.1.1 §3.1.4).
    // Aedes 1.2 stops reading only once authentication starts, a turn later; a SUBSCRIBE or
    // PUBLISH read in between is handled before the client has an identity. Holding the reads from
    // here closes that gap; Aedes resumes them once the CONNACK is out.
    ;(client as unknown as { pause(): void }).pause()
    const record = deps.connections.connectPacket(client, packet)
    if (!record) return callback(null, true)
    const ban = deps.bans.banned(record.address, packet.clientId, deps.now())
    const open = deps.connections.openFrom(record.address)
    const overLimit = deps.maxConnectionsPerAddress > 0 && open > deps.maxConnectionsPerAddress
    const keepalive = packet.keepalive ?? 0
    const keepaliveRefused = Boolean(deps.keepaliveLimit) && packet.protocolVersion !== 5 && (keepalive === 0 || keepalive > deps.keepaliveLimit!)
    if (!ban && !overLimit && !keepaliveRefused) return callback(null, true)
    const reason = ban ? 'banned' : overLimit ? 'address-limit' : 'keepalive-limit'
    const detail = ban
      ? `${ban.by} ${ban.value} banned after ${ban.reason} until ${new Date(ban.until).toISOString()}`
      : overLimit
        ? `${open} connections open from ${record.address}, the limit is ${deps.maxConnectionsPerAddress}`
        : `keep-alive ${keepalive} s asked for; this broker takes 1 to ${deps.keepaliveLimit} s`
    deps.signals.emit({ type: 'connect-refused', connectionId: record.id, clientId: packet.clientId, address: record.address, reason, detail })
    const error = new Error(`connection refused: ${detail}`)
    deps.connections.ownError(error)
    // The CONNACK goes out before Aedes destroys the connection on the error.
    client.conn.write(REFUSAL_CONNACK[reason][packet.protocolVersion === 5 ? 5 : 4], () => callback(error, false))
  }
}
