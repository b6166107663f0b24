import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openLab } from '../src/lab/open-lab.ts'
import { loadScenario } from '../src/scenarios/load.ts'
import { renderHtmlReport } from '../src/scenarios/report-html.ts'
import { runScenario } from '../src/scenarios/runner.ts'
import { silentLogger } from '../src/util/log.ts'
import { outputDir } from './support/lab.ts'

/** A small ward, and a publish flood on a sandbox topic between 30 s and 40 s: traffic the pipeline never sees. */
const FLOOD = `name: rate-chart-flood
seed: rate-chart
duration: 80s
hospital:
  beds:
    - { ward: icu, count: 1, devices: [bedside-monitor] }
timeline:
  - { at: 30s, id: flood, event: attack, attack: publish-flood, duration: 10s, params: { rate: 300 } }
expect:
  - alert: { type: publish-flood, after: flood, within: 10s }
`

describe("the report's message rate", () => {
  it("counts every publish the broker received, so a flood's bucket stands out from the ward's traffic", { timeout: 120_000 }, async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wardlab-rate-')), 'flood.yaml')
    writeFileSync(file, FLOOD)
    const report = await runScenario(await loadScenario(file), { openLab, log: silentLogger, outputDir: outputDir(), speed: 'max' })
    const json = JSON.parse(JSON.stringify(report)) as typeof report
    const samples = json.series.rate
    const buckets = samples.slice(1).map((s, i) => ({
      from: samples[i]!.t,
      to: s.t,
      publishes: s.publishes - samples[i]!.publishes,
      received: s.received - samples[i]!.received,
    }))
    const flood = buckets.filter((b) => b.from < 40_000 && b.to > 30_000)
    const quiet = buckets.filter((b) => b.to <= 30_000 || b.from >= 50_000)
    expect(flood.length).toBeGreaterThan(0)
    expect(quiet.length).toBeGreaterThan(0)
    const floodPublishes = flood.reduce((n, b) => n + b.publishes, 0)
    const busiestQuiet = Math.max(...quiet.map((b) => b.publishes))
    // Most of the flood's 3,000 publishes land in its buckets, far above any bucket of ward traffic alone.
    expect(floodPublishes).toBeGreaterThan(1500)
    expect(floodPublishes).toBeGreaterThan(10 * busiestQuiet)
    // The pipeline never saw the flood (a sandbox topic): the device series alone would have stayed flat.
    expect(Math.max(...flood.map((b) => b.received))).toBeLessThan(busiestQuiet + 50)
    const html = renderHtmlReport(report)
    expect(html).toContain('all publishes at the broker')
    // The alert timeline's lane labels are whole, for CSS to cut to the margin with an ellipsis.
    expect(html).toMatch(/class="lane-label" title="alert: publish-flood" style="[^"]*text-overflow:ellipsis[^"]*">alert: publish-flood</)
  })
})
