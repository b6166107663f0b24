import type { PipelineCounters, PipelineObserver } from '../pipeline.ts'
import type { QuarantineReason } from '../../contract/device-message.ts'
import type { StatsDelta } from './protocol.ts'
import { joinPair, splitPair } from '../../util/pair-key.ts'

/** The worker's side: observes its pipeline and hands over what changed since the last batch. */
export class StatsCollector implements PipelineObserver {
  private quarantinedBy = new Map<QuarantineReason, number>()
  private suppressedBy = new Map<string, number>()
  private routedBy = new Map<string, number>()
  private stageTimings: StatsDelta['stageTimings'] = []
  private last: PipelineCounters = { received: 0, valid: 0, quarantined: 0, derived: 0, routed: 0 }

  stage(stage: string, outcome: 'pass' | 'reject', seconds: number): void {
    this.stageTimings.push([stage, outcome, seconds])
  }

  quarantined(reason: QuarantineReason): void {
    this.quarantinedBy.set(reason, (this.quarantinedBy.get(reason) ?? 0) + 1)
  }

  quarantineSuppressed(device: string): void {
    this.suppressedBy.set(device, (this.suppressedBy.get(device) ?? 0) + 1)
  }

  routed(route: string, sink: string): void {
    const key = joinPair(route, sink)
    this.routedBy.set(key, (this.routedBy.get(key) ?? 0) + 1)
  }

  take(counters: PipelineCounters): StatsDelta {
    const delta: StatsDelta = {
      valid: counters.valid - this.last.valid,
      quarantined: counters.quarantined - this.last.quarantined,
      derived: counters.derived - this.last.derived,
      routed: counters.routed - this.last.routed,
      quarantinedBy: [...this.quarantinedBy],
      suppressedBy: [...this.suppressedBy],
      routedBy: [...this.routedBy].map(([key, n]) => [...splitPair(key), n]),
      stageTimings: this.stageTimings,
    }
    this.last = { ...counters }
    this.quarantinedBy = new Map()
    this.suppressedBy = new Map()
    this.routedBy = new Map()
    this.stageTimings = []
    return delta
  }
}

/** The broker thread's side: adds a worker's delta to the totals and replays it to the observer (metrics). */
export function applyStats(
  delta: StatsDelta,
  totals: { counters: PipelineCounters; quarantinedBy: Map<QuarantineReason, number> },
  observer: PipelineObserver,
): void {
  const { counters } = totals
  counters.valid += delta.valid
  counters.quarantined += delta.quarantined
  counters.derived += delta.derived
  counters.routed += delta.routed
  for (const [reason, n] of delta.quarantinedBy) {
    totals.quarantinedBy.set(reason, (totals.quarantinedBy.get(reason) ?? 0) + n)
    observer.quarantined?.(reason, n)
  }
  for (const [device, n] of delta.suppressedBy) observer.quarantineSuppressed?.(device, n)
  for (const [route, sink, n] of delta.routedBy) observer.routed?.(route, sink, n)
  for (const [stage, outcome, seconds] of delta.stageTimings) observer.stage?.(stage, outcome, seconds)
}
