import { z } from 'zod'
import { defineDetector, durationMs, positiveCount, type Detector, type DetectorContext } from '../detector.ts'
import { KeyedTable, SlidingCount } from '../windows.ts'

interface AddressState {
  lastSeen: number
  violations: SlidingCount
  oddities: SlidingCount
}

/** Its thresholds: the security configuration's `malformedPacket`. */
export const malformedPacketConfig = z
  .object({
    windowMs: durationMs.default(60_000),
    /** Parse errors and protocol violations: one is already a crafted or broken client. */
    violations: positiveCount.default(1),
    /**
     * Weak signs, counted per address: a keep-alive of 1–4 s and connections that never send
     * CONNECT (§3.1.0: it must be the first packet). One can be a glitch — a port scan, a
     * connection cut before its first segment — 5 in a minute is a probe.
     */
    oddities: positiveCount.default(5),
    /**
     * Keep-alives shorter than this (and not 0) are odd: mosquitto's clients refuse -k below 5
     * ("must be between 5 and 65535"), the libraries default to 60, and a device that pinged every
     * second or two would spend more on PINGREQs than on readings from a 1 Hz monitor.
     */
    minSaneKeepaliveSeconds: positiveCount.default(5),
  })
  .strict()

/**
 * Crafted or broken MQTT, per address: bytes mqtt-packet cannot parse and protocol violations
 * (PUBLISH before CONNECT, a second CONNECT, wildcards in a PUBLISH topic) count at once; weaker
 * signs — a keep-alive of a few seconds, connections that close without ever sending CONNECT —
 * count only when they repeat, as MQTTSA's malformed-data probe and port scans make them repeat.
 */
function malformedPacketDetector({ config, memory }: DetectorContext<z.output<typeof malformedPacketConfig>>): Detector {
  const { windowMs, violations, oddities, minSaneKeepaliveSeconds } = config
  const addresses = new KeyedTable<AddressState>(memory)
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

export const malformedPacket = defineDetector({ configKey: 'malformedPacket', config: malformedPacketConfig, create: malformedPacketDetector })
