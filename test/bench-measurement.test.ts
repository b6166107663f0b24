import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openConnections } from '../src/bench/connect-pacer.ts'
import { assertSocketsFit, openFileLimit, RESERVED_FILES } from '../src/bench/fd-budget.ts'
import { joinRecords } from '../src/bench/join-records.ts'
import { LatencyHistogram } from '../src/util/latency.ts'
import { loopStallsBetween, type LoopSecond } from '../src/bench/loop-delay.ts'
import { readSeq, syntheticPayloads } from '../src/bench/payloads.ts'
import { ratiosToBaseline, roundOrder } from '../src/bench/ratios.ts'
import { RecordLog } from '../src/bench/record-log.ts'
import { LoadSchedule } from '../src/bench/schedule.ts'
import { SeqAccounting } from '../src/bench/seq-accounting.ts'
import { WardlabError } from '../src/util/errors.ts'

describe('latency histogram', () => {
  it('reports percentiles of a known distribution to within HDR precision (3 significant digits)', () => {
    const h = new LatencyHistogram()
    for (let ms = 1; ms <= 1000; ms++) h.record(ms)
    const s = h.summary()
    expect(s.count).toBe(1000)
    expect(s.p50).toBeCloseTo(500, -0.5)
    expect(s.p90).toBeCloseTo(900, -0.5)
    expect(s.p99).toBeCloseTo(990, -0.5)
    expect(s.p999).toBeCloseTo(999, -0.5)
    expect(s.max).toBeCloseTo(1000, -0.5)
    expect(s.mean).toBeCloseTo(500.5, 0)
  })

  it('keeps sub-millisecond resolution and a lone outlier in p99.9 and max', () => {
    const h = new LatencyHistogram()
    for (let i = 0; i < 999; i++) h.record(0.25)
    h.record(120)
    const s = h.summary()
    expect(s.p50).toBeCloseTo(0.25, 3)
    expect(s.p99).toBeCloseTo(0.25, 3)
    expect(s.max).toBeCloseTo(120, 0)
    expect(new LatencyHistogram().summary().count).toBe(0)
  })
})

describe('seq accounting', () => {
  it('tells gaps, duplicates and late arrivals apart, per device', () => {
    const seq = new SeqAccounting(2)
    // device 0: 0 1 2 4 3 3 5 7 — 6 never comes, 3 comes late and twice.
    const arrivals = [0, 1, 2, 4, 3, 3, 5, 7].map((s) => seq.record(0, s))
    expect(arrivals).toEqual(['in-order', 'in-order', 'in-order', 'in-order', 'reordered', 'duplicate', 'in-order', 'in-order'])
    // device 1: everything, in order, across a bitset growth.
    for (let s = 0; s < 1000; s++) expect(seq.record(1, s)).toBe('in-order')
    expect(seq.totals([8, 1000])).toEqual({ sent: 1008, delivered: 1007, lost: 1, duplicates: 1, reordered: 1 })
    expect(seq.deliveredFrom(0)).toBe(7)
  })
})

describe('joining send and receive logs', () => {
  it('computes latency per message, counts the window, and skips a duplicate and an unsent seq', () => {
    const sends = new RecordLog()
    const receives = new RecordLog()
    const startAt = 10_000
    for (let s = 0; s < 4; s++) sends.append(0, s, startAt + s * 500)
    receives.append(0, 0, startAt + 2) // 2 ms
    receives.append(0, 2, startAt + 1000 + 7) // 7 ms, and early: reordered
    receives.append(0, 1, startAt + 500 + 30) // 30 ms
    receives.append(0, 1, startAt + 500 + 40) // duplicate of 1
    // seq 3 is lost
    const joined = joinRecords({
      sentPerDevice: Uint32Array.of(4),
      sends: [sends.take()],
      receives: [receives.take()],
      startAt,
      windowStart: startAt,
      windowEnd: startAt + 2000,
    })
    expect(joined.totals).toEqual({ sent: 4, delivered: 3, lost: 1, duplicates: 1, reordered: 1 })
    expect(joined.latency!.count).toBe(3)
    expect(joined.latency!.max).toBeCloseTo(30, 1)
    expect(joined.seconds.map((s) => s.delivered)).toEqual([2, 1])
    expect(joined.deliveredInWindow).toBe(3)
  })

  it('has no latency without send logs (the plain mqtt.js generator) but still accounts for loss', () => {
    const receives = new RecordLog()
    receives.append(0, 0, 1)
    const joined = joinRecords({ sentPerDevice: Uint32Array.of(2), sends: null, receives: [receives.take()], startAt: 0, windowStart: 0, windowEnd: 1000 })
    expect(joined.latency).toBeNull()
    expect(joined.totals.lost).toBe(1)
  })
})

describe("the broker's event-loop stalls over the window", () => {
  // Seconds ending at 1,000 … 6,000 ms; the load ran from 1,500 to 5,000.
  const seconds: LoopSecond[] = [
    [1000, 900],
    [2000, 12],
    [3000, 240],
    [4000, 11],
    [5000, 101],
    [6000, 800],
  ]

  it('takes the worst delay and counts the seconds over 100 ms, only inside the window', () => {
    expect(loopStallsBetween(seconds, 1500, 5000)).toEqual({ maxMs: 240, secondsOverStall: 2 })
  })

  it('says nothing rather than zero when no second ended in the window, or there is no log', () => {
    expect(loopStallsBetween(seconds, 6000, 6500)).toBeNull()
    expect(loopStallsBetween(null, 0, 10_000)).toBeNull()
  })
})

