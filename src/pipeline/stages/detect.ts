import type { MessageInspector, Stage, StageType } from '../stage.ts'

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

export const detect: StageType = { name: 'detect', create: (context) => detectStage(context.detectors) }
