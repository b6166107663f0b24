import { describe, expect, it } from 'vitest'
import { KeyedTable, SlidingCount, TokenBucket } from '../src/security/windows.ts'

describe('SlidingCount', () => {
  it('counts a steady rate to within one event and forgets what left the window', () => {
    const count = new SlidingCount(10_000)
    let last = 0
    for (let t = 0; t < 30_000; t += 100) last = count.add(t)
    // 10 a second over a 10 s window.
    expect(Math.abs(last - 100)).toBeLessThanOrEqual(1)
    expect(count.count(40_000)).toBe(0)
  })

  it('weights the previous bucket by how much of it is still inside the window', () => {
    const count = new SlidingCount(1000)
    for (let i = 0; i < 10; i++) count.add(0)
    expect(count.count(999)).toBe(10)
    // Half-way into the next bucket, half of the previous one still counts.
    expect(count.count(1500)).toBeCloseTo(5)
  })
})

describe('TokenBucket', () => {
  it('lets a burst of its capacity through, then only its rate', () => {
    const bucket = new TokenBucket(10, 50, 0)
    let passed = 0
    for (let i = 0; i < 60; i++) if (bucket.take(0)) passed++
    expect(passed).toBe(50)
    // Emptied, not in debt: after 1 s there are 10 tokens again.
    let later = 0
    for (let i = 0; i < 20; i++) if (bucket.take(1000)) later++
    expect(later).toBe(10)
  })

  it('takes bytes as well as messages, and can be credited beyond its capacity', () => {
    const bucket = new TokenBucket(1000, 1000, 0)
    expect(bucket.take(0, 800)).toBe(true)
    expect(bucket.take(0, 800)).toBe(false)
    bucket.credit(5000)
    expect(bucket.take(0, 4000)).toBe(true)
  })
})

describe('KeyedTable', () => {
  const entry = (now: number) => ({ lastSeen: now, hits: 0 })

  it('keeps at most maxKeys, dropping the oldest, so random client ids cost bounded memory', () => {
    const table = new KeyedTable<{ lastSeen: number; hits: number }>({ idleMs: 60_000, maxKeys: 100 })
    for (let i = 0; i < 10_000; i++) table.touch(`client-${i}`, i, entry)
    expect(table.size).toBe(100)
    expect(table.get('client-0')).toBeUndefined()
    expect(table.get('client-9999')).toBeDefined()
  })

  it('forgets idle keys at a sweep, except those the detector says still hold something', () => {
    const table = new KeyedTable<{ lastSeen: number; hits: number }>({ idleMs: 1000, maxKeys: 10 })
    table.touch('idle', 0, entry)
    table.touch('holding', 0, entry).hits = 3
    table.touch('recent', 900, entry)
    table.sweep(1500, (e) => e.hits > 0)
    expect(table.get('idle')).toBeUndefined()
    expect(table.get('holding')).toBeDefined()
    expect(table.get('recent')).toBeDefined()
  })
})
