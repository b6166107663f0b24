import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js'

/** Latency percentiles in milliseconds, as the table, the JSON and the chart show them. */
export interface LatencySummary {
  count: number
  p50: number
  p90: number
  p99: number
  p999: number
  max: number
  mean: number
}

/**
 * An HDR histogram of latencies (Gil Tene's HdrHistogram, pure-JS build): values are recorded in
 * microseconds with three significant digits from 1 µs to 10 minutes, so p99.9 and max are exact
 * to 0.1 % instead of being averaged away the way fixed buckets would.
 */
export class LatencyHistogram {
  private readonly histogram: Histogram = build({
    useWebAssembly: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000,
    numberOfSignificantValueDigits: 3,
  })

  /** A latency in milliseconds; values under 1 µs count as 1 µs, above 10 min as 10 min. */
  record(ms: number): void {
    this.histogram.recordValue(Math.min(600_000_000, Math.max(1, Math.round(ms * 1000))))
  }

  add(other: LatencyHistogram): void {
    this.histogram.add(other.histogram)
  }

  /** HdrHistogram's compressed V2 encoding in base64: every count, to merge on another machine. */
  encode(): string {
    return encodeIntoCompressedBase64(this.histogram)
  }

  static decode(base64: string): LatencyHistogram {
    const histogram = new LatencyHistogram()
    histogram.histogram.add(decodeFromCompressedBase64(base64, 32, false))
    return histogram
  }

  get count(): number {
    return this.histogram.totalCount
  }

  /** Percentile in milliseconds (0–100). */
  percentile(p: number): number {
    return this.histogram.getValueAtPercentile(p) / 1000
  }

  summary(): LatencySummary {
    const h = this.histogram
    if (h.totalCount === 0) return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 }
    return {
      count: h.totalCount,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: h.maxValue / 1000,
      mean: h.mean / 1000,
    }
  }
}
