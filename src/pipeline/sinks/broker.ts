import type { Aedes } from 'aedes'
import type { Sink } from './sink.ts'

/**
 * Republishes on the broker, as the broker itself (no client), so the ACL's "outputs are written
 * by the broker only" holds and subscribers can trust `alerts/`, `fhir/`, `ops/`. QoS 1: an alert
 * or an Observation is worth a retry to a subscriber that asked for it.
 */
export function brokerSink(name: string, broker: Aedes, options: { qos?: 0 | 1; retain?: boolean } = {}): Sink {
  let written = 0
  let inFlight = 0
  let idle: (() => void) | null = null
  const done = () => {
    inFlight--
    if (inFlight === 0 && idle) idle()
  }
  return {
    name,
    get written() {
      return written
    },
    write(topic, body) {
      if (!topic) throw new Error(`sink ${name} needs a topic on every route that targets it`)
      inFlight++
      written++
      broker.publish({ cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(body)), qos: options.qos ?? 1, retain: options.retain ?? false, dup: false }, done)
    },
    flush: () =>
      new Promise<void>((resolve) => {
        if (inFlight === 0) return resolve()
        idle = () => {
          idle = null
          resolve()
        }
      }),
    async close() {
      await this.flush()
    },
  }
}
