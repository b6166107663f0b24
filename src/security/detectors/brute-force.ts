import type { SecurityConfig } from '../config.ts'
import type { Detector } from '../detector.ts'
import { LocalCounts, whenBothKnown, type WindowCounts } from '../shared-counts.ts'

/**
 * Refusals that mean a secret was guessed; a missing password is auth-bypass's. Guesses refused
 * unchecked once the address spent its failure budget (src/registry/login-budget.ts) are guesses too.
 */
const GUESSES = new Set(['unknown-user', 'wrong-password', 'too-many-failures'])

/**
 * Password guessing: refused logins (CONNACK 4) counted per address and per username in a sliding
 * window. One address trying many passwords is MQTTset's and MQTT-PWN's brute forcer; many
 * addresses trying one username is the distributed variant, which per-address counting misses.
 * In a cluster the counts are the cluster's (`counts` on Redis), so guesses spread over several
 * broker nodes add up.
 */
export function bruteForceDetector(config: SecurityConfig, counts: WindowCounts = new LocalCounts(config.memory)): Detector {
  const { windowMs, perAddress, perUsername } = config.bruteForce
  return {
    name: 'brute-force',
    signals: ['auth-failed'],
    onSignal(signal, now, report) {
      if (signal.type !== 'auth-failed' || !GUESSES.has(signal.reason)) return
      const username = signal.username ?? ''
      const source = { clientId: signal.clientId, address: signal.address, ...(username ? { username } : {}) }
      const fromAddress = counts.add(`brute-force:address:${signal.address}`, windowMs, now)
      const againstUser = counts.add(`brute-force:username:${username}`, windowMs, now)
      whenBothKnown(fromAddress, againstUser, (byAddress, byUsername) => {
        if (byAddress >= perAddress) {
          report({
            type: 'brute-force',
            severity: 'high',
            source,
            evidence: { failuresFromAddress: Math.round(byAddress), windowMs, lastUsername: username || null, reason: signal.reason },
            connectionId: signal.connectionId,
          })
        } else if (byUsername >= perUsername) {
          report({
            type: 'brute-force',
            severity: 'high',
            source,
            evidence: { failuresAgainstUsername: Math.round(byUsername), windowMs, username },
            key: `username:${username}`,
            connectionId: signal.connectionId,
          })
        }
      })
    },
    sweep: (now) => counts.sweep(now),
  }
}
