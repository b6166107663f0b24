import type { PipelineMessage } from '../pipeline/message.ts'
import type { Finding } from './alert.ts'
import type { SecuritySignal } from './signals.ts'

/**
 * A detector is one module with one job: it watches connection-level signals from the broker's
 * hooks, message-level traffic from the pipeline's detect stage, or both, and returns findings.
 * It keeps whatever window state it needs, and never publishes or blocks anything itself.
 */
export interface Detector {
  readonly name: string
  onSignal?(signal: SecuritySignal, now: number): Finding[]
  /** Called with every message that passed validation and enrichment. */
  onMessage?(message: PipelineMessage, now: number): Finding[]
}
