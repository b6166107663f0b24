import type { Aedes, Client } from 'aedes'
import type { Packet } from 'mqtt-packet'
import { generate } from 'mqtt-packet'
import type { SignalBus } from '../../security/signals.ts'
import { ReasonCode } from '../v5-refusal.ts'
import { parserOf, type PacketParser } from '../client-info.ts'
import { violation } from './conformance.ts'

/**
 * CONNACK 0x01, "unacceptable protocol level", in the 3.1.1 form: a server that cannot tell which
 * protocol the client speaks answers in the oldest form it knows, as MQTT 5 §3.1.2.2 allows.
 */
const UNACCEPTABLE_PROTOCOL_LEVEL = generate({ cmd: 'connack', returnCode: 1, sessionPresent: false })
/** mqtt-packet's words for a CONNECT whose protocol level is not 3, 4 or 5 (parser.js `_parseConnect`). */
const UNSUPPORTED_LEVEL = 'Invalid protocol version'
/** MQTT 5 §4.13: DISCONNECT 0x82, Protocol Error. */
const PROTOCOL_ERROR_DISCONNECT = generate({ cmd: 'disconnect', reasonCode: ReasonCode.PROTOCOL_ERROR }, { protocolVersion: 5 })

/**
 * MQTT rules about whole packets that no Aedes hook sees: Aedes has no UNSUBSCRIBE hook, and its
 * `authorizeSubscribe` is asked about one filter at a time, without the packet identifier. So the
 * packets are checked as mqtt-packet's parser hands them to Aedes:
 *
 * - MQTT-3.1.2-2: a CONNECT with a protocol level the server does not support gets CONNACK 0x01,
 *   then the connection closes. mqtt-packet refuses levels other than 3, 4 and 5 as a parse error,
 *   and Aedes 2 closes the connection without a word; the CONNACK now goes out first.
 * - MQTT-2.3.1-1: PUBLISH (QoS 1 and 2), SUBSCRIBE and UNSUBSCRIBE carry a non-zero packet
 *   identifier. Aedes 2 acknowledges identifier 0 as any other.
 * - MQTT-3.8.3-3 and MQTT-3.10.3-2: a SUBSCRIBE or UNSUBSCRIBE names at least one topic filter.
 *   Aedes 2 answers an empty UNSUBSCRIBE with an UNSUBACK.
 *
 * A packet that breaks one never reaches Aedes. The connection closes (MQTT-4.8.0-1); an MQTT 5
 * client that is connected is told why first, with DISCONNECT 0x82 Protocol Error (§4.13). Each is
 * a `protocol-error` signal of kind `violation`; the protocol level is already counted as a parse
 * error by the connection watch. Call after ConnectionWatch.attach, so connections are numbered.
 */
export function enforcePacketRules(broker: Aedes, signals: SignalBus): void {
  const handle = broker.handle
  broker.handle = (conn, req) => {
    const client = handle(conn, req)
    const parser = parserOf(client)
    if (parser) guardParser(client, parser, signals)
    return client
  }
}

function guardParser(client: Client, parser: PacketParser, signals: SignalBus): void {
  const emit = parser.emit.bind(parser)
  let refused = false
  parser.emit = (event, ...args) => {
    // Whatever was read after the refused packet is never acted on.
    if (refused) return false
    if (event === 'error' && (args[0] as Error | undefined)?.message === UNSUPPORTED_LEVEL) {
      refused = true
      // Aedes closes the connection on the parser's error: the CONNACK is written before it hears of it.
      client.conn.write(UNACCEPTABLE_PROTOCOL_LEVEL, () => emit(event, ...args))
      return true
    }
    const broken = event === 'packet' ? packetRuleBroken(args[0] as Packet) : null
    if (!broken) return emit(event, ...args)
    refused = true
    violation(signals, client, broken, !client.connected)
    const error = new Error(`${broken}: connection closed`)
    // A server sends DISCONNECT only after its CONNACK (§3.14): once that is out, not once Aedes
    // has finished connecting, which is a few turns later.
    if (client.version !== 5 || !(client as unknown as { connackSent: boolean }).connackSent) client.emit('error', error)
    else client.conn.write(PROTOCOL_ERROR_DISCONNECT, () => client.emit('error', error))
    return true
  }
}

/** The rule a packet breaks on its own, or null. */
export function packetRuleBroken(packet: Packet): string | null {
  switch (packet.cmd) {
    case 'publish':
      return packet.qos > 0 && packet.messageId === 0 ? `PUBLISH QoS ${packet.qos} with packet identifier 0 (MQTT-2.3.1-1)` : null
    case 'subscribe':
      if (packet.messageId === 0) return 'SUBSCRIBE with packet identifier 0 (MQTT-2.3.1-1)'
      return packet.subscriptions.length === 0 ? 'SUBSCRIBE with no topic filter (MQTT-3.8.3-3)' : null
    case 'unsubscribe':
      if (packet.messageId === 0) return 'UNSUBSCRIBE with packet identifier 0 (MQTT-2.3.1-1)'
      return packet.unsubscriptions.length === 0 ? 'UNSUBSCRIBE with no topic filter (MQTT-3.10.3-2)' : null
    default:
      return null
  }
}
