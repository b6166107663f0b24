import { monoMs } from './clock.ts'
import type { ConnectReport } from './generator-plan.ts'

/** Attempts a refused connection gets in all, and the wait before the first retry (doubled each time). */
const ATTEMPTS = 5
const FIRST_BACKOFF_MS = 250

/**
 * Opens `count` connections at `perSecond`, in small batches every 10 ms, without waiting for
 * one to finish before starting the next — a ward powering up, not a queue. Each connection's
 * CONNECT → CONNACK time is measured; failures are kept, not thrown, so a run reports them.
 *
 * A refusal `retryable` accepts — the broker saying it is busy, not no — is tried again after a
 * backoff, as a device would (src/registry/hash-queue.ts refuses a second login from one address
 * whose wait would pass 2 s, and every bench connection comes from one address). Those count in
 * `retried` with their first refusal, and their connect time runs from the first attempt.
 */
export async function openConnections(
  count: number,
  perSecond: number,
  open: (index: number) => Promise<void>,
  retryable: (error: Error) => boolean = () => false,
): Promise<ConnectReport> {
  const connectMs: number[] = []
  const failures: string[] = []
  const retried: string[] = []
  const pending: Promise<void>[] = []
  const started = monoMs()
  const attempt = async (i: number, t0: number, left: number, backoffMs: number): Promise<void> => {
    try {
      await open(i)
      connectMs.push(monoMs() - t0)
    } catch (err) {
      const error = err as Error
      if (left <= 1 || !retryable(error)) return void failures.push(error.message)
      if (left === ATTEMPTS) retried.push(error.message)
      await new Promise((resolve) => setTimeout(resolve, backoffMs))
      return attempt(i, t0, left - 1, backoffMs * 2)
    }
  }
  for (let i = 0; i < count; i++) {
    const dueAt = started + (i / perSecond) * 1000
    const wait = dueAt - monoMs()
    if (wait > 10) await new Promise((resolve) => setTimeout(resolve, wait))
    pending.push(attempt(i, monoMs(), ATTEMPTS, FIRST_BACKOFF_MS))
  }
  await Promise.all(pending)
  return { connectMs, failures, retried }
}
