import { defineDetector, type Detector } from '../detector.ts'

/**
 * Every refused login is reported (low severity): one wrong password is a typo, but an operator
 * should still see it, and the open alert's count shows when typos turn into guessing (which the
 * brute-force detector then names).
 */
const authFailureDetector: Detector = {
  name: 'auth-failure',
  signals: ['auth-failed'],
  onSignal(signal, _now, report) {
    if (signal.type !== 'auth-failed' || signal.reason === 'missing-password' || signal.reason === 'anonymous-refused') return
    report({
      type: 'auth-failure',
      severity: 'low',
      source: { clientId: signal.clientId, address: signal.address, ...(signal.username ? { username: signal.username } : {}) },
      evidence: { reason: signal.reason, username: signal.username ?? null },
    })
  },
}

/** Stateless: one shared instance. */
export const authFailure = defineDetector({ create: () => authFailureDetector })
