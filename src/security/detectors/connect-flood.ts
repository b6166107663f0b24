import type { SecurityConfig } from '../config.ts'
import type { Detector } from '../detector.ts'
import { KeyedTable, SlidingCount } from '../windows.ts'

interface Counter {
  lastSeen: number
  connections: SlidingCount
}

/**
 * New connections per address and in total, in a sliding window. Counted at accept rather than at
 * CONNECT, so a flood of TCP connections that never speak MQTT is seen too (what a broker's
 * listener-level `max_conn_rate` in EMQX or HiveMQ's connect overload protection limits).
 */
export function connectFloodDetector(config: SecurityConfig): Detector {
  const { windowMs, perAddress, total } = config.connectFlood
  const byAddress = new KeyedTable<Counter>(config.memory)
  const all = new SlidingCount(windowMs)
  return {
    name: 'connect-flood',
    signals: ['connection-opened'],
    onSignal(signal, now, report) {
      if (signal.type !== 'connection-opened') return
      const fromAddress = byAddress.touch(signal.address, now, (at) => ({ lastSeen: at, connections: new SlidingCount(windowMs) })).connections.add(now)
      const overall = all.add(now)
      if (fromAddress >= perAddress) {
        report({ type: 'connect-flood', severity: 'high', source: { clientId: signal.clientId, address: signal.address }, evidence: { connectionsFromAddress: Math.round(fromAddress), windowMs } })
      } else if (overall >= total) {
        report({ type: 'connect-flood', severity: 'high', source: { clientId: signal.clientId, address: signal.address }, evidence: { connectionsTotal: Math.round(overall), windowMs }, key: 'total' })
      }
    },
    sweep: (now) => byAddress.sweep(now),
  }
}
