import type { Logger } from 'pino'
import type { LabStats } from '../scenarios/lab-handle.ts'
import type { LiveTerminal } from './live-terminal.ts'

/**
 * The live one-line summary. In a terminal it redraws one line in place every second, through the
 * LiveTerminal that also writes the logs; when output goes to a file or a pipe it becomes a pino
 * line every `logEveryMs`, which is what log shippers want. "security alerts" says what the count
 * is: the security monitor's alerts, not the clinical alarms on alerts/#.
 */
export function startStatusLine(stats: () => LabStats, options: { log: Logger; terminal: LiveTerminal | null; logEveryMs?: number }): () => void {
  let last = stats()
  let lastAt = performance.now()
  const { terminal } = options
  const interval = terminal ? 1000 : (options.logEveryMs ?? 10_000)
  const timer = setInterval(() => {
    const now = performance.now()
    const current = stats()
    const rate = ((current.received - last.received) * 1000) / (now - lastAt)
    last = current
    lastAt = now
    const summary = {
      devices: `${current.devicesConnected}/${current.devicesSimulated}`,
      clients: current.clientsConnected,
      messagesPerSecond: Math.round(rate),
      received: current.received,
      quarantined: current.quarantined,
      securityAlerts: current.alerts,
    }
    if (terminal) {
      terminal.setStatus(
        ` devices ${summary.devices} · clients ${summary.clients} · ${summary.messagesPerSecond} msg/s · received ${summary.received} · quarantined ${summary.quarantined} · security alerts ${summary.securityAlerts}`,
      )
    } else {
      options.log.info(summary, 'status')
    }
  }, interval)
  timer.unref()
  return () => {
    clearInterval(timer)
    terminal?.clearStatus()
  }
}
