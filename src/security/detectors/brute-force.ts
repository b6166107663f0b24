import { z } from 'zod'
import { defineDetector, durationMs, positiveCount, type Detector, type DetectorContext } from '../detector.ts'
import { LocalCounts, whenBothKnown } from '../shared-counts.ts'

/**
 * Refusals that mean a secret was guessed; a missing password is auth-bypass's. Guesses refused
 * unchecked once the address spent its failure budget (src/registry/login-budget.ts) are guesses too.
 */
const GUESSES = new Set(['unknown-user', 'wrong-password', 'too-many-failures'])

/** Its thresholds: the security configuration's `bruteForce`. */
export const bruteForceConfig = z
  .object({
    windowMs: durationMs.default(60_000),
    /**
     * 10 refused logins from one address in a minute. A person mistyping a password retries two or
     * three times. A client that keeps a wrong password and backs off fails fewer: Paho (1 s
     * doubling) 6 times in its first minute, a wardlab device (0.5 s doubling to 30 s,
     * src/simulation/backoff.ts) about 7, mosquitto_pub once (it exits on CONNACK 5). Only a fixed
     * retry loop faster than one failure every 6 s gets here — a guesser, or a client flapping on
     * mqtt.js's 1 s reconnectPeriod, which EMQX's flapping detection also bans (15 a minute).
     */
    perAddress: positiveCount.default(10),
    /** The same count against one username from any addresses: distributed password guessing. */
    perUsername: positiveCount.default(10),
  })
  .strict()

/**
 * Password guessing: refused logins (CONNACK 4) counted per address and per username in a sliding
 * window. One address trying many passwords is MQTTset's and MQTT-PWN's brute forcer; many
 * addresses trying one username is the distributed variant, which per-address counting misses.
 * In a cluster the counts are the cluster's (`counts` on Redis), so guesses spread over several
 * broker nodes add up.
 */
function bruteForceDetector({ config, memory, sharedCounts }: DetectorContext<z.output<typeof bruteForceConfig>>): Detector {
  const counts = sharedCounts ?? new LocalCounts(memory)
  const { windowMs, perAddress, perUsername } = config
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

export const bruteForce = defineDetector({ configKey: 'bruteForce', config: bruteForceConfig, create: bruteForceDetector })
