import { Worker } from 'node:worker_threads'
import type { HospitalRegistry } from '../../registry/registry.ts'
import type { Registry } from '../../registry/schema.ts'
import type { PcdMessage } from '../../clinical/hl7/pcd-message.ts'
import type { Finding } from '../../contract/security-alert.ts'
import { WardlabError } from '../../util/errors.ts'
import type { PipelineMessage } from '../message.ts'
import type { PipelineCounters, PipelineObserver, PipelineRunner } from '../pipeline.ts'
import { BoundedPublisher, type BrokerPublisher } from '../sinks/bounded-publisher.ts'
import type { QuarantineReason } from '../../contract/device-message.ts'
import { packPayloads, unpackPayloads } from './packed-payloads.ts'
import type { FromPipelineWorker, InterestChanges, ProcessedBatch, PublishBatch, ToPipelineWorker, WorkerSetup } from './protocol.ts'
import type { InterestFeed } from '../output-interest.ts'
import { PatientSharding } from './shard.ts'
import { StringTable, StringTableMirror } from './string-table.ts'
import { applyStats } from './stats-delta.ts'
import { joinPair } from '../../util/pair-key.ts'
import type { SecurityAlert } from '../../contract/security-alert.ts'
import { SecurityAlertOutlet } from '../security-alert-outlet.ts'
import { siblingModule } from '../../util/package-files.ts'

/** Worker threads do not inherit `--import tsx` or tsx's `register()`: a two-line module registers it, then loads the worker. */
const WORKER_BOOT = new URL(
  `data:text/javascript,${encodeURIComponent(
    `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(siblingModule('./pipeline-worker.ts', import.meta.url).href)})`,
  )}`,
)

/**
 * Messages handed to the workers and not yet answered, plus outputs not yet through the broker,
 * at which client publishes are held (PublishAdmission), and below which they flow again. At the
 * 21-30 µs a message a worker needs, 4,096 is about 100 ms of work queued: enough to ride out a
 * burst, little enough that a device's data is never more than that behind.
 */
export const DEFAULT_HIGH_WATER = 4096
const LOW_WATER_FRACTION = 0.25

/**
 * How long messages gather before they go to the workers, unless BATCH_MAX gather sooner. A
 * postMessage, with the wake-up of the worker it causes, cost the broker's thread 100-150 µs on
 * this two-core machine (profile of `wardlab bench --pipeline on`); handed over every turn of the
 * event loop, a ward's steady trickle paid that for every message or two. Gathering for 10 ms
 * took the broker thread's cost at 10,000 msg/s from 1.32x to 1.23x its cost without a pipeline
 * (QoS 1, BENCHMARKS.md (a)). It delays only the pipeline's outputs (alerts, FHIR), by 5 ms on
 * average; the devices' messages reach subscribers without waiting for it.
 */
const BATCH_WINDOW_MS = 10
/** Subscription changes held for the next batch at most; past this they go to the workers at once. */
const MAX_PENDING_INTEREST_CHANGES = 4096
const BATCH_MAX = 1024

export interface PipelinePoolOptions {
  workers: number
  setup: WorkerSetup
  registry: HospitalRegistry
  /** Where outputs are published: the embedded broker. */
  broker: BrokerPublisher
  /** The broker thread's security monitor: it records what the workers' detectors found. */
  findings: (finding: Finding) => void
  /** Where the workers' HL7 messages go: the lab's links. */
  hl7?: (message: PcdMessage) => void
  observer?: PipelineObserver
  /** The broker's sessions' subscriptions, when it knows them all: workers skip broker outputs nobody can receive. */
  interest?: InterestFeed
  /** Holds client publishes while the pipeline is behind: the broker's PublishAdmission, handed in by the wiring. */
  admission?: Backpressure
  highWater?: number
}

/** What the pool needs of whatever holds the producers back; the pipeline does not know the broker. */
export interface Backpressure {
  readonly isPaused: boolean
  pause(): void
  resume(): void
}

/** One worker and the columns of the batch being gathered for it. */
class Shard {
  readonly worker: Worker
  /** Handed over and not yet answered. */
  inWorker = 0
  readonly topics = new StringTable()
  readonly sources = new StringTable<PipelineMessage['source']>()
  readonly outputTopics = new StringTableMirror((topic) => topic)
  topicIds: number[] = []
  sourceIds: number[] = []
  receivedAt: number[] = []
  payloads: Buffer[] = []

  get gathered(): number {
    return this.topicIds.length
  }

  add(topic: string, source: PipelineMessage['source'], receivedAt: number, payload: Buffer): void {
    this.topicIds.push(this.topics.idOf(topic))
    this.sourceIds.push(this.sources.idOf(source, sourceText))
    this.receivedAt.push(receivedAt)
    this.payloads.push(payload)
  }

  constructor(worker: Worker) {
    this.worker = worker
  }

