import { connect } from 'node:net'
import { WardlabError } from '../util/errors.ts'
import {
  formatAddress,
  LineChannel,
  parseFromAgent,
  PROTOCOL_VERSION,
  toWireLoad,
  type AgentReport,
  type FromAgent,
  type HostPort,
  type ToAgent,
} from './agent-protocol.ts'
import { machine, settingsOf, type BenchOptions } from './bench.ts'
import { monoMs } from './clock.ts'
import { shareDevices, splitConnections } from './fleet-share.ts'
import { mergeAgentRuns, startSkewBound, type AgentRun } from './merge-results.ts'
import type { BenchReport } from './result.ts'
import { stopMeasuredTarget } from './run.ts'
import { startSampler } from './sampler.ts'
import { describeTarget, startTarget } from './targets.ts'
import type { RunningTarget } from './target-spec.ts'
import { DEFAULT_MQTT_VERSION } from '../simulation/mqtt-version.ts'
import { brokerContext } from './broker-node.ts'

type AgentChannel = LineChannel<FromAgent, ToAgent>

/** An agent could not be reached, refused, failed or went silent: the message names it and says how (exit 1). */
const agentError = (message: string, cause?: unknown) => new WardlabError('WL_BENCH_AGENT', `wardlab bench --coordinator: ${message}`, { cause })

const CONNECT_TIMEOUT_MS = 5000
const PINGS = 5
/** The agents start the load this long, plus the slowest round trip, after the start lines leave. */
const START_DELAY_MS = 500
/** Beyond the load itself: an agent's drain (at most 60 s, run.ts), stopping and joining its logs. */
const RESULT_MARGIN_MS = 180_000

/**
 * `wardlab bench --coordinator`: one run whose load comes from several machines. The coordinator
 * starts the target (or names a remote one), gives each agent a contiguous share of the fleet's
 * connections and the run's key, waits until every agent has connected its share, and then tells
 * all of them to start "in D ms". Each agent measures latency on its own clock (agent.ts); the
 * coordinator merges their histograms and counters (merge-results.ts).
 *
 * Start skew: agent i is told to start D − (time since the first start line) − RTTᵢ/2 after its
 * line arrives, RTTᵢ being the median of PINGS round trips just before. The line's one-way delay
 * is somewhere between 0 and the round trip of the line and the agent's immediate answer, so agent
 * i starts within [−RTTᵢ/2, ackRTTᵢ − RTTᵢ/2] of the meant instant; the report gives each agent's
 * interval and the widest gap they allow between any two agents.
 */
export async function runCoordinated(options: BenchOptions, addresses: readonly HostPort[]): Promise<BenchReport> {
  const { load } = options
  if (options.variants.length !== 1 || options.rounds !== 1) throw new Error('a coordinated run has one target and one round')
  if (addresses.length > Math.ceil(load.devices / load.gateway)) throw new Error('a coordinated run needs at least one connection per agent')
  const variant = options.variants[0]!
  const mqttVersion = variant.mqttVersion ?? DEFAULT_MQTT_VERSION
  const say = options.progress ?? (() => undefined)
  const date = new Date().toISOString()
  const startMachine = machine()
  const channels = await connectAll(addresses)
  let target: RunningTarget | null = null
  let sampler: ReturnType<typeof startSampler> | null = null
  try {
    target = await startTarget(variant.target, brokerContext(load, { outputDir: options.outputDir, brokerExecArgv: options.brokerExecArgv }))
    const shares = splitConnections(Math.ceil(load.devices / load.gateway), channels.length)
    channels.forEach((channel, i) =>
      channel.send({
        type: 'plan',
        protocol: PROTOCOL_VERSION,
        agent: i,
        agents: channels.length,
        target: { host: target!.host, port: target!.ports[0]! },
        // The fleet's connect rate is shared out; only the first agent takes the pipeline's outputs, once.
        load: toWireLoad({ ...load, connectRate: load.connectRate / channels.length, consumeOutputs: load.consumeOutputs && i === 0 }),
        engine: variant.engine,
        mqttVersion,
        share: shares[i]!,
      }),
    )
    say(
      `${describeTarget(variant.target)}: ${channels.length} agents connecting ${shares.map((s, i) => `${s.connections.toLocaleString('en-US')} (${channels[i]!.peer})`).join(', ')}`,
    )
    const connectMs = (Math.max(...shares.map((s) => s.connections)) / (load.connectRate / channels.length)) * 1000 + 60_000
    const connected = await fromAgents(Promise.all(channels.map((c) => c.next('connected', connectMs))))
    connected.forEach((c, i) => c.failures > 0 && say(`${channels[i]!.peer}: ${c.failures} of ${c.connections} connections failed`))

    const rtts = await fromAgents(Promise.all(channels.map(medianRoundTrip)))
    const start = await fromAgents(startTogether(channels, rtts))
    sampler = startSampler(start.at, { brokers: target.brokerPids, redis: target.redisPid, generators: [] })
    say(
      `agents started together to within ${start.skewBoundMs.toFixed(2)} ms (round trips ${rtts.map((r) => r.toFixed(2)).join(', ')} ms); load for ${load.rampUpS ? `${load.rampUpS} s ramp-up + ` : ''}${load.durationS} s`,
    )
    const resultMs = (load.rampUpS + load.durationS) * 1000 + RESULT_MARGIN_MS
    const reports: AgentReport[] = (await fromAgents(Promise.all(channels.map((c) => c.next('result', resultMs))))).map((m) => m.report)
    sampler.stop()
    const { samples } = sampler
    sampler = null
    const running = target
    target = null
    const { stopped, brokerFailure } = await stopMeasuredTarget(running, say)
    const agents: AgentRun[] = reports.map((report, i) => {
      const devices = shareDevices(shares[i]!, load.gateway, load.devices)
      return {
        address: formatAddress(addresses[i]!),
        share: shares[i]!,
        devices: { first: devices[0]?.index ?? 0, count: devices.length },
        rttMs: rtts[i]!,
        startOffsetMs: start.offsets[i]!,
        report,
      }
    })
    const run = mergeAgentRuns(agents, {
      variant: variant.label,
      round: 0,
      target: describeTarget(variant.target),
      engine: variant.engine,
      mqttVersion,
      load,
      samples,
      ...stopped,
      brokerFailure,
    })
    return { tool: 'wardlab bench', date, machine: startMachine, command: options.command, settings: settingsOf(options), runs: [run], comparisons: [] }
  } finally {
    // On a failure, dropping the channels stops agents still waiting to start; one already under
    // load finishes its run and finds no one to report to.
    for (const channel of channels) channel.destroy()
    sampler?.stop()
    await target?.stop().catch(() => undefined)
  }
}

