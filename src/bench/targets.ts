import { WardlabError } from '../util/errors.ts'
import { startBrokerNode, type BrokerNodeContext } from './broker-node.ts'
import { startClusterTarget } from './cluster-target.ts'
import { startBareAedes } from './bare-aedes.ts'
import { startMosquitto } from './mosquitto.ts'
import type { PipelineMode, RunningTarget, TargetSpec } from './target-spec.ts'

/** Nodes `--target cluster:N` may start: each is a process with its own event loop on a shared machine. */
export const MAX_CLUSTER_NODES = 8

export function describeTarget(spec: TargetSpec): string {
  if (spec.type === 'embedded') return `embedded, pipeline ${spec.pipeline}`
  if (spec.type === 'cluster') return `cluster of ${spec.nodes} on Redis, pipeline ${spec.pipeline}`
  return spec.type === 'mosquitto' || spec.type === 'aedes' ? spec.type : spec.url
}

/** `embedded`, `cluster:N`, `mosquitto`, `aedes` or an `mqtt://host:port` URL, as `--target` takes them. */
export function parseTarget(text: string, pipeline: PipelineMode): TargetSpec {
  if (text === 'embedded') return { type: 'embedded', pipeline }
  if (text.startsWith('cluster:')) return { type: 'cluster', nodes: parseNodeCount(text.slice('cluster:'.length)), pipeline }
  if (text === 'mosquitto') return { type: 'mosquitto' }
  if (text === 'aedes') return { type: 'aedes' }
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new WardlabError('WL_USAGE', `wardlab bench: --target must be embedded, cluster:N, mosquitto, aedes or mqtt://host:port, got "${text}"`)
  }
  if (url.protocol !== 'mqtt:') throw new WardlabError('WL_USAGE', `wardlab bench: --target ${text}: only mqtt:// (MQTT over TCP) targets are supported`)
  return { type: 'url', url: text, host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 1883) }
}

export async function startTarget(spec: TargetSpec, context: BrokerNodeContext): Promise<RunningTarget> {
  if (spec.type === 'url')
    return {
      host: spec.host,
      ports: [spec.port],
      brokerPids: [],
      redisPid: null,
      local: false,
      stop: async () => ({ pipeline: null, clientsPerNode: [], skippedDeliveries: null, subscriptionsDropped: null, loopDelay: null }),
    }
  if (spec.type === 'mosquitto' || spec.type === 'aedes') {
    // Brokers the bench starts but wardlab does not run: no pipeline, no wardlab counters to report.
    const mosquitto = spec.type === 'aedes' ? await startBareAedes(context.brokerExecArgv) : await startMosquitto()
    return {
      host: '127.0.0.1',
      ports: [mosquitto.port],
      brokerPids: [mosquitto.pid],
      redisPid: null,
      local: true,
      stop: async () => {
        await mosquitto.stop()
        return { pipeline: null, clientsPerNode: [], skippedDeliveries: null, subscriptionsDropped: null, loopDelay: null }
      },
    }
  }
  if (spec.type === 'cluster') return startClusterTarget(spec, context)
  const broker = await startBrokerNode(spec.pipeline, context)
  return {
    host: '127.0.0.1',
    ports: [broker.port],
    brokerPids: [broker.pid],
    redisPid: null,
    local: true,
    account: async () => [await broker.account()],
    async stop() {
      const { pipeline, clients, skippedDeliveries, loopDelay } = await broker.stop()
      return { pipeline, clientsPerNode: [clients], skippedDeliveries, subscriptionsDropped: null, loopDelay }
    },
  }
}

function parseNodeCount(text: string): number {
  const nodes = Number(text)
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_CLUSTER_NODES)
    throw new WardlabError('WL_USAGE', `wardlab bench: --target cluster:N takes 1 to ${MAX_CLUSTER_NODES} nodes, got "${text}"`)
  return nodes
}
