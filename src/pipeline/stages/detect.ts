import type { SecurityMonitor } from '../../security/monitor.ts'
import type { Stage } from '../stage.ts'

/**
 * Stage 4: message-level security detectors look at every valid message (replayed sequence
 * numbers, impossible values, unauthorised commands). Detection never alters or holds the
 * message: an alert is raised beside it.
 */
export function detectStage(monitor: SecurityMonitor): Stage {
  return {
    name: 'detect',
    process(message) {
      monitor.inspect(message)
      return [message]
    },
  }
}
