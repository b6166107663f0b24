import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { BenchReport } from '../src/bench/result.ts'
import { renderSvg } from '../src/bench/report-svg.ts'

/** A real report (`benchmarks/`): 2 s ramp-up + 8 s of load, and an 11th, partial second of stragglers. */
const report = JSON.parse(readFileSync(new URL('../benchmarks/broker-layer-after-1.json', import.meta.url), 'utf8')) as BenchReport

describe('the bench chart', () => {
  it('draws the seconds of the load, not the partial second after it that would read as a drop to 0', () => {
    const run = report.runs[0]!
    expect(run.timeline).toHaveLength(11)
    expect(run.timeline[10]!.offered).toBe(0)
    const chart = renderSvg({ ...report, runs: [run] })
    // The offered rate's line (dashed grey): one point a second of the load, none for the 11th.
    const offered = chart.match(/<polyline fill="none" stroke="#888"[^>]*points="([^"]+)"/)
    expect(offered).not.toBeNull()
    expect(offered![1]!.split(' ')).toHaveLength(10)
    expect(chart).toContain('>10 s<')
    expect(chart).not.toContain('>11 s<')
  })
})