/** Connects to every agent, or fails naming each one that could not be reached. */
async function connectAll(addresses: readonly HostPort[]): Promise<AgentChannel[]> {
  const attempts = await Promise.allSettled(addresses.map(connectAgent))
  const failures = attempts.flatMap((a) => (a.status === 'rejected' ? [(a.reason as Error).message] : []))
  const channels = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []))
  if (failures.length === 0) return channels
  for (const channel of channels) channel.destroy()
  throw agentError(failures.join('\n'))
}

function connectAgent(address: HostPort): Promise<AgentChannel> {
  const name = `agent ${formatAddress(address)}`
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address.host, port: address.port })
    const onError = (err: Error) => {
      clearTimeout(timer)
      reject(new Error(`cannot reach ${name}: ${err.message} (is \`wardlab bench --agent --listen ${formatAddress(address)}\` running there?)`))
    }
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`cannot reach ${name}: no answer within ${CONNECT_TIMEOUT_MS / 1000} s`))
    }, CONNECT_TIMEOUT_MS)
    socket.once('error', onError)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.off('error', onError)
      resolve(new LineChannel(socket, name, parseFromAgent))
    })
  })
}

/** An agent's failure, loss or silence as the error the command reports (exit 1). */
async function fromAgents<T>(step: Promise<T>): Promise<T> {
  try {
    return await step
  } catch (err) {
    throw agentError((err as Error).message, err)
  }
}

async function medianRoundTrip(channel: AgentChannel): Promise<number> {
  const rtts: number[] = []
  for (let id = 0; id < PINGS; id++) {
    const sentAt = monoMs()
    channel.send({ type: 'ping', id })
    await channel.next('pong', CONNECT_TIMEOUT_MS)
    rtts.push(monoMs() - sentAt)
  }
  return rtts.sort((a, b) => a - b)[Math.floor(PINGS / 2)]!
}

/** Sends every start line in one turn of the event loop; the instant meant is `at` on this machine's clock. */
async function startTogether(
  channels: readonly AgentChannel[],
  rtts: readonly number[],
): Promise<{ at: number; offsets: { min: number; max: number }[]; skewBoundMs: number }> {
  const delay = START_DELAY_MS + Math.max(...rtts)
  const first = monoMs()
  const acks = channels.map((channel, i) => {
    const sentAt = monoMs()
    channel.send({ type: 'start', inMs: Math.max(0, delay - (sentAt - first) - rtts[i]! / 2) })
    return channel.next('starting', CONNECT_TIMEOUT_MS).then(() => monoMs() - sentAt)
  })
  const ackRtts = await Promise.all(acks)
  const offsets = ackRtts.map((ack, i) => ({ min: -rtts[i]! / 2, max: ack - rtts[i]! / 2 }))
  return { at: first + delay, offsets, skewBoundMs: startSkewBound(offsets) }
}
