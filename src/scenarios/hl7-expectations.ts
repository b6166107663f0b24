import type { LinkStats } from '../hl7/link-stats.ts'
import type { OrderOutcomeRecord } from './lab-handle.ts'
import type { Expectation } from './schema.ts'

type Spec<K extends string> = Extract<Expectation, Record<K, unknown>>[K]
type Judge<K extends string> = (
  spec: Spec<K>,
  facts: { hl7: { links: LinkStats[]; orders: readonly OrderOutcomeRecord[] } | null },
) => { name: string; passed: boolean; detail: string }

/**
 * HL7 expectations, judged on the links' own accounts at the end of the run (after the pipeline
 * drained and the links had time to empty their backlogs):
 * - `hl7Delivery`: every generated message acknowledged. A sequence number is only ever skipped
 *   for a dead-lettered message (the link keeps MSH-13 across retransmissions), so nothing
 *   dead-lettered and nothing pending is also "no sequence gap at the receiver".
 * - `hl7Order`: the `hl7-order` event with that id was accepted, or refused for the reason given.
 */
export const HL7_EVALUATORS: { hl7Delivery: Judge<'hl7Delivery'>; hl7Order: Judge<'hl7Order'> } = {
  hl7Delivery(spec, facts) {
    const name = `HL7 all acknowledged, no sequence gap${spec.ackP99MaxMs !== undefined ? `, ACK p99 ≤ ${spec.ackP99MaxMs} ms` : ''}`
    const links = facts.hl7?.links ?? []
    if (links.length === 0) return { name, passed: false, detail: 'the run had no HL7 link (--hl7)' }
    const problems = links
      .flatMap((l) => [
        l.acknowledged !== l.generated && `${l.url}: ${l.acknowledged} of ${l.generated} acknowledged (${l.deadLettered} dead-lettered, ${l.pending} pending)`,
        spec.ackP99MaxMs !== undefined && l.ackLatency.p99 > spec.ackP99MaxMs && `${l.url}: ACK p99 ${l.ackLatency.p99.toFixed(2)} ms`,
      ])
      .filter(Boolean)
    const detail = links
      .map(
        (l) =>
          `${l.url}: ${l.acknowledged}/${l.generated} acknowledged, ${l.retransmissions} retransmitted, ${l.connectFailures} failed connects, ACK p99 ${l.ackLatency.p99.toFixed(2)} ms`,
      )
      .join('; ')
    return { name, passed: problems.length === 0, detail: problems.length ? problems.join('; ') : detail }
  },
  hl7Order(spec, facts) {
    const name = `HL7 order ${spec.order} ${spec.accepted ? 'accepted' : `refused${spec.reason ? ` (${spec.reason})` : ''}`}`
    const outcome = facts.hl7?.orders.find((o) => o.controlId === spec.order)
    if (!outcome) return { name, passed: false, detail: 'no answer to the order was recorded' }
    const passed = outcome.accepted === spec.accepted && (!spec.reason || (outcome.reason ?? '').includes(spec.reason))
    return { name, passed, detail: outcome.accepted ? `accepted, ${outcome.pump} programmed` : `refused ${outcome.code ?? ''}: ${outcome.reason}` }
  },
}
