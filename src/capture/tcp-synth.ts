/**
 * Synthesises the TCP/IPv4 packets of one connection whose bytes were tapped above the transport
 * (in-process streams have no packets of their own), so a capture of them reads in Wireshark like a
 * real exchange: a three-way handshake, data segments with sequence and acknowledgement
 * numbers that follow the bytes (RFC 9293 §3.4), and a FIN exchange. Each frame is Ethernet II +
 * IPv4 (RFC 791) + TCP with valid checksums (RFC 1071), so no tool flags them as corrupt.
 */

export interface TcpEndpoint {
  /** Dotted IPv4. */
  address: string
  port: number
}

/** RFC 9293 §3.1 control bits. */
export const TCP_FIN = 0x01
export const TCP_SYN = 0x02
export const TCP_PSH = 0x08
export const TCP_ACK = 0x10

export interface SynthFrame {
  /** Ethernet frame bytes. */
  frame: Buffer
  fromClient: boolean
  flags: number
  /** TCP payload length (tshark's tcp.len). */
  payloadLength: number
}

const ETHERTYPE_IPV4 = 0x0800
const IP_HEADER = 20
const TCP_HEADER = 20
const WINDOW = 65535
/** IPv4's total length is 16 bits: keep each segment well inside it. */
const MAX_SEGMENT = 65_000

export class TcpConversation {
  private clientSeq: number
  private serverSeq: number
  private ipId = 0

  constructor(
    private readonly client: TcpEndpoint,
    private readonly server: TcpEndpoint,
    /** Initial sequence numbers; any fixed values do, so the export is reproducible. */
    isn = { client: 1000, server: 5000 },
  ) {
    this.clientSeq = isn.client
    this.serverSeq = isn.server
  }

  /** SYN, SYN/ACK, ACK: each SYN consumes one sequence number. */
  open(): SynthFrame[] {
    const syn = this.segment(true, TCP_SYN, Buffer.alloc(0), 1)
    const synAck = this.segment(false, TCP_SYN | TCP_ACK, Buffer.alloc(0), 1)
    return [syn, synAck, this.segment(true, TCP_ACK, Buffer.alloc(0), 0)]
  }

  /**
   * Data one way, acknowledging everything the other side sent (PSH/ACK, as a socket write goes
   * out). A payload too big for one IPv4 datagram is cut into several segments.
   */
  data(fromClient: boolean, payload: Buffer): SynthFrame[] {
    const frames: SynthFrame[] = []
    for (let at = 0; at < payload.length || frames.length === 0; at += MAX_SEGMENT) {
      const part = payload.subarray(at, at + MAX_SEGMENT)
      frames.push(this.segment(fromClient, TCP_PSH | TCP_ACK, part, part.length))
    }
    return frames
  }

  /** FIN/ACK each way and the last ACK: each FIN consumes one sequence number. */
  close(): SynthFrame[] {
    const finClient = this.segment(true, TCP_FIN | TCP_ACK, Buffer.alloc(0), 1)
    const finServer = this.segment(false, TCP_FIN | TCP_ACK, Buffer.alloc(0), 1)
    return [finClient, finServer, this.segment(true, TCP_ACK, Buffer.alloc(0), 0)]
  }

  private segment(fromClient: boolean, flags: number, payload: Buffer, consumes: number): SynthFrame {
    const [src, dst] = fromClient ? [this.client, this.server] : [this.server, this.client]
    const seq = fromClient ? this.clientSeq : this.serverSeq
    const ack = flags & TCP_ACK ? (fromClient ? this.serverSeq : this.clientSeq) : 0
    if (fromClient) this.clientSeq = (this.clientSeq + consumes) >>> 0
    else this.serverSeq = (this.serverSeq + consumes) >>> 0
    const frame = Buffer.alloc(14 + IP_HEADER + TCP_HEADER + payload.length)
    // Ethernet II: locally administered MACs derived from the addresses, then the IPv4 EtherType.
    mac(dst.address).copy(frame, 0)
    mac(src.address).copy(frame, 6)
    frame.writeUInt16BE(ETHERTYPE_IPV4, 12)
    const ip = frame.subarray(14, 14 + IP_HEADER)
    ip[0] = 0x45
    ip.writeUInt16BE(IP_HEADER + TCP_HEADER + payload.length, 2)
    ip.writeUInt16BE(this.ipId++ & 0xffff, 4)
    ip.writeUInt16BE(0x4000, 6) // don't fragment
    ip[8] = 64
    ip[9] = 6
    ipv4Bytes(src.address).copy(ip, 12)
    ipv4Bytes(dst.address).copy(ip, 16)
    ip.writeUInt16BE(checksum(ip), 10)
    const tcp = frame.subarray(14 + IP_HEADER)
    tcp.writeUInt16BE(src.port, 0)
    tcp.writeUInt16BE(dst.port, 2)
    tcp.writeUInt32BE(seq, 4)
    tcp.writeUInt32BE(ack, 8)
    tcp[12] = (TCP_HEADER / 4) << 4
    tcp[13] = flags
    tcp.writeUInt16BE(WINDOW, 14)
    payload.copy(tcp, TCP_HEADER)
    // RFC 9293 §3.1: the checksum covers a pseudo-header of both addresses, the protocol and the length.
    const pseudo = Buffer.alloc(12)
    ipv4Bytes(src.address).copy(pseudo, 0)
    ipv4Bytes(dst.address).copy(pseudo, 4)
    pseudo[9] = 6
    pseudo.writeUInt16BE(tcp.length, 10)
    tcp.writeUInt16BE(checksum(Buffer.concat([pseudo, tcp])), 16)
    return { frame, fromClient, flags, payloadLength: payload.length }
  }
}

function ipv4Bytes(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number))
}

function mac(address: string): Buffer {
  return Buffer.from([0x02, 0x00, ...ipv4Bytes(address)])
}

/** RFC 1071 Internet checksum: ones' complement of the ones' complement sum of 16-bit words. */
function checksum(bytes: Buffer): number {
  let sum = 0
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += bytes.readUInt16BE(i)
  if (bytes.length % 2 === 1) sum += bytes[bytes.length - 1]! << 8
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16)
  return ~sum & 0xffff
}
