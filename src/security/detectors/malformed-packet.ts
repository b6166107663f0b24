import type { SecurityConfig } from '../config.ts'
import type { Detector } from '../detector.ts'
import { KeyedTable, SlidingCount } from '../windows.ts'

interface AddressState {
  lastSeen: number
  violations: SlidingCount
  oddities: SlidingCount
}

/**
 * Crafted or broken MQTT, per address: bytes mqtt-packet cannot parse and protocol violations
 * (PUBLISH before CONNECT, a second CONNECT, wildcards in a PUBLISH topic) count at once; weaker
 * signs — a keep-alive of a few seconds, connections that close without ever sending CONNECT —
 * count only when they repeat, as MQTTSA's malformed-data probe and port scans make them repeat.
 */
export function malformedPacketDetector(config: SecurityConfig): Detector {
  const { windowMs, violations, oddities, minSaneKeepaliveSeconds } = config.malformedPacket
  const addresses = new KeyedTable<AddressState>(config.memory)
  const stateOf = (address: string, now: number) =>
    addresses.touch(address, now, (at) => ({ lastSeen: at, violations: new SlidingCount(windowMs), oddities: new SlidingCount(windowMs) }))

  return {
    name: 'malformed-packet',
    signals: ['protocol-error', 'connect-attempt', 'connection-closed'],
    onSignal(signal, now, report) {
      const source = { clientId: signal.clientId, address: signal.address }
      if (signal.type === 'protocol-error') {
        if (signal.kind === 'connect-timeout') return
        const count = stateOf(signal.address, now).violations.add(now)
        if (count >= violations)
          report({
            type: 'malformed-packet',
            severity: 'medium',
            source,
            evidence: { kind: signal.kind, error: signal.error, beforeConnect: signal.beforeConnect, inWindow: Math.round(count), windowMs },
          })
        return
      }
      let oddity: Record<string, unknown>
      if (signal.type === 'connect-attempt') {
        if (signal.keepaliveSeconds === 0 || signal.keepaliveSeconds >= minSaneKeepaliveSeconds) return
        oddity = { oddity: 'keepalive', keepaliveSeconds: signal.keepaliveSeconds }
      } else if (signal.type === 'connection-closed') {
        if (signal.sentConnect) return
        oddity = { oddity: 'no-connect', openMs: Math.round(signal.openMs) }
      } else return
      const count = stateOf(signal.address, now).oddities.add(now)
      if (count >= oddities) report({ type: 'malformed-packet', severity: 'low', source, evidence: { ...oddity, inWindow: Math.round(count), windowMs } })
    },
    sweep: (now) => addresses.sweep(now),
  }
}
