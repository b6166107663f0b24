import type { BrokerAccount } from './subscriber-watch.ts'

/** Why a message the generators sent was not seen by the bench subscriber. */
export type UndeliveredCause =
  | 'refused'
  | 'not-accepted'
  | 'no-subscriber'
  | 'shed'
  | 'in-closed-connection'
  | 'queued-at-drain-end'
  | 'lost-in-broker'
  | 'unexplained'

export const CAUSE_LABELS: Record<UndeliveredCause, string> = {
  refused: "refused by the broker's ACL",
  'not-accepted': 'sent, never accepted by the broker (still in the devices’ sockets, or lost with their connections)',
  'no-subscriber': 'accepted while the bench subscriber was not connected (after its connection closed)',
  shed: 'shed: deliveries to the subscriber skipped, over 1 MiB waiting (load-shedding.ts)',
  'in-closed-connection': "written to the subscriber's connection, lost when it closed",
  'queued-at-drain-end': 'still queued to the subscriber when the drain ended',
  'lost-in-broker': 'lost in the broker: accepted while the subscriber was connected, never written to it',
  unexplained: 'not delivered; this broker does not report why (not one wardlab started)',
}

/** Every message the bench did not see delivered, by cause; the counts sum to `undelivered`. */
export interface UndeliveredAccount {
  /** Sent but never delivered (`totals.lost`). */
  undelivered: number
  /** Non-zero causes only, in the order a message meets them on its way. */
  causes: { cause: UndeliveredCause; messages: number }[]
  /** The subscriber's connection closed before the bench closed it: when (s since the load started) and why, as the broker saw it. */
  subscriberClosed: { atS: number; reason: string } | null
  /** A cluster: what crosses between nodes on Redis is not in any node's account, so `lost-in-broker` includes it. */
  severalNodes: boolean
  /** Bytes waiting in the broker's write buffer to the subscriber when the drain ended (the kernel's socket buffers hold more); null when the broker does not say. */
  queuedBytes: number | null
}

/**
 * Puts the broker's account (subscriber-watch.ts) beside the bench's own counts. Along its way a
 * device message is sent (generator), accepted or refused by the broker, offered to the
 * subscriber if it is connected, written to its connection or skipped, and read by it. Each step's
 * shortfall is one cause; whatever the counts leave over is what the broker accepted while the
 * subscriber was connected and never wrote to it — lost in the broker. `arrivals` is every device
 * message the subscriber read, duplicates included, as `forwarded` counts every write.
 */
export function accountUndelivered(p: {
  sent: number
  lost: number
  duplicates: number
  arrivals: number
  accounts: BrokerAccount[] | null
  /** When the load started (CLOCK_MONOTONIC ms): times are given from there. */
  startAt: number
  /** When the bench saw the subscriber's connection close, if it did; used when the broker gave no reason. */
  subscriberDroppedAt: number | null
}): UndeliveredAccount {
  const fromStart = (ms: number) => Math.round((ms - p.startAt) / 100) / 10
  if (!p.accounts) {
    return {
      undelivered: p.lost,
      causes: p.lost > 0 ? [{ cause: 'unexplained', messages: p.lost }] : [],
      subscriberClosed:
        p.subscriberDroppedAt === null ? null : { atS: fromStart(p.subscriberDroppedAt), reason: 'the connection closed (the broker gives no reason)' },
      severalNodes: false,
      queuedBytes: null,
    }
  }
  const sum = (pick: (a: BrokerAccount) => number) => p.accounts!.reduce((n, a) => n + pick(a), 0)
  const subscribers = p.accounts.flatMap((a) => a.subscribers)
  const forwarded = subscribers.reduce((n, s) => n + s.forwarded, 0)
  const closed = subscribers.find((s) => s.closed)?.closed ?? null
  // Only a node that held the subscriber knows whether it was connected; the others' messages cross Redis to it.
  const withoutSubscriber = p.accounts.reduce((n, a) => n + (a.subscribers.length > 0 ? a.acceptedWithoutSubscriber : 0), 0)
  const counted: [UndeliveredCause, number][] = [
    ['refused', sum((a) => a.refused)],
    ['not-accepted', p.sent - sum((a) => a.accepted) - sum((a) => a.refused)],
    ['no-subscriber', withoutSubscriber],
    ['shed', subscribers.reduce((n, s) => n + s.skipped, 0)],
    [closed ? 'in-closed-connection' : 'queued-at-drain-end', forwarded - p.arrivals],
  ]
  // A duplicate write counts in `forwarded` and `arrivals` but once in `sent`: it adds back here.
  const lostInBroker = p.lost - counted.reduce((n, [, v]) => n + v, 0)
  const causes = [...counted, ['lost-in-broker', lostInBroker] as [UndeliveredCause, number]]
    .filter(([, messages]) => messages !== 0)
    .map(([cause, messages]) => ({ cause, messages }))
  return {
    undelivered: p.lost,
    causes,
    subscriberClosed: closed ? { atS: fromStart(closed.atMs), reason: closed.reason } : null,
    severalNodes: p.accounts.length > 1,
    queuedBytes: subscribers.reduce((n, s) => n + s.queuedBytes, 0),
  }
}

/** The causes as report lines: one per cause, then the check that they add up. */
export function formatUndelivered(title: string, account: UndeliveredAccount): string[] {
  if (account.undelivered === 0 && account.causes.length === 0) return []
  const n = (v: number) => v.toLocaleString('en-US')
  const width = Math.max(...account.causes.map((c) => n(c.messages).length), n(account.undelivered).length)
  const lines = [`${title}: ${n(account.undelivered)} messages not delivered, by cause:`]
  for (const { cause, messages } of account.causes) {
    const label = cause === 'lost-in-broker' && account.severalNodes ? `${CAUSE_LABELS[cause]} (or between the nodes, on Redis)` : CAUSE_LABELS[cause]
    const bytes =
      cause === 'queued-at-drain-end' && account.queuedBytes
        ? ` (${n(account.queuedBytes)} bytes of them in the broker's write buffer, the rest in the sockets)`
        : ''
    lines.push(`  ${n(messages).padStart(width)}  ${label}${bytes}`)
  }
  lines.push(`  ${n(account.causes.reduce((s, c) => s + c.messages, 0)).padStart(width)}  total`)
  if (account.subscriberClosed)
    lines.push(`  the subscriber's connection closed ${account.subscriberClosed.atS} s into the load: ${account.subscriberClosed.reason}`)
  return lines
}
