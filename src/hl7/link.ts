import type { Socket } from 'node:net'
import { silentLogger, type Logger } from '../util/log.ts'
import { isPositiveAck, readAck } from '../clinical/hl7/ack.ts'
import type { Stamp } from '../clinical/hl7/inputs.ts'
import { endpointOf, openSocket, type Endpoint } from './connect.ts'
import { MllpFrameDecoder, writeFrame } from './frames.ts'
import { linkConfigSchema, type LinkConfig, type LinkConfigInput } from './link-config.ts'
import { LinkAccounting, type DeadLetter, type LinkState, type LinkStats } from './link-stats.ts'
import type { DurableCounters, LinkJournal, RestoredLink } from './link-journal.ts'
import { OutboundQueue, outbound, type Outbound } from './outbound-queue.ts'

/**
 * A sender to one HL7 receiver over MLLP, as a device gateway runs it: one message in flight,
 * the next only after its ACK (HL7 v2.6 ch. 2.9.2 original acknowledgement mode; MLLP has no
 * windowing), a store-and-forward backlog while the receiver is slow or away, and an account of
 * every message. Each message gets the link's next MSH-13 sequence number when it is generated
 * (v2.6 ch. 2.10.2 sequence number protocol) and keeps it through every retransmission, so the
 * receiver sees duplicates as duplicates and a dropped message as a gap.
 *
 * - MSA-1 AA (or CA): acknowledged; the next message goes.
 * - AE/AR: `nak.policy` retry sends it again up to `nak.retries` times after `nak.retryDelayMs`,
 *   then dead-letters it with the receiver's reason; `dead-letter` does so at once.
 * - No ACK within `ackTimeoutMs`: the connection is dropped and the message sent again on a new
 *   one, because a late ACK on the old connection could otherwise be read as the answer to the
 *   retransmission.
 * - Refused or dropped connection: reconnect after an exponential backoff with jitter.
 * - With a journal (`--persistence`, src/hl7/link-journal.ts) the backlog and the account survive
 *   a crash: a message is sent only once it is stored, and a restart continues with the stored
 *   messages, counters and sequence number.
 */
export class MllpLink {
  readonly config: LinkConfig
  private readonly endpoint: Endpoint
  private readonly queue: OutboundQueue
  private readonly accounting: LinkAccounting
  private readonly log: Logger
  private readonly runId = Date.now().toString(36).slice(-8)
  private nextSequence: number
  private state: LinkState = 'idle'
  private socket: Socket | null = null
  private inFlight: { entry: Outbound; sentAt: number } | null = null
  private timer: NodeJS.Timeout | null = null
  private failures = 0
  /** Messages handed to the journal and not yet written. */
  private unstored = 0
  private unreachable = false
  private readonly drainWaiters = new Set<() => void>()

  constructor(
    config: LinkConfigInput,
    private readonly options: {
      log?: Logger
      onDeadLetter?: (letter: DeadLetter) => void
      /** Where the backlog is kept across restarts, and what the last run left there. */
      durable?: { journal: LinkJournal; restored: RestoredLink }
    } = {},
  ) {
    this.config = linkConfigSchema.parse(config)
    this.endpoint = endpointOf(this.config.url, this.config.caFile)
    this.queue = new OutboundQueue(this.config.queue)
    this.accounting = new LinkAccounting(this.config.keepDeadLetters)
    this.nextSequence = this.config.firstSequenceNumber
    this.log = (options.log ?? silentLogger).child({ hl7Link: this.config.url })
    if (options.durable) this.restore(options.durable.restored)
  }

  /**
   * Takes over what the last run stored: its account, its sequence number and its unacknowledged
   * messages, which go first, with their own MSH-10 and MSH-13, as they were built.
   */
  private restore({ counters, pending }: RestoredLink): void {
    if (!counters) return
    this.accounting.carryOver(counters)
    this.nextSequence = Math.max(counters.nextSequence, this.config.firstSequenceNumber)
    for (const message of pending) this.queue.restore(outbound(message.sequenceNumber, message.controlId, message.text, true))
    this.log.info({ pending: pending.length, nextSequence: this.nextSequence, generated: counters.generated }, 'HL7 link restored from the persistence folder')
  }

