import type { PipelineCounters } from '../pipeline/pipeline.ts'
import { WardlabError } from '../util/errors.ts'
import type { FromBroker, ToBroker } from './broker-process.ts'
import { BenchChild } from './children.ts'
import { startMosquitto } from './mosquitto.ts'

/** on: the pipeline inline on the broker's thread, as `wardlab start` runs it; off: none; worker: in a worker thread (an experiment). */
export const PIPELINE_MODES = ['on', 'off', 'worker'] as const
export type PipelineMode = (typeof PIPELINE_MODES)[number]

export type TargetSpec = { type: 'embedded'; pipeline: PipelineMode } | { type: 'mosquitto' } | { type: 'url'; url: string; host: string; port: number }

export interface RunningTarget {
  host: string
  port: number
  /** The broker's process when the bench started it, for CPU and memory; null for a remote one. */
  pid: number | null
  /** Holds every connection in one local process, which the open-file limit applies to. */
  local: boolean
  stop(): Promise<(PipelineCounters & { quarantinedBy: Record<string, number> }) | null>
}

export function describeTarget(spec: TargetSpec): string {
  if (spec.type === 'embedded') return `embedded, pipeline ${spec.pipeline}`
  return spec.type === 'mosquitto' ? 'mosquitto' : spec.url
}

/** `embedded`, `mosquitto` or an `mqtt://host:port` URL, as `--target` takes them. */
export function parseTarget(text: string, pipeline: PipelineMode): TargetSpec {
  if (text === 'embedded') return { type: 'embedded', pipeline }
  if (text === 'mosquitto') return { type: 'mosquitto' }
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new WardlabError('WL_USAGE', `wardlab bench: --target must be embedded, mosquitto or mqtt://host:port, got "${text}"`)
  }
  if (url.protocol !== 'mqtt:') throw new WardlabError('WL_USAGE', `wardlab bench: --target ${text}: only mqtt:// (MQTT over TCP) targets are supported`)
  return { type: 'url', url: text, host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 1883) }
}

export async function startTarget(
  spec: TargetSpec,
  context: { devices: number; gateway: number; key: Buffer; seed: string; outputDir: string; brokerExecArgv?: string[] },
): Promise<RunningTarget> {
  if (spec.type === 'url') return { host: spec.host, port: spec.port, pid: null, local: false, stop: async () => null }
  if (spec.type === 'mosquitto') {
    const mosquitto = await startMosquitto()
    return { host: '127.0.0.1', port: mosquitto.port, pid: mosquitto.pid, local: true, stop: async () => (await mosquitto.stop(), null) }
  }
  const child = new BenchChild<ToBroker, FromBroker>(new URL('./broker-process.ts', import.meta.url), { name: 'broker', ...(context.brokerExecArgv ? { execArgv: context.brokerExecArgv } : {}) })
  child.send({ type: 'start', devices: context.devices, gateway: context.gateway, key: context.key.toString('base64'), pipeline: spec.pipeline, outputDir: context.outputDir, seed: context.seed })
  const ready = await child.next('ready')
  return {
    host: '127.0.0.1',
    port: ready.port,
    pid: child.pid,
    local: true,
    async stop() {
      child.send({ type: 'stop' })
      const stopped = await child.next('stopped')
      await child.finish()
      return stopped.pipeline ? { ...stopped.pipeline, quarantinedBy: stopped.quarantinedBy } : null
    },
  }
}
