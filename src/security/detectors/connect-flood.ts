import { z } from 'zod'
import { defineDetector, durationMs, positiveCount, type Detector, type DetectorContext } from '../detector.ts'
import { LocalCounts, whenBothKnown } from '../shared-counts.ts'

/** Its thresholds: the security configuration's `connectFlood`. */
export const connectFloodConfig = z
  .object({
    windowMs: durationMs.default(10_000),
    /**
     * 50 new connections from one address in 10 s (5/s). A client opens a connection per session
     * and, once dropped, reconnects at most once a second with any stock library (mqtt.js
     * reconnectPeriod 1,000 durationMs, libmosquitto and Paho's first delay 1 s): five such clients behind
     * one NAT address, all flapping at once, stay under it. A connection per message (a
     * mosquitto_pub loop) at more than 5/s is not a client's behaviour but a flood's.
     */
    perAddress: positiveCount.default(50),
    /** 3,000 in 10 s in total: above the simulator's paced ward power-up (200 devices a second). */
    total: positiveCount.default(3000),
  })
  .strict()

/**
 * New connections per address and in total, in a sliding window. Counted at accept rather than at
 * CONNECT, so a flood of TCP connections that never speak MQTT is seen too (what a broker's
 * listener-level `max_conn_rate` in EMQX or HiveMQ's connect overload protection limits). In a
 * cluster the counts are the cluster's (`counts` on Redis): a flood spread over nodes adds up.
 */
function connectFloodDetector({ config, memory, sharedCounts }: DetectorContext<z.output<typeof connectFloodConfig>>): Detector {
  const counts = sharedCounts ?? new LocalCounts(memory)
  const { windowMs, perAddress, total } = config
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

export const connectFlood = defineDetector({ configKey: 'connectFlood', config: connectFloodConfig, create: connectFloodDetector })
