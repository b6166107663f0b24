/**
 * Finding the first MQTT control packet boundary in client bytes that do not start at one: a
 * capture cut in the middle of a connection (large datasets are split into files that way), or the
 * bytes after a hole the capture never filled. A boundary is an offset where a fixed header a
 * client may send (MQTT 3.1.1 §2.2.1 packet type, §2.2.2 flags, §2.2.3 Remaining Length) starts a
 * chain of such packets, each beginning exactly where the previous one ends, for VERIFY_PACKETS
 * packets — or, once the stream is over, up to its very last byte.
 *
 * MQTT 3.1.1 is assumed after a cut: a v5 client's acknowledgements can carry a reason code and
 * properties (MQTT 5 §3.4.2), so they fail the exact-length rules below and that offset is skipped.
 */

/**
 * Packets that must chain from a candidate before it is taken. One plausible header is a 2-byte
 * coincidence at worst (PINGREQ is C0 00, which payload bytes can contain); four in a row, each
 * landing exactly on the next, are not.
 */
export const VERIFY_PACKETS = 4
/**
 * A candidate announcing a larger packet is not a boundary: no packet this big is believable from a
 * device or an attacker the lab judges (the broker's own packet size cap is far below), and waiting
 * for 256 MB to verify one would hold the whole flow in memory.
 */
export const MAX_RESYNC_PACKET_BYTES = 1 << 20

export type Check = 'ok' | 'fail' | 'more'

interface Header {
  type: number
  /** Offset of the variable header and whole packet size. */
  body: number
  length: number
}

const CONNECT = 1
const PUBLISH = 3
export const DISCONNECT = 14

/** §2.2.2 Table 2.2: the flags each client-to-server type must carry (PUBLISH's are checked apart). */
const CLIENT_FLAGS = new Map<number, number>([
  [CONNECT, 0],
  [4, 0], // PUBACK
  [5, 0], // PUBREC
  [6, 0b0010], // PUBREL
  [7, 0], // PUBCOMP
  [8, 0b0010], // SUBSCRIBE
  [10, 0b0010], // UNSUBSCRIBE
  [12, 0], // PINGREQ
  [DISCONNECT, 0],
])

/** Remaining Length each type must have, exactly (§3.4–§3.7, §3.12, §3.14) or at least (§3.1, §3.8, §3.10). */
const EXACT_LENGTH = new Map([
  [4, 2],
  [5, 2],
  [6, 2],
  [7, 2],
  [12, 0],
  [DISCONNECT, 0],
])
const MIN_LENGTH = new Map([
  [CONNECT, 12],
  [8, 6],
  [10, 5],
  [PUBLISH, 3],
])

const PROTOCOL_NAMES = [Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54]), Buffer.from([0, 6, 0x4d, 0x51, 0x49, 0x73, 0x64, 0x70])]

/** The fixed header at `at`, or why it cannot be one a client sends. */
function readHeader(bytes: Buffer, at: number): Header | Check {
  const first = bytes[at]
  if (first === undefined) return 'more'
  const type = first >> 4
  const flags = first & 0x0f
  if (type === PUBLISH) {
    if ((flags & 0b0110) === 0b0110) return 'fail' // §3.3.1.2: QoS 3 is malformed
  } else if (CLIENT_FLAGS.get(type) !== flags) {
    return 'fail' // reserved types 0 and 15, server-only types, or wrong fixed flags
  }
  let value = 0
  for (let i = 1, multiplier = 1; i <= 4; i++, multiplier *= 128) {
    const byte = bytes[at + i]
    if (byte === undefined) return 'more'
    value += (byte & 0x7f) * multiplier
    if ((byte & 0x80) === 0) {
      // §2.2.3 in MQTT 5 (1.5.5) requires the shortest encoding; a trailing zero continuation is a longer one.
      if (i > 1 && byte === 0) return 'fail'
      const exact = EXACT_LENGTH.get(type)
      if ((exact !== undefined && value !== exact) || value < (MIN_LENGTH.get(type) ?? 0)) return 'fail'
      if (1 + i + value > MAX_RESYNC_PACKET_BYTES) return 'fail'
      return { type, body: at + 1 + i, length: 1 + i + value }
    }
  }
  return 'fail' // §2.2.3: at most four bytes
}

