import { BoundedPublisher, type BrokerPublisher } from './bounded-publisher.ts'
import { serialize } from './serialize.ts'
import { z } from 'zod'
import type { Sink, SinkType } from './sink.ts'

/**
 * Republishes on the broker, as the broker itself (no client), so the ACL's "outputs are written
 * by the broker only" holds and subscribers can trust `alerts/`, `fhir/`, `ops/`. QoS 1: an alert
 * or an Observation is worth a retry to a subscriber that asked for it. Outputs keep their order.
 * An output on a topic no session subscribes to (and not retained) is not taken: the route stage
 * then builds nothing for it. Files keep every output whatever the broker's subscribers.
 */
export function brokerSink(name: string, broker: BrokerPublisher, options: { qos?: 0 | 1; retain?: boolean } = {}): Sink {
  const publisher = new BoundedPublisher(broker)
  let written = 0
  return {
    name,
    get written() {
      return written
    },
    // Retained outputs always go: the broker keeps them for whoever subscribes later (MQTT 3.1.1 §3.3.1.3).
    takes: (topic) => options.retain === true || topic === undefined || broker.hasSubscribers?.(topic) !== false,
    write(topic, body) {
      if (!topic) throw new Error(`sink ${name} needs a topic on every route that targets it`)
      written++
      // The text itself: MQTT packets take string payloads (mqtt-packet encodes them as it writes), so
      // an output nobody subscribes to is never encoded, and a pipeline worker encodes a batch's at once.
      publisher.publish({ cmd: 'publish', topic, payload: serialize(body), qos: options.qos ?? 1, retain: options.retain ?? false, dup: false })
    },
    flush: () => publisher.idle(),
    close: () => publisher.idle(),
  }
}

const brokerOptions = {
  qos: z.union([z.literal(0), z.literal(1)]).default(1),
  // retain: the topic then holds the latest value for whoever subscribes later (MQTT 3.1.1 §3.3.1.3).
  retain: z.boolean().default(false),
}

export const broker: SinkType<typeof brokerOptions> = {
  type: 'broker',
  options: brokerOptions,
  create: (name, options, context) => brokerSink(name, context.broker, options),
  needsTopic: () => 'publishes',
}
