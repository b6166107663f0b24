import { open } from 'node:fs/promises'
import { WardlabError } from '../util/errors.ts'
/**
 * Reads the two capture formats tcpdump, Wireshark and mergecap write: classic libpcap
 * (draft-ietf-opsawg-pcap) and pcapng (draft-ietf-opsawg-pcapng). The format is told by the magic
 * number, not the file name: mergecap writes pcapng into files named `.pcap`.
 *
 * No npm package fits: `pcap` binds native libpcap, and `pcap-parser` (last release 2013) reads
 * neither pcapng nor nanosecond files and ships no types.
 */

export interface CapturedPacket {
  /** Capture time in ms since the Unix epoch, sub-ms as a fraction (≈0.25 µs resolution near 2020). */
  tsMs: number
  /** LINKTYPE_* value of the interface the packet was captured on (tcpdump.org/linktypes.html). */
  linkType: number
  /** The captured bytes, a view into the file buffer (the capture may be shorter than on the wire). */
  data: Buffer
}

export interface CaptureFile {
  format: 'pcap' | 'pcapng'
  packets: CapturedPacket[]
  /** The file ended inside a record, as a capture cut while being written does. */
  truncated: boolean
}

/**
 * Packets of a capture file read a megabyte at a time, so a replay's memory does not grow with the
 * file. `stats.bytesRead` counts the file bytes consumed so far.
 */
export async function* streamCaptureFile(path: string, stats: { bytesRead: number; format?: string } = { bytesRead: 0 }): AsyncGenerator<CapturedPacket> {
  const handle = await open(path, 'r').catch((cause: unknown) => {
    throw new WardlabError('WL_FILE_NOT_FOUND', `cannot read capture ${path}`, { cause })
  })
  const decoder = new CaptureDecoder()
  try {
    for (;;) {
      // A fresh buffer per read: packets handed out are views into it and may outlive the next read.
      const { bytesRead, buffer } = await handle.read(Buffer.allocUnsafe(STREAM_READ_BYTES), 0, STREAM_READ_BYTES, null)
      if (bytesRead === 0) break
      stats.bytesRead += bytesRead
      const packets = decoder.push(buffer.subarray(0, bytesRead))
      if (decoder.format) stats.format = decoder.format
      yield* packets
    }
  } finally {
    await handle.close()
  }
}

const STREAM_READ_BYTES = 1 << 20

export class CaptureFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CaptureFormatError'
  }
}

const PCAP_MICRO = 0xa1b2c3d4
const PCAP_NANO = 0xa1b23c4d
const PCAPNG_SHB = 0x0a0d0d0a
const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d

export function readCaptureFile(buf: Buffer): CaptureFile {
  const decoder = new CaptureDecoder()
  const packets = decoder.push(buf)
  if (decoder.format === null) throw new CaptureFormatError(`file too short for a capture header (${buf.length} bytes)`)
  return { format: decoder.format, packets, truncated: decoder.leftover > 0 }
}

function wordReader(buf: Buffer, littleEndian: boolean) {
  return {
    u16: (at: number) => (littleEndian ? buf.readUInt16LE(at) : buf.readUInt16BE(at)),
    u32: (at: number) => (littleEndian ? buf.readUInt32LE(at) : buf.readUInt32BE(at)),
  }
}

interface PcapngInterface {
  linkType: number
  /** Timestamp units per second (if_tsresol, default 10^6). */
  unitsPerSecond: bigint
  /** if_tsoffset: seconds to add to every timestamp. */
  offsetSeconds: bigint
}

const BLOCK_IDB = 1
const BLOCK_OLD_PACKET = 2
const BLOCK_SPB = 3
const BLOCK_EPB = 6
/** Fixed part of each block body we read, to reject blocks too short to hold it. */
const FIXED_BODY_BYTES = new Map([
  [BLOCK_IDB, 8],
  [BLOCK_OLD_PACKET, 20],
  [BLOCK_SPB, 4],
  [BLOCK_EPB, 20],
])
const OPTION_TSRESOL = 9
const OPTION_TSOFFSET = 14

/**
 * Decodes a capture from bytes handed over in pieces of any size (a whole file, or a file read a
 * megabyte at a time): each push returns the packets its bytes completed and keeps the partial
 * record at the end for the next. Packet data are views into the pushed buffers.
 */
export class CaptureDecoder {
  format: 'pcap' | 'pcapng' | null = null
  private pending: Buffer = Buffer.alloc(0)
  private littleEndian = true
  /** Classic pcap: the link type and timestamp fraction units per ms, from the global header. */
  private pcapLinkType = 0
  private fractionPerMs = 1e3
  private headerDone = false
  /** pcapng: the interfaces of the current section, and the last timestamp (for Simple Packet Blocks). */
  private interfaces: PcapngInterface[] = []
  private lastTsMs = 0

  /** Bytes held that do not complete a record: after the last push, a file cut inside one. */
  get leftover(): number {
    return this.pending.length
  }

