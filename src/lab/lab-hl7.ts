import type { Aedes, AedesPublishPacket } from 'aedes'
import type { Logger } from 'pino'
import type { InfusionOrder } from '../clinical/hl7/pcd03.ts'
import type { PcdMessage } from '../clinical/hl7/pcd-message.ts'
import { COMMAND_CHANNEL, deviceTopic } from '../contract/topics.ts'
import { Hl7Gateway } from '../hl7/gateway.ts'
import type { Hl7Handle, Hl7Request, OrderOutcomeRecord } from '../scenarios/lab-handle.ts'
import type { LinkStats } from '../hl7/link-stats.ts'
import { decideOrder, type PumpProgramme } from '../hl7/order-decision.ts'
import { OrderListener, type OrderDecision, type OrderListenerStats } from '../hl7/order-listener.ts'
import { ChartRequests } from '../pipeline/sinks/chart-requests.ts'
import type { HospitalRegistry } from '../registry/registry.ts'
import type { KeyValueStore } from '../util/key-value-store.ts'

/** `--hl7` receivers and `--hl7-listen`: what the lab is started with. */
export interface LabHl7Options extends Hl7Request {
  /** How long stop waits for the links' backlogs to be acknowledged (wall ms). */
  drainMs?: number
}

export interface LabHl7Deps {
  registry: HospitalRegistry
  broker: Aedes
  log: Logger
  /** The persistence folder's store for the links' backlogs (`--persistence`); in memory without it. */
  store?: KeyValueStore
}

export interface LabHl7Stats {
  links: LinkStats[]
  orders: (OrderListenerStats & { port: number }) | null
}

/** How long an order waits for the pump's own command-ack before it is refused as unanswered. */
const PUMP_ANSWER_MS = 5000

/**
 * The lab's HL7 side: the gateway's links, fed by the pipeline's HL7 sinks, and the PCD-03 order
 * listener, which programmes a pump through the pump's ordinary command path — a `change-rate`
 * command on its `cmd` topic, published as the broker — and answers the order with what the
 * pump said in its command-ack, so the RRG^O16 reports the pump's verdict, not a guess.
 */
export class LabHl7 implements Hl7Handle {
  readonly orders: OrderOutcomeRecord[] = []
  /** Taken by the inline pipeline's HL7 PCD-01 sinks (src/lab/lab-pipeline.ts). */
  readonly chartRequests = new ChartRequests()
  private listener: OrderListener | null = null
  private listenPort = 0
  private readonly waiting = new Map<string, (ack: { accepted: boolean; reason?: string }) => void>()

  private constructor(
    private readonly options: LabHl7Options,
    private readonly deps: LabHl7Deps,
    readonly gateway: Hl7Gateway,
  ) {}

  static async start(options: LabHl7Options, deps: LabHl7Deps): Promise<LabHl7> {
    const gateway = await Hl7Gateway.open(options.links, { log: deps.log, ...(deps.store ? { store: deps.store } : {}) })
    const hl7 = new LabHl7(options, deps, gateway)
    hl7.gateway.start()
    if (options.listen) {
      deps.broker.on('publish', (packet) => hl7.onPublish(packet))
      hl7.listener = new OrderListener({ ...options.listen, onOrder: (order) => hl7.onOrder(order), log: deps.log })
      hl7.listenPort = await hl7.listener.start()
    }
    return hl7
  }

  /** What the pipeline's HL7 sinks call. */
  readonly send = (message: PcdMessage): void => this.gateway.send(message)

  chartNow(deviceIds: readonly string[]): void {
    this.chartRequests.request(deviceIds)
  }

  get ordersPort(): number | null {
    return this.listener ? this.listenPort : null
  }

  stats(): LabHl7Stats {
    return { links: this.gateway.stats(), orders: this.listener ? { ...this.listener.stats(), port: this.listenPort } : null }
  }

  /** Waits for the backlogs (bounded), then closes; what is still queued stays counted as pending. */
  async stop(): Promise<LabHl7Stats> {
    await this.listener?.close()
    await this.gateway.drain(this.options.drainMs ?? 5000)
    const stats = this.stats()
    await this.gateway.close()
    for (const link of stats.links)
      this.deps.log.info(
        {
          link: link.url,
          generated: link.generated,
          acknowledged: link.acknowledged,
          deadLettered: link.deadLettered,
          pending: link.pending,
          ackP99Ms: link.ackLatency.p99,
        },
        'HL7 link stopped: generated = acknowledged + dead-lettered + pending',
      )
    return stats
  }

  private async onOrder(order: InfusionOrder): Promise<OrderDecision> {
    const verdict = decideOrder(order, this.deps.registry)
    const decision = verdict.accepted ? await this.programme(verdict.programme) : verdict
    this.orders.push({
      controlId: order.controlId,
      accepted: decision.accepted,
      ...(decision.accepted ? {} : { reason: decision.reason, ...(decision.code ? { code: decision.code } : {}) }),
      ...(verdict.accepted ? { pump: verdict.programme.pump.id } : {}),
    })
    return decision
  }

  private programme({ pump, command }: PumpProgramme): Promise<OrderDecision> {
    const topic = deviceTopic({ ward: pump.ward, kind: pump.kind, deviceId: pump.id, channel: COMMAND_CHANNEL })
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(command.id)
        resolve({ accepted: false, reason: `pump ${pump.id} did not acknowledge the programme within ${PUMP_ANSWER_MS} ms`, code: 'NO_ANSWER' })
      }, PUMP_ANSWER_MS)
      this.waiting.set(command.id, (ack) => {
        clearTimeout(timer)
        resolve(
          ack.accepted ? { accepted: true } : { accepted: false, reason: `pump ${pump.id} refused: ${ack.reason ?? 'no reason given'}`, code: 'PUMP_REFUSED' },
        )
      })
      this.deps.broker.publish({ cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(command)), qos: 1, retain: false, dup: false }, () => undefined)
    })
  }

  /** A pump's command-ack for an order in progress (its `event` channel). */
  private onPublish(packet: AedesPublishPacket): void {
    if (this.waiting.size === 0 || !packet.topic.endsWith('/event')) return
    try {
      const envelope = JSON.parse(packet.payload.toString()) as { data?: { type?: string; commandId?: string; accepted?: boolean; reason?: string } }
      const data = envelope.data
      if (data?.type !== 'command-ack' || !data.commandId) return
      const answer = this.waiting.get(data.commandId)
      if (!answer) return
      this.waiting.delete(data.commandId)
      answer({ accepted: data.accepted === true, ...(data.reason ? { reason: data.reason } : {}) })
    } catch {
      // Not JSON: the pipeline quarantines it; it is no answer to an order.
    }
  }
}
