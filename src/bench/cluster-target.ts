import { startLocalRedis } from '../cluster/local-redis.ts'
import { startBrokerNode, type BrokerNode, type BrokerNodeContext } from './broker-node.ts'
import type { PipelineReport } from './target-spec.ts'
import type { PipelineMode, RunningTarget, TargetReport } from './target-spec.ts'

/**
 * `--target cluster:N`: a throw-away redis-server and N broker processes joined to it, as
 * `wardlab start --cluster` runs them (README, "Scaling out"). Each node is a real `Lab` with the
 * bench registry and the pipeline; messages between them go through Redis pub/sub. One node is
 * still a cluster — the same Redis path — so 1 against 2 nodes isolates the node count.
 */
export async function startClusterTarget(spec: { nodes: number; pipeline: PipelineMode }, context: BrokerNodeContext): Promise<RunningTarget> {
  const redis = await startLocalRedis()
  const nodes: BrokerNode[] = []
  try {
    // One after another: each node's start hashes the bench registry, which two at once on two
    // shared cores would only slow down together.
    for (let n = 1; n <= spec.nodes; n++) {
      nodes.push(
        await startBrokerNode(spec.pipeline, { ...context, outputDir: `${context.outputDir}/node-${n}` }, { url: redis.url, nodeId: `bench-node-${n}` }),
      )
    }
  } catch (err) {
    await Promise.allSettled(nodes.map((node) => node.stop()))
    await redis.stop()
    throw err
  }
  return {
    host: '127.0.0.1',
    ports: nodes.map((node) => node.port),
    brokerPids: nodes.map((node) => node.pid),
    redisPid: redis.pid,
    local: true,
    account: () => Promise.all(nodes.map((node) => node.account())),
    async stop() {
      // Every node before Redis: a node's clean stop still talks to it.
      const stopped = await Promise.allSettled(nodes.map((node) => node.stop()))
      await redis.stop()
      const failed = stopped.find((s): s is PromiseRejectedResult => s.status === 'rejected')
      if (failed) throw failed.reason
      const reports = stopped.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
      return {
        pipeline: sumPipelines(reports.map((r) => r.pipeline)),
        clientsPerNode: reports.map((r) => r.clients),
        skippedDeliveries: reports.reduce((n, r) => n + r.skippedDeliveries, 0),
        subscriptionsDropped: redis.outputBufferEvictions,
        loopDelay: reports.flatMap((r) => r.loopDelay),
      }
    },
  }
}

/** The cluster's pipeline counts: each message ran through the pipeline once, on the node it entered. */
function sumPipelines(reports: (PipelineReport | null)[]): TargetReport['pipeline'] {
  const present = reports.filter((r): r is PipelineReport => r !== null)
  if (present.length === 0) return null
  const total: PipelineReport = { received: 0, valid: 0, quarantined: 0, derived: 0, routed: 0, quarantinedBy: {} }
  for (const r of present) {
    total.received += r.received
    total.valid += r.valid
    total.quarantined += r.quarantined
    total.derived += r.derived
    total.routed += r.routed
    for (const [reason, count] of Object.entries(r.quarantinedBy)) total.quarantinedBy[reason] = (total.quarantinedBy[reason] ?? 0) + count
  }
  return total
}