  push(chunk: Buffer): CapturedPacket[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk])
    if (this.format === null && !this.detect()) return []
    const packets: CapturedPacket[] = []
    const consumed = this.format === 'pcap' ? this.pcapRecords(packets) : this.pcapngBlocks(packets)
    this.pending = this.pending.subarray(consumed)
    return packets
  }

  private detect(): boolean {
    const buf = this.pending
    if (buf.length < 12) return false
    const magicBE = buf.readUInt32BE(0)
    const magicLE = buf.readUInt32LE(0)
    if (magicBE === PCAPNG_SHB) {
      this.format = 'pcapng'
      return true
    }
    for (const [magic, littleEndian] of [
      [magicLE, true],
      [magicBE, false],
    ] as const) {
      if (magic === PCAP_MICRO || magic === PCAP_NANO) {
        this.format = 'pcap'
        this.littleEndian = littleEndian
        this.fractionPerMs = magic === PCAP_NANO ? 1e6 : 1e3
        return true
      }
    }
    throw new CaptureFormatError(`unknown capture magic 0x${magicBE.toString(16).padStart(8, '0')}`)
  }

  /** Classic pcap: a 24-byte global header, then 16-byte record headers each followed by the packet. */
  private pcapRecords(packets: CapturedPacket[]): number {
    const buf = this.pending
    const { u32 } = wordReader(buf, this.littleEndian)
    let at = 0
    if (!this.headerDone) {
      if (buf.length < 24) return 0
      // The upper bits of the link-type field carry FCS information; the link type is the low 16 bits.
      this.pcapLinkType = u32(20) & 0xffff
      this.headerDone = true
      at = 24
    }
    while (at + 16 <= buf.length) {
      const capturedLength = u32(at + 8)
      if (at + 16 + capturedLength > buf.length) break
      const tsMs = u32(at) * 1000 + u32(at + 4) / this.fractionPerMs
      packets.push({ tsMs, linkType: this.pcapLinkType, data: buf.subarray(at + 16, at + 16 + capturedLength) })
      at += 16 + capturedLength
    }
    return at
  }

  /**
   * pcapng: a sequence of blocks (type, total length, body, total length). Each Section Header Block
   * sets the byte order for the blocks after it and starts a fresh list of interfaces.
   */
  private pcapngBlocks(packets: CapturedPacket[]): number {
    const buf = this.pending
    let at = 0
    while (at + 12 <= buf.length) {
      const type = buf.readUInt32LE(at) // the SHB type reads the same in both orders
      if (type === PCAPNG_SHB) {
        this.littleEndian = buf.readUInt32LE(at + 8) === PCAPNG_BYTE_ORDER_MAGIC
        if (!this.littleEndian && buf.readUInt32BE(at + 8) !== PCAPNG_BYTE_ORDER_MAGIC) {
          throw new CaptureFormatError(`section header at byte ${at} has no byte-order magic`)
        }
      }
      const { u16, u32 } = wordReader(buf, this.littleEndian)
      const blockType = u32(at)
      const totalLength = u32(at + 4)
      if (totalLength < 12 || totalLength % 4 !== 0) throw new CaptureFormatError(`block at byte ${at} has length ${totalLength}`)
      if (at + totalLength > buf.length) break
      if (type === PCAPNG_SHB) this.interfaces = []
      const body = at + 8
      const end = at + totalLength - 4
      if (end - body < (FIXED_BODY_BYTES.get(blockType) ?? 0)) {
        throw new CaptureFormatError(`block of type ${blockType} at byte ${at} is too short (${totalLength} bytes)`)
      }
      if (blockType === BLOCK_IDB) {
        this.interfaces.push(readInterface(buf, this.littleEndian, body, end))
      } else if (blockType === BLOCK_EPB) {
        packets.push(this.packet(u32(body), body + 20, u32(body + 12), end, body + 4))
      } else if (blockType === BLOCK_OLD_PACKET) {
        packets.push(this.packet(u16(body), body + 20, u32(body + 12), end, body + 4))
      } else if (blockType === BLOCK_SPB) {
        // A Simple Packet Block has no timestamp and always belongs to interface 0: keep the last time seen.
        packets.push(this.packet(0, body + 4, u32(body), end, null))
      }
      at += totalLength
    }
    return at
  }

  private packet(interfaceId: number, at: number, capturedLength: number, end: number, tsAt: number | null): CapturedPacket {
    const iface = this.interfaces[interfaceId]
    if (!iface) throw new CaptureFormatError(`packet block at byte ${at} names interface ${interfaceId}, which no IDB declared`)
    const buf = this.pending
    if (tsAt !== null) {
      const { u32 } = wordReader(buf, this.littleEndian)
      const units = (BigInt(u32(tsAt)) << 32n) | BigInt(u32(tsAt + 4))
      const seconds = units / iface.unitsPerSecond + iface.offsetSeconds
      const fraction = Number(units % iface.unitsPerSecond) / Number(iface.unitsPerSecond)
      this.lastTsMs = Number(seconds) * 1000 + fraction * 1000
    }
    return { tsMs: this.lastTsMs, linkType: iface.linkType, data: buf.subarray(at, Math.min(at + capturedLength, end)) }
  }
}

function readInterface(buf: Buffer, littleEndian: boolean, body: number, end: number): PcapngInterface {
  const { u16 } = wordReader(buf, littleEndian)
  const iface: PcapngInterface = { linkType: u16(body), unitsPerSecond: 1_000_000n, offsetSeconds: 0n }
  // Options: code (2 bytes), length (2 bytes), value padded to 32 bits; code 0 ends the list.
  for (let at = body + 8; at + 4 <= end; ) {
    const code = u16(at)
    const length = u16(at + 2)
    if (code === 0) break
    if (code === OPTION_TSRESOL && length >= 1) {
      // High bit clear: units of 10^-n s; set: units of 2^-n s.
      const resolution = buf.readUInt8(at + 4)
      const exponent = BigInt(resolution & 0x7f)
      iface.unitsPerSecond = resolution & 0x80 ? 1n << exponent : 10n ** exponent
    } else if (code === OPTION_TSOFFSET && length === 8) {
      iface.offsetSeconds = littleEndian ? buf.readBigInt64LE(at + 4) : buf.readBigInt64BE(at + 4)
    }
    at += 4 + Math.ceil(length / 4) * 4
  }
  return iface
}
