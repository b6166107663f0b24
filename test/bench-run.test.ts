import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { benchRegistry, connectionCredentials } from '../src/bench/bench-registry.ts'
import { runBench } from '../src/bench/bench.ts'
import { monoMs } from '../src/bench/clock.ts'
import { benchDevices, benchTopic } from '../src/bench/fleet-layout.ts'
import { joinRecords } from '../src/bench/join-records.ts'
import { WireConnection } from '../src/bench/mqtt-wire.ts'
import { fleetPayloads } from '../src/bench/payloads.ts'
import { RecordLog } from '../src/bench/record-log.ts'
import type { BenchReport } from '../src/bench/result.ts'
import { BenchSubscriber } from '../src/bench/subscriber.ts'
import { parseVariants } from '../src/cli/commands/bench.ts'
import { Lab, type LabOptions } from '../src/lab/lab.ts'
import { silentLogger } from '../src/util/log.ts'

const tempDir = () => mkdtempSync(join(tmpdir(), 'wardlab-bench-test-'))

/** An embedded lab on a free port for the bench fleet of `key`, no simulated devices. */
function benchLab(key: Buffer, overrides: Partial<LabOptions> = {}): Promise<Lab> {
  return Lab.start({
    registry: benchRegistry({ devices: 3, gateway: 1, key }),
    provisioningKey: key,
    profile: 'lab',
    listeners: [{ kind: 'mqtt', host: '127.0.0.1', port: 0, flag: '--port' }],
    seed: 'test',
    speed: 1,
    simulate: false,
    log: silentLogger,
    outputDir: tempDir(),
    ...overrides,
  })
}

