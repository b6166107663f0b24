import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runBench } from '../src/bench/bench.ts'
import type { BenchReport, RunResult } from '../src/bench/result.ts'
import { parseVariants } from '../src/cli/commands/bench.ts'
import { testLoad } from './support/bench-load.ts'

describe('wardlab bench --target cluster:2, against a real redis-server', () => {
  let report: BenchReport
  let run: RunResult
  beforeAll(async () => {
    report = await runBench({
      load: testLoad({ ratePerDevice: 5 }),
      variants: parseVariants('cluster:2', 'on', 'wardlab', undefined),
      rounds: 1,
      outputDir: mkdtempSync(join(tmpdir(), 'wardlab-bench-cluster-')),
      command: 'test',
    })
    run = report.runs[0]!
  }, 30_000)

  it('delivers every message to the subscriber on node 1, those published on node 2 through Redis, losing none', () => {
    expect(run.target).toBe('cluster of 2 on Redis, pipeline on')
    expect(run.connections).toBe(20)
    expect(run.connect.failures).toBe(0)
    expect(run.totals.sent).toBeGreaterThan(0)
    expect(run.totals).toMatchObject({ delivered: run.totals.sent, lost: 0, duplicates: 0, reordered: 0 })
    expect(run.deliveredPct).toBe(100)
    // Neither the brokers nor Redis dropped anything on the way: no slow subscriber, no node 32 MB behind.
    expect(run.skippedDeliveries).toBe(0)
    expect(run.subscriptionsDropped).toBe(0)
  })

  it('spreads the devices round-robin over both nodes, the subscriber on node 1', () => {
    expect(run.nodes.map((n) => n.clients)).toEqual([11, 10])
    for (const node of run.nodes) expect(node.peakRssMB).toBeGreaterThan(0)
  })

  it('runs the pipeline once per message, on the node where it entered, summed over the nodes', () => {
    expect(run.pipeline).toMatchObject({ received: run.totals.sent, valid: run.totals.sent, quarantined: 0 })
    expect(run.pipeline!.routed).toBeGreaterThan(0)
  })

  it("samples redis-server beside the brokers, whose figures are the nodes' sum", () => {
    expect(run.redis).not.toBeNull()
    expect(run.redis!.peakRssMB).toBeGreaterThan(0)
    expect(run.broker!.peakRssMB).toBeCloseTo(
      run.nodes.reduce((sum, n) => sum + n.peakRssMB, 0),
      6,
    )
  })
})

describe('bench node-count variants', () => {
  it('--compare nodes=1,2 runs each count as a cluster on Redis, one node included', () => {
    expect(parseVariants('embedded', 'off', 'wardlab', 'nodes=1,2')).toEqual([
      { label: 'nodes 1', target: { type: 'cluster', nodes: 1, pipeline: 'off' }, engine: 'wardlab' },
      { label: 'nodes 2', target: { type: 'cluster', nodes: 2, pipeline: 'off' }, engine: 'wardlab' },
    ])
  })

  it('refuses a node count outside 1 to 8, and nodes= on a broker the bench does not start', () => {
    expect(() => parseVariants('cluster:0', 'on', 'wardlab', undefined)).toThrow(/cluster:N takes 1 to 8 nodes/)
    expect(() => parseVariants('cluster:two', 'on', 'wardlab', undefined)).toThrow(/cluster:N takes 1 to 8 nodes/)
    expect(() => parseVariants('mosquitto', 'on', 'wardlab', 'nodes=1,2')).toThrow(/needs --target embedded or cluster:N/)
  })
})
