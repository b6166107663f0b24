import { generate, type Packet } from 'mqtt-packet'
import { CRAFTED_PACKETS } from '../attacks/malformed-packet.ts'
import { Rng } from '../util/rng.ts'
import { everyDevice } from '../contract/topics.ts'

/**
 * What a fuzz case does to the broker, one MQTT 3.1.1 rule each:
 * - `random-bytes`: bytes that are usually not MQTT at all (§2: fixed header, remaining length).
 * - `truncated`: a valid packet cut short; the broker must hold it, not crash, until the peer goes.
 * - `wrong-flags`: reserved fixed-header flags set wrong, or PUBLISH QoS 3 (§2.2.2-2, §3.3.1-4).
 * - `bad-utf8-topic`: a PUBLISH or SUBSCRIBE whose topic is ill-formed UTF-8 or holds U+0000
 *   (§1.5.3-1, §1.5.3-2: the server closes the connection).
 * - `oversize-length`: a remaining length over four bytes (§2.2.3) or one announcing far more than
 *   is sent (up to the 268,435,455-byte maximum).
 * - `before-connect`: a well-formed packet other than CONNECT first (§3.1.0-1).
 * - `valid-then-garbage`: a good CONNECT, then random bytes.
 * - `mutated`: a good session (CONNECT, then PUBLISH/SUBSCRIBE/PING…) with bytes flipped, inserted
 *   or deleted: what a broken client or a bit error sends.
 * - `crafted`: the malformed-packet attack's own packets (src/attacks/malformed-packet.ts).
 */
export const PACKET_FUZZ_CATEGORIES = [
  'random-bytes',
  'truncated',
  'wrong-flags',
  'bad-utf8-topic',
  'oversize-length',
  'before-connect',
  'valid-then-garbage',
  'mutated',
  'crafted',
] as const
export type PacketFuzzCategory = (typeof PACKET_FUZZ_CATEGORIES)[number]

export interface PacketFuzzCase {
  index: number
  category: PacketFuzzCategory
  /** Everything the fuzzing client sends on its connection, then it half-closes. */
  bytes: Buffer
}

/** Byte sequences that are not well-formed UTF-8 (RFC 3629 §3–4), and the one §1.5.3-2 forbids. */
const BAD_UTF8: readonly Buffer[] = [
  Buffer.from([0xff]), // never valid
  Buffer.from([0xc0, 0xaf]), // overlong '/'
  Buffer.from([0xed, 0xa0, 0x80]), // a UTF-16 surrogate (U+D800), forbidden by §1.5.3-1
  Buffer.from([0xe2, 0x82]), // a sequence cut short
  Buffer.from([0x80]), // a lone continuation byte
  Buffer.from([0x00]), // U+0000 (§1.5.3-2)
]

/** The packet types a client may send (§2.2.1), each with its required fixed-header flags (§2.2.2). */
const FIXED_FLAGS: readonly [type: number, flags: number][] = [
  [1, 0b0000], // CONNECT
  [6, 0b0010], // PUBREL
  [8, 0b0010], // SUBSCRIBE
  [10, 0b0010], // UNSUBSCRIBE
  [12, 0b0000], // PINGREQ
  [14, 0b0000], // DISCONNECT
]

/**
 * A seeded stream of fuzz cases: the same seed and count give the same bytes, so a failure found in
 * CI is reproduced by its seed and index. Categories take turns, so every run of any size covers
 * each of them.
 */
export function* packetFuzzCases(seed: string | number, count: number, first = 0): Generator<PacketFuzzCase> {
  for (let index = first; index < first + count; index++) {
    const rng = Rng.derive(seed, `packet-fuzz/${index}`)
    const category = PACKET_FUZZ_CATEGORIES[index % PACKET_FUZZ_CATEGORIES.length]!
    yield { index, category, bytes: MAKERS[category](rng, index) }
  }
}

const MAKERS: Record<PacketFuzzCategory, (rng: Rng, index: number) => Buffer> = {
  'random-bytes': (rng) => randomBytes(rng, rng.int(1, 64)),
  truncated: (rng, index) => {
    const session = Buffer.concat([connect(rng, index), ...followUps(rng, 1)])
    return session.subarray(0, rng.int(1, session.length - 1))
  },
  'wrong-flags': (rng, index) => {
    if (rng.chance(0.25)) {
      // PUBLISH with both QoS bits set (§3.3.1-4), after a good CONNECT.
      const publish = generate({ cmd: 'publish', topic: topic(rng), payload: randomBytes(rng, 8), qos: 1, messageId: 1, retain: false, dup: false })
      publish[0] = publish[0]! | 0b0110
      return Buffer.concat([connect(rng, index), publish])
    }
    const [type, flags] = rng.pick(FIXED_FLAGS)
    const packet = type === 1 ? connect(rng, index) : followUpOfType(rng, type)
    let wrong = rng.int(0, 15)
    if (wrong === flags) wrong ^= 0b0100
    packet[0] = (type << 4) | wrong
    return type === 1 ? packet : Buffer.concat([connect(rng, index), packet])
  },
  'bad-utf8-topic': (rng, index) => {
    const name = Buffer.concat([Buffer.from(topic(rng)), rng.pick(BAD_UTF8), Buffer.from('x')])
    return Buffer.concat([connect(rng, index), rng.chance(0.7) ? rawPublish(name, randomBytes(rng, 4)) : rawSubscribe(name)])
  },
  'oversize-length': (rng) => {
    const type = (rng.pick([1, 3, 8]) << 4) | (rng.chance(0.5) ? 0 : 0b0010)
    // Five length bytes, each with its continuation bit: §2.2.3 allows four.
    if (rng.chance(0.5)) return Buffer.concat([Buffer.from([type, 0xff, 0xff, 0xff, 0xff, rng.int(0, 0x7f)]), randomBytes(rng, rng.int(0, 16))])
    // The largest legal length (268,435,455 bytes), followed by a handful of them.
    return Buffer.concat([Buffer.from([type, 0xff, 0xff, 0xff, 0x7f]), randomBytes(rng, rng.int(0, 64))])
  },
  'before-connect': (rng) => Buffer.concat(followUps(rng, rng.int(1, 3))),
  'valid-then-garbage': (rng, index) => Buffer.concat([connect(rng, index), randomBytes(rng, rng.int(1, 48))]),
  mutated: (rng, index) => mutate(rng, Buffer.concat([connect(rng, index), ...followUps(rng, rng.int(1, 3))])),
  crafted: (_rng, index) => CRAFTED_PACKETS[Math.floor(index / PACKET_FUZZ_CATEGORIES.length) % CRAFTED_PACKETS.length]!(index),
}