/** What can be checked of a packet's variable header without parsing it all. */
function checkBody(bytes: Buffer, header: Header, at: number): Check {
  const end = at + header.length
  if (header.type === CONNECT) {
    // §3.1.2.1: the protocol name "MQTT" (or "MQIsdp" for 3.1), length-prefixed.
    let verdict: Check = 'fail'
    for (const name of PROTOCOL_NAMES) {
      const present = Math.min(name.length, bytes.length - header.body)
      if (!bytes.subarray(header.body, header.body + present).equals(name.subarray(0, present))) continue
      if (present === name.length) return 'ok'
      verdict = 'more'
    }
    return verdict
  }
  if (header.type === PUBLISH) {
    if (bytes.length < header.body + 2) return 'more'
    const topicLength = bytes.readUInt16BE(header.body)
    const qos = (bytes[at]! >> 1) & 0x03
    // §4.7.3: a topic name has at least one character; it and the packet id must fit the packet.
    if (topicLength === 0 || header.body + 2 + topicLength + (qos > 0 ? 2 : 0) > end) return 'fail'
    const topic = bytes.subarray(header.body + 2, Math.min(header.body + 2 + topicLength, bytes.length))
    // §3.3.2.1: no wildcards in a topic name; §1.5.3: no U+0000.
    if (topic.includes(0x2b) || topic.includes(0x23) || topic.includes(0)) return 'fail'
    return topic.length < topicLength ? 'more' : 'ok'
  }
  return 'ok'
}

/**
 * Whether a chain of client packets starts at `at`: 'ok' after VERIFY_PACKETS, or at the stream's
 * last byte once `ended`; 'more' when the bytes so far neither confirm nor refute it.
 */
export function verifyBoundary(bytes: Buffer, at: number, ended: boolean): Check {
  let offset = at
  for (let count = 0; count < VERIFY_PACKETS; count++) {
    if (offset === bytes.length && count > 0 && ended) return 'ok'
    const header = readHeader(bytes, offset)
    if (header === 'fail' || header === 'ok') return 'fail'
    if (header === 'more') return ended ? 'fail' : 'more'
    const body = checkBody(bytes, header, offset)
    if (body === 'fail') return 'fail'
    if (body === 'more' || offset + header.length > bytes.length) return ended ? 'fail' : 'more'
    offset += header.length
  }
  return 'ok'
}

/**
 * The first offset from `from` where a boundary is confirmed, 'more' if an earlier candidate still
 * waits for bytes (the first boundary must win, so later ones cannot be taken yet), or null when
 * no offset in the bytes so far can be one.
 */
export function findBoundary(bytes: Buffer, from: number, ended: boolean): number | 'more' | null {
  for (let at = from; at < bytes.length; at++) {
    const check = verifyBoundary(bytes, at, ended)
    if (check === 'ok') return at
    if (check === 'more') return 'more'
  }
  return null
}

/** Packet type of the fixed header at `at` (§2.2.1). */
export function packetTypeAt(bytes: Buffer, at: number): number {
  return bytes[at]! >> 4
}

/**
 * An MQTT 3.1.1 CONNECT (§3.1) for a session the capture did not show starting: clean session, no
 * username or password, keep-alive 60 s. Anonymous because the identity is unknown (the lab profile
 * admits anonymous clients, as the captures' own brokers did); keep-alive 60 s because it is the
 * default of the common clients (mosquitto, paho, mqtt.js) and neither 0 nor near 65,535, which the
 * slow-DoS detector rightly treats as a signal the capture never gave.
 */
export function syntheticConnect(clientId: string): Buffer {
  const id = Buffer.from(clientId, 'utf8')
  const variable = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0b0000_0010, 0, 60])
  const payload = Buffer.concat([Buffer.from([id.length >> 8, id.length & 0xff]), id])
  const remaining = variable.length + payload.length // < 128 for ids up to 115 bytes
  return Buffer.concat([Buffer.from([CONNECT << 4, remaining]), variable, payload])
}