  post(message: ToPipelineWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer)
  }

  /** Sends what was gathered in one transfer. */
  flush(): void {
    if (this.gathered === 0) return
    const payloads = packPayloads(this.payloads)
    this.inWorker += this.gathered
    const batch = {
      topics: this.topics.takeChanges(),
      sources: this.sources.takeChanges(),
      topicIds: Uint32Array.from(this.topicIds),
      sourceIds: Uint32Array.from(this.sourceIds),
      receivedAt: Float64Array.from(this.receivedAt),
      payloads,
    }
    this.post({ type: 'ingest', batch }, [payloads.bytes.buffer, batch.topicIds.buffer, batch.sourceIds.buffer, batch.receivedAt.buffer])
    this.topicIds = []
    this.sourceIds = []
    this.receivedAt = []
    this.payloads = []
  }

  /** The worker's next answer of `type` (answers come in the order requests were sent). */
  next<T extends FromPipelineWorker['type']>(type: T): Promise<Extract<FromPipelineWorker, { type: T }>> {
    return new Promise((resolve) => {
      const listener = (message: FromPipelineWorker) => {
        if (message.type !== type) return
        this.worker.off('message', listener)
        resolve(message as Extract<FromPipelineWorker, { type: T }>)
      }
      this.worker.on('message', listener)
    })
  }
}

/**
 * The pipeline off the broker's thread: device messages are sharded by patient over worker
 * threads, gathered for BATCH_WINDOW_MS and handed over in one transfer per worker; the outputs
 * come back serialised and are published here, in order, as the broker. The broker's thread keeps
 * only the hand-over and the publishing: 1.23x its cost without a pipeline flat out, against
 * 2.64x with the pipeline inline (BENCHMARKS.md (a)). When the workers fall behind, client
 * publishes are held at the broker (back-pressure to the devices) rather than queued without bound.
 */
export class PipelinePool implements PipelineRunner {
  readonly counters: PipelineCounters = { received: 0, valid: 0, quarantined: 0, derived: 0, routed: 0 }
  readonly quarantinedBy = new Map<QuarantineReason, number>()
  private readonly shards: Shard[]
  private readonly sharding: PatientSharding
  private readonly publisher: BoundedPublisher
  /** Security alerts are raised on this thread (the monitor's), so they leave from here. */
  private readonly alerts: SecurityAlertOutlet
  private readonly options: PipelinePoolOptions
  private readonly observer: PipelineObserver
  private readonly highWater: number
  private timer: NodeJS.Timeout | null = null
  private gathered = 0
  private closed = false
  private awaitingPublisher = false
  /** What the workers' copies of the broker's subscriptions have yet to hear, starting with all of them. */
  private interestChanges: InterestChanges = { added: [], removed: [] }

  private constructor(shards: Shard[], options: PipelinePoolOptions) {
    this.shards = shards
    this.options = options
    this.sharding = new PatientSharding(options.registry, shards.length)
    this.publisher = new BoundedPublisher(options.broker)
    if (options.interest) {
      this.interestChanges.added.push(...options.interest.filters())
      options.interest.onChange((added, removed) => {
        this.interestChanges.added.push(...added)
        this.interestChanges.removed.push(...removed)
        // Changes wait for the next batch, but not without bound: a client subscribing and
        // unsubscribing in a loop while no device publishes would otherwise grow the list forever.
        if (this.interestChanges.added.length + this.interestChanges.removed.length >= MAX_PENDING_INTEREST_CHANGES) this.sendInterest()
      })
    }
    this.alerts = new SecurityAlertOutlet(options.broker, options.setup.outputDir)
    this.observer = options.observer ?? {}
    this.highWater = options.highWater ?? DEFAULT_HIGH_WATER
    for (const shard of shards) shard.worker.on('message', (message: FromPipelineWorker) => message.type === 'processed' && this.answered(shard, message.batch))
  }

  /** Starts the workers and waits until each has built its pipeline (a bad configuration fails here, not later). */
  static async start(options: PipelinePoolOptions): Promise<PipelinePool> {
    if (!Number.isInteger(options.workers) || options.workers < 1)
      throw new WardlabError('WL_USAGE', `pipeline workers must be a whole number of at least 1, got ${options.workers}`)
    const shards = Array.from({ length: options.workers }, () => new Shard(new Worker(WORKER_BOOT, { workerData: options.setup, name: 'wardlab pipeline' })))
    const failures = shards.map((shard) => failure(shard.worker))
    let pool: PipelinePool | null = null
    for (const failed of failures) failed.catch((err: Error) => pool?.fail(err))
    try {
      await Promise.all(shards.map((shard, i) => Promise.race([shard.next('ready'), failures[i]!])))
    } catch (err) {
      await Promise.all(shards.map((shard) => shard.worker.terminate()))
      throw new WardlabError('WL_PIPELINE_WORKER', `a pipeline worker failed to start: ${(err as Error).message}`, { cause: err })
    }
    pool = new PipelinePool(shards, options)
    return pool
  }

