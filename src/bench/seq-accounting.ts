/** What one arrival was, judged from the device's sequence numbers seen so far. */
export type Arrival = 'in-order' | 'reordered' | 'duplicate'

export interface SeqTotals {
  /** Messages the generators say they sent. */
  sent: number
  /** Distinct (device, seq) pairs that arrived. */
  delivered: number
  /** Sent but never arrived: `sent - delivered`. */
  lost: number
  /** Arrivals of a pair that had arrived before (QoS 1 redelivery, or a broker bug). */
  duplicates: number
  /** First arrivals of a seq lower than one already seen from the same device. */
  reordered: number
}

/**
 * Loss and reordering from the envelope's `seq`, which increases by exactly one per message from
 * a device (src/contract/envelope.ts). Each device keeps a growable bitset of the sequence
 * numbers seen and the highest one, so a duplicate, a late arrival and a gap are told apart
 * without storing the messages: about one bit per message.
 */
export class SeqAccounting {
  private readonly seen: Uint8Array[]
  private readonly highest: Float64Array
  private readonly delivered: Float64Array
  private duplicates = 0
  private reordered = 0

  constructor(devices: number) {
    this.seen = Array.from({ length: devices }, () => new Uint8Array(16))
    this.highest = new Float64Array(devices).fill(-1)
    this.delivered = new Float64Array(devices)
  }

  record(device: number, seq: number): Arrival {
    let bits = this.seen[device]!
    const byte = seq >>> 3
    if (byte >= bits.length) {
      const grown = new Uint8Array(Math.max(bits.length * 2, byte + 1))
      grown.set(bits)
      this.seen[device] = bits = grown
    }
    const mask = 1 << (seq & 7)
    if (bits[byte]! & mask) {
      this.duplicates++
      return 'duplicate'
    }
    bits[byte] = bits[byte]! | mask
    this.delivered[device]!++
    if (seq < this.highest[device]!) {
      this.reordered++
      return 'reordered'
    }
    this.highest[device] = seq
    return 'in-order'
  }

  /** Distinct messages that arrived from one device. */
  deliveredFrom(device: number): number {
    return this.delivered[device]!
  }

  /** `sentPerDevice[d]` is how many messages device d sent (seq 0 … n-1). */
  totals(sentPerDevice: ArrayLike<number>): SeqTotals {
    let sent = 0
    let delivered = 0
    for (let d = 0; d < this.delivered.length; d++) {
      sent += sentPerDevice[d] ?? 0
      delivered += this.delivered[d]!
    }
    return { sent, delivered, lost: Math.max(0, sent - delivered), duplicates: this.duplicates, reordered: this.reordered }
  }
}
