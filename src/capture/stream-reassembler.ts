/** A run of stream bytes that became readable at one capture time. */
export interface DeliveredBytes {
  tsMs: number
  bytes: Buffer
}

interface HeldSegment {
  offset: number
  bytes: Buffer
}

/**
 * One direction of a TCP connection as the receiving application sees it (RFC 9293 §3.10.7.4):
 * bytes are handed over in sequence order, bytes already handed over are never handed over again
 * (retransmissions and overlaps are dropped; the first copy wins), and data past a hole waits
 * until the hole is filled. Sequence numbers are unwrapped against the next expected byte, so
 * streams longer than 4 GiB keep their order.
 */
export class StreamReassembler {
  readonly delivered: DeliveredBytes[] = []
  /** Stream offset of the next byte the application would read. */
  private nextOffset = 0
  private readonly held: HeldSegment[] = []

  /** @param firstSeq sequence number of stream byte 0 (the SYN's sequence number + 1). */
  constructor(private readonly firstSeq: number) {}

  get deliveredLength(): number {
    return this.nextOffset
  }

  /** Stream bytes captured beyond a hole that no later segment filled. */
  get undeliveredLength(): number {
    let counted = this.nextOffset
    let total = 0
    for (const segment of this.held) {
      const end = segment.offset + segment.bytes.length
      if (end > counted) total += end - Math.max(counted, segment.offset)
      counted = Math.max(counted, end)
    }
    return total
  }

  push(seq: number, payload: Buffer, tsMs: number): void {
    if (payload.length === 0) return
    const expectedSeq = (this.firstSeq + this.nextOffset) >>> 0
    // Signed 32-bit distance from the next expected byte (RFC 9293 §3.4 modular comparison).
    const offset = this.nextOffset + ((seq - expectedSeq) | 0)
    if (offset > this.nextOffset) {
      this.hold({ offset, bytes: payload })
      return
    }
    this.take({ offset, bytes: payload }, tsMs)
    while (this.held.length > 0 && this.held[0]!.offset <= this.nextOffset) this.take(this.held.shift()!, tsMs)
  }

  private take(segment: HeldSegment, tsMs: number): void {
    const end = segment.offset + segment.bytes.length
    if (end <= this.nextOffset) return
    this.delivered.push({ tsMs, bytes: segment.bytes.subarray(this.nextOffset - segment.offset) })
    this.nextOffset = end
  }

  private hold(segment: HeldSegment): void {
    let index = this.held.length
    while (index > 0 && this.held[index - 1]!.offset > segment.offset) index--
    this.held.splice(index, 0, segment)
  }
}

/**
 * The sequence number of stream byte 0 for a direction whose SYN the capture missed: the lowest
 * data sequence number, compared modulo 2^32 against the first one seen.
 */
export function lowestSequence(seqs: readonly number[]): number {
  const first = seqs[0] ?? 0
  let lowestDistance = 0
  for (const seq of seqs) lowestDistance = Math.min(lowestDistance, (seq - first) | 0)
  return (first + lowestDistance) >>> 0
}
