import { describe, expect, it } from 'vitest'
import { AlertBook } from '../src/security/alert-book.ts'
import type { Finding, SecurityAlert } from '../src/contract/security-alert.ts'

const finding = (severity: Finding['severity'] = 'medium'): Finding => ({
  type: 'brute-force',
  severity,
  source: { clientId: 'c', address: '203.0.113.10' },
  evidence: {},
})

describe('AlertBook', () => {
  let now = 0
  const published: SecurityAlert[] = []
  const book = new AlertBook({ quietMs: 30_000, updateEveryMs: 1000, now: () => now, emit: (a) => published.push(a) })

  it('opens one alert per source and type, updates it at most once a second, and at once when it escalates', () => {
    const first = book.report(finding())
    now = 500
    book.report(finding())
    now = 600
    book.report(finding('critical'))
    now = 2000
    book.report(finding())
    expect(published.map((a) => [a.id === first.id, a.count, a.severity, a.state])).toEqual([
      [true, 1, 'medium', 'open'],
      [true, 3, 'critical', 'open'],
      [true, 4, 'critical', 'open'],
    ])
  })

  it('treats a source quiet for the quiet period as a new incident even before any sweep ran', () => {
    const before = published.at(-1)!
    now = 2000 + 45_000
    const next = book.report(finding())
    expect(next.id).not.toBe(before.id)
    // The old one closed when it went quiet, not when the sweep or the next finding came.
    expect(published.at(-2)).toMatchObject({ id: before.id, state: 'closed', ts: 2000 + 30_000, lastSeen: 2000 })
    expect(published.at(-1)).toMatchObject({ id: next.id, state: 'open', count: 1 })
  })

  it('closes everything at shutdown', () => {
    now += 1000
    book.closeAll()
    expect(published.at(-1)).toMatchObject({ state: 'closed', ts: now })
    expect(book.openAlerts()).toEqual([])
  })
})
