import { mkdirSync } from 'node:fs'
import { BenchChild } from './children.ts'
import { monoMs } from './clock.ts'
import { loopStallsBetween } from './loop-delay.ts'
import { benchTopic, type BenchDevice } from './fleet-layout.ts'
import { shareDevices, shareFilters, splitConnections, type ConnectionShare } from './fleet-share.ts'
import type { FromGenerator, ToGenerator } from './generator-process.ts'
import type { EngineName, GeneratorCounters, GeneratorPlan } from './generator-plan.ts'
import { joinRecords, type JoinedRun } from './join-records.ts'
import { LatencyHistogram } from '../util/latency.ts'
import { startLiveProgress } from './progress.ts'
import type { RecordChunk } from './record-log.ts'
import type { RunResult } from './result.ts'
import { BenchSubscriber } from './subscriber.ts'
import { describeTarget, startTarget } from './targets.ts'
import type { RunningTarget, TargetReport, TargetSpec } from './target-spec.ts'
import { summariseRun } from './summarise.ts'
import { DEFAULT_MQTT_VERSION, type MqttVersion } from '../simulation/mqtt-version.ts'
import type { LoadOptions } from './load-options.ts'
import { startSampler } from './sampler.ts'
import { WardlabError } from '../util/errors.ts'
import { brokerContext } from './broker-node.ts'
import { siblingModule } from '../util/package-files.ts'
import { accountUndelivered } from './undelivered.ts'

export interface RunOptions {
  load: LoadOptions
  target: TargetSpec
  engine: EngineName
  /** What the generators and the subscriber speak; 3.1.1 when left out. */
  mqttVersion?: MqttVersion
  variant: string
  round: number
  outputDir: string
  brokerExecArgv?: string[]
  pipelineWorkers?: number
  progress?: (line: string) => void
  /** Generate and receive only these connections' messages (one machine of several, agent.ts); default all. */
  share?: ConnectionShare
  /** Once every connection is up, says when the load starts (monotonic ms); default START_DELAY_MS from then. */
  startGate?: (connect: RunResult['connect']) => Promise<number>
}

/** A run's figures with the histograms behind them, which another machine can merge (merge-results.ts). */
export interface MeasuredRun {
  result: RunResult
  joined: JoinedRun
  connectTimes: LatencyHistogram
}

/** Load starts this long after every generator is connected, so all start on the same instant. */
const START_DELAY_MS = 200
/** After the load, the subscriber gets this long without a new message before the run ends. */
const DRAIN_QUIET_MS = 2000
const DRAIN_MAX_MS = 60_000

/**
 * One measured run: start the target, connect the subscriber, connect the generators, run the
 * load, wait for the subscriber to drain, stop everything, then join the logs. CPU and memory of
 * every process are sampled from /proc once a second from the start of the load.
 */
export async function runOnce(options: RunOptions): Promise<RunResult> {
  return (await measureRun(options)).result
}