describe('bench accounting against the embedded broker', () => {
  const key = Buffer.alloc(32, 3)
  let lab: Lab
  beforeAll(async () => {
    lab = await benchLab(key)
  })
  afterAll(async () => lab?.stop())

  it('finds the injected gap, duplicate and reordering in what the subscriber received, and the pipeline validates every fleet payload', async () => {
    const port = lab.bound[0]!.port
    const devices = benchDevices(3)
    const deviceByTopic = new Map(devices.map((d) => [benchTopic(d, 'telemetry'), d.index]))
    const subscriber = await BenchSubscriber.start({ host: '127.0.0.1', port, qos: 1, deviceByTopic, outputs: true })
    const publisher = await WireConnection.open({
      host: '127.0.0.1',
      port,
      ...connectionCredentials(key, 0, 1, devices),
      keepaliveS: 60,
      connectTimeoutMs: 5000,
    })
    const payloads = fleetPayloads(devices, 'test')
    const topic = Buffer.from(benchTopic(devices[0]!, 'telemetry'))
    const sends = new RecordLog()
    // The load starts now on the machine-wide clock (monoMs): a start of 0 would make the
    // per-second timeline as long as the machine's uptime, a histogram for each second.
    const startAt = monoMs()
    // seq 6 never sent (a gap), 3 sent late (after 4) and twice.
    const order = [0, 1, 2, 4, 3, 3, 5, 7]
    for (const seq of order) {
      const now = monoMs()
      sends.append(0, seq, now)
      publisher.writePublishes([{ topic, payload: payloads.text(0, seq, Date.now()), qos: 1, messageId: seq + 1 }], now)
    }
    const deadline = Date.now() + 5000
    while (subscriber.received < order.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    await publisher.end()
    await subscriber.close()

    const joined = joinRecords({
      sentPerDevice: Uint32Array.of(8, 0, 0),
      sends: [sends.take()],
      receives: [subscriber.take()],
      startAt,
      windowStart: startAt,
      windowEnd: Infinity,
    })
    expect(joined.totals).toEqual({ sent: 8, delivered: 7, lost: 1, duplicates: 1, reordered: 1 })
    expect(joined.latency!.count).toBe(7)
    expect(joined.latency!.max).toBeGreaterThan(0)
    expect(lab.pipeline.counters).toMatchObject({ received: 8, valid: 8, quarantined: 0 })
    // The vital signs became FHIR Observations on the broker, which the subscriber took as outputs.
    expect(subscriber.outputs).toBeGreaterThan(0)
  })
})

describe('the pipeline in a worker thread (--pipeline on, as wardlab start runs it)', () => {
  const key = Buffer.alloc(32, 4)
  let lab: Lab
  beforeAll(async () => {
    lab = await benchLab(key, { pipelineWorkers: 1 })
  })
  afterAll(async () => lab?.stop())

  it('validates every device message off the broker thread and publishes its outputs back through the broker', async () => {
    const port = lab.bound[0]!.port
    const devices = benchDevices(3)
    const subscriber = await BenchSubscriber.start({
      host: '127.0.0.1',
      port,
      qos: 0,
      deviceByTopic: new Map(devices.map((d) => [benchTopic(d, 'telemetry'), d.index])),
      outputs: true,
    })
    const publisher = await WireConnection.open({
      host: '127.0.0.1',
      port,
      ...connectionCredentials(key, 0, 1, devices),
      keepaliveS: 60,
      connectTimeoutMs: 5000,
    })
    const payloads = fleetPayloads(devices, 'test')
    const topic = Buffer.from(benchTopic(devices[0]!, 'telemetry'))
    publisher.writePublishes(
      Array.from({ length: 10 }, (_, seq) => ({ topic, payload: payloads.text(0, seq, Date.now()), qos: 0 as const, messageId: 0 })),
      monoMs(),
    )
    const deadline = Date.now() + 10_000
    while ((subscriber.received < 10 || subscriber.outputs === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    await publisher.end()
    await lab.pipeline.drain()
    await subscriber.close()
    expect(lab.pipeline.counters).toMatchObject({ received: 10, valid: 10, quarantined: 0 })
    expect(lab.pipeline.counters.routed).toBeGreaterThan(0)
    expect(subscriber.outputs).toBeGreaterThan(0)
  })
})

describe('wardlab bench, end to end', () => {
  let report: BenchReport
  beforeAll(async () => {
    report = await runBench({
      load: {
        devices: 9,
        ratePerDevice: 20,
        qos: 1,
        payload: { type: 'fleet' },
        durationS: 1,
        rampUpS: 0,
        connectRate: 1000,
        gateway: 3,
        workers: 2,
        inflight: 32,
        seed: 'test',
        key: Buffer.alloc(32, 5),
        consumeOutputs: false,
      },
      variants: parseVariants('embedded', 'on', 'wardlab', 'pipeline=off,on'),
      rounds: 1,
      outputDir: tempDir(),
      command: 'test',
    })
  }, 30_000)

  it('runs both sides of the comparison through gateways in two generator processes, losing nothing', () => {
    expect(report.runs.map((r) => r.variant)).toEqual(['pipeline off', 'pipeline on'])
    for (const run of report.runs) {
      expect(run.connections).toBe(3)
      expect(run.generator.workers).toBe(2)
      expect(run.totals.sent).toBeGreaterThan(0)
      expect(run.totals).toMatchObject({ lost: 0, duplicates: 0, reordered: 0 })
      expect(run.deliveredPct).toBe(100)
      expect(run.latency!.count).toBeGreaterThan(0)
      expect(run.latency!.p50).toBeLessThanOrEqual(run.latency!.p99)
      expect(run.latency!.p99).toBeLessThanOrEqual(run.latency!.max)
      expect(run.timeline.length).toBeGreaterThanOrEqual(1)
      expect(run.broker!.peakRssMB).toBeGreaterThan(0)
      // The broker's own event loop over the window: a second of it at least, logged on the shared clock.
      expect(run.brokerEventLoop!.maxMs).toBeGreaterThan(0)
      expect(run.brokerEventLoop!.secondsOverStall).toBeGreaterThanOrEqual(0)
    }
  })

  it('runs the pipeline only when it is on, and every fleet payload passes it', () => {
    const [off, on] = report.runs
    expect(off!.pipeline).toBeNull()
    expect(on!.pipeline).toMatchObject({ received: on!.totals.sent, valid: on!.totals.sent, quarantined: 0 })
    expect(on!.pipeline!.routed).toBeGreaterThan(0)
  })

  it('reports each compared figure as a ratio of pipeline on to pipeline off', () => {
    const delivered = report.comparisons.find((c) => c.figure === 'delivered msg/s')!
    const [ratio] = delivered.ratios
    expect(ratio).toMatchObject({ variant: 'pipeline on', baseline: 'pipeline off' })
    expect(ratio!.perRound).toHaveLength(1)
    expect(ratio!.median).toBeCloseTo(report.runs[1]!.rates.delivered / report.runs[0]!.rates.delivered, 9)
  })
})

describe('bench variants', () => {
  it('refuses a pipeline comparison on a broker without one', () => {
    expect(() => parseVariants('mosquitto', 'on', 'wardlab', 'pipeline=off,on')).toThrow(/needs --target embedded/)
    expect(parseVariants('embedded,mosquitto,mqtt://127.0.0.1:1884', 'on', 'wardlab', undefined).map((v) => v.label)).toEqual([
      'embedded, pipeline on',
      'mosquitto',
      'mqtt://127.0.0.1:1884',
    ])
  })
})
