import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { MqttClient } from 'mqtt'
import { benchRegistry } from '../../bench/bench-registry.ts'
import { Lab } from '../../lab/lab.ts'
import { openInProcessStream } from '../../simulation/connector.ts'
import { silentLogger } from '../../util/log.ts'
import { ALL_DEVICES_FILTER } from '../../contract/topics.ts'

/**
 * The soak: an embedded lab under a high steady load for minutes, memory sampled every 10 s, to show
 * that nothing grows without bound (queues, detector tables, sessions, sinks). Not part of `npm test`;
 * RELIABILITY.md records a 10-minute run. `npm run soak -- --minutes 10 --devices 240 --speed 20`.
 *
 * The load is the simulated ward itself (the bench's ICU layout: a monitor, pump and ventilator per
 * bed), sped up: every message goes through the broker, the whole pipeline (validation, NEWS2,
 * FHIR, routing, the JSONL sinks) and the security detectors, and out again to an observer that
 * subscribes to `hospital/#`, as a dashboard would.
 */
const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    devices: { type: 'string', default: '240' },
    speed: { type: 'string', default: '20' },
    'sample-seconds': { type: 'string', default: '10' },
    json: { type: 'string' },
  },
})

interface Sample {
  seconds: number
  rssMb: number
  heapUsedMb: number
  /** Buffers and other memory outside the V8 heap (socket and file write queues live here). */
  externalMb: number
  messagesPerSecond: number
  clients: number
}

const minutes = Number(values.minutes)
const sampleMs = Number(values['sample-seconds']) * 1000
const key = Buffer.alloc(32, 5)
const outputDir = mkdtempSync(join(tmpdir(), 'wardlab-soak-'))
const lab = await Lab.start({
  registry: benchRegistry({ devices: Number(values.devices), gateway: 1, key, simulated: true }),
  provisioningKey: key,
  profile: 'lab',
  listeners: [],
  seed: 'soak',
  speed: Number(values.speed),
  simulate: true,
  log: silentLogger,
  outputDir,
})
let delivered = 0
const observer = new MqttClient(() => openInProcessStream((s) => lab.handleConnection(s), 'soak-observer'), {
  protocolVersion: 4,
  clientId: 'soak-observer',
  reconnectPeriod: 0,
})
observer.on('message', () => delivered++)
await new Promise<void>((resolve) => observer.once('connect', () => resolve()))
await observer.subscribeAsync(ALL_DEVICES_FILTER, { qos: 0 })

const samples: Sample[] = []
const started = performance.now()
let lastReceived = lab.pipeline.counters.received
process.stdout.write(
  `soak: ${values.devices} simulated devices at ${values.speed}× for ${minutes} min, sampling every ${sampleMs / 1000} s\n  time   rss MB  heap MB  ext MB   msg/s  clients\n`,
)
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    const received = lab.pipeline.counters.received
    const memory = process.memoryUsage()
    const sample: Sample = {
      seconds: Math.round((performance.now() - started) / 1000),
      rssMb: memory.rss / 2 ** 20,
      heapUsedMb: memory.heapUsed / 2 ** 20,
      externalMb: memory.external / 2 ** 20,
      messagesPerSecond: (received - lastReceived) / (sampleMs / 1000),
      clients: lab.broker.connectedClients,
    }
    lastReceived = received
    samples.push(sample)
    process.stdout.write(
      `${String(sample.seconds).padStart(6)} ${sample.rssMb.toFixed(1).padStart(8)} ${sample.heapUsedMb.toFixed(1).padStart(8)} ${sample.externalMb.toFixed(1).padStart(7)} ${Math.round(sample.messagesPerSecond).toString().padStart(7)} ${String(sample.clients).padStart(8)}\n`,
    )
    if (performance.now() - started >= minutes * 60_000) {
      clearInterval(timer)
      resolve()
    }
  }, sampleMs)
})

await observer.endAsync()
await lab.stop()
rmSync(outputDir, { recursive: true, force: true })

// The first minute is warm-up (JIT, pools, caches filling); memory must be flat after it.
const steady = samples.filter((s) => s.seconds > 60)
const summary = {
  devices: Number(values.devices),
  speed: Number(values.speed),
  minutes,
  messages: lab.pipeline.counters.received,
  delivered,
  meanMessagesPerSecond: Math.round(steady.reduce((n, s) => n + s.messagesPerSecond, 0) / Math.max(1, steady.length)),
  rssMb: range(steady.map((s) => s.rssMb)),
  heapUsedMb: range(steady.map((s) => s.heapUsedMb)),
  externalMb: range(steady.map((s) => s.externalMb)),
  /** Least-squares slope of RSS after warm-up, in MB per minute: about 0 when memory is flat. */
  rssSlopeMbPerMinute: slope(steady.map((s) => [s.seconds / 60, s.rssMb] as const)),
  heapSlopeMbPerMinute: slope(steady.map((s) => [s.seconds / 60, s.heapUsedMb] as const)),
  received: lab.pipeline.counters.received,
  valid: lab.pipeline.counters.valid,
  quarantined: lab.pipeline.counters.quarantined,
  samples,
}
const { samples: _all, ...headline } = summary
process.stdout.write(`${JSON.stringify(headline, null, 2)}\n`)
if (values.json) writeFileSync(values.json, JSON.stringify(summary, null, 2))

function range(values: number[]): { first: number; last: number; min: number; max: number } {
  const round = (n: number) => Math.round(n * 10) / 10
  return { first: round(values[0] ?? 0), last: round(values.at(-1) ?? 0), min: round(Math.min(...values)), max: round(Math.max(...values)) }
}

function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length
  if (n < 2) return 0
  const mx = points.reduce((s, [x]) => s + x, 0) / n
  const my = points.reduce((s, [, y]) => s + y, 0) / n
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0)
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0)
  return Math.round((sxy / sxx) * 100) / 100
}
