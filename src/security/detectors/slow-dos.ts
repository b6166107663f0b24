import { z } from 'zod'
import { defineDetector, durationMs, positiveCount, type Detector, type DetectorContext } from '../detector.ts'
import { KeyedTable, SlidingCount } from '../windows.ts'

interface Connection {
  address: string
  extreme: boolean
  pingOnly: boolean
  active: boolean
}

interface AddressState {
  lastSeen: number
  /** Open connections that asked for an extreme keep-alive (or none). */
  extreme: number
  /** Open connections that have sent PINGREQ and nothing else since CONNECT. */
  pingOnly: number
  /** Refusals of keep-alives over the broker's limit. */
  refusals: SlidingCount
}

/** Its thresholds: the security configuration's `slowDos`. */
export const slowDosConfig = z
  .object({
    /**
     * A keep-alive this long (or 0, none at all) is extreme. Client libraries default to 60 s
     * (mqtt.js, Paho, mosquitto_pub -k); AWS IoT Core accepts at most 1,200 s, and so does the strict
     * profile (Aedes keepaliveLimit), so in the lab profile it is what gets counted. A connection
     * that may stay silent for 20 minutes (§3.1.2.10 lets the broker wait 1.5× that) holds a socket
     * for nothing; the protocol's maximum is 65,535 s.
     */
    extremeKeepaliveSeconds: positiveCount.default(1200),
    /**
     * Open connections from one address with an extreme keep-alive, or sending nothing but PINGREQ:
     * 20. A device holds one connection (a hospital-at-home kit is one client behind its home
     * router), so 20 long-lived silent ones from an address are not a home or a bed space.
     */
    perAddress: positiveCount.default(20),
    /**
     * Refusals of a keep-alive over the broker's limit (strict profile) from one address in the
     * window: 5. A person who set a long keep-alive and sees it refused fixes it after one or two
     * tries. A library retrying with the same bad value (Paho, 1 s doubling: 5 in 15 s) will never
     * get in, and the alert is how an operator hears of it — an over-long keep-alive is what slow DoS uses.
     */
    refusalsPerWindow: positiveCount.default(5),
    windowMs: durationMs.default(60_000),
  })
  .strict()

/**
 * Slow DoS (SlowITe, SlowTT): one address holding many connections open at little cost — each
 * asking for a keep-alive near 65,535 s (or none), or doing nothing but PINGREQ — until the broker
 * runs out of sockets. Counts are of connections open now, per address; where the broker enforces
 * a keep-alive limit (strict profile), repeated refusals of over-long keep-alives are reported too.
 */
function slowDosDetector({ config, memory }: DetectorContext<z.output<typeof slowDosConfig>>): Detector {
  const { extremeKeepaliveSeconds, perAddress, refusalsPerWindow, windowMs } = config
  const connections = new Map<number, Connection>()
  const addresses = new KeyedTable<AddressState>(memory)
  const stateOf = (address: string, now: number) =>
    addresses.touch(address, now, (at) => ({ lastSeen: at, extreme: 0, pingOnly: 0, refusals: new SlidingCount(windowMs) }))

  return {
    name: 'slow-dos',
    signals: ['connect-attempt', 'ping', 'publish', 'subscribed', 'connection-closed', 'connect-refused'],
    onSignal(signal, now, report) {
      switch (signal.type) {
        case 'connect-attempt': {
          const extreme = signal.keepaliveSeconds === 0 || signal.keepaliveSeconds >= extremeKeepaliveSeconds
          connections.set(signal.connectionId, { address: signal.address, extreme, pingOnly: false, active: false })
          if (!extreme) return
          const state = stateOf(signal.address, now)
          if (++state.extreme >= perAddress) {
            report({
              type: 'slow-dos',
              severity: 'high',
              source: sourceOf(signal),
              evidence: { openWithExtremeKeepalive: state.extreme, keepaliveSeconds: signal.keepaliveSeconds, limitSeconds: extremeKeepaliveSeconds },
            })
          }
          return
        }
        case 'ping': {
          const connection = connections.get(signal.connectionId)
          if (!connection || connection.active || connection.pingOnly) return
          connection.pingOnly = true
          const state = stateOf(signal.address, now)
          if (++state.pingOnly >= perAddress)
            report({ type: 'slow-dos', severity: 'high', source: sourceOf(signal), evidence: { openPingOnly: state.pingOnly } })
          return
        }
        case 'publish':
        case 'subscribed': {
          const connection = connections.get(signal.connectionId)
          if (!connection || connection.active) return
          connection.active = true
          if (connection.pingOnly) {
            connection.pingOnly = false
            stateOf(connection.address, now).pingOnly--
          }
          return
        }
        case 'connection-closed': {
          const connection = connections.get(signal.connectionId)
          if (!connection) return
          connections.delete(signal.connectionId)
          const state = addresses.get(connection.address)
          if (!state) return
          if (connection.extreme) state.extreme--
          if (connection.pingOnly) state.pingOnly--
          return
        }
        case 'connect-refused': {
          // The preConnect hook's refusal of a 3.1.1 keep-alive over the strict profile's limit.
          if (signal.reason !== 'keepalive-limit') return
          const refusals = stateOf(signal.address, now).refusals.add(now)
          if (refusals >= refusalsPerWindow)
            report({ type: 'slow-dos', severity: 'medium', source: sourceOf(signal), evidence: { keepaliveRefusals: Math.round(refusals), windowMs } })
          return
        }
      }
    },
    // A slow-DoS address is quiet by design: it stays while it holds connections open.
    sweep: (now) => addresses.sweep(now, (state) => state.extreme > 0 || state.pingOnly > 0),
  }
}

/** Who a finding is about; made only when there is one, as the detector sees every PUBLISH of every client. */
function sourceOf(signal: { clientId: string; address: string }): { clientId: string; address: string } {
  return { clientId: signal.clientId, address: signal.address }
}

export const slowDos = defineDetector({ configKey: 'slowDos', config: slowDosConfig, create: slowDosDetector })
