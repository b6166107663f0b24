import { illFormedString } from '../broker/hooks/conformance.ts'
import { MAX_PACKET_BYTES } from '../broker/packet-size-limit.ts'
import { splitMqttStream } from '../capture/mqtt-frames.ts'

/** MQTT 3.1.1 §4.7.3 wildcards, forbidden in a PUBLISH topic name (§3.3.2-2). */
const WILDCARD = /[+#]/

/**
 * The rule a client's byte stream breaks that obliges a broker to close the connection, or null
 * when the bytes may be (the start of) a lawful session. Decided by the replay framer
 * (src/capture/mqtt-frames.ts), not by the broker under test: the fuzz test holds the broker to
 * this verdict for every case.
 */
export function closingRule(bytes: Buffer, maxPacketBytes = MAX_PACKET_BYTES): string | null {
  let connected = false
  for (const frame of splitMqttStream(bytes)) {
    switch (frame.type) {
      case 'truncated':
        return frame.expectedLength !== null && frame.expectedLength - 5 > maxPacketBytes
          ? `a packet announcing ${frame.expectedLength} bytes, over the broker's ${maxPacketBytes}-byte limit`
          : null
      case 'malformed':
        return `not MQTT (§4.8): ${frame.reason}`
      case 'connect':
        if (connected) return 'a second CONNECT (§3.1.0-2)'
        connected = true
        continue
      default:
        if (!connected) return `${frame.type} before CONNECT (§3.1.0-1)`
    }
    // After DISCONNECT the server closes the connection anyway (§3.14.4); what follows is never read.
    if (frame.type === 'disconnect') return null
    if (frame.messageId === 0 && (frame.type === 'publish' || frame.type === 'subscribe' || frame.type === 'unsubscribe'))
      return `${frame.type} with packet identifier 0 (MQTT-2.3.1-1)`
    if ((frame.type === 'subscribe' || frame.type === 'unsubscribe') && frame.topicFilters?.length === 0)
      return `${frame.type} with no topic filter (MQTT-3.8.3-3, MQTT-3.10.3-2)`
    if (frame.type === 'publish') {
      const topic = frame.topic ?? ''
      if (topic === '' || WILDCARD.test(topic)) return 'an empty or wildcard PUBLISH topic (§4.7.3, §3.3.2-2)'
      const broken = illFormedString(topic)
      if (broken) return `PUBLISH topic ${broken}`
    }
    if (frame.type !== 'subscribe') continue
    for (const filter of frame.topicFilters ?? []) {
      const broken = illFormedString(filter)
      if (broken) return `topic filter ${broken}`
    }
  }
  return null
}
