import { LatencyHistogram, type LatencySummary } from '../util/latency.ts'
import type { RecordChunk } from './record-log.ts'
import { SeqAccounting, type SeqTotals } from './seq-accounting.ts'

export interface RunRecords {
  /** Messages each device (global index) sent: its seqs are 0 … n-1. */
  sentPerDevice: Uint32Array
  /** Send logs of every generator, or null when the generator logs none. */
  sends: RecordChunk[] | null
  /** The subscriber's receive log, in arrival order. */
  receives: RecordChunk[]
  /** Start of the load, and the measured window (after ramp-up), monotonic ms. */
  startAt: number
  windowStart: number
  windowEnd: number
}

export interface PerSecond {
  delivered: number
  latency: LatencySummary | null
  /** The counts behind `latency`, for merging with other machines' (merge-results.ts). */
  histogram: LatencyHistogram | null
}

export interface JoinedRun {
  totals: SeqTotals
  /** Latency of messages sent inside the window; null without send logs. */
  latency: LatencySummary | null
  histogram: LatencyHistogram | null
  /** First arrivals received inside the window. */
  deliveredInWindow: number
  /** By the second of arrival, counted from the start of the load. */
  seconds: PerSecond[]
}

/**
 * Joins send and receive logs after the run. Send times go into one flat table indexed by
 * device offset + seq (the generators' counts give its exact size), so each arrival finds its
 * send time with one array read; arrivals run through the seq accounting in the order they came,
 * which is what makes a late one a reordering. Duplicates count once for latency: the first copy.
 */
export function joinRecords(records: RunRecords): JoinedRun {
  const devices = records.sentPerDevice.length
  const offsets = new Float64Array(devices + 1)
  for (let d = 0; d < devices; d++) offsets[d + 1] = offsets[d]! + records.sentPerDevice[d]!
  const sentAt = records.sends ? sendTable(records.sends, offsets, records.sentPerDevice) : null

  const accounting = new SeqAccounting(devices)
  const overall = new LatencyHistogram()
  const perSecond: { delivered: number; histogram: LatencyHistogram | null }[] = []
  let deliveredInWindow = 0
  for (const chunk of records.receives) {
    for (let i = 0; i < chunk.t.length; i++) {
      const device = chunk.device[i]!
      const seq = chunk.seq[i]!
      if (device >= devices || accounting.record(device, seq) === 'duplicate') continue
      const t = chunk.t[i]!
      const second = Math.max(0, Math.floor((t - records.startAt) / 1000))
      while (perSecond.length <= second) perSecond.push({ delivered: 0, histogram: sentAt ? new LatencyHistogram() : null })
      const bucket = perSecond[second]!
      bucket.delivered++
      if (t >= records.windowStart && t < records.windowEnd) deliveredInWindow++
      if (!sentAt || seq >= records.sentPerDevice[device]!) continue
      const sent = sentAt[offsets[device]! + seq]!
      if (Number.isNaN(sent)) continue
      bucket.histogram!.record(t - sent)
      if (sent >= records.windowStart && sent < records.windowEnd) overall.record(t - sent)
    }
  }
  return {
    totals: accounting.totals(records.sentPerDevice),
    latency: sentAt ? overall.summary() : null,
    histogram: sentAt ? overall : null,
    deliveredInWindow,
    seconds: perSecond.map((s) => {
      const histogram = s.histogram && s.histogram.count > 0 ? s.histogram : null
      return { delivered: s.delivered, latency: histogram?.summary() ?? null, histogram }
    }),
  }
}

function sendTable(sends: readonly RecordChunk[], offsets: Float64Array, sentPerDevice: Uint32Array): Float64Array {
  const table = new Float64Array(offsets[offsets.length - 1]!).fill(NaN)
  for (const chunk of sends) {
    for (let i = 0; i < chunk.t.length; i++) {
      const device = chunk.device[i]!
      const seq = chunk.seq[i]!
      if (device < sentPerDevice.length && seq < sentPerDevice[device]!) table[offsets[device]! + seq] = chunk.t[i]!
    }
  }
  return table
}
