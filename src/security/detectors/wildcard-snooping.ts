import type { Detector } from '../detector.ts'

/**
 * A subscription the ACL refused: a device asking for `#`, another device's topics or `$SYS` —
 * what MQTT-PWN and MQTTSA do to enumerate a broker's topics.
 */
export const wildcardSnoopingDetector: Detector = {
  name: 'wildcard-snooping',
  onSignal(signal) {
    if (signal.type !== 'subscribe-denied') return []
    const identity = signal.identity
    return [
      {
        type: 'wildcard-snooping',
        severity: 'medium',
        source: {
          clientId: signal.clientId,
          address: signal.address,
          ...(identity.role === 'device' ? { deviceId: identity.name } : {}),
        },
        evidence: { filter: signal.filter, role: identity.role, reason: signal.reason },
        key: signal.clientId,
      },
    ]
  },
}
