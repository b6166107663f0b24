import type { PacketCmd } from 'mqtt-packet'
import { splitMqttStream, type MqttFrame, type MqttPacketInfo } from './mqtt-frames.ts'
import type { TcpFlow } from './tcp-flows.ts'

/** A client packet a conforming broker must reject, with the normative statement it breaks. */
export interface ProtocolViolation {
  offset: number
  rule: string
  detail: string
}

export interface MqttStreamSummary {
  /** Well-formed control packets, and their count by type. */
  packets: number
  byType: Partial<Record<PacketCmd, number>>
  malformed: number
  /** Distinct reasons, in order of first appearance. */
  malformedReasons: string[]
  /** Bytes at the end of the stream that do not complete a packet. */
  truncatedBytes: number
  violations: ProtocolViolation[]
  connects: Array<Pick<MqttPacketInfo, 'clientId' | 'keepalive' | 'usernameFlag' | 'username' | 'passwordFlag' | 'protocolVersion' | 'cleanSession'>>
  publishPayloadBytes: number
  maxPublishPayload: number
  publishesByQos: [number, number, number]
  /** Distinct PUBLISH topics, in order of first appearance. */
  topics: string[]
}

/** MQTT 3.1.1 Table 2.1: packet types that only flow from server to client. */
const SERVER_ONLY_TYPES: ReadonlySet<string> = new Set(['connack', 'suback', 'unsuback', 'pingresp'])

export function summarizeFrames(frames: readonly MqttFrame[]): MqttStreamSummary {
  const summary: MqttStreamSummary = {
    packets: 0,
    byType: {},
    malformed: 0,
    malformedReasons: [],
    truncatedBytes: 0,
    violations: [],
    connects: [],
    publishPayloadBytes: 0,
    maxPublishPayload: 0,
    publishesByQos: [0, 0, 0],
    topics: [],
  }
  const topics = new Set<string>()
  frames.forEach((frame, index) => {
    if (frame.type === 'truncated') {
      summary.truncatedBytes += frame.length
      return
    }
    if (frame.type === 'malformed') {
      summary.malformed++
      if (!summary.malformedReasons.includes(frame.reason)) summary.malformedReasons.push(frame.reason)
      return
    }
    summary.packets++
    summary.byType[frame.type] = (summary.byType[frame.type] ?? 0) + 1
    summary.violations.push(...violationsOf(frame, index === 0, summary.connects.length > 0))
    if (frame.type === 'connect') {
      const { clientId, keepalive, usernameFlag, username, passwordFlag, protocolVersion, cleanSession } = frame
      summary.connects.push({ clientId, keepalive, usernameFlag, username, passwordFlag, protocolVersion, cleanSession })
    } else if (frame.type === 'publish') {
      const payload = frame.payloadLength ?? 0
      summary.publishPayloadBytes += payload
      summary.maxPublishPayload = Math.max(summary.maxPublishPayload, payload)
      summary.publishesByQos[frame.qos]++
      if (frame.topic !== undefined) topics.add(frame.topic)
    }
  })
  summary.topics = [...topics]
  return summary
}

/** Splits and summarises the client side of a flow. */
export function summarizeFlow(flow: Pick<TcpFlow, 'clientChunks'>): MqttStreamSummary {
  return summarizeFrames(splitMqttStream(Buffer.concat(flow.clientChunks.map((chunk) => chunk.bytes))))
}

function violationsOf(packet: MqttPacketInfo, isFirst: boolean, afterConnect: boolean): ProtocolViolation[] {
  const found: ProtocolViolation[] = []
  const at = packet.offset
  if (isFirst && packet.type !== 'connect') {
    found.push({ offset: at, rule: 'MQTT-3.1.0-1', detail: `first packet is ${packet.type.toUpperCase()}, not CONNECT` })
  }
  if (afterConnect && packet.type === 'connect') {
    found.push({ offset: at, rule: 'MQTT-3.1.0-2', detail: 'second CONNECT on one connection' })
  }
  if (SERVER_ONLY_TYPES.has(packet.type)) {
    found.push({ offset: at, rule: 'MQTT-2.2.1', detail: `${packet.type.toUpperCase()} sent by a client` })
  }
  if (packet.type === 'connect' && packet.protocolVersion !== 5 && packet.passwordFlag && !packet.usernameFlag) {
    found.push({ offset: at, rule: 'MQTT-3.1.2-22', detail: 'password flag set without username flag' })
  }
  if (packet.type === 'connect' && packet.clientId === '' && packet.cleanSession === false) {
    found.push({ offset: at, rule: 'MQTT-3.1.3-8', detail: 'zero-byte client id with CleanSession 0' })
  }
  if (packet.type === 'publish' && packet.topic === '') {
    found.push({ offset: at, rule: 'MQTT-4.7.3-1', detail: 'PUBLISH with an empty topic name' })
  }
  if (packet.type === 'publish' && /[+#]/.test(packet.topic ?? '')) {
    found.push({ offset: at, rule: 'MQTT-3.3.2-2', detail: `wildcard in PUBLISH topic ${JSON.stringify(packet.topic)}` })
  }
  const needsIdentifier = packet.type === 'subscribe' || packet.type === 'unsubscribe' || (packet.type === 'publish' && packet.qos > 0)
  if (needsIdentifier && packet.messageId === 0) {
    found.push({ offset: at, rule: 'MQTT-2.3.1-1', detail: `${packet.type.toUpperCase()} with packet identifier 0` })
  }
  return found
}
