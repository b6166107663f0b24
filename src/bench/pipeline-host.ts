import { Worker } from 'node:worker_threads'
import type { Lab } from '../lab/lab.ts'
import { clientAddress } from '../broker/client-info.ts'
import { DEVICE_ROOT } from '../contract/topics.ts'
import type { Registry } from '../registry/schema.ts'
import { packPayloads, unpackPayloads } from './message-batch.ts'
import type { FromPipelineWorker, ToPipelineWorker } from './pipeline-worker.ts'

/** Worker threads do not inherit `--import tsx`: a two-line ES module registers it, then loads the worker. */
const WORKER_BOOT = new URL(
  `data:text/javascript,${encodeURIComponent(
    `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(new URL('./pipeline-worker.ts', import.meta.url).href)})`,
  )}`,
)

/**
 * The broker thread's side of `--pipeline worker`: every device publish is queued, and once per
 * turn of the event loop the queue goes to the pipeline worker in one transfer; what comes back
 * is published as the broker, as the broker sink would. This is all the pipeline costs the
 * broker's thread in that layout — the figure BENCHMARKS.md compares with the pipeline inline.
 */
export class PipelineHost {
  private readonly worker: Worker
  private readonly lab: Lab
  private topics: string[] = []
  private clientIds: string[] = []
  private addresses: string[] = []
  private receivedAt: number[] = []
  private payloads: Buffer[] = []
  private scheduled = false

  constructor(lab: Lab, registry: Registry, outputDir: string) {
    this.lab = lab
    this.worker = new Worker(WORKER_BOOT, { workerData: { registry, outputDir } })
    this.worker.on('message', (message: FromPipelineWorker) => {
      if (message.type !== 'publish') return
      const { batch } = message
      unpackPayloads(batch.payloads).forEach((payload, i) =>
        lab.broker.publish({ cmd: 'publish', topic: batch.topics[i]!, payload, qos: batch.qos[i]! as 0 | 1, retain: batch.retain[i] === 1, dup: false }, () => undefined),
      )
    })
    lab.broker.on('publish', (packet, client) => {
      if (!client || !packet.topic.startsWith(`${DEVICE_ROOT}/`)) return
      this.topics.push(packet.topic)
      this.clientIds.push(client.id)
      this.addresses.push(clientAddress(client))
      this.receivedAt.push(Math.round(lab.clock.now()))
      this.payloads.push(Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload))
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(() => this.flush())
      }
    })
  }

  /** Hands what is queued to the worker, waits for it to drain its sinks, and returns its counters. */
  async stop(): Promise<Extract<FromPipelineWorker, { type: 'stopped' }>> {
    this.flush()
    const stopped = new Promise<Extract<FromPipelineWorker, { type: 'stopped' }>>((resolve) =>
      this.worker.on('message', (m: FromPipelineWorker) => {
        if (m.type === 'stopped') resolve(m)
      }),
    )
    this.worker.postMessage({ type: 'stop' } satisfies ToPipelineWorker)
    const result = await stopped
    await this.worker.terminate()
    return result
  }

  private flush(): void {
    this.scheduled = false
    if (this.topics.length === 0) return
    const payloads = packPayloads(this.payloads)
    const message: ToPipelineWorker = { type: 'ingest', batch: { topics: this.topics, clientIds: this.clientIds, addresses: this.addresses, receivedAt: Float64Array.from(this.receivedAt), payloads } }
    this.topics = []
    this.clientIds = []
    this.addresses = []
    this.receivedAt = []
    this.payloads = []
    this.worker.postMessage(message, [payloads.bytes.buffer])
  }
}
