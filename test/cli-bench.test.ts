import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runWardlab } from './support/cli.ts'

const dir = mkdtempSync(join(tmpdir(), 'wardlab-bench-cli-'))
const SMALL = ['bench', '--devices', '10', '--rate', '5', '--duration', '3']

describe('wardlab bench from the command line', () => {
  it('shows a line per second during the load, hides rows that do not apply, writes CSV, and fails on a missed threshold with exit 1', {
    timeout: 120_000,
  }, async () => {
    const csv = join(dir, 'timeline.csv')
    const svg = join(dir, 'timeline.svg')
    const result = await runWardlab([...SMALL, '--csv', csv, '--svg', svg, '--threshold', 'delivered>=50%', '--threshold', 'p50<0.001ms'])
    expect(result.code, result.stderr).toBe(1)
    for (const second of [1, 2, 3])
      expect(result.stderr).toMatch(new RegExp(`^${second}/3 s  sent \\d+/s  delivered \\d+/s  delivered so far \\d+\\.\\d\\d %$`, 'm'))
    // The embedded broker has no Redis: its rows are left out rather than shown as dashes.
    expect(result.stdout).toContain('latency p99 ms')
    expect(result.stdout).not.toMatch(/Redis/)
    expect(result.stdout).toMatch(/^ok {3}delivered>=50%: [\d.]+ % \(embedded, pipeline on\)$/m)
    expect(result.stdout).toMatch(/^FAIL p50<0\.001ms: [\d.]+ ms \(embedded, pipeline on\)$/m)
    const [header, ...rows] = readFileSync(csv, 'utf8').trimEnd().split('\n')
    expect(header).toBe('variant,round,second,offered,achieved,delivered,p50_ms,p99_ms,max_ms,broker_cpu,generator_cpu,broker_loop_max_ms')
    expect(rows.length).toBeGreaterThanOrEqual(3)
    expect(rows[0]).toMatch(/^"embedded, pipeline on",1,0,\d+,\d+,\d+,/)
    // The embedded broker measures its event loop every second of the load: the last column is filled.
    for (const row of rows.slice(0, 3)) expect(row).toMatch(/,\d+(\.\d+)?$/)
    // …and the chart draws it beside the latency it may explain.
    const chart = readFileSync(svg, 'utf8')
    expect(chart).toMatch(/^<svg /)
    expect(chart).toContain('broker loop held')
  })

  it('exits 0 when every threshold holds', { timeout: 120_000 }, async () => {
    const result = await runWardlab([...SMALL, '--threshold', 'p99<60s', '--threshold', 'lost<=1000000'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^ok {3}p99<60s: /m)
  })

  it.each([
    ['p99<fast', 'not a threshold'],
    ['p98<50ms', 'unknown metric "p98"'],
    ['delivered>=99ms', 'delivered is measured in %, not ms'],
  ])('refuses threshold %s before sending anything (exit 2)', async (threshold, message) => {
    const result = await runWardlab([...SMALL, '--threshold', threshold])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(`--threshold "${threshold}": ${message}`)
    expect(result.stderr).not.toContain('connecting')
  })

  it('says a target nobody listens at cannot be reached (exit 3), without a stack trace', { timeout: 60_000 }, async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as { port: number }).port
    await new Promise((resolve) => closed.close(resolve))
    const result = await runWardlab([...SMALL, '--target', `mqtt://127.0.0.1:${port}`])
    expect(result.code).toBe(3)
    expect(result.stderr).toContain(
      `wardlab bench: cannot reach the target mqtt://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}; is an MQTT broker listening there?`,
    )
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })
})
