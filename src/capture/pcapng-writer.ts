/**
 * Writes pcapng (draft-ietf-opsawg-pcapng): one Section Header Block, one Interface Description
 * Block, then an Enhanced Packet Block per packet, each optionally carrying `opt_comment` — the
 * place Wireshark and tshark show as `frame.comment`, and where the dataset export puts each
 * packet's ground-truth label. Little-endian throughout; readers tell the order from the SHB's
 * byte-order magic (§4.1).
 *
 * No npm package fits: the registry's capture packages (`pcap`, `pcap-parser`) only read, and
 * neither writes pcapng or its options, so a writer of three block types is smaller than a wrapper.
 */

/** §4.1, §4.2, §4.3 block types. */
const BLOCK_SHB = 0x0a0d0d0a
const BLOCK_IDB = 0x00000001
const BLOCK_EPB = 0x00000006
const BYTE_ORDER_MAGIC = 0x1a2b3c4d
/** §3.5: opt_endofopt and opt_comment. */
const OPT_END = 0
const OPT_COMMENT = 1
/** LINKTYPE_ETHERNET (tcpdump.org/linktypes.html): what flow tools built for MQTTset expect. */
export const LINKTYPE_ETHERNET = 1

/** Options (§3.5): code, length, value padded to 32 bits; a list ends with opt_endofopt. */
function options(list: { code: number; value: Buffer }[]): Buffer {
  if (list.length === 0) return Buffer.alloc(0)
  const parts: Buffer[] = []
  for (const { code, value } of list) {
    const head = Buffer.alloc(4)
    head.writeUInt16LE(code, 0)
    head.writeUInt16LE(value.length, 2)
    parts.push(head, value, Buffer.alloc(pad4(value.length) - value.length))
  }
  parts.push(Buffer.alloc(4, OPT_END))
  return Buffer.concat(parts)
}

function pad4(n: number): number {
  return Math.ceil(n / 4) * 4
}

/** §3.1: type, total length, body, total length again (so a reader can walk backwards). */
function block(type: number, body: Buffer): Buffer {
  const total = 12 + body.length
  const out = Buffer.alloc(total)
  out.writeUInt32LE(type, 0)
  out.writeUInt32LE(total, 4)
  body.copy(out, 8)
  out.writeUInt32LE(total, total - 4)
  return out
}

/** The file header: an SHB of version 1.0 with unknown section length (§4.1), then one IDB (§4.2). */
export function pcapngHeader(linkType: number = LINKTYPE_ETHERNET): Buffer {
  const shb = Buffer.alloc(16)
  shb.writeUInt32LE(BYTE_ORDER_MAGIC, 0)
  shb.writeUInt16LE(1, 4)
  shb.writeUInt16LE(0, 6)
  shb.writeBigInt64LE(-1n, 8)
  const idb = Buffer.alloc(8)
  idb.writeUInt16LE(linkType, 0)
  idb.writeUInt32LE(0, 4) // snaplen 0: no limit
  // No if_tsresol option: timestamps are in the default microseconds.
  return Buffer.concat([block(BLOCK_SHB, shb), block(BLOCK_IDB, idb)])
}

/**
 * One Enhanced Packet Block (§4.3) on interface 0: the timestamp in microseconds since the epoch,
 * split into high and low 32 bits; the whole packet captured; and the comment as UTF-8.
 */
export function pcapngPacket(tsMs: number, data: Buffer, comment?: string): Buffer {
  const micros = BigInt(Math.round(tsMs * 1000))
  const fixed = Buffer.alloc(20)
  fixed.writeUInt32LE(0, 0)
  fixed.writeUInt32LE(Number(micros >> 32n), 4)
  fixed.writeUInt32LE(Number(micros & 0xffffffffn), 8)
  fixed.writeUInt32LE(data.length, 12)
  fixed.writeUInt32LE(data.length, 16)
  const padding = Buffer.alloc(pad4(data.length) - data.length)
  const opts = options(comment === undefined ? [] : [{ code: OPT_COMMENT, value: Buffer.from(comment, 'utf8') }])
  return block(BLOCK_EPB, Buffer.concat([fixed, data, padding, opts]))
}
