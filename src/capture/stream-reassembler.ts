/** A run of stream bytes that became readable at one capture time. */
export interface DeliveredBytes {
  tsMs: number
  bytes: Buffer
  /** Stream bytes just before these that the capture never had (a hole given up on); absent when none. */
  lostBefore?: number
}

interface HeldSegment {
  offset: number
  bytes: Buffer
  tsMs: number
}

/**
 * One direction of a TCP connection as the receiving application sees it (RFC 9293 §3.10.7.4):
 * bytes are handed over in sequence order, bytes already handed over are never handed over again
 * (retransmissions and overlaps are dropped; the first copy wins), and data past a hole waits
 * until the hole is filled — or until the hole is given up on (`skipHole`), as a capture that
 * dropped packets requires: the receiver did get them, the capture did not. Sequence numbers are unwrapped against the next expected byte, so
 * streams longer than 4 GiB keep their order.
 */
export class StreamReassembler {
  readonly delivered: DeliveredBytes[] = []
  /** Stream offset of the next byte the application would read. */
  private nextOffset = 0
  private readonly held: HeldSegment[] = []
  private lost = 0
  private lostPending = 0

  /**
   * @param firstSeq sequence number of stream byte 0 (the SYN's sequence number + 1).
   * @param onDeliver takes each run as it becomes readable instead of keeping it in `delivered`
   *   (a streamed replay must not hold a whole capture's bytes).
   */
  constructor(
    private readonly firstSeq: number,
    private readonly onDeliver?: (delivered: DeliveredBytes) => void,
  ) {}

  get deliveredLength(): number {
    return this.nextOffset
  }

  /** Stream bytes in holes given up on. */
  get lostLength(): number {
    return this.lost
  }

  /** Capture time of the oldest segment waiting beyond a hole, or null when nothing waits. */
  get oldestHeldTsMs(): number | null {
    let oldest: number | null = null
    for (const segment of this.held) oldest = oldest === null ? segment.tsMs : Math.min(oldest, segment.tsMs)
    return oldest
  }

  /**
   * Gives up on the hole before the first held segment: counts its bytes as lost and delivers what
   * waited beyond it, each segment at its own capture time. Returns the bytes lost (0: no hole).
   */
  skipHole(): number {
    const first = this.held[0]
    if (!first) return 0
    const lost = Math.max(0, first.offset - this.nextOffset)
    this.lost += lost
    this.lostPending = lost
    this.nextOffset = Math.max(this.nextOffset, first.offset)
    while (this.held.length > 0 && this.held[0]!.offset <= this.nextOffset) {
      const segment = this.held.shift()!
      this.take(segment, segment.tsMs)
    }
    return lost
  }

  /** The capture is over: every hole left is lost, everything beyond them is delivered. */
  finish(): void {
    while (this.held.length > 0) this.skipHole()
  }

  push(seq: number, payload: Buffer, tsMs: number): void {
    if (payload.length === 0) return
    const expectedSeq = (this.firstSeq + this.nextOffset) >>> 0
    // Signed 32-bit distance from the next expected byte (RFC 9293 §3.4 modular comparison).
    const offset = this.nextOffset + ((seq - expectedSeq) | 0)
    if (offset > this.nextOffset) {
      this.hold({ offset, bytes: payload, tsMs })
      return
    }
    this.take({ offset, bytes: payload, tsMs }, tsMs)
    while (this.held.length > 0 && this.held[0]!.offset <= this.nextOffset) this.take(this.held.shift()!, tsMs)
  }

  private take(segment: HeldSegment, tsMs: number): void {
    const end = segment.offset + segment.bytes.length
    if (end <= this.nextOffset) return
    const delivered: DeliveredBytes = { tsMs, bytes: segment.bytes.subarray(this.nextOffset - segment.offset) }
    if (this.lostPending > 0) delivered.lostBefore = this.lostPending
    this.lostPending = 0
    this.onDeliver ? this.onDeliver(delivered) : this.delivered.push(delivered)
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
