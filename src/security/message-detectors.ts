import type { DeviceMessage, QuarantineReason } from '../contract/device-message.ts'
import type { Detector, Report } from './detector.ts'

/**
 * The detectors that look at messages rather than connections, fed by the pipeline. They keep
 * per-device state only, so they run wherever the pipeline runs — on the broker's thread, or in a
 * pipeline worker that holds every device of a patient — and report findings to whoever records
 * alerts there.
 */
export class MessageDetectors {
  private readonly all: readonly Detector[]
  private readonly onMessage: readonly Detector[]
  private readonly onQuarantine: readonly Detector[]
  private readonly timeOf: (message: DeviceMessage) => number
  private readonly report: Report

  /** `timeOf` says when a message is judged to have happened: now, or when the broker received it. */
  constructor(detectors: readonly Detector[], timeOf: (message: DeviceMessage) => number, report: Report) {
    this.all = detectors
    this.onMessage = detectors.filter((d) => d.onMessage)
    this.onQuarantine = detectors.filter((d) => d.onQuarantine)
    this.timeOf = timeOf
    this.report = report
  }

  get names(): string[] {
    return [...new Set([...this.onMessage, ...this.onQuarantine])].map((d) => d.name)
  }

  /** The pipeline's detect stage hands every valid message here. */
  inspect(message: DeviceMessage): void {
    const at = this.timeOf(message)
    for (const detector of this.onMessage) detector.onMessage!(message, at, this.report)
  }

  /** The pipeline hands every device message it quarantines here. */
  quarantined(message: DeviceMessage, reason: QuarantineReason): void {
    const at = this.timeOf(message)
    for (const detector of this.onQuarantine) detector.onQuarantine!(message, reason, at, this.report)
  }

  /** Lets detectors forget idle keys, where no security monitor sweeps them (a pipeline worker). */
  sweep(at: number): void {
    for (const detector of this.all) detector.sweep?.(at)
  }
}
