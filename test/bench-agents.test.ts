import { mkdtempSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { topicMatches } from '../src/contract/topics.ts'
import { BenchAgent } from '../src/bench/agent.ts'
import { LineChannel, parseHostPort, parseToAgent, type AgentReport, type FromAgent, type ToAgent } from '../src/bench/agent-protocol.ts'
import type { BenchOptions } from '../src/bench/bench.ts'
import { runCoordinated } from '../src/bench/coordinator.ts'
import { benchDevices, benchTopic } from '../src/bench/fleet-layout.ts'
import { shareDevices, shareFilters, splitConnections } from '../src/bench/fleet-share.ts'
import { joinRecords } from '../src/bench/join-records.ts'
import { LatencyHistogram } from '../src/util/latency.ts'
import { mergeAgentRuns, type AgentRun } from '../src/bench/merge-results.ts'
import { RecordLog } from '../src/bench/record-log.ts'
import { formatTable } from '../src/bench/report-table.ts'
import type { BenchReport } from '../src/bench/result.ts'
import type { LoadOptions } from '../src/bench/load-options.ts'
import { summariseRun } from '../src/bench/summarise.ts'
import { parseVariants } from '../src/cli/commands/bench.ts'
import { main } from '../src/cli/main.ts'
import { testLoad } from './support/bench-load.ts'

const tempDir = () => mkdtempSync(join(tmpdir(), 'wardlab-bench-agents-test-'))

const load = (devices: number): LoadOptions => testLoad({ devices })

const benchOptions = (target: string): BenchOptions => ({
  load: load(40),
  variants: parseVariants(target, 'on', 'wardlab', undefined),
  rounds: 1,
  outputDir: tempDir(),
  command: 'test',
})

describe('sharing the fleet between agents', () => {
  it('splits connections into contiguous shares and subscribes each share to exactly its own devices', () => {
    const shares = splitConnections(40, 2)
    expect(shares).toEqual([
      { firstConnection: 0, connections: 20 },
      { firstConnection: 20, connections: 20 },
    ])
    const filters = shares.map((share) => shareFilters(shareDevices(share, 1, 40), 40))
    // The second share holds ward 2 (devices 27–40) whole: one wildcard instead of 14 device filters.
    expect(filters[1]).toContain('hospital/bench-w0002/#')
    for (const device of benchDevices(40)) {
      const topic = benchTopic(device, 'telemetry')
      expect(filters.map((f) => f.some((filter) => topicMatches(filter, topic)))).toEqual([device.index < 20, device.index >= 20])
    }
  })

  it('reads agent addresses as host:port, [v6]:port or a bare host on the default port', () => {
    expect(parseHostPort('10.0.0.7:7000', 7883)).toEqual({ host: '10.0.0.7', port: 7000 })
    expect(parseHostPort('[::1]:7001', 7883)).toEqual({ host: '::1', port: 7001 })
    expect(parseHostPort('bench-2', 7883)).toEqual({ host: 'bench-2', port: 7883 })
    expect(parseHostPort('a:b:c', 7883)).toBeNull()
  })
})

/**
 * One agent's report from real logs: sends at `startAt + t` and receives `latency` ms later, in
 * the order given (a repeated seq is a duplicate, a lower one after a higher a reordering).
 */
function agentReport(
  devices: number,
  sends: [device: number, seq: number, t: number][],
  receives: [device: number, seq: number, latency: number][],
): AgentReport {
  const startAt = 1000
  const sendLog = new RecordLog()
  const receiveLog = new RecordLog()
  const sentPerDevice = new Uint32Array(devices)
  const sentAt = new Map<string, number>()
  for (const [device, seq, t] of sends) {
    sendLog.append(device, seq, startAt + t)
    sentAt.set(`${device}/${seq}`, startAt + t)
    sentPerDevice[device] = Math.max(sentPerDevice[device]!, seq + 1)
  }
  for (const [device, seq, latency] of receives) receiveLog.append(device, seq, sentAt.get(`${device}/${seq}`)! + latency)
  const joined = joinRecords({
    sentPerDevice,
    sends: [sendLog.take()],
    receives: [receiveLog.take()],
    startAt,
    windowStart: startAt,
    windowEnd: startAt + 2000,
  })
  const connectTimes = new LatencyHistogram()
  connectTimes.record(3)
  const perSecond = [0, 1].map((k) => {
    const sent = sends.filter(([, , t]) => Math.floor(t / 1000) === k).length
    return { offered: sent, sent, skipped: 0, acked: sent, disconnects: 0 }
  })
  const sent = sends.length
  const result = summariseRun({
    variant: 'agent',
    round: 0,
    target: 'mqtt://127.0.0.1:1883',
    engine: 'wardlab',
    connections: 2,
    workers: 1,
    connect: { wallMs: 5, perConnection: connectTimes.summary(), failures: 0, firstFailure: null },
    load: load(devices),
    perSecond,
    done: [{ counters: { offered: sent, sent, skipped: 0, acked: sent, disconnects: 0 }, loadCpuMs: 2 }],
    joined,
    samples: [],
    pipeline: null,
    clientsPerNode: [],
    pipelineOutputs: 0,
    brokerFailure: null,
  })
  return {
    result,
    deliveredInWindow: joined.deliveredInWindow,
    histograms: { connect: connectTimes.encode(), latency: joined.histogram!.encode(), seconds: joined.seconds.map((s) => s.histogram?.encode() ?? null) },
  }
}

describe('merging what the agents measured', () => {
  // Agent A (devices 0–1): device 0 loses seq 4, receives 3 before 2 and 2 twice. Agent B (devices 2–3): device 2 loses seq 1.
  const a = agentReport(
    4,
    [
      [0, 0, 100],
      [0, 1, 400],
      [0, 2, 900],
      [0, 3, 1200],
      [0, 4, 1500],
      [1, 0, 200],
      [1, 1, 1300],
    ],
    [
      [0, 0, 1],
      [0, 1, 2],
      [0, 3, 3],
      [0, 2, 40],
      [0, 2, 41],
      [1, 0, 5],
      [1, 1, 6],
    ],
  )
  const b = agentReport(
    4,
    [
      [2, 0, 300],
      [2, 1, 800],
      [2, 2, 1100],
    ],
    [
      [2, 0, 7],
      [2, 2, 90],
    ],
  )
  const agents: AgentRun[] = [a, b].map((report, i) => ({
    address: `10.0.0.${i + 1}:7883`,
    share: { firstConnection: 2 * i, connections: 2 },
    devices: { first: 2 * i, count: 2 },
    rttMs: 0.4,
    startOffsetMs: { min: -0.2 - i, max: 0.3 },
    report,
  }))
  const merged = mergeAgentRuns(agents, {
    variant: '2 agents',
    round: 0,
    target: 'mqtt://127.0.0.1:1883',
    engine: 'wardlab',
    load: load(4),
    samples: [],
    pipeline: null,
    clientsPerNode: [],
    brokerFailure: null,
  })

  it('sums the loss, reordering and duplicate accounting of every agent', () => {
    expect(a.result.totals).toMatchObject({ sent: 7, delivered: 6, lost: 1, duplicates: 1, reordered: 1 })
    expect(b.result.totals).toMatchObject({ sent: 3, delivered: 2, lost: 1, duplicates: 0, reordered: 0 })
    expect(merged.totals).toEqual({ sent: 10, delivered: 8, lost: 2, duplicates: 1, reordered: 1, skipped: 0, disconnects: 0, acked: 10 })
    expect(merged.deliveredPct).toBe(80)
    expect(merged.connections).toBe(4)
  })

  it('adds the histograms: the merged percentiles are those of every latency together, not averages of percentiles', () => {
    const all = new LatencyHistogram()
    for (const ms of [1, 2, 3, 40, 5, 6, 7, 90]) all.record(ms)
    expect(merged.latency!.count).toBe(a.result.latency!.count + b.result.latency!.count)
    expect(merged.latency!.count).toBe(merged.totals.delivered)
    expect(merged.latency).toEqual(all.summary())
  })

  it('lays the timelines over each other by second since the common start', () => {
    expect(merged.timeline.map((p) => p.delivered)).toEqual([a, b].reduce((sum, r) => sum.map((n, k) => n + (r.result.timeline[k]?.delivered ?? 0)), [0, 0]))
    expect(merged.timeline.map((p) => p.achieved)).toEqual([4 + 2, 3 + 1])
    // Second 0's arrivals: 1, 2, 40 (seq 2, late) and 5 ms from A, 7 from B; second 1's: 3 and 6 from A, 90 from B.
    expect(merged.timeline[0]!.max).toBeCloseTo(40, 1)
    expect(merged.timeline[1]!.max).toBeCloseTo(90, 1)
  })

  it('keeps each agent apart, and bounds the start skew by the widest gap their start intervals allow', () => {
    expect(merged.distributed!.agents.map((x) => [x.address, x.totals.sent, x.latency!.count])).toEqual([
      ['10.0.0.1:7883', 7, 6],
      ['10.0.0.2:7883', 3, 2],
    ])
    expect(merged.distributed!.startSkewBoundMs).toBeCloseTo(0.3 - -1.2, 9)
  })
})

describe('wardlab bench --coordinator with two agents on loopback', () => {
  let agents: BenchAgent[] = []
  let report: BenchReport
  beforeAll(async () => {
    agents = await Promise.all([0, 1].map(() => BenchAgent.listen({ host: '127.0.0.1', port: 0 })))
    report = await runCoordinated(benchOptions('embedded'), agents)
  }, 30_000)
  afterAll(async () => Promise.all(agents.map((agent) => agent.close())))

  it('gives each agent its own half of the fleet, and every message of both arrives', () => {
    const [run] = report.runs
    const [first, second] = run!.distributed!.agents
    expect([first!.devices, second!.devices]).toEqual([
      { first: 0, count: 20 },
      { first: 20, count: 20 },
    ])
    expect(first!.totals.sent).toBeGreaterThan(0)
    expect(second!.totals.sent).toBeGreaterThan(0)
    expect(run!.totals).toMatchObject({
      sent: first!.totals.sent + second!.totals.sent,
      delivered: first!.totals.delivered + second!.totals.delivered,
      acked: first!.totals.acked + second!.totals.acked,
    })
    expect(run!.totals).toMatchObject({ lost: 0, reordered: 0, duplicates: 0 })
    expect(run!.totals.delivered).toBe(run!.totals.sent)
    // Both agents' load went through the one broker the coordinator started, once each.
    expect(run!.pipeline).toMatchObject({ received: run!.totals.sent, valid: run!.totals.sent })
    expect(run!.connections).toBe(40)
  })

  it('merges the latency histograms: the count is the sum of the agents', () => {
    const [run] = report.runs
    const counts = run!.distributed!.agents.map((x) => x.latency!.count)
    expect(run!.latency!.count).toBe(counts[0]! + counts[1]!)
    // Only messages written after the window closed (the last tick's) are left out of it.
    expect(run!.latency!.count).toBeLessThanOrEqual(run!.totals.delivered)
    expect(run!.latency!.p50).toBeLessThanOrEqual(run!.latency!.p99)
    expect(run!.timeline.reduce((n, p) => n + p.delivered, 0)).toBe(run!.totals.delivered)
  })

  it("reports the start skew from the round trips, and each agent's figures under the merged table", () => {
    const [run] = report.runs
    const { agents: figures, startSkewBoundMs } = run!.distributed!
    for (const x of figures) expect(x.startOffsetMs.min).toBe(-x.rttMs / 2)
    expect(startSkewBoundMs).toBe(Math.max(...figures.map((x) => x.startOffsetMs.max)) - Math.min(...figures.map((x) => x.startOffsetMs.min)))
    const table = formatTable(report)
    for (const agent of agents) expect(table).toContain(agent.address)
    expect(table).toMatch(/started within [\d.]+ ms of each other/)
  })

  it('fails naming the agent when an agent cannot reach the target', async () => {
    const closed = await closedPort()
    const failed = runCoordinated(benchOptions(`mqtt://127.0.0.1:${closed}`), [agents[0]!])
    await expect(failed).rejects.toMatchObject({
      code: 'WL_BENCH_AGENT',
      message: expect.stringMatching(new RegExp(`agent ${agents[0]!.address}: .*ECONNREFUSED 127\\.0\\.0\\.1:${closed}`)),
    })
  })
})

describe('coordinator errors', () => {
  let fake: Server
  let fakePort: number
  beforeAll(async () => {
    // An agent that connects its share, starts, and then fails, as one whose generator died would.
    fake = createServer((socket) => {
      const channel = new LineChannel<ToAgent, FromAgent>(socket, 'coordinator', parseToAgent)
      channel.on('ping', (ping) => channel.send({ type: 'pong', id: ping.id }))
      channel.on('plan', (plan) => channel.send({ type: 'connected', connections: plan.share.connections, failures: 0 }))
      channel.on('start', () => {
        channel.send({ type: 'starting' })
        channel.send({ type: 'error', message: 'bench generator 1 process exited (code 1)' })
        channel.close()
      })
    })
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve))
    fakePort = (fake.address() as { port: number }).port
  })
  afterAll(() => new Promise<void>((resolve) => fake.close(() => resolve())))

  it('names every agent it cannot reach, before starting anything', async () => {
    const closed = await closedPort()
    await expect(
      runCoordinated(benchOptions('mqtt://127.0.0.1:1883'), [
        { host: '127.0.0.1', port: fakePort },
        { host: '127.0.0.1', port: closed },
      ]),
    ).rejects.toMatchObject({
      code: 'WL_BENCH_AGENT',
      message: expect.stringContaining(`cannot reach agent 127.0.0.1:${closed}: connect ECONNREFUSED`),
    })
  })

  it('reports an agent that fails during the run with its error', async () => {
    await expect(runCoordinated(benchOptions('mqtt://127.0.0.1:1883'), [{ host: '127.0.0.1', port: fakePort }])).rejects.toMatchObject({
      code: 'WL_BENCH_AGENT',
      message: `wardlab bench --coordinator: agent 127.0.0.1:${fakePort}: bench generator 1 process exited (code 1)`,
    })
  })

  it('refuses flag combinations a coordinated run cannot honour, with exit 2', async () => {
    expect(await main(['bench', '--agent', '--coordinator'])).toBe(2)
    expect(await main(['bench', '--coordinator'])).toBe(2)
    expect(await main(['bench', '--agents', '127.0.0.1:7883'])).toBe(2)
    expect(await main(['bench', '--coordinator', '--agents', '127.0.0.1:7883', '--compare', 'pipeline=off,on'])).toBe(2)
    expect(await main(['bench', '--coordinator', '--agents', 'a:1,b:2,c:3', '--devices', '2'])).toBe(2)
  })
})

/** A loopback port nothing listens on: bound, read, released. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
