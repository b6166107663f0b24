import type { KeyValueOp, KeyValueStore } from '../util/key-value-store.ts'
import type { Logger } from '../util/log.ts'

/** What a link's account must carry over a restart so that generated = acknowledged + dead-lettered + pending still holds. */
export interface DurableCounters {
  generated: number
  acknowledged: number
  deadLettered: number
  /** MSH-13 of the next message: a restart continues the sequence instead of reusing numbers. */
  nextSequence: number
}

/** A message stored until it is acknowledged or dead-lettered. */
export interface StoredMessage {
  sequenceNumber: number
  controlId: string
  text: string
}

export interface RestoredLink {
  counters: DurableCounters | null
  /** In sequence order. */
  pending: StoredMessage[]
}

/**
 * One link's store-and-forward backlog on disk (`--persistence`): write-ahead, so a message is
 * stored before it is first sent, and the account is stored in the same atomic batch as the
 * change it counts. Batches are written one after the other, each holding every change made
 * while the one before was being written, so what a crash leaves is always a prefix of the
 * link's history: never an acknowledgement without its message, never counters that disagree
 * with the stored messages.
 *
 * Keys: `<url>|c` for the counters, `<url>|m|<sequence, 15 digits>` per message (so key order is
 * sequence order).
 */
export class LinkJournal {
  private pending: KeyValueOp[] = []
  private afterWrite: (() => void)[] = []
  private writing: Promise<void> | null = null

  private constructor(
    private readonly store: KeyValueStore,
    private readonly url: string,
    private readonly log: Logger,
  ) {}

  /** Opens the link's journal and reads what the last run left. */
  static async open(store: KeyValueStore, url: string, log: Logger): Promise<{ journal: LinkJournal; restored: RestoredLink }> {
    const journal = new LinkJournal(store, url, log)
    let counters: DurableCounters | null = null
    const pending: StoredMessage[] = []
    for (const [key, value] of await store.list(`${url}|`)) {
      if (key === journal.countersKey) counters = JSON.parse(value) as DurableCounters
      else pending.push(JSON.parse(value) as StoredMessage)
    }
    return { journal, restored: { counters, pending } }
  }

  private get countersKey(): string {
    return `${this.url}|c`
  }

  private messageKey(sequenceNumber: number): string {
    return `${this.url}|m|${String(sequenceNumber).padStart(15, '0')}`
  }

  /** A new message and the account that counts it; `stored` runs once both are on disk. */
  added(message: StoredMessage, counters: DurableCounters, stored: () => void): void {
    this.enqueue({ type: 'put', key: this.messageKey(message.sequenceNumber), value: JSON.stringify(message) }, counters, stored)
  }

  /** A message acknowledged or dead-lettered, and the account that counts it. */
  removed(sequenceNumber: number, counters: DurableCounters): void {
    this.enqueue({ type: 'del', key: this.messageKey(sequenceNumber) }, counters)
  }

  /** Resolves once every change made so far is written. */
  async flushed(): Promise<void> {
    while (this.writing) await this.writing
  }

  private enqueue(op: KeyValueOp, counters: DurableCounters, done?: () => void): void {
    // Only the latest account matters: it replaces the one already waiting in this batch.
    const last = this.pending.at(-1)
    if (last?.type === 'put' && last.key === this.countersKey) this.pending.pop()
    this.pending.push(op, { type: 'put', key: this.countersKey, value: JSON.stringify(counters) })
    if (done) this.afterWrite.push(done)
    if (!this.writing) this.writing = this.writeLoop()
  }

  private async writeLoop(): Promise<void> {
    while (this.pending.length > 0) {
      const ops = this.pending
      const done = this.afterWrite
      this.pending = []
      this.afterWrite = []
      try {
        await this.store.batch(ops)
      } catch (error) {
        // The messages stay queued in memory and are still sent; only their survival of a crash is lost.
        this.log.error({ err: error, link: this.url }, 'HL7 link: could not store the backlog in the persistence folder')
      }
      for (const fn of done) fn()
    }
    this.writing = null
  }
}
