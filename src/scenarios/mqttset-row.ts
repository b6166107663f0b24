/**
 * One row of MQTTset's per-packet feature CSV (Vaccari et al., "MQTTset, a New Dataset for Machine
 * Learning Techniques on MQTT", Sensors 20(22):6578, 2020): the tshark fields MQTTset exported, in
 * its column order, computed from the packet wardlab synthesised — the values tshark's TCP and MQTT
 * dissectors give for the same bytes (the dataset test checks this against tshark itself).
 *
 * Formats follow MQTTset's CSV: hex fields as `0x` and eight digits (`0x00000018`, the form older
 * tshark printed), a field the packet does not carry as `0` (MQTTset has no empty cells), byte
 * fields (the message and the will message) as lowercase hex, several values of one field (a
 * SUBSCRIBE's requested QoS per filter) joined by commas.
 */

export const MQTTSET_COLUMNS = [
  'tcp.flags',
  'tcp.time_delta',
  'tcp.len',
  'mqtt.conack.flags',
  'mqtt.conack.flags.reserved',
  'mqtt.conack.flags.sp',
  'mqtt.conack.val',
  'mqtt.conflag.cleansess',
  'mqtt.conflag.passwd',
  'mqtt.conflag.qos',
  'mqtt.conflag.reserved',
  'mqtt.conflag.retain',
  'mqtt.conflag.uname',
  'mqtt.conflag.willflag',
  'mqtt.conflags',
  'mqtt.dupflag',
  'mqtt.hdrflags',
  'mqtt.kalive',
  'mqtt.len',
  'mqtt.msg',
  'mqtt.msgid',
  'mqtt.msgtype',
  'mqtt.proto_len',
  'mqtt.protoname',
  'mqtt.qos',
  'mqtt.retain',
  'mqtt.sub.qos',
  'mqtt.suback.qos',
  'mqtt.ver',
  'mqtt.willmsg',
  'mqtt.willmsg_len',
  'mqtt.willtopic',
  'mqtt.willtopic_len',
  'target',
] as const

export type MqttsetColumn = (typeof MQTTSET_COLUMNS)[number]
type Fields = Partial<Record<MqttsetColumn, string | number>>

/** Columns whose values tshark prints in hex. */
const HEX_COLUMNS = new Set<MqttsetColumn>(['tcp.flags', 'mqtt.conack.flags', 'mqtt.conflags', 'mqtt.hdrflags'])

