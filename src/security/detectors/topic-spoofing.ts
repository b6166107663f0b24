import { COMMAND_CHANNEL, parseDeviceTopic } from '../../contract/topics.ts'
import { incidentKey, sourceOf } from '../alert-source.ts'
import { defineDetector, type Detector } from '../detector.ts'

/**
 * A publish the ACL refused: someone writing where they have no right to. Aedes closes the
 * connection either way; the alert says who tried what. Retained publishes outside one's namespace
 * are their own class (`retained-poisoning`): they would outlive the attacker's connection. A
 * refused command to a device is `unauthorized-command` (its own detector), not spoofing.
 */
const topicSpoofingDetector: Detector = {
  name: 'topic-spoofing',
  signals: ['publish-denied'],
  onSignal(signal, _now, report) {
    if (signal.type !== 'publish-denied' || isDeviceCommand(signal.topic)) return
    const identity = signal.identity
    report({
      type: signal.retain ? 'retained-poisoning' : 'topic-spoofing',
      severity: 'high',
      source: sourceOf(signal.clientId, signal.address, identity),
      evidence: {
        topic: signal.topic,
        retain: signal.retain,
        role: identity.role,
        anonymous: identity.role !== 'device' && identity.anonymous,
        reason: signal.reason,
      },
      key: incidentKey(signal.address, signal.identity),
    })
  },
}

export function isDeviceCommand(topic: string): boolean {
  return parseDeviceTopic(topic)?.channel === COMMAND_CHANNEL
}

/** Stateless: one shared instance. */
export const topicSpoofing = defineDetector({ create: () => topicSpoofingDetector })
