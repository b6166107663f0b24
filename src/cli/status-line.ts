import type { Logger } from 'pino'
import type { LabStats } from '../scenarios/lab-handle.ts'

/**
 * The live one-line summary. In a terminal it redraws one line in place every second; when output
 * goes to a file or a pipe it becomes a pino line every `logEveryMs`, which is what log shippers
 * want.
 */
export function startStatusLine(stats: () => LabStats, options: { log: Logger; tty: boolean; logEveryMs?: number }): () => void {
  let last = stats()
  let lastAt = performance.now()
  const interval = options.tty ? 1000 : (options.logEveryMs ?? 10_000)
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
      alerts: current.alerts,
    }
    if (options.tty) {
      process.stderr.write(`\r\x1b[2K devices ${summary.devices} · clients ${summary.clients} · ${summary.messagesPerSecond} msg/s · received ${summary.received} · quarantined ${summary.quarantined} · alerts ${summary.alerts}`)
    } else {
      options.log.info(summary, 'status')
    }
  }, interval)
  timer.unref()
  return () => {
    clearInterval(timer)
    if (options.tty) process.stderr.write('\r\x1b[2K')
  }
}