export function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`
}

/** The row's cells in column order (not yet CSV-quoted). */
export function mqttsetRow(tcp: { flags: number; timeDeltaS: number; len: number }, mqtt: Buffer | null, target: string, version = 4): string[] {
  const fields: Fields = { 'tcp.flags': tcp.flags, 'tcp.time_delta': tcp.timeDeltaS.toFixed(9), 'tcp.len': tcp.len, target }
  if (mqtt) Object.assign(fields, mqttFields(mqtt, version))
  return MQTTSET_COLUMNS.map((column) => {
    const value = fields[column]
    if (value === undefined) return '0'
    return HEX_COLUMNS.has(column) && typeof value === 'number' ? hex32(value) : String(value)
  })
}

/** A cursor over one control packet (MQTT 3.1.1 §1.5 data representations). */
class Reader {
  at = 0
  constructor(readonly bytes: Buffer) {}
  get left(): number {
    return this.bytes.length - this.at
  }
  u8(): number {
    return this.bytes[this.at++] ?? 0
  }
  u16(): number {
    return (this.u8() << 8) | this.u8()
  }
  /** §1.5.3 UTF-8 string / §1.5 binary data: a two-byte length, then the bytes. */
  lengthPrefixed(): { length: number; bytes: Buffer } {
    const length = this.u16()
    const bytes = this.bytes.subarray(this.at, this.at + length)
    this.at += length
    return { length, bytes }
  }
  /** §2.2.3 remaining length / MQTT 5 §1.5.5 variable byte integer. */
  varint(): number {
    let value = 0
    for (let multiplier = 1, i = 0; i < 4; i++, multiplier *= 128) {
      const byte = this.u8()
      value += (byte & 0x7f) * multiplier
      if ((byte & 0x80) === 0) break
    }
    return value
  }
  /** MQTT 5 §2.2.2: properties are a length and that many bytes; their content is not an MQTTset column. */
  skipProperties(version: number): void {
    if (version === 5) this.at += this.varint()
  }
}

/**
 * The MQTT columns of one control packet, by type (MQTT 3.1.1 §3; MQTT 5 adds properties, skipped).
 * `version` is the protocol level the connection's CONNECT declared (the bytes of later packets do
 * not say it). A packet too short for a field yields the fields before it, as a dissector would.
 */
export function mqttFields(bytes: Buffer, version = 4): Fields {
  const r = new Reader(bytes)
  const header = r.u8()
  const type = header >> 4
  const fields: Fields = { 'mqtt.hdrflags': header, 'mqtt.msgtype': type, 'mqtt.len': r.varint() }
  if (type === 3) {
    // §3.3.1: DUP, QoS and RETAIN live in the fixed header of PUBLISH only.
    const qos = (header >> 1) & 3
    Object.assign(fields, { 'mqtt.dupflag': (header >> 3) & 1, 'mqtt.qos': qos, 'mqtt.retain': header & 1 })
    r.lengthPrefixed()
    if (qos > 0) fields['mqtt.msgid'] = r.u16()
    r.skipProperties(version)
    fields['mqtt.msg'] = bytes.subarray(r.at).toString('hex')
  } else if (type === 1) {
    Object.assign(fields, connectFields(r))
  } else if (type === 2) {
    const flags = r.u8()
    Object.assign(fields, {
      'mqtt.conack.flags': flags,
      'mqtt.conack.flags.reserved': flags >> 1,
      'mqtt.conack.flags.sp': flags & 1,
      'mqtt.conack.val': r.u8(),
    })
  } else if (type === 8) {
    fields['mqtt.msgid'] = r.u16()
    r.skipProperties(version)
    const qos: number[] = []
    while (r.left > 2) {
      r.lengthPrefixed()
      qos.push(r.u8() & 3)
    }
    fields['mqtt.sub.qos'] = qos.join(',')
  } else if (type === 9) {
    fields['mqtt.msgid'] = r.u16()
    r.skipProperties(version)
    const codes: number[] = []
    while (r.left > 0) codes.push(r.u8())
    fields['mqtt.suback.qos'] = codes.join(',')
  } else if (type >= 4 && type <= 11) {
    // PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBSCRIBE, UNSUBACK: a packet identifier first.
    fields['mqtt.msgid'] = r.u16()
  }
  return fields
}

/** §3.1.2 variable header and §3.1.3 payload of CONNECT. */
function connectFields(r: Reader): Fields {
  const name = r.lengthPrefixed()
  const version = r.u8()
  const flags = r.u8()
  const fields: Fields = {
    'mqtt.proto_len': name.length,
    'mqtt.protoname': name.bytes.toString('utf8'),
    'mqtt.ver': version,
    'mqtt.conflags': flags,
    'mqtt.conflag.uname': (flags >> 7) & 1,
    'mqtt.conflag.passwd': (flags >> 6) & 1,
    'mqtt.conflag.retain': (flags >> 5) & 1,
    'mqtt.conflag.qos': (flags >> 3) & 3,
    'mqtt.conflag.willflag': (flags >> 2) & 1,
    'mqtt.conflag.cleansess': (flags >> 1) & 1,
    'mqtt.conflag.reserved': flags & 1,
    'mqtt.kalive': r.u16(),
  }
  r.skipProperties(version)
  r.lengthPrefixed() // client identifier
  if (flags & 0x04) {
    r.skipProperties(version) // will properties
    const topic = r.lengthPrefixed()
    const message = r.lengthPrefixed()
    Object.assign(fields, {
      'mqtt.willtopic_len': topic.length,
      'mqtt.willtopic': topic.bytes.toString('utf8'),
      'mqtt.willmsg_len': message.length,
      'mqtt.willmsg': message.bytes.toString('hex'),
    })
  }
  return fields
}
