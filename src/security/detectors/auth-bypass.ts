import { defineDetector, type Detector } from '../detector.ts'

/**
 * Attempts to get in without proving an identity: a username with no password (a classic probe
 * for brokers that check only the name), anonymous connects where anonymity is not allowed, or an
 * anonymous client borrowing a registered device's client id.
 */
const authBypassDetector: Detector = {
  name: 'auth-bypass',
  signals: ['auth-failed'],
  onSignal(signal, _now, report) {
    if (signal.type !== 'auth-failed') return
    const bypassing =
      signal.reason === 'missing-password' || signal.reason === 'anonymous-refused' || (signal.reason === 'identity-mismatch' && signal.claimsDevice)
    if (!bypassing) return
    report({
      type: 'auth-bypass',
      severity: signal.claimsDevice ? 'high' : 'medium',
      source: { clientId: signal.clientId, address: signal.address, ...(signal.username ? { username: signal.username } : {}) },
      evidence: { reason: signal.reason, username: signal.username ?? null, claimsDevice: signal.claimsDevice },
    })
  },
}

/** Stateless: one shared instance. */
export const authBypass = defineDetector({ create: () => authBypassDetector })
