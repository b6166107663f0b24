import { LatencyHistogram, type LatencySummary } from '../util/latency.ts'
import type { Outbound } from './outbound-queue.ts'

/**
 * What a link reports on stop, in /metrics and on the dashboard. The invariant the tests and
 * the operator rely on: generated = acknowledged + deadLettered + pending, always.
 */
export type LinkState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'closed'

export interface DeadLetter {
  sequenceNumber: number
  controlId: string
  reason: string
  at: number
}

export interface LinkStats {
  url: string
  state: LinkState
  generated: number
  acknowledged: number
  deadLettered: number
  pending: number
  queueBytes: number
  /** Pending messages not yet written to the persistence folder: what a crash would lose now (0 without `--persistence`, where all of it would be). */
  unstored: number
  /** Sends after the first of a message (ACK timeout, NAK retry, reconnect). */
  retransmissions: number
  naks: number
  ackTimeouts: number
  connects: number
  connectFailures: number
  /** Messages the overflow policy dead-lettered (included in deadLettered). */
  overflowDropped: number
  /** ACKs that named no message in flight (a late ACK, a confused receiver): ignored, counted. */
  unmatchedAcks: number
  /** From a transmission to its ACK. */
  ackLatency: LatencySummary
  lastError: string | undefined
}

export class LinkAccounting {
  generated = 0
  acknowledged = 0
  retransmissions = 0
  naks = 0
  ackTimeouts = 0
  connects = 0
  connectFailures = 0
  overflowDropped = 0
  unmatchedAcks = 0
  lastError: string | undefined
  readonly ackLatency = new LatencyHistogram()
  private deadLetterCount = 0
  private readonly kept: DeadLetter[] = []

  constructor(private readonly keepDeadLetters: number) {}

  /** Continues the account of an earlier run (`--persistence`): the invariant spans restarts. */
  carryOver(earlier: { generated: number; acknowledged: number; deadLettered: number }): void {
    this.generated = earlier.generated
    this.acknowledged = earlier.acknowledged
    this.deadLetterCount = earlier.deadLettered
  }

  get deadLettered(): number {
    return this.deadLetterCount
  }

  /** Counts the message as dead-lettered and keeps the latest few for inspection. */
  deadLetter(entry: Outbound, reason: string, at: number): DeadLetter {
    this.deadLetterCount++
    const letter = { sequenceNumber: entry.sequenceNumber, controlId: entry.controlId, reason, at }
    if (this.keepDeadLetters > 0) {
      this.kept.push(letter)
      if (this.kept.length > this.keepDeadLetters) this.kept.shift()
    }
    return letter
  }

  deadLetters(): readonly DeadLetter[] {
    return this.kept
  }

  snapshot(url: string, state: LinkState, pending: number, queueBytes: number, unstored: number): LinkStats {
    return {
      url,
      state,
      generated: this.generated,
      acknowledged: this.acknowledged,
      deadLettered: this.deadLetterCount,
      pending,
      queueBytes,
      unstored,
      retransmissions: this.retransmissions,
      naks: this.naks,
      ackTimeouts: this.ackTimeouts,
      connects: this.connects,
      connectFailures: this.connectFailures,
      overflowDropped: this.overflowDropped,
      unmatchedAcks: this.unmatchedAcks,
      ackLatency: this.ackLatency.summary(),
      lastError: this.lastError,
    }
  }
}