describe('ratios over rounds', () => {
  it('pairs each variant with the baseline of the same round and reports median and spread', () => {
    const figures = [
      { round: 0, variant: 'off', value: 100 },
      { round: 0, variant: 'on', value: 95 },
      { round: 1, variant: 'on', value: 80 },
      { round: 1, variant: 'off', value: 90 },
      { round: 2, variant: 'off', value: 110 },
      { round: 2, variant: 'on', value: 99 },
    ]
    const [ratio] = ratiosToBaseline(figures, 'off')
    expect(ratio!.variant).toBe('on')
    expect(ratio!.perRound.map((r) => Number(r.toFixed(4)))).toEqual([0.95, 0.8889, 0.9])
    expect(ratio!.median).toBeCloseTo(0.9, 6)
    expect(ratio!.min).toBeCloseTo(0.8889, 4)
    expect(ratio!.spreadPct).toBeCloseTo(((0.95 - 0.8889) / 0.9) * 100, 1)
  })

  it('alternates the order of variants from round to round (ABBA)', () => {
    expect([0, 1, 2, 3].map((r) => roundOrder(['off', 'on'], r).join(' '))).toEqual(['off on', 'on off', 'off on', 'on off'])
  })
})

describe('open-file budget', () => {
  const limit = 20_000

  it('refuses a generator process over the limit and names --workers and --gateway with numbers that fit', () => {
    const refusal = () => assertSocketsFit({ devices: 30_000, gateway: 1, workers: 1, brokerIsLocalProcess: false, subscribers: 1, limit })
    expect(refusal).toThrow(WardlabError)
    expect(refusal).toThrow(/30,000 connections/)
    expect(refusal).toThrow(/at most 19,936 sockets/)
    expect(refusal).toThrow(/--workers 2 or more \(15,000 each\)/)
    expect(refusal).toThrow(/--gateway 2 or more/)
    expect(assertSocketsFit({ devices: 30_000, gateway: 1, workers: 2, brokerIsLocalProcess: false, subscribers: 1, limit }).perWorker).toBe(15_000)
  })

  it('says that only --gateway helps when the local broker cannot hold every connection', () => {
    const refusal = () => assertSocketsFit({ devices: 30_000, gateway: 1, workers: 4, brokerIsLocalProcess: true, subscribers: 1, limit })
    expect(refusal).toThrow(/--workers cannot help there: use --gateway 2 or more \(15,000 connections\)/)
    expect(refusal).not.toThrow(/use --workers/)
    expect(assertSocketsFit({ devices: 15_000, gateway: 1, workers: 1, brokerIsLocalProcess: true, subscribers: 1, limit }).broker).toBe(15_001)
    expect(assertSocketsFit({ devices: 30_000, gateway: 10, workers: 1, brokerIsLocalProcess: true, subscribers: 1, limit }).connections).toBe(3_000)
  })

  it('reads the soft limit from /proc/self/limits', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wardlab-limits-'))
    const file = join(dir, 'limits')
    writeFileSync(
      file,
      'Limit                     Soft Limit           Hard Limit           Units     \nMax open files            20000                20000                files     \n',
    )
    expect(openFileLimit(file)).toBe(20_000)
    expect(openFileLimit(join(dir, 'missing'))).toBe(1024)
    expect(RESERVED_FILES).toBeGreaterThan(0)
  })
})

describe('payloads and schedule', () => {
  it('sizes synthetic payloads exactly and reads their seq back without parsing JSON', () => {
    const source = syntheticPayloads(200)
    for (const seq of [0, 9, 10, 12_345, 4_294_967_295]) {
      const text = source.text(0, seq, 0)
      expect(Buffer.byteLength(text)).toBe(200)
      expect(JSON.parse(text).seq).toBe(seq)
      expect(readSeq(Buffer.from(text))).toBe(seq)
    }
    expect(readSeq(Buffer.from('{"other":1}'))).toBe(-1)
  })

  it('offers rate × (duration + ramp-up / 2) messages per device and never more', () => {
    const schedule = new LoadSchedule({ devices: [0, 1, 2, 3], ratePerDevice: 10, rampUpS: 2, durationS: 3, startAt: 0 })
    const due = new Uint32Array(4)
    let total = 0
    for (let t = 0; t <= 6000; t += 10) total += schedule.dueAt(t, due)
    // 10 msg/s × (3 s + 2 s / 2) × 4 devices, give or take each device's phase.
    expect(total).toBeGreaterThanOrEqual(4 * 40 - 4)
    expect(total).toBeLessThanOrEqual(4 * 40 + 4)
    expect(schedule.dueAt(60_000, due)).toBe(0)
  })
})

describe('opening the fleet', () => {
  it('retries a connection the broker refused as busy, as a device would, and gives up on any other refusal', async () => {
    const attempts = [0, 0, 0]
    const report = await openConnections(
      3,
      1000,
      async (i) => {
        attempts[i]!++
        // 0 connects at once; 1 is refused as busy (CONNACK 3) twice, then connects; 2 is refused outright (CONNACK 5).
        if (i === 1 && attempts[i]! <= 2) throw new Error('CONNACK return code 3 for dev-1')
        if (i === 2) throw new Error('CONNACK return code 5 for dev-2')
      },
      (error) => /code 3 /.test(error.message),
    )
    expect(attempts).toEqual([1, 3, 1])
    expect(report.connectMs).toHaveLength(2)
    expect(report.retried).toEqual(['CONNACK return code 3 for dev-1'])
    expect(report.failures).toEqual(['CONNACK return code 5 for dev-2'])
  })
})
