/**
 * Builds tiny captures in memory so the reader and the reassembler are tested on bytes whose every
 * field the test chose: TCP segments over IPv4 or IPv6, framed for several link types, written as
 * classic pcap or pcapng.
 */

export interface Side {
  address: string
  port: number
}

export interface SegmentSpec {
  tsMs: number
  from: Side
  to: Side
  seq: number
  ack?: number
  syn?: boolean
  fin?: boolean
  rst?: boolean
  payload?: Buffer | string
}

/** An IPv4 or IPv6 packet (by the address form) carrying one TCP segment with a 12-byte option block. */
export function ipPacket(spec: SegmentSpec): Buffer {
  const payload = typeof spec.payload === 'string' ? Buffer.from(spec.payload) : (spec.payload ?? Buffer.alloc(0))
  // MSS 1460, two NOPs, window scale 7, three NOPs: 12 option bytes, so the data offset is 8 words.
  const options = Buffer.from([2, 4, 0x05, 0xb4, 1, 1, 3, 3, 7, 1, 1, 1])
  const tcp = Buffer.alloc(20 + options.length)
  tcp.writeUInt16BE(spec.from.port, 0)
  tcp.writeUInt16BE(spec.to.port, 2)
  tcp.writeUInt32BE(spec.seq >>> 0, 4)
  tcp.writeUInt32BE((spec.ack ?? 0) >>> 0, 8)
  tcp[12] = (tcp.length / 4) << 4
  tcp[13] = (spec.fin ? 0x01 : 0) | (spec.syn ? 0x02 : 0) | (spec.rst ? 0x04 : 0) | (spec.ack !== undefined ? 0x10 : 0)
  tcp.writeUInt16BE(65535, 14)
  options.copy(tcp, 20)
  const segment = Buffer.concat([tcp, payload])
  if (spec.from.address.includes(':')) {
    const header = Buffer.alloc(40)
    header[0] = 0x60
    header.writeUInt16BE(segment.length, 4)
    header[6] = 6
    header[7] = 64
    ipv6Bytes(spec.from.address).copy(header, 8)
    ipv6Bytes(spec.to.address).copy(header, 24)
    return Buffer.concat([header, segment])
  }
  const header = Buffer.alloc(20)
  header[0] = 0x45
  header.writeUInt16BE(20 + segment.length, 2)
  header.writeUInt16BE(0x4000, 6) // don't fragment
  header[8] = 64
  header[9] = 6
  Buffer.from(spec.from.address.split('.').map(Number)).copy(header, 12)
  Buffer.from(spec.to.address.split('.').map(Number)).copy(header, 16)
  return Buffer.concat([header, segment])
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail = ''] = address.split('::')
  const groups = (part: string) => (part ? part.split(':').map((g) => parseInt(g, 16)) : [])
  const left = groups(head)
  const right = groups(tail)
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right]
  const out = Buffer.alloc(16)
  all.forEach((g, i) => out.writeUInt16BE(g, i * 2))
  return out
}

export type LinkFraming = 'ethernet' | 'ethernet-vlan' | 'raw' | 'sll' | 'sll2' | 'null-le' | 'null-be'

export const LINK_TYPE: Record<LinkFraming, number> = {
  ethernet: 1,
  'ethernet-vlan': 1,
  raw: 101,
  sll: 113,
  sll2: 276,
  'null-le': 0,
  'null-be': 0,
}

/** Wraps an IP packet in the link-layer header of `framing` (Ethernet gets 6 bytes of trailing padding). */
export function frame(ip: Buffer, framing: LinkFraming): Buffer {
  const ethertype = ip[0]! >> 4 === 6 ? 0x86dd : 0x0800
  const u16 = (value: number) => Buffer.from([value >> 8, value & 0xff])
  const macs = Buffer.from('0242ac1100020242ac110003', 'hex')
  switch (framing) {
    case 'ethernet':
      return Buffer.concat([macs, u16(ethertype), ip, Buffer.alloc(6)])
    case 'ethernet-vlan':
      return Buffer.concat([macs, u16(0x8100), u16(42), u16(ethertype), ip, Buffer.alloc(6)])
    case 'raw':
      return ip
    case 'sll':
      return Buffer.concat([Buffer.from('0000000100060242ac1100020000', 'hex'), u16(ethertype), ip])
    case 'sll2':
      return Buffer.concat([u16(ethertype), Buffer.from('000000000002000100060242ac1100020000', 'hex'), ip])
    case 'null-le':
    case 'null-be': {
      const family = Buffer.alloc(4)
      const value = ethertype === 0x0800 ? 2 : 30
      if (framing === 'null-le') family.writeUInt32LE(value)
      else family.writeUInt32BE(value)
      return Buffer.concat([family, ip])
    }
  }
}

