const MS_PER_HOUR = 3_600_000

/**
 * Exact volume accounting for an infusion pump. Flow is constant between changes, so the volume
 * infused is the sum of rate × time over those segments: no per-tick accumulation and no rounding
 * drift, and the moment the VTBI is reached is solved for rather than snapped to a tick.
 */
export class VolumeMeter {
  private flow = 0
  private segmentStart: number
  private volumeAtSegmentStartMl = 0
  /** Volume infused when the current container started; VTBI remaining counts from it. */
  private containerStartMl = 0

  constructor(
    private vtbi: number,
    start: number,
  ) {
    this.segmentStart = start
  }

  /** The volume to be infused of the current container. */
  get vtbiMl(): number {
    return this.vtbi
  }

  get flowMlH(): number {
    return this.flow
  }

  /** Cumulative volume infused, across containers, as the pump's counter shows it. */
  infusedAt(at: number): number {
    return this.volumeAtSegmentStartMl + (this.flow * (at - this.segmentStart)) / MS_PER_HOUR
  }

  remainingAt(at: number): number {
    return Math.max(0, this.vtbi - (this.infusedAt(at) - this.containerStartMl))
  }

  /** Within floating-point error of the solved completion moment. */
  emptyAt(at: number): boolean {
    return this.remainingAt(at) < 1e-9
  }

  /** Closes the current segment at `at` and starts one at the new flow. */
  setFlow(at: number, flowMlH: number): void {
    this.volumeAtSegmentStartMl = this.infusedAt(at)
    this.segmentStart = at
    this.flow = flowMlH
  }

  /** A fresh container, of the same VTBI unless a new one is programmed; the cumulative counter keeps counting. */
  newContainer(at: number, vtbiMl = this.vtbi): void {
    this.containerStartMl = this.infusedAt(at)
    this.vtbi = vtbiMl
  }

  /** When the current flow reaches the VTBI; Infinity if it never will. */
  completionTime(): number {
    if (this.flow <= 0) return Infinity
    const remaining = this.vtbi - (this.volumeAtSegmentStartMl - this.containerStartMl)
    return this.segmentStart + (remaining * MS_PER_HOUR) / this.flow
  }
}