function randomBytes(rng: Rng, length: number): Buffer {
  const bytes = Buffer.alloc(length)
  for (let i = 0; i < length; i++) bytes[i] = rng.int(0, 255)
  return bytes
}

function topic(rng: Rng): string {
  return rng.pick(['hospital/icu/bedside-monitor/fuzz/telemetry', 'Temperature', 'fuzz/a/b', 'ops/x', 'a'])
}

/** An anonymous CONNECT with a client id of its own (the lab profile lets anonymous observers in). */
function connect(rng: Rng, index: number): Buffer {
  return generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: rng.chance(0.9),
    clientId: `fuzz-${index}`,
    keepalive: rng.pick([0, 5, 60, 600]),
  })
}

const FOLLOW_UP_TYPES = [3, 6, 8, 10, 12, 4, 14] as const

function followUps(rng: Rng, count: number): Buffer[] {
  return Array.from({ length: count }, () => followUpOfType(rng, rng.pick(FOLLOW_UP_TYPES)))
}

/** A well-formed packet of a type a client sends after CONNECT. */
function followUpOfType(rng: Rng, type: number): Buffer {
  const messageId = rng.int(1, 65535)
  const packets: Record<number, () => Packet> = {
    3: () => ({
      cmd: 'publish',
      topic: topic(rng),
      payload: randomBytes(rng, rng.int(0, 32)),
      qos: rng.pick([0, 1, 2] as const),
      messageId,
      retain: rng.chance(0.1),
      dup: false,
    }),
    4: () => ({ cmd: 'puback', messageId }),
    6: () => ({ cmd: 'pubrel', messageId }),
    8: () => ({
      cmd: 'subscribe',
      messageId,
      subscriptions: [{ topic: rng.pick(['#', everyDevice('telemetry'), 'fuzz/#']), qos: rng.pick([0, 1, 2] as const) }],
    }),
    10: () => ({ cmd: 'unsubscribe', messageId, unsubscriptions: ['fuzz/#'] }),
    12: () => ({ cmd: 'pingreq' }),
    14: () => ({ cmd: 'disconnect' }),
  }
  return generate(packets[type]!())
}

/** Flips, inserts or deletes a few bytes. */
function mutate(rng: Rng, bytes: Buffer): Buffer {
  let out = Buffer.from(bytes)
  for (let n = rng.int(1, 4); n > 0; n--) {
    const at = rng.int(0, out.length - 1)
    const op = rng.int(0, 2)
    if (op === 0) out[at] = out[at]! ^ (1 << rng.int(0, 7))
    else if (op === 1) out = Buffer.concat([out.subarray(0, at), Buffer.from([rng.int(0, 255)]), out.subarray(at)])
    else if (out.length > 1) out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1)])
  }
  return out
}

/** A QoS 0 PUBLISH with the topic's bytes as given (mqtt-packet would encode a JS string as valid UTF-8). */
function rawPublish(topicBytes: Buffer, payload: Buffer): Buffer {
  const body = Buffer.concat([lengthPrefixed(topicBytes), payload])
  return Buffer.concat([Buffer.from([0x30]), remainingLength(body.length), body])
}

/** A SUBSCRIBE (flags 0010, §3.8.1) for one filter given as raw bytes, QoS 0. */
function rawSubscribe(filterBytes: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from([0x00, 0x01]), lengthPrefixed(filterBytes), Buffer.from([0x00])])
  return Buffer.concat([Buffer.from([0x82]), remainingLength(body.length), body])
}

function lengthPrefixed(bytes: Buffer): Buffer {
  const length = Buffer.alloc(2)
  length.writeUInt16BE(bytes.length)
  return Buffer.concat([length, bytes])
}

/** §2.2.3: seven bits a byte, least significant first, high bit set while more follow. */
function remainingLength(value: number): Buffer {
  const bytes: number[] = []
  do {
    let byte = value % 128
    value = Math.floor(value / 128)
    if (value > 0) byte |= 0x80
    bytes.push(byte)
  } while (value > 0)
  return Buffer.from(bytes)
}
