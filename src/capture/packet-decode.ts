import type { CapturedPacket } from './capture-file.ts'

export interface Endpoint {
  address: string
  port: number
}

export interface TcpSegment {
  tsMs: number
  src: Endpoint
  dst: Endpoint
  seq: number
  ack: number
  syn: boolean
  ackFlag: boolean
  fin: boolean
  rst: boolean
  payload: Buffer
}

// LINKTYPE_* values from tcpdump.org/linktypes.html.
const LINKTYPE_NULL = 0
const LINKTYPE_ETHERNET = 1
const LINKTYPE_RAW = 101
const LINKTYPE_LINUX_SLL = 113
const LINKTYPE_IPV4 = 228
const LINKTYPE_IPV6 = 229
const LINKTYPE_LINUX_SLL2 = 276

const ETHERTYPE_IPV4 = 0x0800
const ETHERTYPE_IPV6 = 0x86dd
const ETHERTYPE_VLAN = [0x8100, 0x88a8, 0x9100]
/** BSD AF_INET is 2 everywhere; AF_INET6 is 10 on Linux, 24, 28 or 30 on the BSDs and macOS. */
const NULL_FAMILY_IPV4 = 2
const NULL_FAMILY_IPV6 = [10, 24, 28, 30]

const IP_PROTO_TCP = 6
/**
 * IPv6 extension headers that may sit before TCP (RFC 8200 §4): hop-by-hop, routing, destination
 * options. A fragment header (44) ends the walk, so fragments are dropped like IPv4 ones.
 */
const IPV6_SKIPPABLE_HEADERS = new Set([0, 43, 60])

/**
 * Decodes one captured packet down to its TCP segment; anything else (ARP, UDP, IP fragments, which
 * MQTT stacks do not produce with path-MTU discovery) is null.
 */
export function decodeTcpSegment(packet: CapturedPacket): TcpSegment | null {
  const ip = networkLayer(packet.linkType, packet.data)
  return ip ? decodeIp(packet.tsMs, ip) : null
}

/** Strips the link-layer header and returns the IP packet it carries. */
function networkLayer(linkType: number, frame: Buffer): Buffer | null {
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      let at = 12
      while (at + 2 <= frame.length && ETHERTYPE_VLAN.includes(frame.readUInt16BE(at))) at += 4
      return at + 2 <= frame.length ? ipByEthertype(frame.readUInt16BE(at), frame.subarray(at + 2)) : null
    }
    case LINKTYPE_LINUX_SLL:
      return frame.length >= 16 ? ipByEthertype(frame.readUInt16BE(14), frame.subarray(16)) : null
    case LINKTYPE_LINUX_SLL2:
      return frame.length >= 20 ? ipByEthertype(frame.readUInt16BE(0), frame.subarray(20)) : null
    case LINKTYPE_NULL: {
      if (frame.length < 4) return null
      // The family is in the capturing host's byte order, which the file does not record.
      const family = frame.readUInt32LE(0) < 0x10000 ? frame.readUInt32LE(0) : frame.readUInt32BE(0)
      return family === NULL_FAMILY_IPV4 || NULL_FAMILY_IPV6.includes(family) ? frame.subarray(4) : null
    }
    case LINKTYPE_RAW:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
      return frame
    default:
      return null
  }
}

function ipByEthertype(ethertype: number, payload: Buffer): Buffer | null {
  return ethertype === ETHERTYPE_IPV4 || ethertype === ETHERTYPE_IPV6 ? payload : null
}

function decodeIp(tsMs: number, ip: Buffer): TcpSegment | null {
  if (ip.length < 1) return null
  const version = ip[0]! >> 4
  if (version === 4) {
    // RFC 791 §3.1: IHL in 32-bit words; total length trims Ethernet padding.
    if (ip.length < 20) return null
    const headerLength = (ip[0]! & 0x0f) * 4
    const totalLength = Math.min(ip.readUInt16BE(2), ip.length)
    const fragmentField = ip.readUInt16BE(6)
    const fragmented = (fragmentField & 0x2000) !== 0 || (fragmentField & 0x1fff) !== 0
    if (ip[9] !== IP_PROTO_TCP || fragmented || headerLength < 20 || headerLength > totalLength) return null
    return decodeTcp(tsMs, ipv4Address(ip, 12), ipv4Address(ip, 16), ip.subarray(headerLength, totalLength))
  }
  if (version === 6) {
    // RFC 8200 §3: fixed 40-byte header, payload length excludes it.
    if (ip.length < 40) return null
    const end = Math.min(40 + ip.readUInt16BE(4), ip.length)
    let next = ip[6]!
    let at = 40
    while (IPV6_SKIPPABLE_HEADERS.has(next) && at + 2 <= end) {
      next = ip[at]!
      at += (ip[at + 1]! + 1) * 8
    }
    if (next !== IP_PROTO_TCP || at > end) return null
    return decodeTcp(tsMs, ipv6Address(ip, 8), ipv6Address(ip, 24), ip.subarray(at, end))
  }
  return null
}

/** RFC 9293 §3.1: the data offset counts 32-bit words and so skips the options. */
function decodeTcp(tsMs: number, srcAddress: string, dstAddress: string, tcp: Buffer): TcpSegment | null {
  if (tcp.length < 20) return null
  const dataOffset = (tcp[12]! >> 4) * 4
  if (dataOffset < 20 || dataOffset > tcp.length) return null
  const flags = tcp[13]!
  return {
    tsMs,
    src: { address: srcAddress, port: tcp.readUInt16BE(0) },
    dst: { address: dstAddress, port: tcp.readUInt16BE(2) },
    seq: tcp.readUInt32BE(4),
    ack: tcp.readUInt32BE(8),
    fin: (flags & 0x01) !== 0,
    syn: (flags & 0x02) !== 0,
    rst: (flags & 0x04) !== 0,
    ackFlag: (flags & 0x10) !== 0,
    payload: tcp.subarray(dataOffset),
  }
}

function ipv4Address(ip: Buffer, at: number): string {
  return `${ip[at]}.${ip[at + 1]}.${ip[at + 2]}.${ip[at + 3]}`
}

/** RFC 5952 text form: lower-case hex, the longest run of two or more zero groups as `::`. */
function ipv6Address(ip: Buffer, at: number): string {
  const groups = Array.from({ length: 8 }, (_, i) => ip.readUInt16BE(at + i * 2))
  let bestStart = -1
  let bestLength = 1
  for (let i = 0; i < 8; ) {
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i]
    i = j === i ? i + 1 : j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestStart < 0) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`
}
