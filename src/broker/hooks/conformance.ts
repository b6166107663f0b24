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

/** MQTT 5 CONNACK reason codes for a will the server refuses (§3.2.2.2). */
const WILL_REFUSAL_V5 = {
  /** §3.1.2.6: "A value of 3 (0x03) is a Malformed Packet." */
  qos: generate({ cmd: 'connack', reasonCode: ReasonCode.MALFORMED_PACKET, sessionPresent: false }, { protocolVersion: 5 }),
  /** 0x90 Topic Name invalid: "The Will Topic Name is not malformed, but is not accepted by this Server." */
  topic: generate({ cmd: 'connack', reasonCode: ReasonCode.TOPIC_NAME_INVALID, sessionPresent: false }, { protocolVersion: 5 }),
} as const

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
 * - A will the server could never publish: Will QoS 3 (MQTT-3.1.2-14), a will topic with a wildcard
 *   (MQTT-4.7.1-1: wildcards belong in topic filters, never in a topic name), an empty one
 *   (MQTT-4.7.3-1) or one that is not well-formed UTF-8 (MQTT-3.1.3-10). Aedes 2 accepts them all
 *   with CONNACK 0. 3.1.1 has no return code for a protocol violation: the connection closes with
 *   no CONNACK (MQTT-4.8.0-1). MQTT 5 does: 0x81 Malformed Packet for QoS 3 (§3.1.2.6), 0x90 Topic
 *   Name invalid for the topic.
 *
 * Each refusal is a `protocol-error` signal (kind `violation`), as Aedes' own protocol errors are,
 * so the malformed-packet detector and the signal metrics count it.
 */
export function conformingPreConnect(signals: SignalBus, next: PreConnect): PreConnect {
  return (client, packet, callback) =>
    next(client, packet, (error, ok) => {
      if (error || !ok) return callback(error, ok)
      const will = willRuleBroken(packet.will)
      if (will) {
        violation(signals, client, `CONNECT will: ${will.rule}`, true)
        const refusal = new Error(`will refused: ${will.rule}`)
        if (packet.protocolVersion !== 5) return callback(refusal, false)
        return void client.conn.write(WILL_REFUSAL_V5[will.field], () => callback(refusal, false))
      }
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

/** The rule a CONNECT's will breaks, and which field breaks it, or null for none or a lawful will. */
export function willRuleBroken(will: ConnectPacket['will']): { field: 'qos' | 'topic'; rule: string } | null {
  if (!will) return null
  if ((will.qos as number) === 3) return { field: 'qos', rule: 'Will QoS 3 (MQTT-3.1.2-14)' }
  if (will.topic === '') return { field: 'topic', rule: 'an empty will topic (MQTT-4.7.3-1)' }
  if (/[+#]/.test(will.topic)) return { field: 'topic', rule: `a wildcard in the will topic "${will.topic}" (MQTT-4.7.1-1)` }
  const broken = illFormedString(will.topic)
  return broken ? { field: 'topic', rule: `a will topic that ${broken}` } : null
}

/** The MQTT 3.1.1 rule a UTF-8 string field breaks, or null. */
export function illFormedString(text: string): string | null {
  if (text.includes('\u0000')) return 'holds U+0000 (MQTT-1.5.3-2)'
  if (text.includes('\uFFFD')) return 'is not well-formed UTF-8 (MQTT-1.5.3-1)'
  return null
}

/** A protocol violation by this client, as the security signal every conformance rule raises. */
export function violation(signals: SignalBus, client: Client, error: string, beforeConnect: boolean): void {
  signals.emit({
    type: 'protocol-error',
    connectionId: connectionIdOf(client),
    clientId: client.id ?? '',
    address: clientAddress(client),
    kind: 'violation',
    error,
    beforeConnect,
  })
}
