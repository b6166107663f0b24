import type { SecurityConfig } from '../config.ts'
import type { Detector } from '../detector.ts'
import { KeyedTable, SlidingCount } from '../windows.ts'

interface Counter {
  lastSeen: number
  failures: SlidingCount
}

/** Refusals that mean a wrong secret was tried; a missing password is auth-bypass's. */
const GUESSES = new Set(['unknown-user', 'wrong-password'])

/**
 * Password guessing: refused logins (CONNACK 4) counted per address and per username in a sliding
 * window. One address trying many passwords is MQTTset's and MQTT-PWN's brute forcer; many
 * addresses trying one username is the distributed variant, which per-address counting misses.
 */
export function bruteForceDetector(config: SecurityConfig): Detector {
  const { windowMs, perAddress, perUsername } = config.bruteForce
  const byAddress = new KeyedTable<Counter>(config.memory)
  const byUsername = new KeyedTable<Counter>(config.memory)
  const counter = (now: number): Counter => ({ lastSeen: now, failures: new SlidingCount(windowMs) })
  return {
    name: 'brute-force',
    signals: ['auth-failed'],
    onSignal(signal, now, report) {
      if (signal.type !== 'auth-failed' || !GUESSES.has(signal.reason)) return
      const fromAddress = byAddress.touch(signal.address, now, counter).failures.add(now)
      const username = signal.username ?? ''
      const againstUser = byUsername.touch(username, now, counter).failures.add(now)
      const source = { clientId: signal.clientId, address: signal.address, ...(username ? { username } : {}) }
      if (fromAddress >= perAddress) {
        report({ type: 'brute-force', severity: 'high', source, evidence: { failuresFromAddress: Math.round(fromAddress), windowMs, lastUsername: username || null, reason: signal.reason } })
      } else if (againstUser >= perUsername) {
        report({ type: 'brute-force', severity: 'high', source, evidence: { failuresAgainstUsername: Math.round(againstUser), windowMs, username }, key: `username:${username}` })
      }
    },
    sweep(now) {
      byAddress.sweep(now)
      byUsername.sweep(now)
    },
  }
}
