import { parser as mqttParser, type Packet, type PacketCmd, type QoS } from 'mqtt-packet'

/** One control packet that mqtt-packet parsed, described by what a broker-side detector looks at. */
export interface MqttPacketInfo {
  type: PacketCmd
  /** Byte offset of the fixed header in the client stream, and the packet's whole size. */
  offset: number
  length: number
  /** Fixed-header flags (MQTT 3.1.1 §2.2.2); meaningful for PUBLISH, fixed for the other types. */
  qos: QoS
  retain: boolean
  dup: boolean
  messageId?: number
  /** PUBLISH */
  topic?: string
  payloadLength?: number
  /** CONNECT (§3.1.2) */
  protocolVersion?: number
  clientId?: string
  keepalive?: number
  cleanSession?: boolean
  usernameFlag?: boolean
  /** The username itself (per-username brute-force counting needs it); the password is never kept. */
  username?: string
  passwordFlag?: boolean
  willFlag?: boolean
  /** SUBSCRIBE / UNSUBSCRIBE topic filters */
  topicFilters?: string[]
}

/** Bytes that do not form a valid control packet: a finding, never an exception. */
export interface MalformedFrame {
  type: 'malformed'
  offset: number
  length: number
  reason: string
}

/** The stream ends inside a packet, as a capture cut mid-flow does. */
export interface TruncatedFrame {
  type: 'truncated'
  offset: number
  /** Bytes present from offset to the end of the stream. */
  length: number
  /** Whole packet size when the fixed header was complete enough to tell it. */
  expectedLength: number | null
}

export type MqttFrame = MqttPacketInfo | MalformedFrame | TruncatedFrame

/** MQTT 3.1.1 §2.2.3: the remaining length takes at most four bytes (up to 268,435,455). */
const MAX_REMAINING_LENGTH_BYTES = 4

type RemainingLength = { value: number; bytes: number } | 'incomplete' | 'too-long'

function readRemainingLength(stream: Buffer, at: number): RemainingLength {
  let value = 0
  let multiplier = 1
  for (let i = 0; i < MAX_REMAINING_LENGTH_BYTES; i++) {
    const byte = stream[at + i]
    if (byte === undefined) return 'incomplete'
    value += (byte & 0x7f) * multiplier
    if ((byte & 0x80) === 0) return { value, bytes: i + 1 }
    multiplier *= 128
  }
  return 'too-long'
}

/**
 * Splits a client byte stream into control packets by their fixed headers and describes each with
 * mqtt-packet. A packet mqtt-packet rejects is framed by its remaining length, so the packets after
 * it are still found; a remaining length longer than four bytes makes the rest unframeable.
 */
export function splitMqttStream(stream: Buffer): MqttFrame[] {
  const framer = new MqttStreamFramer()
  return [...framer.push(stream), ...framer.end()]
}

/**
 * The same framing on a live byte stream, chunk by chunk as it arrives (a broker-side tap): a
 * packet split across chunks is held until it is whole.
 */
export class MqttStreamFramer {
  private readonly describer = new PacketDescriber()
  private pending: Buffer = Buffer.alloc(0)
  /** Offset of `pending` in the whole stream. */
  private offset = 0
  private broken = false

  push(chunk: Buffer): MqttFrame[] {
    if (this.broken) return []
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk])
    const frames: MqttFrame[] = []
    let at = 0
    while (at < this.pending.length) {
      const remaining = readRemainingLength(this.pending, at + 1)
      if (remaining === 'too-long') {
        frames.push({ type: 'malformed', offset: this.offset + at, length: this.pending.length - at, reason: 'remaining length exceeds four bytes' })
        this.broken = true
        at = this.pending.length
        break
      }
      const length = remaining === 'incomplete' ? null : 1 + remaining.bytes + remaining.value
      if (length === null || at + length > this.pending.length) break
      frames.push(this.describer.describe(this.pending.subarray(at, at + length), this.offset + at))
      at += length
    }
    this.offset += at
    this.pending = this.pending.subarray(at)
    return frames
  }

  /** The stream is over: what is left is a packet cut short. */
  end(): MqttFrame[] {
    if (this.pending.length === 0 || this.broken) return []
    const remaining = readRemainingLength(this.pending, 1)
    const expectedLength = typeof remaining === 'object' ? 1 + remaining.bytes + remaining.value : null
    return [{ type: 'truncated', offset: this.offset, length: this.pending.length, expectedLength }]
  }
}

/**
 * Wraps an mqtt-packet parser per stream: after a CONNECT it parses the packets that follow with
 * that CONNECT's protocol version (MQTT 5 adds properties), as a broker does. After an error the
 * parser is replaced, because mqtt-packet 9 keeps a stale read position across its own reset.
 */
class PacketDescriber {
  private protocolVersion = 4
  private parser = this.freshParser()
  private parsed: Packet | null = null
  private failure: string | null = null

  describe(frame: Buffer, offset: number): MqttFrame {
    this.parsed = null
    this.failure = null
    this.parser.parse(frame) // emits synchronously, so the handlers have run
    const parsed = this.parsed as Packet | null
    if (this.failure !== null || parsed === null) {
      this.parser = this.freshParser()
      return { type: 'malformed', offset, length: frame.length, reason: this.failure ?? 'packet not recognised' }
    }
    if (parsed.cmd === 'connect') this.protocolVersion = parsed.protocolVersion ?? 4
    return packetInfo(parsed, frame[0]!, offset, frame.length)
  }

  private freshParser() {
    const parser = mqttParser({ protocolVersion: this.protocolVersion })
    parser.on('packet', (packet) => (this.parsed = packet))
    parser.on('error', (error: unknown) => (this.failure = error instanceof Error ? error.message : String(error)))
    return parser
  }
}

function packetInfo(packet: Packet, firstByte: number, offset: number, length: number): MqttPacketInfo {
  const info: MqttPacketInfo = {
    type: packet.cmd,
    offset,
    length,
    qos: ((firstByte >> 1) & 0x03) as QoS,
    retain: (firstByte & 0x01) !== 0,
    dup: (firstByte & 0x08) !== 0,
  }
  if (packet.messageId !== undefined) info.messageId = packet.messageId
  switch (packet.cmd) {
    case 'publish':
      info.topic = packet.topic
      info.payloadLength = Buffer.byteLength(packet.payload)
      break
    case 'connect':
      info.protocolVersion = packet.protocolVersion
      info.clientId = packet.clientId
      info.keepalive = packet.keepalive
      info.cleanSession = packet.clean
      info.usernameFlag = packet.username !== undefined
      if (packet.username !== undefined) info.username = packet.username
      info.passwordFlag = packet.password !== undefined
      info.willFlag = packet.will !== undefined
      break
    case 'subscribe':
      info.topicFilters = packet.subscriptions.map((s) => s.topic)
      break
    case 'unsubscribe':
      info.topicFilters = packet.unsubscriptions
      break
  }
  return info
}
