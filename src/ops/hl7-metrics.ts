import { Gauge, type Registry } from 'prom-client'
import type { LinkState, LinkStats } from '../hl7/link-stats.ts'

const STATES: readonly LinkState[] = ['idle', 'connecting', 'connected', 'waiting', 'closed']

/**
 * Each `--hl7` link as Prometheus sees it: the accounting that must balance (generated =
 * acknowledged + dead-lettered + pending), the link's state, its queue and its ACK latency —
 * what an operator watches to know the integration engine is keeping up. Read at scrape time.
 */
export function registerHl7Metrics(registry: Registry, read: () => readonly LinkStats[]): void {
  new Gauge({
    name: 'wardlab_hl7_messages',
    help: 'HL7 messages per link: generated = acknowledged + dead_lettered + pending',
    labelNames: ['link', 'outcome'],
    registers: [registry],
    collect() {
      this.reset()
      for (const s of read()) {
        for (const [outcome, value] of [
          ['generated', s.generated],
          ['acknowledged', s.acknowledged],
          ['dead_lettered', s.deadLettered],
          ['pending', s.pending],
          ['retransmitted', s.retransmissions],
          ['nak', s.naks],
        ] as const)
          this.set({ link: s.url, outcome }, value)
      }
    },
  })
  new Gauge({
    name: 'wardlab_hl7_link_state',
    help: 'HL7 link state (1 for the current one)',
    labelNames: ['link', 'state'],
    registers: [registry],
    collect() {
      this.reset()
      for (const s of read()) for (const state of STATES) this.set({ link: s.url, state }, s.state === state ? 1 : 0)
    },
  })
  new Gauge({
    name: 'wardlab_hl7_queue_depth',
    help: 'HL7 messages waiting on a link (in flight included), their bytes, and those not yet in the --persistence folder (lost on a crash)',
    labelNames: ['link', 'unit'],
    registers: [registry],
    collect() {
      this.reset()
      for (const s of read()) {
        this.set({ link: s.url, unit: 'messages' }, s.pending)
        this.set({ link: s.url, unit: 'bytes' }, s.queueBytes)
        this.set({ link: s.url, unit: 'unstored_messages' }, s.unstored)
      }
    },
  })
  new Gauge({
    name: 'wardlab_hl7_ack_latency_seconds',
    help: 'HL7 ACK latency per link, from a transmission to its ACK',
    labelNames: ['link', 'quantile'],
    registers: [registry],
    collect() {
      this.reset()
      for (const s of read()) {
        for (const [quantile, ms] of [
          ['0.5', s.ackLatency.p50],
          ['0.9', s.ackLatency.p90],
          ['0.99', s.ackLatency.p99],
          ['1', s.ackLatency.max],
        ] as const)
          this.set({ link: s.url, quantile }, ms / 1000)
      }
    },
  })
}