  /** Messages the pipeline holds: handed to workers or gathering for them, and outputs waiting for the broker. */
  get backlog(): number {
    let total = this.publisher.pending
    for (const shard of this.shards) total += shard.inWorker + shard.gathered
    return total
  }

  ingest(topic: string, payload: Buffer, source: PipelineMessage['source'], receivedAt: number): void {
    this.counters.received++
    this.shards[this.sharding.shardOf(topic, source.clientId)]!.add(topic, source, receivedAt, payload)
    if (++this.gathered >= BATCH_MAX) this.flush()
    else this.timer ??= setTimeout(() => this.flush(), BATCH_WINDOW_MS)
    if (this.options.admission && this.backlog >= this.highWater) this.options.admission.pause()
  }

  /** Messages received before the change go out first, so each is judged by the registry in force when it arrived. */
  registryChanged(registry: Registry): void {
    this.flush()
    for (const shard of this.shards) shard.post({ type: 'registry', registry })
  }

  securityAlert(alert: SecurityAlert): void {
    this.alerts.write(alert)
  }

  /** Every message ingested so far has been processed, its outputs published and every worker's files flushed. */
  async drain(): Promise<void> {
    this.flush()
    await Promise.all(
      this.shards.map((shard) => {
        const drained = shard.next('drained')
        shard.post({ type: 'drain' })
        return drained
      }),
    )
    await this.publisher.idle()
    await this.alerts.flush()
  }

  async close(): Promise<void> {
    if (this.closed) return
    await this.drain()
    this.closed = true
    await Promise.all(
      this.shards.map(async (shard) => {
        const closed = shard.next('closed')
        shard.post({ type: 'close' })
        await closed
        await shard.worker.terminate()
      }),
    )
    await this.alerts.close()
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.gathered = 0
    this.sendInterest()
    for (const shard of this.shards) shard.flush()
  }

  /** Subscription changes since the last batch, to every worker ahead of the batch (ports keep order). */
  private sendInterest(): void {
    if (this.interestChanges.added.length === 0 && this.interestChanges.removed.length === 0) return
    for (const shard of this.shards) shard.post({ type: 'interest', changes: this.interestChanges })
    this.interestChanges = { added: [], removed: [] }
  }

  private answered(shard: Shard, batch: ProcessedBatch): void {
    shard.inWorker -= batch.count
    if (batch.outputs) this.publishOutputs(shard, batch.outputs)
    for (const finding of batch.findings) this.options.findings(finding)
    if (batch.hl7 && this.options.hl7) for (const message of batch.hl7) this.options.hl7(message)
    applyStats(batch.stats, this, this.observer)
    this.reconsiderAdmission()
  }

  /** Called as answers arrive and as outputs get through the broker: either may be what the backlog waits on. */
  private reconsiderAdmission(): void {
    const admission = this.options.admission
    if (!admission?.isPaused) return
    if (this.backlog <= this.highWater * LOW_WATER_FRACTION) admission.resume()
    else if (this.publisher.pending > 0 && !this.awaitingPublisher) {
      this.awaitingPublisher = true
      void this.publisher.idle().then(() => {
        this.awaitingPublisher = false
        this.reconsiderAdmission()
      })
    }
  }

  private publishOutputs(shard: Shard, outputs: PublishBatch): void {
    shard.outputTopics.apply(outputs.topics)
    unpackPayloads(outputs.payloads).forEach((view, i) => {
      const retain = outputs.retain[i] === 1
      // A view would keep the whole batch's buffer alive for as long as the broker keeps the
      // retained message: at 15,000 devices that pinned hundreds of MB and drove major GCs that
      // stalled the broker for 200 ms every few seconds. What the broker keeps gets its own copy.
      const payload = retain ? Buffer.from(view) : view
      this.publisher.publish({
        cmd: 'publish',
        topic: shard.outputTopics.get(outputs.topicIds[i]!),
        payload,
        qos: outputs.qos[i]! as 0 | 1,
        retain,
        dup: false,
      })
    })
  }

  /** A worker died (out of memory, a bug outside the stages' own error handling): nothing it held can be vouched for, so the process must not go on quietly. */
  private fail(err: Error): void {
    if (this.closed) return
    throw new WardlabError('WL_PIPELINE_WORKER', `a pipeline worker died with ${this.backlog} messages in hand: ${err.message}`, { cause: err })
  }
}

/** A source as the worker reads it back (pipeline-worker.ts). */
function sourceText(source: PipelineMessage['source']): string {
  return joinPair(source.clientId, source.address)
}

/** Rejects when the worker errors or exits before it is terminated on purpose. */
function failure(worker: Worker): Promise<never> {
  return new Promise((_, reject) => {
    worker.once('error', reject)
    worker.once('exit', (code) => reject(new Error(`exited with code ${code}`)))
  })
}
