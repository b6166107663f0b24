import type { SecurityConfig } from '../config.ts'
import type { Detector } from '../detector.ts'
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

/**
 * Slow DoS (SlowITe, SlowTT): one address holding many connections open at little cost — each
 * asking for a keep-alive near 65,535 s (or none), or doing nothing but PINGREQ — until the broker
 * runs out of sockets. Counts are of connections open now, per address; where the broker enforces
 * a keep-alive limit (strict profile), repeated refusals of over-long keep-alives are reported too.
 */
export function slowDosDetector(config: SecurityConfig): Detector {
  const { extremeKeepaliveSeconds, perAddress, refusalsPerWindow, windowMs } = config.slowDos
  const connections = new Map<number, Connection>()
  const addresses = new KeyedTable<AddressState>(config.memory)
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
