import type { FromBroker, ToBroker } from './broker-protocol.ts'
import { BenchChild } from './children.ts'
import type { LoopSecond } from './loop-delay.ts'
import type { PipelineMode } from './target-spec.ts'
import type { PipelineReport } from './target-spec.ts'
import type { LoadOptions } from './load-options.ts'
import { siblingModule } from '../util/package-files.ts'
import type { BrokerAccount } from './subscriber-watch.ts'

/** One embedded broker process the bench started: alone, or a node of a cluster. */
export interface BrokerNode {
  port: number
  pid: number
  /** Stops the broker; its pipeline's counts (null without a pipeline), the connections it accepted and the deliveries it skipped. */
  stop(): Promise<{ pipeline: PipelineReport | null; clients: number; skippedDeliveries: number; loopDelay: LoopSecond[] }>
  /** What it saw of the device messages and the bench subscriber so far (subscriber-watch.ts). */
  account(): Promise<BrokerAccount>
}

export interface BrokerNodeContext {
  devices: number
  gateway: number
  key: Buffer
  seed: string
  outputDir: string
  brokerExecArgv?: string[]
  /** Worker threads for the pipeline when it is on (default 1). */
  pipelineWorkers?: number
}

/** The context a bench run starts its broker in: the fleet's registry comes from the load. */
export function brokerContext(
  load: Pick<LoadOptions, 'devices' | 'gateway' | 'key' | 'seed'>,
  options: { outputDir: string; brokerExecArgv?: string[] | undefined; pipelineWorkers?: number | undefined },
): BrokerNodeContext {
  return {
    devices: load.devices,
    gateway: load.gateway,
    key: load.key,
    seed: load.seed,
    outputDir: options.outputDir,
    ...(options.brokerExecArgv ? { brokerExecArgv: options.brokerExecArgv } : {}),
    ...(options.pipelineWorkers ? { pipelineWorkers: options.pipelineWorkers } : {}),
  }
}

/**
 * Starts src/cli/processes/bench-broker.ts — a real `Lab` with the bench registry, derived from the
 * run's key, so every node knows every bench device — and waits until it listens. With `cluster`
 * it joins the other nodes on that Redis.
 */
export async function startBrokerNode(pipeline: PipelineMode, context: BrokerNodeContext, cluster?: { url: string; nodeId: string }): Promise<BrokerNode> {
  const name = cluster ? `broker ${cluster.nodeId}` : 'broker'
  const child = new BenchChild<ToBroker, FromBroker>(siblingModule('../cli/processes/bench-broker.ts', import.meta.url), {
    name,
    ...(context.brokerExecArgv ? { execArgv: context.brokerExecArgv } : {}),
  })
  child.send({
    type: 'start',
    devices: context.devices,
    gateway: context.gateway,
    key: context.key.toString('base64'),
    pipeline,
    pipelineWorkers: context.pipelineWorkers ?? 1,
    outputDir: context.outputDir,
    seed: context.seed,
    ...(cluster ? { cluster } : {}),
  })
  const ready = await child.next('ready')
  return {
    port: ready.port,
    pid: child.pid,
    async account() {
      child.send({ type: 'account' })
      return (await child.next('account')).account
    },
    async stop() {
      child.send({ type: 'stop' })
      const stopped = await child.next('stopped')
      await child.finish()
      return {
        pipeline: stopped.pipeline ? { ...stopped.pipeline, quarantinedBy: stopped.quarantinedBy } : null,
        clients: stopped.clients,
        skippedDeliveries: stopped.skippedDeliveries,
        loopDelay: stopped.loopDelay,
      }
    },
  }
}