  private durableCounters(): DurableCounters {
    const { generated, acknowledged, deadLettered } = this.accounting
    return { generated, acknowledged, deadLettered, nextSequence: this.nextSequence }
  }

  start(): void {
    if (this.state === 'idle') this.connect()
  }

  /**
   * Generates a message: `build` gets its stamp (control id, sequence number, time) and returns
   * the HL7 text. Never blocks and never throws for a full backlog: the overflow policy decides
   * and whatever it drops is dead-lettered and counted.
   */
  send(build: (stamp: Stamp) => string): Stamp {
    const stamp = { controlId: `W${this.runId}.${this.nextSequence}`, sequenceNumber: this.nextSequence, at: Date.now() }
    // Built before anything is counted: a message that cannot be built throws to the caller
    // without spending a sequence number, so the receiver sees no gap for it.
    const text = build(stamp)
    this.nextSequence++
    this.accounting.generated++
    const journal = this.options.durable?.journal
    const entry = outbound(stamp.sequenceNumber, stamp.controlId, text, !journal)
    const dropped = this.queue.add(entry, this.inFlight !== null)
    if (journal && !dropped.includes(entry)) {
      this.unstored++
      journal.added({ sequenceNumber: entry.sequenceNumber, controlId: entry.controlId, text }, this.durableCounters(), () => {
        this.unstored--
        entry.stored = true
        this.pump()
      })
    }
    for (const letter of dropped) {
      this.accounting.overflowDropped++
      this.deadLetter(letter, `backlog full (${this.config.queue.maxMessages} messages / ${this.config.queue.maxBytes} bytes, ${this.config.queue.overflow})`)
    }
    this.pump()
    return stamp
  }

  /** Resolves once the journal (if any) has written every change so far: before the persistence folder closes. */
  async flushed(): Promise<void> {
    await this.options.durable?.journal.flushed()
  }

  stats(): LinkStats {
    return this.accounting.snapshot(this.config.url, this.state, this.queue.length, this.queue.bytes, this.unstored)
  }

  deadLetters(): readonly DeadLetter[] {
    return this.accounting.deadLetters()
  }

  /** Resolves true once nothing is pending, false if `timeoutMs` passes first. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.queue.length === 0) return Promise.resolve(true)
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timeout)
        this.drainWaiters.delete(done)
        resolve(true)
      }
      const timeout = setTimeout(() => {
        this.drainWaiters.delete(done)
        resolve(false)
      }, timeoutMs)
      this.drainWaiters.add(done)
    })
  }

  /**
   * A network outage between this gateway and the receiver (scenario `hl7-outage`): the
   * connection drops and every connect fails until `reachable()`, while messages wait in the
   * backlog as they would for a receiver that is down. Outages are timed by the caller's clock
   * (simulated time in a scenario), not by the link's wall-clock timers.
   */
  unreachableNow(): void {
    this.unreachable = true
    if (this.socket) this.drop(this.socket, 'receiver unreachable (network outage)')
  }

  /** The outage is over: reconnect at once rather than after the backoff step. */
  reachable(): void {
    if (!this.unreachable) return
    this.unreachable = false
    if (this.state === 'waiting') {
      this.clearTimer()
      this.connect()
    }
  }

  /** Stops sending; what is still queued stays counted as pending. */
  close(): void {
    this.state = 'closed'
    this.clearTimer()
    this.inFlight = null
    this.socket?.destroy()
    this.socket = null
  }