export async function measureRun(options: RunOptions): Promise<MeasuredRun> {
  const { load } = options
  mkdirSync(options.outputDir, { recursive: true })
  const say = options.progress ?? (() => undefined)
  let stopTarget: (() => Promise<unknown>) | null = null
  const share = options.share ?? { firstConnection: 0, connections: Math.ceil(load.devices / load.gateway) }
  const connections = share.connections
  const devices = shareDevices(share, load.gateway, load.devices)
  const workers = Math.min(load.workers, connections)
  // Generator processes load their modules while the broker starts.
  const generators = Array.from(
    { length: workers },
    (_, w) => new BenchChild<ToGenerator, FromGenerator>(siblingModule('./generator-process.ts', import.meta.url), { name: `generator ${w + 1}` }),
  )
  let subscriber: BenchSubscriber | null = null
  try {
    const target = await startTarget(options.target, brokerContext(load, options))
    stopTarget = target.stop
    // On a cluster, the subscriber is on node 1: what devices publish on the other nodes crosses Redis.
    subscriber = await reachable(options.target, () =>
      BenchSubscriber.start({
        host: target.host,
        port: target.ports[0]!,
        qos: load.qos,
        deviceByTopic: topicIndex(devices),
        outputs: load.consumeOutputs,
        mqttVersion: options.mqttVersion ?? DEFAULT_MQTT_VERSION,
        ...(options.share ? { deviceFilters: shareFilters(devices, load.devices) } : {}),
      }),
    )
    const connectStarted = monoMs()
    const parts = splitConnections(connections, workers)
    generators.forEach((child, w) => {
      const part = parts[w]!
      child.send({ type: 'start', plan: generatorPlan(options, target, share.firstConnection + part.firstConnection, part.connections, workers) })
    })
    say(
      `${describeTarget(options.target)}: connecting ${connections.toLocaleString('en-US')} connections from ${workers} generator process${workers === 1 ? '' : 'es'}`,
    )
    const connected = await Promise.all(generators.map((g) => g.next('connected')))
    const connectWallMs = monoMs() - connectStarted
    const connectTimes = new LatencyHistogram()
    for (const c of connected) for (const ms of c.connectMs) connectTimes.record(ms)
    const failures = connected.flatMap((c) => c.failures)
    const retried = connected.flatMap((c) => c.retried)
    if (failures.length > 0) say(`${failures.length.toLocaleString('en-US')} connections failed, the first with: ${failures[0]}`)
    if (retried.length > 0) say(`${retried.length.toLocaleString('en-US')} connections were refused as busy and retried, the first with: ${retried[0]}`)
    const connect: RunResult['connect'] = {
      wallMs: connectWallMs,
      perConnection: connectTimes.summary(),
      failures: failures.length,
      firstFailure: failures[0] ?? null,
      retried: retried.length,
    }

    const startAt = options.startGate ? await options.startGate(connect) : monoMs() + START_DELAY_MS
    const loadMs = (load.rampUpS + load.durationS) * 1000
    const seconds: GeneratorCounters[] = []
    /** How many generators have reported each second: a second is complete when all have. */
    const reports: number[] = []
    const sends: RecordChunk[] = []
    let logsSends = true
    for (const g of generators) {
      g.on('second', (m) => {
        const total = (seconds[m.second] ??= { offered: 0, sent: 0, skipped: 0, acked: 0, disconnects: 0 })
        reports[m.second] = (reports[m.second] ?? 0) + 1
        for (const key of Object.keys(total) as (keyof GeneratorCounters)[]) total[key] += m.counters[key]
        if (m.records) sends.push(m.records)
        else logsSends = false
      })
      g.send({ type: 'load', startAt })
    }
    const liveSubscriber = subscriber
    const stall = load.subscriberStallS === undefined ? null : setTimeout(() => liveSubscriber.stall(), startAt + load.subscriberStallS * 1000 - monoMs())
    const sampler = startSampler(startAt, { brokers: target.brokerPids, redis: target.redisPid, generators: generators.map((g) => g.pid) })
    say(`${describeTarget(options.target)}: load for ${load.rampUpS ? `${load.rampUpS} s ramp-up + ` : ''}${load.durationS} s`)
    const stopProgress = startLiveProgress({
      startAt,
      seconds: Math.ceil(load.rampUpS + load.durationS),
      sentIn: (k) => (reports[k] === generators.length ? seconds[k]!.sent : undefined),
      delivered: () => liveSubscriber.received,
      say,
      now: monoMs,
    })
    const done = await Promise.all(generators.map((g) => g.next('done'))).finally(stopProgress)
    if (stall) clearTimeout(stall)
    sampler.stop()
    const sentPerDevice = new Uint32Array(load.devices)
    for (const d of done) {
      sentPerDevice.set(d.sentPerDevice, d.firstDevice)
      if (d.records) sends.push(d.records)
    }
    const sent = done.reduce((n, d) => n + d.counters.sent, 0)
    await drain(subscriber, sent)
    if (subscriber.droppedAt !== null)
      say(
        `the subscriber's connection closed ${((subscriber.droppedAt - startAt) / 1000).toFixed(1)} s into the load (the broker dropped it or died): what it missed counts as lost`,
      )
    // The broker's side of the account, then the subscriber's, back to back: what was written to it and not yet read is what stays queued.
    const accounts = (await target.account?.().catch(() => null)) ?? null
    const arrivals = subscriber.received
    const droppedAt = subscriber.droppedAt
    const receives = [subscriber.take()]
    const pipelineOutputs = subscriber.outputs
    await Promise.all(
      generators.map(async (g) => {
        g.send({ type: 'stop' })
        await g.next('stopped')
        await g.finish()
      }),
    )
    await subscriber.close()
    subscriber = null
    stopTarget = null
    const { stopped, brokerFailure } = await stopMeasuredTarget(target, say)

    const windowStart = startAt + load.rampUpS * 1000
    const joined = joinRecords({ sentPerDevice, sends: logsSends ? sends : null, receives, startAt, windowStart, windowEnd: startAt + loadMs })
    const result = summariseRun({
      variant: options.variant,
      round: options.round,
      target: describeTarget(options.target),
      engine: options.engine,
      mqttVersion: options.mqttVersion ?? DEFAULT_MQTT_VERSION,
      connections,
      workers,
      connect,
      load,
      perSecond: seconds,
      done: done.map((d) => ({ counters: d.counters, loadCpuMs: d.loadCpuMs })),
      joined,
      samples: sampler.samples,
      ...stopped,
      brokerEventLoop: loopStallsBetween(stopped.loopDelay, windowStart, startAt + loadMs),
      loadStartAt: startAt,
      window: { fromMs: windowStart, toMs: startAt + loadMs },
      pipelineOutputs,
      brokerFailure,
    })
    result.undelivered = accountUndelivered({ ...joined.totals, arrivals, accounts, startAt, subscriberDroppedAt: droppedAt })
    // Why the broker turned logins away (a bench connection failed or was retried), summed over its nodes.
    if (accounts) result.connect.refusedBy = sumCounts(accounts.map((a) => a.refusedLogins))
    return { result, joined, connectTimes }
  } finally {
    await subscriber?.close()
    for (const g of generators) if (g.process.exitCode === null) g.process.kill()
    // Only reached early when something else failed: that failure is the one to report.
    await stopTarget?.().catch(() => undefined)
  }
}

