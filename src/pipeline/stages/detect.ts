import type { PipelineMessage } from '../message.ts'
import type { QuarantineReason } from '../../contract/device-message.ts'
import type { Stage } from '../stage.ts'

/** Where the pipeline shows messages to the security detectors (src/security/message-detectors.ts). */
export interface MessageInspector {
  inspect(message: PipelineMessage): void
  quarantined(message: PipelineMessage, reason: QuarantineReason): void
}

/**
 * Stage 4: message-level security detectors look at every valid message (replayed sequence
 * numbers, impossible values, unauthorised commands). Detection never alters or holds the
 * message: an alert is raised beside it.
 */
export function detectStage(detectors: MessageInspector): Stage {
  return {
    name: 'detect',
    process(message) {
      detectors.inspect(message)
      return [message]
    },
  }
}
