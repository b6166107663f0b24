import type { Detector } from '../detector.ts'

/**
 * A publish the ACL refused: someone writing where they have no right to. Aedes closes the
 * connection either way; the alert says who tried what. Retained publishes outside one's namespace
 * are their own class (`retained-poisoning`): they would outlive the attacker's connection.
 */
export const topicSpoofingDetector: Detector = {
  name: 'topic-spoofing',
  onSignal(signal) {
    if (signal.type !== 'publish-denied') return []
    const identity = signal.identity
    return [
      {
        type: signal.retain ? 'retained-poisoning' : 'topic-spoofing',
        severity: 'high',
        source: {
          clientId: signal.clientId,
          address: signal.address,
          ...(identity.role === 'device' ? { deviceId: identity.name } : {}),
          ...(identity.role !== 'device' && identity.anonymous ? {} : { username: identity.name }),
        },
        evidence: { topic: signal.topic, retain: signal.retain, role: identity.role, anonymous: identity.role !== 'device' && identity.anonymous, reason: signal.reason },
        key: signal.clientId,
      },
    ]
  },
}