  private connect(): void {
    if (this.state === 'closed') return
    if (this.unreachable) {
      this.accounting.connectFailures++
      this.accounting.lastError = 'receiver unreachable (network outage)'
      this.state = 'waiting'
      this.setTimer(this.backoff(this.failures++), () => this.connect())
      return
    }
    this.state = 'connecting'
    const { socket, readyEvent } = openSocket(this.endpoint)
    this.socket = socket
    socket.setNoDelay(true)
    const decoder = new MllpFrameDecoder()
    this.setTimer(this.config.reconnect.connectTimeoutMs, () => this.drop(socket, 'connect timeout'))
    socket.once(readyEvent, () => {
      if (this.socket !== socket) return
      this.clearTimer()
      this.state = 'connected'
      this.failures = 0
      this.accounting.connects++
      this.log.info({ connects: this.accounting.connects, pending: this.queue.length }, 'HL7 link connected')
      this.pump()
    })
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const text of decoder.push(chunk)) this.onFrame(socket, text)
      } catch (error) {
        this.drop(socket, (error as Error).message)
      }
    })
    socket.on('error', (error) => this.drop(socket, error.message))
    socket.on('close', () => this.drop(socket, 'connection closed by the receiver'))
  }

  /** Forgets a failed connection; the message in flight stays at the head and goes again on the next one. */
  private drop(socket: Socket, reason: string): void {
    if (this.socket !== socket || this.state === 'closed') return
    socket.destroy()
    this.socket = null
    this.clearTimer()
    if (this.state === 'connecting') this.accounting.connectFailures++
    this.inFlight = null
    this.accounting.lastError = reason
    this.state = 'waiting'
    const delay = this.backoff(this.failures++)
    this.log.warn({ reason, retryInMs: delay, pending: this.queue.length }, 'HL7 link down')
    this.setTimer(delay, () => this.connect())
  }

  /** Exponential backoff with equal jitter: half the step fixed, half random, so many links do not reconnect in step. */
  private backoff(failures: number): number {
    const step = Math.min(this.config.reconnect.maxDelayMs, this.config.reconnect.initialDelayMs * 2 ** Math.min(failures, 20))
    return Math.round(step / 2 + Math.random() * (step / 2))
  }

  private pump(): void {
    if (this.state !== 'connected' || this.inFlight || this.timer) return
    const entry = this.queue.head()
    // Write-ahead: a message not yet on disk waits, or a crash could reuse its sequence number.
    if (!entry?.stored || !this.socket) return
    if (entry.transmissions > 0) this.accounting.retransmissions++
    entry.transmissions++
    this.inFlight = { entry, sentAt: performance.now() }
    writeFrame(this.socket, entry.text)
    const socket = this.socket
    this.setTimer(this.config.ackTimeoutMs, () => {
      this.accounting.ackTimeouts++
      this.drop(socket, `no ACK for ${entry.controlId} within ${this.config.ackTimeoutMs} ms`)
    })
  }

  private onFrame(socket: Socket, text: string): void {
    if (socket !== this.socket) return
    const ack = readAck(text)
    const current = this.inFlight
    if (!ack || !current || ack.controlId !== current.entry.controlId) {
      this.accounting.unmatchedAcks++
      this.log.warn({ controlId: ack?.controlId }, 'HL7 link: a reply that answers no message in flight, ignored')
      return
    }
    this.clearTimer()
    this.inFlight = null
    const entry = current.entry
    if (isPositiveAck(ack.code)) {
      this.accounting.ackLatency.record(performance.now() - current.sentAt)
      this.accounting.acknowledged++
      this.queue.shift()
      this.options.durable?.journal.removed(entry.sequenceNumber, this.durableCounters())
      this.afterRemoval()
      return
    }
    this.accounting.naks++
    const reason = `${ack.code}${ack.reason ? `: ${ack.reason}` : ''}`
    if (this.config.nak.policy === 'retry' && entry.naks < this.config.nak.retries) {
      entry.naks++
      this.log.warn({ controlId: entry.controlId, reason, attempt: entry.naks }, 'HL7 link: NAK, sending again')
      // The timer holds pump() back until the delay is over; the connection stays up.
      this.setTimer(this.config.nak.retryDelayMs, () => this.pump())
      return
    }
    this.queue.shift()
    this.deadLetter(entry, reason)
    this.afterRemoval()
  }

  private deadLetter(entry: Outbound, reason: string): void {
    const letter = this.accounting.deadLetter(entry, reason, Date.now())
    this.options.durable?.journal.removed(entry.sequenceNumber, this.durableCounters())
    this.log.warn(letter, 'HL7 message dead-lettered')
    this.options.onDeadLetter?.(letter)
  }

  private afterRemoval(): void {
    if (this.queue.length === 0) for (const waiter of [...this.drainWaiters]) waiter()
    this.pump()
  }

  private setTimer(ms: number, fn: () => void): void {
    this.clearTimer()
    this.timer = setTimeout(() => {
      this.timer = null
      fn()
    }, ms)
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }
}
