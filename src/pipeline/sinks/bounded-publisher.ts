import type { Aedes, PublishPacket } from 'aedes'

/**
 * What outputs are published through: the embedded Aedes, or a client of an external broker.
 * `hasSubscribers`, where the publisher knows every session's subscriptions, says whether any
 * can receive a topic now; absent, every output is published.
 */
export type BrokerPublisher = Pick<Aedes, 'publish'> & { hasSubscribers?(topic: string): boolean }

/**
 * Outputs handed to the broker and not yet through it. Aedes' message emitter (mqemitter) with a
 * concurrency cap queues the rest and, when a slot frees, works through its queue recursively;
 * outputs nobody subscribes to complete synchronously, so a long queue of them is one deep call
 * chain. Measured by `wardlab bench --rate max --qos 0 --compare pipeline=off,on`: 20,000 queued
 * outputs overflow the stack and kill the broker (mqemitter PR #204, aedes issue #193); with
 * Aedes' default cap of 100, 4,096 of ours still do (test/bench-pipeline-load.test.ts), 1,024 do
 * not. wardlab's brokers run the emitter uncapped, but the sink must not depend on it.
 */
const MAX_IN_FLIGHT = 1024
/**
 * Slots that free up are refilled as soon as the call stack is empty (a microtask), not on the
 * next turn of the event loop — at 15,000 devices a turn-bound refill left outputs queueing for
 * seconds and, through back-pressure, held the devices back (BENCHMARKS.md (b)) — but at most this
 * many packets before socket I/O gets its turn.
 */
const REFILLS_PER_TURN = 4096

/** Publishes packets in order with at most MAX_IN_FLIGHT inside the broker; the rest wait here. */
export class BoundedPublisher {
  private readonly broker: BrokerPublisher
  private inFlight = 0
  private readonly waiting: PublishPacket[] = []
  private head = 0
  private pumping = false
  private refilling = false
  private refills = 0
  private idleWaiters: (() => void)[] = []
  private readonly done = () => this.completed()

  constructor(broker: BrokerPublisher) {
    this.broker = broker
  }

  /** Packets handed over and not yet through the broker. */
  get pending(): number {
    return this.inFlight + this.waiting.length - this.head
  }

  publish(packet: PublishPacket): void {
    if (this.inFlight < MAX_IN_FLIGHT && this.head === this.waiting.length) this.send(packet)
    else this.waiting.push(packet)
  }

  /** Resolves once every packet handed over has been through the broker. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  private send(packet: PublishPacket): void {
    this.inFlight++
    this.broker.publish(packet, this.done)
  }

  private completed(): void {
    this.inFlight--
    if (this.head < this.waiting.length) {
      // Never from inside the completion: it may be deep in the emitter's own recursion.
      if (this.refills < REFILLS_PER_TURN) {
        if (!this.refilling) {
          this.refilling = true
          queueMicrotask(() => this.refill())
        }
      } else if (!this.pumping) {
        this.pumping = true
        setImmediate(() => this.pump())
      }
    } else if (this.inFlight === 0) {
      const waiters = this.idleWaiters
      this.idleWaiters = []
      for (const resolve of waiters) resolve()
    }
  }

  private next(): PublishPacket {
    const packet = this.waiting[this.head++]!
    if (this.head === this.waiting.length) this.waiting.length = this.head = 0
    return packet
  }

  private refill(): void {
    this.refilling = false
    while (this.head < this.waiting.length && this.inFlight < MAX_IN_FLIGHT && this.refills < REFILLS_PER_TURN) {
      this.refills++
      this.send(this.next())
    }
    if (this.head < this.waiting.length && this.refills >= REFILLS_PER_TURN && !this.pumping) {
      this.pumping = true
      setImmediate(() => this.pump())
    }
  }

  private pump(): void {
    this.pumping = false
    this.refills = 0
    while (this.head < this.waiting.length && this.inFlight < MAX_IN_FLIGHT) this.send(this.next())
  }
}
