import { z } from 'zod'
import { defineDetector, durationMs, positiveCount, type Detector, type DetectorContext } from '../detector.ts'
import { KeyedTable } from '../windows.ts'

interface NewClient {
  lastSeen: number
  connectedAt: number
  /** The window in which this client was last counted as a distinct publisher. */
  countedIn: number
  /** Its messages in that window. */
  inWindow: number
}

/** At most this many source addresses are named in an alert's evidence. */
const ADDRESSES_SHOWN = 10

/** Its thresholds: the security configuration's `distributedFlood`. */
export const distributedFloodConfig = z
  .object({
    /** A client counts as new for its first minute: one keep-alive period of mqtt.js, Paho and mosquitto (60 s). */
    newClientMs: durationMs.default(60_000),
    /** Tumbling windows of 2 s: long enough to even out TCP batching (a second's messages in one chunk), short enough to name a flood in seconds. */
    windowMs: durationMs.default(2000),
    /**
     * 200 messages/s from new non-device clients together: ten of them each at the per-client
     * ceiling (unregisteredRate). A ward's non-device clients are a handful of stations and
     * tools, which do not come up together in one minute and publish at their ceiling.
     */
    aggregateRate: z.number().positive().default(200),
    /**
     * From at least 3 clients, or it is one client's flood (the per-client detector's). Two can be
     * one client and its own reconnect taking over the session (MQTT 3.1.1 §3.1.4-2) for a moment.
     */
    minClients: positiveCount.default(3),
  })
  .strict()

/**
 * A distributed publish flood (mqtt-malaria, CICIoMT2024 DDoS-Publish): many freshly connected
 * clients, each perhaps under its own limit, together publishing far above normal. Counted in
 * tumbling windows over clients that are not devices and connected less than `newClientMs` ago —
 * a device is held to its own profile by the per-client detector, and a ward powering up is made
 * of devices.
 */
function distributedFloodDetector({ config, memory }: DetectorContext<z.output<typeof distributedFloodConfig>>): Detector {
  const { newClientMs, windowMs, aggregateRate, minClients } = config
  const threshold = (aggregateRate * windowMs) / 1000
  const clients = new KeyedTable<NewClient>(memory)
  let windowStart = -Infinity
  let windowIndex = 0
  let messages = 0
  let distinct = 0
  let addresses = new Set<string>()

  return {
    name: 'publish-flood (distributed)',
    signals: ['connected', 'publish'],
    onSignal(signal, now, report) {
      if (signal.type === 'connected') {
        if (signal.identity?.role !== 'device')
          clients.touch(signal.clientId, now, (at) => ({ lastSeen: at, connectedAt: at, countedIn: -1, inWindow: 0 })).connectedAt = now
        return
      }
      if (signal.type !== 'publish' || signal.identity?.role === 'device') return
      const client = clients.get(signal.clientId)
      if (!client || now - client.connectedAt > newClientMs) return
      client.lastSeen = now
      if (now - windowStart >= windowMs) {
        windowStart = now
        windowIndex++
        messages = 0
        distinct = 0
        addresses = new Set()
      }
      messages++
      if (client.countedIn !== windowIndex) {
        client.countedIn = windowIndex
        client.inWindow = 0
        distinct++
        if (addresses.size < ADDRESSES_SHOWN) addresses.add(signal.address)
      }
      client.inWindow++
      if (messages < threshold || distinct < minClients) return
      // A new client publishing at a device's pace among the bots (a sensor that came up in the same
      // minute) is counted in the aggregate but not named in the flood: a bot carries at least half
      // the window's mean share per client, by what makes the flood a flood.
      if (client.inWindow * 2 < messages / distinct) return
      // One source address for all of them keys the incident by it; many make it one incident.
      const single = addresses.size === 1
      report({
        type: 'publish-flood',
        severity: 'high',
        source: { clientId: signal.clientId, address: single ? signal.address : 'distributed' },
        evidence: { distributed: true, messagesInWindow: messages, windowMs, newClients: distinct, addresses: [...addresses] },
        key: single ? `distributed:${signal.address}` : 'distributed',
      })
    },
    sweep: (now) => clients.sweep(now),
  }
}

export const distributedFlood = defineDetector({ configKey: 'distributedFlood', config: distributedFloodConfig, create: distributedFloodDetector })