export interface RecordSpec {
  tsMs: number
  data: Buffer
  interfaceId?: number
}

/** Classic pcap with microsecond or nanosecond timestamps in either byte order. */
export function pcapFile(records: RecordSpec[], linkType: number, opts: { bigEndian?: boolean; nano?: boolean } = {}): Buffer {
  const w = writer(opts.bigEndian ?? false)
  const parts: Buffer[] = [w.u32(opts.nano ? 0xa1b23c4d : 0xa1b2c3d4), w.u16(2), w.u16(4), w.u32(0), w.u32(0), w.u32(65535), w.u32(linkType)]
  for (const record of records) {
    const seconds = Math.floor(record.tsMs / 1000)
    const fraction = Math.round((record.tsMs - seconds * 1000) * (opts.nano ? 1e6 : 1e3))
    parts.push(w.u32(seconds), w.u32(fraction), w.u32(record.data.length), w.u32(record.data.length), record.data)
  }
  return Buffer.concat(parts)
}

export interface PcapngInterfaceSpec {
  linkType: number
  /** if_tsresol byte; absent means the default microseconds. */
  tsresol?: number
  /** if_tsoffset: seconds the reader adds to every timestamp of this interface. */
  tsoffsetSeconds?: number
}

export type PacketBlockKind = 'epb' | 'old' | 'spb'

/** One pcapng section: SHB, the IDBs, an unknown block pcapng readers must skip, then the packets. */
export function pcapngSection(
  records: RecordSpec[],
  interfaces: PcapngInterfaceSpec[],
  opts: { bigEndian?: boolean; blockKind?: PacketBlockKind } = {},
): Buffer {
  const w = writer(opts.bigEndian ?? false)
  const block = (type: number, body: Buffer) => {
    const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)])
    return Buffer.concat([w.u32(type), w.u32(padded.length + 12), padded, w.u32(padded.length + 12)])
  }
  const blocks = [block(0x0a0d0d0a, Buffer.concat([w.u32(0x1a2b3c4d), w.u16(1), w.u16(0), Buffer.alloc(8, 0xff)]))]
  for (const iface of interfaces) {
    const options: Buffer[] = []
    if (iface.tsresol !== undefined) options.push(w.u16(9), w.u16(1), Buffer.from([iface.tsresol, 0, 0, 0]))
    if (iface.tsoffsetSeconds !== undefined) options.push(w.u16(14), w.u16(8), w.u64(BigInt(iface.tsoffsetSeconds)))
    blocks.push(block(1, Buffer.concat([w.u16(iface.linkType), w.u16(0), w.u32(0), ...options, w.u32(0)])))
  }
  blocks.push(block(0x0bad, Buffer.from('not a block a reader knows')))
  for (const record of records) {
    const interfaceId = record.interfaceId ?? 0
    const iface = interfaces[interfaceId]
    const localMs = record.tsMs - (iface?.tsoffsetSeconds ?? 0) * 1000
    const units = (BigInt(Math.round(localMs * 1000)) * unitsPerSecond(iface?.tsresol)) / 1_000_000n
    const ts = Buffer.concat([w.u32(Number(units >> 32n)), w.u32(Number(units & 0xffffffffn))])
    const lengths = Buffer.concat([w.u32(record.data.length), w.u32(record.data.length)])
    if (opts.blockKind === 'spb') blocks.push(block(3, Buffer.concat([w.u32(record.data.length), record.data])))
    else if (opts.blockKind === 'old') blocks.push(block(2, Buffer.concat([w.u16(interfaceId), w.u16(0), ts, lengths, record.data])))
    else blocks.push(block(6, Buffer.concat([w.u32(interfaceId), ts, lengths, record.data])))
  }
  return Buffer.concat(blocks)
}

/** if_tsresol: high bit clear, 10^-n s; set, 2^-n s; absent, microseconds. */
function unitsPerSecond(tsresol = 6): bigint {
  const exponent = BigInt(tsresol & 0x7f)
  return tsresol & 0x80 ? 1n << exponent : 10n ** exponent
}

function writer(bigEndian: boolean) {
  return {
    u16: (value: number) => {
      const b = Buffer.alloc(2)
      if (bigEndian) b.writeUInt16BE(value)
      else b.writeUInt16LE(value)
      return b
    },
    u32: (value: number) => {
      const b = Buffer.alloc(4)
      if (bigEndian) b.writeUInt32BE(value >>> 0)
      else b.writeUInt32LE(value >>> 0)
      return b
    },
    u64: (value: bigint) => {
      const b = Buffer.alloc(8)
      if (bigEndian) b.writeBigInt64BE(value)
      else b.writeBigInt64LE(value)
      return b
    },
  }
}
