import { BoundedPublisher, type BrokerPublisher } from './bounded-publisher.ts'
import { serialize } from './serialize.ts'
import type { Sink } from './sink.ts'

/**
 * Republishes on the broker, as the broker itself (no client), so the ACL's "outputs are written
 * by the broker only" holds and subscribers can trust `alerts/`, `fhir/`, `ops/`. QoS 1: an alert
 * or an Observation is worth a retry to a subscriber that asked for it. Outputs keep their order.
 */
export function brokerSink(name: string, broker: BrokerPublisher, options: { qos?: 0 | 1; retain?: boolean } = {}): Sink {
  const publisher = new BoundedPublisher(broker)
  let written = 0
  return {
    name,
    get written() {
      return written
    },
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
