import { monoMs } from './clock.ts'
import type { ConnectReport } from './generator-plan.ts'

/**
 * Opens `count` connections at `perSecond`, in small batches every 10 ms, without waiting for
 * one to finish before starting the next — a ward powering up, not a queue. Each connection's
 * CONNECT → CONNACK time is measured; failures are kept, not thrown, so a run reports them.
 */
export async function openConnections(count: number, perSecond: number, open: (index: number) => Promise<void>): Promise<ConnectReport> {
  const connectMs: number[] = []
  const failures: string[] = []
  const pending: Promise<void>[] = []
  const started = monoMs()
  for (let i = 0; i < count; i++) {
    const dueAt = started + (i / perSecond) * 1000
    const wait = dueAt - monoMs()
    if (wait > 10) await new Promise((resolve) => setTimeout(resolve, wait))
    const t0 = monoMs()
    pending.push(
      open(i).then(
        () => void connectMs.push(monoMs() - t0),
        (err: Error) => void failures.push(err.message),
      ),
    )
  }
  await Promise.all(pending)
  return { connectMs, failures }
}
