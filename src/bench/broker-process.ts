import { Lab } from '../lab/lab.ts'
import type { PipelineCounters } from '../pipeline/pipeline.ts'
import { silentLogger } from '../util/log.ts'
import { benchRegistry } from './bench-registry.ts'

export type ToBroker = { type: 'start'; devices: number; gateway: number; key: string; pipeline: boolean; outputDir: string; seed: string } | { type: 'stop' }

export type FromBroker = { type: 'ready'; port: number } | { type: 'stopped'; pipeline: PipelineCounters | null; quarantinedBy: Record<string, number> }

/**
 * The embedded broker under test, in a process of its own: the generator cannot steal its event
 * loop, and its CPU and memory are its own (the coordinator reads them from /proc). It is a real
 * `Lab` — registry, ACL, security monitor, and the full pipeline unless told to run without —
 * listening on a free loopback port, with the bench fleet as its registry.
 */
function serve(): void {
  let lab: Lab | null = null
  let pipelineOn = false
  process.on('message', (message: ToBroker) => {
    if (message.type === 'start') {
      pipelineOn = message.pipeline
      const key = Buffer.from(message.key, 'base64')
      void Lab.start({
        registry: benchRegistry({ devices: message.devices, gateway: message.gateway, key }),
        provisioningKey: key,
        profile: 'lab',
        listeners: [{ kind: 'mqtt', host: '127.0.0.1', port: 0, flag: '--port' }],
        seed: message.seed,
        speed: 1,
        simulate: false,
        log: silentLogger,
        outputDir: message.outputDir,
        // Every bench connection comes from 127.0.0.1, where the per-address cap (there to keep one
        // host from taking a process's file descriptors) would refuse the fleet past 1,000; the
        // bench checks the descriptor budget itself before it starts (fd-budget.ts).
        security: { maxConnectionsPerAddress: 0 },
        ...(message.pipeline ? {} : { pipeline: false as const }),
      }).then((started) => {
        lab = started
        process.send!({ type: 'ready', port: started.bound[0]!.port } satisfies FromBroker)
      })
    } else {
      void lab?.stop().then(() => {
        process.send!({
          type: 'stopped',
          pipeline: pipelineOn ? { ...lab!.pipeline.counters } : null,
          quarantinedBy: Object.fromEntries(lab!.pipeline.quarantinedBy),
        } satisfies FromBroker)
        process.disconnect()
      })
    }
  })
}

serve()
