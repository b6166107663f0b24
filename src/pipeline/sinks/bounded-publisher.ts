import type { Aedes, PublishPacket } from 'aedes'

/** What outputs are published through: the embedded Aedes, or a client of an external broker. */
export type BrokerPublisher = Pick<Aedes, 'publish'>

/**
 * Outputs handed to the broker and not yet through it. Aedes' message emitter (mqemitter, 100 in
 * flight) queues the rest and, when a slot frees, works through its queue recursively; outputs
 * nobody subscribes to complete synchronously, so a long queue of them is one deep call chain.
 * Measured by `wardlab bench --rate max --qos 0 --compare pipeline=off,on`: 20,000 queued
 * outputs overflow the stack and kill the broker (mqemitter PR #204, aedes issue #193). Holding
 * the surplus here, and handing it over from a fresh turn of the event loop, bounds that chain.
 */
const MAX_IN_FLIGHT = 64

/** Publishes packets in order with at most MAX_IN_FLIGHT inside the broker; the rest wait here. */
export class BoundedPublisher {
  private readonly broker: BrokerPublisher
  private inFlight = 0
  private readonly waiting: PublishPacket[] = []
  private head = 0
  private pumping = false
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
      if (!this.pumping) {
        this.pumping = true
        setImmediate(() => this.pump())
      }
    } else if (this.inFlight === 0) {
      const waiters = this.idleWaiters
      this.idleWaiters = []
      for (const resolve of waiters) resolve()
    }
  }

  private pump(): void {
    this.pumping = false
    while (this.head < this.waiting.length && this.inFlight < MAX_IN_FLIGHT) this.send(this.waiting[this.head++]!)
    if (this.head === this.waiting.length) this.waiting.length = this.head = 0
  }
}
