import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runBench } from '../src/bench/bench.ts'
import { formatTable } from '../src/bench/report-table.ts'
import type { SubscriberAccount } from '../src/bench/subscriber-watch.ts'
import { accountUndelivered, formatUndelivered } from '../src/bench/undelivered.ts'
import { parseVariants } from '../src/cli/commands/bench.ts'
import { testLoad } from './support/bench-load.ts'

const sum = (causes: { messages: number }[]) => causes.reduce((n, c) => n + c.messages, 0)

describe('every undelivered message, by cause', () => {
  it('accounts for what a subscriber that stops reading did not get: still queued to it when the drain ended, nothing lost in the broker', async () => {
    const report = await runBench({
      // Flat out at QoS 1, the subscriber hangs 1 s into 2 s of load and stays hung through the drain.
      load: testLoad({ devices: 10, ratePerDevice: null, durationS: 2, subscriberStallS: 1 }),
      variants: parseVariants('embedded', 'off', 'wardlab', undefined),
      rounds: 1,
      outputDir: mkdtempSync(join(tmpdir(), 'wardlab-bench-undelivered-')),
      command: 'test',
    })
    const [run] = report.runs
    const account = run!.undelivered!
    expect(run!.totals.lost).toBeGreaterThan(0)
    expect(account.undelivered).toBe(run!.totals.lost)
    expect(sum(account.causes)).toBe(run!.totals.lost)
    const causes = account.causes.map((c) => c.cause)
    expect(causes).toContain('queued-at-drain-end')
    // The broker's counters agree with the bench's: nothing left over, nothing it cannot explain.
    expect(causes).not.toContain('lost-in-broker')
    expect(causes).not.toContain('unexplained')
    expect(account.subscriberClosed).toBeNull()
    expect(account.queuedBytes).toBeGreaterThanOrEqual(0)
    // The broker also says which logins it turned away: none, for ten devices.
    expect(run!.connect.refusedBy).toEqual({})
    expect(formatTable(report)).toMatch(/messages not delivered, by cause:[\s\S]*still queued to the subscriber when the drain ended[\s\S]*total/)
  }, 60_000)

  const subscriber = (over: Partial<SubscriberAccount>): SubscriberAccount => ({
    clientId: 'bench-subscriber-1',
    forwarded: 0,
    skipped: 0,
    queuedBytes: 0,
    closed: null,
    ...over,
  })

  it('tells a subscriber the broker dropped apart: when and why, what was in its connection, what came after', () => {
    // 1,000 sent: 10 never reached the broker, 600 delivered; then 150 skipped, 40 in the connection when drainTimeout closed it, 200 after.
    const account = accountUndelivered({
      sent: 1000,
      lost: 400,
      duplicates: 0,
      arrivals: 600,
      startAt: 10_000,
      subscriberDroppedAt: 13_000,
      accounts: [
        {
          accepted: 990,
          acceptedWithoutSubscriber: 200,
          refused: 0,
          refusedLogins: {},
          subscribers: [subscriber({ forwarded: 640, skipped: 150, closed: { atMs: 12_900, reason: 'drain timeout' } })],
        },
      ],
    })
    expect(account.causes).toEqual([
      { cause: 'not-accepted', messages: 10 },
      { cause: 'no-subscriber', messages: 200 },
      { cause: 'shed', messages: 150 },
      { cause: 'in-closed-connection', messages: 40 },
    ])
    expect(sum(account.causes)).toBe(400)
    expect(account.subscriberClosed).toEqual({ atS: 2.9, reason: 'drain timeout' })
    const lines = formatUndelivered('embedded', account).join('\n')
    expect(lines).toMatch(/400 messages not delivered/)
    expect(lines).toMatch(/closed 2.9 s into the load: drain timeout/)
  })

  it('leaves what the counts cannot place as lost in the broker (or between a cluster’s nodes), and a duplicate is not a loss', () => {
    const account = accountUndelivered({
      sent: 100,
      lost: 5,
      duplicates: 1,
      arrivals: 96,
      startAt: 0,
      subscriberDroppedAt: null,
      // Node 2 holds no subscriber: what its devices sent crosses Redis to node 1.
      accounts: [
        { accepted: 60, acceptedWithoutSubscriber: 0, refused: 0, refusedLogins: {}, subscribers: [subscriber({ forwarded: 96 })] },
        { accepted: 40, acceptedWithoutSubscriber: 40, refused: 0, refusedLogins: {}, subscribers: [] },
      ],
    })
    expect(account.causes).toEqual([{ cause: 'lost-in-broker', messages: 5 }])
    expect(formatUndelivered('cluster', account).join('\n')).toMatch(/or between the nodes, on Redis/)
  })

  it('says the broker gives no reason when it is not one wardlab runs, and keeps the subscriber’s own drop time', () => {
    const account = accountUndelivered({ sent: 50, lost: 7, duplicates: 0, arrivals: 43, startAt: 0, subscriberDroppedAt: 1500, accounts: null })
    expect(account.causes).toEqual([{ cause: 'unexplained', messages: 7 }])
    expect(account.subscriberClosed?.atS).toBe(1.5)
  })
})
