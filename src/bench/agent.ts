import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WardlabError } from '../util/errors.ts'
import {
  formatAddress,
  fromWireLoad,
  LineChannel,
  parseToAgent,
  PROTOCOL_VERSION,
  type AgentPlan,
  type AgentReport,
  type FromAgent,
  type ToAgent,
} from './agent-protocol.ts'
import { monoMs } from './clock.ts'
import { assertSocketsFit, openFileLimit } from './fd-budget.ts'
import { measureRun, type MeasuredRun } from './run.ts'

type CoordinatorChannel = LineChannel<ToAgent, FromAgent>

/** A coordinator sends its plan as soon as it connects; one that does not is not a coordinator. */
const PLAN_WAIT_MS = 30_000

/**
 * `wardlab bench --agent`: waits for a coordinator, runs its share of the load on this machine —
 * generator processes for its connections and a subscriber for exactly their devices' topics —
 * and sends back what it measured. Send and receive times are both taken here, on this machine's
 * CLOCK_MONOTONIC, so latency never subtracts two machines' clocks. One coordinator at a time;
 * after a run the agent waits for the next.
 */
export class BenchAgent {
  private current: CoordinatorChannel | null = null

  private constructor(
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
    private readonly log: (line: string) => void,
  ) {
    server.on('connection', (socket) => this.accept(socket))
  }

  static async listen(options: { host: string; port: number; log?: (line: string) => void }): Promise<BenchAgent> {
    const server = createServer()
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(options.port, options.host, () => resolve())
      })
    } catch (err) {
      throw new WardlabError('WL_LISTEN_FAILED', `wardlab bench --agent: cannot listen on ${options.host}:${options.port}: ${(err as Error).message}`, {
        cause: err,
      })
    }
    const address = server.address()
    const port = typeof address === 'object' && address ? address.port : options.port
    return new BenchAgent(server, options.host, port, options.log ?? (() => undefined))
  }

  get address(): string {
    return formatAddress(this)
  }

  /** Stops listening and drops a coordinator still connected; a run under way ends with it. */
  async close(): Promise<void> {
    this.current?.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private accept(socket: Socket): void {
    const channel: CoordinatorChannel = new LineChannel(socket, `coordinator ${socket.remoteAddress}:${socket.remotePort}`, parseToAgent)
    channel.on('ping', (ping) => channel.send({ type: 'pong', id: ping.id }))
    if (this.current) {
      channel.send({ type: 'error', message: `busy with another coordinator's run (${this.current.peer})` })
      channel.close()
      return
    }
    this.current = channel
    this.log(`${channel.peer} connected`)
    void this.serve(channel).finally(() => {
      this.current = null
    })
  }

  private async serve(channel: CoordinatorChannel): Promise<void> {
    try {
      const plan = await channel.next('plan', PLAN_WAIT_MS)
      if (plan.protocol !== PROTOCOL_VERSION)
        throw new Error(`this agent speaks bench agent protocol ${PROTOCOL_VERSION}, the coordinator ${plan.protocol}: run the same wardlab version on both`)
      const measured = await this.runShare(plan, channel)
      channel.send({ type: 'result', report: agentReport(measured) })
      this.log(`share done: ${measured.result.totals.delivered.toLocaleString('en-US')} of ${measured.result.totals.sent.toLocaleString('en-US')} delivered`)
    } catch (err) {
      const message = (err as Error).message
      this.log(`run failed: ${message}`)
      // The coordinator names the agent by the address it was given; the message says what went wrong.
      channel.send({ type: 'error', message })
    } finally {
      channel.close()
    }
  }

  private async runShare(plan: AgentPlan, channel: CoordinatorChannel): Promise<MeasuredRun> {
    const load = fromWireLoad(plan.load)
    const { share } = plan
    // This machine's limit is the one that applies to its generator processes' sockets.
    assertSocketsFit({
      devices: Math.min(load.devices, share.connections * load.gateway),
      gateway: load.gateway,
      workers: load.workers,
      brokerIsLocalProcess: false,
      subscribers: 1,
      limit: openFileLimit(),
    })
    const { host, port } = plan.target
    const outputDir = mkdtempSync(join(tmpdir(), 'wardlab-bench-agent-'))
    this.log(
      `agent ${plan.agent + 1} of ${plan.agents}: connections ${share.firstConnection + 1}–${share.firstConnection + share.connections} to ${host}:${port}`,
    )
    try {
      return await measureRun({
        load,
        target: { type: 'url', url: `mqtt://${formatAddress(plan.target)}`, host, port },
        engine: plan.engine,
        mqttVersion: plan.mqttVersion,
        variant: `agent ${plan.agent + 1}`,
        round: 0,
        outputDir,
        share,
        progress: this.log,
        startGate: async (connect) => {
          channel.send({ type: 'connected', connections: share.connections, failures: connect.failures })
          const start = await channel.next('start')
          // The delay counts from the line's arrival: the coordinator has already taken off half a round trip.
          const startAt = monoMs() + start.inMs
          channel.send({ type: 'starting' })
          return startAt
        },
      })
    } finally {
      rmSync(outputDir, { recursive: true, force: true })
    }
  }
}

function agentReport(measured: MeasuredRun): AgentReport {
  const { joined } = measured
  return {
    result: measured.result,
    deliveredInWindow: joined.deliveredInWindow,
    histograms: {
      connect: measured.connectTimes.encode(),
      latency: joined.histogram?.encode() ?? null,
      seconds: joined.seconds.map((s) => s.histogram?.encode() ?? null),
    },
  }
}
