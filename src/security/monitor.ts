import type { Logger } from 'pino'
import type { PipelineMessage } from '../pipeline/message.ts'
import { AlertBook } from './alert-book.ts'
import type { SecurityAlert } from './alert.ts'
import type { Detector } from './detector.ts'
import type { SignalBus } from './signals.ts'
import { authBypassDetector } from './detectors/auth-bypass.ts'
import { authFailureDetector } from './detectors/auth-failure.ts'
import { topicSpoofingDetector } from './detectors/topic-spoofing.ts'
import { wildcardSnoopingDetector } from './detectors/wildcard-snooping.ts'

export const DEFAULT_DETECTORS: readonly Detector[] = [authFailureDetector, authBypassDetector, topicSpoofingDetector, wildcardSnoopingDetector]

export interface SecurityMonitorOptions {
  signals: SignalBus
  detectors?: readonly Detector[]
  publish: (alert: SecurityAlert) => void
  log: Logger
  now?: () => number
  quietMs?: number
}

/**
 * Connects the broker's signals to the detectors and the detectors' findings to the alert stream.
 * Counts of alerts by type are kept for the status line and metrics.
 */
export class SecurityMonitor {
  readonly book: AlertBook
  readonly alertCounts = new Map<string, number>()
  private readonly messageDetectors: readonly Detector[]
  private readonly now: () => number

  constructor(options: SecurityMonitorOptions) {
    const now = options.now ?? Date.now
    const detectors = options.detectors ?? DEFAULT_DETECTORS
    this.now = now
    this.messageDetectors = detectors.filter((d) => d.onMessage)
    this.book = new AlertBook({
      now,
      quietMs: options.quietMs ?? 30_000,
      updateEveryMs: 1000,
      emit: (alert) => {
        if (alert.count === 1 && alert.state === 'open') {
          this.alertCounts.set(alert.type, (this.alertCounts.get(alert.type) ?? 0) + 1)
          options.log.warn({ alert }, `security alert: ${alert.type} from ${alert.clientId || '?'} at ${alert.address}`)
        }
        options.publish(alert)
      },
    })
    options.signals.on((signal) => {
      const at = now()
      for (const detector of detectors) {
        for (const finding of detector.onSignal?.(signal, at) ?? []) this.book.report(finding)
      }
    })
  }

  /** The pipeline's detect stage hands every valid message here. */
  inspect(message: PipelineMessage): void {
    const at = this.now()
    for (const detector of this.messageDetectors) {
      for (const finding of detector.onMessage!(message, at)) this.book.report(finding)
    }
  }

  totalAlerts(): number {
    let total = 0
    for (const n of this.alertCounts.values()) total += n
    return total
  }

  start(): void {
    this.book.start()
  }

  stop(): void {
    this.book.closeAll()
    this.book.stop()
  }
}
