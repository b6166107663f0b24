import type { Client, ConnectPacket, PublishPacket, Subscription } from 'aedes'
import { generate } from 'mqtt-packet'
import type { SignalBus } from '../../security/signals.ts'
import { clientAddress, connectionIdOf } from '../client-info.ts'
import { ReasonCode, disconnectForPublish } from '../v5-refusal.ts'

type PreConnect = (client: Client, packet: ConnectPacket, callback: (error: Error | null, success: boolean) => void) => void
type AuthorizePublish = (client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void) => void
type AuthorizeSubscribe = (client: Client, subscription: Subscription, callback: (error: Error | null, subscription?: Subscription | null) => void) => void

/** CONNACK 2, "identifier rejected" (MQTT 3.1.1 §3.2.2.3). */
const IDENTIFIER_REJECTED = 2
const IDENTIFIER_REJECTED_CONNACK = generate({ cmd: 'connack', returnCode: IDENTIFIER_REJECTED, sessionPresent: false })

/**
 * MQTT rules that Aedes leaves to the application, checked in the hooks that see the
 * packets, in front of the hooks that decide who may do what:
 *
 * - MQTT-3.1.3-8: a client that sends a zero-byte client id with CleanSession = 0 gets CONNACK
 *   0x02 (identifier rejected) and the connection closes. Aedes would invent an id and keep a
 *   persistent session nobody can ever resume. Only `preConnect` sees the packet's own client id
 *   before Aedes fills it in. (Aedes 2 refuses it too, aedes #1095; the check stays here for the
 *   protocol-error signal.)
 * - MQTT-1.5.3-1 and -2: a topic name or filter that is ill-formed UTF-8 or holds U+0000 closes the
 *   connection. mqtt-packet decodes topics with Buffer#toString, which turns ill-formed bytes into
 *   U+FFFD, so U+FFFD stands for them here (a well-formed U+FFFD in a topic is refused too, a price
 *   paid for the one character no real topic has a use for). MQTT 5 says the same (§1.5.4) and
 *   names the answer: DISCONNECT 0x81, malformed packet.
 *
 * Each refusal is a `protocol-error` signal (kind `violation`), as Aedes' own protocol errors are,
 * so the malformed-packet detector and the signal metrics count it.
 */
export function conformingPreConnect(signals: SignalBus, next: PreConnect): PreConnect {
  return (client, packet, callback) =>
    next(client, packet, (error, ok) => {
      if (error || !ok) return callback(error, ok)
      // MQTT 5 lets a client leave its id to the server with Clean Start 0 (§3.1.3.1).
      if (packet.clientId !== '' || packet.clean !== false || packet.protocolVersion === 5) return callback(null, true)
      violation(signals, client, 'MQTT-3.1.3-8: zero-byte client id with CleanSession = 0', true)
      const refusal = new Error('identifier rejected: a zero-byte client id needs CleanSession = 1 (MQTT-3.1.3-8)')
      // Aedes closes the connection on the error; the CONNACK is written first (§3.2.2.3).
      client.conn.write(IDENTIFIER_REJECTED_CONNACK, () => callback(refusal, false))
    })
}

export function conformingPublish(signals: SignalBus, next: AuthorizePublish): AuthorizePublish {
  return (client, packet, callback) => {
    const broken = client ? illFormedString(packet.topic) : null
    if (!broken) return next(client, packet, callback)
    violation(signals, client!, `PUBLISH topic: ${broken}`, false)
    disconnectForPublish(client!, ReasonCode.MALFORMED_PACKET, new Error(`PUBLISH topic refused: ${broken}`), callback)
  }
}

export function conformingSubscribe(signals: SignalBus, next: AuthorizeSubscribe): AuthorizeSubscribe {
  return (client, subscription, callback) => {
    const broken = illFormedString(subscription.topic)
    if (!broken) return next(client, subscription, callback)
    violation(signals, client, `SUBSCRIBE filter: ${broken}`, false)
    callback(new Error(`SUBSCRIBE filter refused: ${broken}`))
  }
}

/** The MQTT 3.1.1 rule a UTF-8 string field breaks, or null. */
export function illFormedString(text: string): string | null {
  if (text.includes('\u0000')) return 'holds U+0000 (MQTT-1.5.3-2)'
  if (text.includes('\uFFFD')) return 'is not well-formed UTF-8 (MQTT-1.5.3-1)'
  return null
}

function violation(signals: SignalBus, client: Client, error: string, beforeConnect: boolean): void {
  signals.emit({ type: 'protocol-error', connectionId: connectionIdOf(client), clientId: client.id ?? '', address: clientAddress(client), kind: 'violation', error, beforeConnect })
}
