import { sourceOf } from '../alert-source.ts'
import { defineDetector, type Detector } from '../detector.ts'

/**
 * A CONNECT with the client id of a live session, from another address or as another identity:
 * Aedes (like every MQTT 3.1.1 broker, §3.1.4-2) closes the older session, so whoever holds a
 * device's id can knock it off the ward and speak in its name. The same identity reconnecting from
 * the same address is a device whose old connection the broker had not yet seen die. A client id that
 * belongs to another identity is refused outright (src/broker/client-id-owners.ts): still reported.
 */
const clientTakeoverDetector: Detector = {
  name: 'client-takeover',
  signals: ['session-takeover'],
  onSignal(signal, _now, report) {
    if (signal.type !== 'session-takeover') return
    const identityName = signal.identity?.name
    const otherIdentity = identityName !== signal.previous.identityName
    const otherAddress = signal.address !== signal.previous.address
    if (!otherIdentity && !otherAddress) return
    report({
      type: 'client-takeover',
      severity: otherIdentity ? 'critical' : 'high',
      source: sourceOf(signal.clientId, signal.address, signal.identity),
      evidence: {
        previousAddress: signal.previous.address,
        previousIdentity: signal.previous.identityName ?? null,
        identity: identityName ?? null,
        previousSessionMs: Math.round(signal.previous.connectedForMs),
        refused: signal.refused === true,
      },
      key: signal.clientId,
    })
  },
}

/** Stateless: one shared instance. */
export const clientTakeover = defineDetector({ create: () => clientTakeoverDetector })
