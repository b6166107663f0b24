import { WardlabError } from '../../util/errors.ts'

/**
 * "Chart now": devices whose gateway must send PCD-01 with their next reading instead of waiting
 * for the charting cadence — a nurse pressing "send to EHR", a scenario that needs a value in
 * the chart at once (IHE PCD TF-1 DEC allows episodic as well as periodic reporting). The
 * scenario (or any tool) asks through the lab; the HL7 sinks of an inline pipeline take the
 * request when the device's next telemetry passes them. Pipeline workers build their sinks in
 * other threads, where this object does not reach: `request` then refuses with a clear reason.
 */
export class ChartRequests {
  private readonly pending = new Set<string>()
  private sinks = 0

  /** An HL7 PCD-01 sink that honours the requests (called when the sink is built). */
  attach(): void {
    this.sinks++
  }

  request(deviceIds: readonly string[]): void {
    if (this.sinks === 0)
      throw new WardlabError(
        'WL_USAGE',
        'chart now needs an HL7 PCD-01 sink in the lab’s own pipeline: run with --hl7 and the inline pipeline (no pipeline workers)',
      )
    for (const id of deviceIds) this.pending.add(id)
  }

  /** True once for a requested device: its reading is charted now. */
  take(deviceId: string): boolean {
    return this.pending.delete(deviceId)
  }
}
