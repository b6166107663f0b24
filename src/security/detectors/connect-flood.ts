import type { SecurityConfig } from '../config.ts'
import type { Detector } from '../detector.ts'
import { LocalCounts, whenBothKnown, type WindowCounts } from '../shared-counts.ts'

/**
 * New connections per address and in total, in a sliding window. Counted at accept rather than at
 * CONNECT, so a flood of TCP connections that never speak MQTT is seen too (what a broker's
 * listener-level `max_conn_rate` in EMQX or HiveMQ's connect overload protection limits). In a
 * cluster the counts are the cluster's (`counts` on Redis): a flood spread over nodes adds up.
 */
export function connectFloodDetector(config: SecurityConfig, counts: WindowCounts = new LocalCounts(config.memory)): Detector {
  const { windowMs, perAddress, total } = config.connectFlood
  return {
    name: 'connect-flood',
    signals: ['connection-opened'],
    onSignal(signal, now, report) {
      if (signal.type !== 'connection-opened') return
      const source = { clientId: signal.clientId, address: signal.address }
      const fromAddress = counts.add(`connect-flood:address:${signal.address}`, windowMs, now)
      const overall = counts.add('connect-flood:total', windowMs, now)
      whenBothKnown(fromAddress, overall, (byAddress, all) => {
        if (byAddress >= perAddress) {
          report({
            type: 'connect-flood',
            severity: 'high',
            source,
            evidence: { connectionsFromAddress: Math.round(byAddress), windowMs },
            connectionId: signal.connectionId,
          })
        } else if (all >= total) {
          report({
            type: 'connect-flood',
            severity: 'high',
            source,
            evidence: { connectionsTotal: Math.round(all), windowMs },
            key: 'total',
            connectionId: signal.connectionId,
          })
        }
      })
    },
    sweep: (now) => counts.sweep(now),
  }
}
