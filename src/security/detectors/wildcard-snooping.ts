import { incidentKey, sourceOf } from '../alert-source.ts'
import { defineDetector, type Detector } from '../detector.ts'

/**
 * A subscription the ACL refused: a device asking for `#` or another device's topics, anyone but
 * an admin asking for `$SYS` — what MQTT-PWN and MQTTSA do to enumerate a broker's topics.
 * Observers may read the ward by design, so their `#` is not snooping.
 */
const wildcardSnoopingDetector: Detector = {
  name: 'wildcard-snooping',
  signals: ['subscribe-denied'],
  onSignal(signal, _now, report) {
    if (signal.type !== 'subscribe-denied') return
    const identity = signal.identity
    report({
      type: 'wildcard-snooping',
      severity: 'medium',
      source: sourceOf(signal.clientId, signal.address, identity),
      evidence: { filter: signal.filter, role: identity.role, reason: signal.reason },
      key: incidentKey(signal.address, signal.identity),
    })
  },
}

/** Stateless: one shared instance. */
export const wildcardSnooping = defineDetector({ create: () => wildcardSnoopingDetector })
