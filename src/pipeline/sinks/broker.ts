import type { Aedes, PublishPacket } from 'aedes'
import { serialize } from './serialize.ts'
import type { Sink } from './sink.ts'

/**
 * Outputs handed to the broker and not yet through it. Aedes' message emitter (mqemitter, 100 in
 * flight) queues the rest and, when a slot frees, works through its queue recursively; outputs
 * nobody subscribes to complete synchronously, so a long queue of them is one deep call chain.
 * Measured by `wardlab bench --rate max --qos 0 --compare pipeline=off,on`: 20,000 queued
 * outputs overflow the stack and kill the broker (mqemitter PR #204, aedes issue #193). Holding
 * the surplus here, and handing it over from a fresh turn of the event loop, bounds that chain.
 */
const MAX_IN_FLIGHT = 64

/**
 * Republishes on the broker, as the broker itself (no client), so the ACL's "outputs are written
 * by the broker only" holds and subscribers can trust `alerts/`, `fhir/`, `ops/`. QoS 1: an alert
 * or an Observation is worth a retry to a subscriber that asked for it. Outputs keep their order.
 */
/** What the sink publishes through: the embedded Aedes, or a client of an external broker. */
export type BrokerPublisher = Pick<Aedes, 'publish'>

export function brokerSink(name: string, broker: BrokerPublisher, options: { qos?: 0 | 1; retain?: boolean } = {}): Sink {
  let written = 0
  let inFlight = 0
  const backlog: PublishPacket[] = []
  let backlogHead = 0
  let pumping = false
  let idle: (() => void) | null = null
  const publish = (packet: PublishPacket) => {
    inFlight++
    broker.publish(packet, done)
  }
  const pump = () => {
    pumping = false
    while (backlogHead < backlog.length && inFlight < MAX_IN_FLIGHT) publish(backlog[backlogHead++]!)
    if (backlogHead === backlog.length) backlog.length = backlogHead = 0
  }
  function done() {
    inFlight--
    if (backlogHead < backlog.length) {
      if (!pumping) {
        pumping = true
        setImmediate(pump)
      }
    } else if (inFlight === 0 && idle) idle()
  }
  return {
    name,
    get written() {
      return written
    },
    write(topic, body) {
      if (!topic) throw new Error(`sink ${name} needs a topic on every route that targets it`)
      written++
      const packet: PublishPacket = { cmd: 'publish', topic, payload: Buffer.from(serialize(body)), qos: options.qos ?? 1, retain: options.retain ?? false, dup: false }
      if (inFlight < MAX_IN_FLIGHT && backlogHead === backlog.length) publish(packet)
      else backlog.push(packet)
    },
    flush: () =>
      new Promise<void>((resolve) => {
        if (inFlight === 0 && backlogHead === backlog.length) return resolve()
        idle = () => {
          idle = null
          resolve()
        }
      }),
    async close() {
      await this.flush()
    },
  }
}