/** A target nothing answers at is the user's setup, not a crash: say which address and why (EXIT.runtime). */
async function reachable<T>(target: TargetSpec, connect: () => Promise<T>): Promise<T> {
  try {
    return await connect()
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (!code || !/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNRESET)$/.test(code)) throw err
    throw new WardlabError(
      'WL_TARGET_UNREACHABLE',
      `wardlab bench: cannot reach the target ${describeTarget(target)}: ${(err as Error).message}; is an MQTT broker listening there?`,
      { cause: err },
    )
  }
}

function generatorPlan(
  options: RunOptions,
  target: { host: string; ports: number[] },
  firstConnection: number,
  connections: number,
  workers: number,
): GeneratorPlan {
  const { load } = options
  return {
    host: target.host,
    ports: target.ports,
    totalDevices: load.devices,
    firstConnection,
    connections,
    gateway: load.gateway,
    ratePerDevice: load.ratePerDevice,
    qos: load.qos,
    payload: load.payload,
    seed: load.seed,
    key: load.key.toString('base64'),
    connectRate: load.connectRate / workers,
    inflight: load.inflight,
    rampUpS: load.rampUpS,
    durationS: load.durationS,
    engine: options.engine,
    mqttVersion: options.mqttVersion ?? DEFAULT_MQTT_VERSION,
  }
}

/**
 * Stops a target after its load. A broker that dies on the way down (15,000 clients disconnecting
 * at once can do that) has still been measured: the figures stand, and the death is reported
 * beside them.
 */
export async function stopMeasuredTarget(target: RunningTarget, say: (line: string) => void): Promise<{ stopped: TargetReport; brokerFailure: string | null }> {
  try {
    return { stopped: await target.stop(), brokerFailure: null }
  } catch (err) {
    const brokerFailure = firstLines((err as Error).message)
    say(`the broker failed while stopping: ${brokerFailure}`)
    return { stopped: { pipeline: null, clientsPerNode: [], skippedDeliveries: null, subscriptionsDropped: null, loopDelay: null }, brokerFailure }
  }
}

/** The message and the first frame of a child's crash, enough to recognise it. */
function firstLines(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
  const error = lines.find((l) => /^[A-Za-z]*Error\b/.test(l))
  return [lines[0], error].filter(Boolean).join(' — ')
}

/** Every topic these bench devices publish on, to its device index. */
function topicIndex(devices: readonly BenchDevice[]): Map<string, number> {
  const index = new Map<string, number>()
  for (const d of devices) for (const channel of ['telemetry', 'alarm', 'event'] as const) index.set(benchTopic(d, channel), d.index)
  return index
}

/** Waits until the subscriber has everything sent, or has heard nothing new for a while. */
async function drain(subscriber: BenchSubscriber, sent: number): Promise<void> {
  const deadline = monoMs() + DRAIN_MAX_MS
  let last = -1
  let quietSince = monoMs()
  while (subscriber.received < sent && monoMs() < deadline) {
    if (subscriber.received !== last) {
      last = subscriber.received
      quietSince = monoMs()
    } else if (monoMs() - quietSince > DRAIN_QUIET_MS) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

function sumCounts(counts: Record<string, number>[]): Record<string, number> {
  const total: Record<string, number> = {}
  for (const c of counts) for (const [key, n] of Object.entries(c)) total[key] = (total[key] ?? 0) + n
  return total
}
