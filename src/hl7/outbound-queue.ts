import { frameBytes } from './frames.ts'

/** A message generated for the link, waiting to be sent or for its ACK. */
export interface Outbound {
  sequenceNumber: number
  controlId: string
  text: string
  bytes: number
  /** Transmissions so far (1 after the first send). */
  transmissions: number
  /** NAKs (AE/AR) answered so far. */
  naks: number
  /** On disk when the link has a journal (`--persistence`); only a stored message is sent, so a crash cannot reuse a sequence number the receiver has seen. */
  stored: boolean
}

export function outbound(sequenceNumber: number, controlId: string, text: string, stored: boolean): Outbound {
  return { sequenceNumber, controlId, text, bytes: frameBytes(text), transmissions: 0, naks: 0, stored }
}

export interface QueueBounds {
  maxMessages: number
  maxBytes: number
  overflow: 'drop-oldest' | 'drop-newest'
}

/**
 * The link's store-and-forward backlog, bounded in messages and bytes. The head may be in
 * flight and is never dropped: it is on the wire, and dropping it would let its ACK pair with
 * nothing. What the overflow policy drops is returned to the caller, which dead-letters it, so
 * nothing leaves the queue uncounted.
 */
export class OutboundQueue {
  private readonly items: Outbound[] = []
  private totalBytes = 0

  constructor(private readonly bounds: QueueBounds) {}

  get length(): number {
    return this.items.length
  }

  get bytes(): number {
    return this.totalBytes
  }

  head(): Outbound | undefined {
    return this.items[0]
  }

  /** Adds the message; returns what had to go to respect the bounds (possibly the message itself). */
  add(entry: Outbound, headInFlight: boolean): Outbound[] {
    const dropped: Outbound[] = []
    const fits = (): boolean => this.items.length + 1 <= this.bounds.maxMessages && this.totalBytes + entry.bytes <= this.bounds.maxBytes
    if (this.bounds.overflow === 'drop-oldest') {
      const firstDroppable = headInFlight ? 1 : 0
      while (!fits() && this.items.length > firstDroppable) dropped.push(this.removeAt(firstDroppable))
    }
    if (!fits()) return [...dropped, entry]
    this.items.push(entry)
    this.totalBytes += entry.bytes
    return dropped
  }

  /** A message stored by an earlier run (`--persistence`), taken back as it is: it was within bounds when stored, and dropping it now would lose it silently. */
  restore(entry: Outbound): void {
    this.items.push(entry)
    this.totalBytes += entry.bytes
  }

  /** Removes the head once it is acknowledged or dead-lettered. */
  shift(): Outbound | undefined {
    return this.items.length > 0 ? this.removeAt(0) : undefined
  }

  private removeAt(index: number): Outbound {
    const [removed] = this.items.splice(index, 1)
    this.totalBytes -= removed!.bytes
    return removed!
  }
}
