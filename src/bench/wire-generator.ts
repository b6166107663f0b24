import type { OutboundChannel } from '../contract/topics.ts'
import { monoMs } from './clock.ts'
import { benchTopic } from './fleet-layout.ts'
import {
  connectionPort,
  devicesOfConnection,
  fleetSlice,
  type ConnectReport,
  type FleetSlice,
  type GeneratorCounters,
  type GeneratorEngine,
  type GeneratorPlan,
} from './generator-plan.ts'
import { WireConnection, type OutgoingPublish } from './mqtt-wire.ts'
import { RecordLog, type RecordChunk } from './record-log.ts'
import { LoadSchedule } from './schedule.ts'
import { openConnections } from './connect-pacer.ts'
import { protocolLevel } from '../simulation/mqtt-version.ts'

/** Schedule resolution: a 10 ms tick keeps timer and loop overhead small at 15,000 devices. */
const TICK_MS = 10
/** A connection whose socket holds this much unsent is backed up: its due messages are skipped. */
const BACKLOG_BYTES = 256 * 1024
/** In max mode, messages per connection per write. */
const MAX_MODE_BATCH = 64
const KEEPALIVE_S = 60

const CHANNEL_INDEX: Record<OutboundChannel, number> = { telemetry: 0, status: 1, alarm: 2, event: 3 }
const CHANNELS: OutboundChannel[] = ['telemetry', 'status', 'alarm', 'event']

interface Link {
  wire: WireConnection | null
  /** Local index of its first device, and how many. */
  first: number
  count: number
  inflight: number
  nextId: number
  /** Max mode: the device whose turn is next. */
  cursor: number
}

/**
 * The bench's own generator: bare MQTT connections (mqtt-wire.ts), one open-loop schedule for
 * every device of the process, and each tick's due messages for a connection written in one
 * buffer. Every send is logged as (device, seq, send time) for the latency join.
 */
export class WireGenerator implements GeneratorEngine {
  readonly counters: GeneratorCounters = { offered: 0, sent: 0, skipped: 0, acked: 0, disconnects: 0 }
  private readonly plan: GeneratorPlan
  private readonly fleet: FleetSlice
  private readonly seq: Uint32Array
  private readonly topics: (Buffer | undefined)[][]
  private readonly links: Link[] = []
  private readonly log = new RecordLog()
  private running = false

  constructor(plan: GeneratorPlan) {
    this.plan = plan
    this.fleet = fleetSlice(plan)
    this.seq = new Uint32Array(this.fleet.devices.length)
    this.topics = this.fleet.devices.map(() => [])
  }

  async connect(): Promise<ConnectReport> {
    for (let c = 0; c < this.plan.connections; c++) {
      const { first, count } = devicesOfConnection(this.plan, this.plan.firstConnection + c)
      this.links.push({ wire: null, first: first - this.fleet.firstDevice, count, inflight: 0, nextId: 1, cursor: 0 })
    }
    return openConnections(
      this.links.length,
      this.plan.connectRate,
      async (i) => {
        const credentials = this.fleet.credentials(i)
        const wire = await WireConnection.open({
          host: this.plan.host,
          port: connectionPort(this.plan, this.plan.firstConnection + i),
          ...credentials,
          keepaliveS: KEEPALIVE_S,
          connectTimeoutMs: 30_000,
          protocolVersion: protocolLevel(this.plan.mqttVersion),
        })
        const link = this.links[i]!
        link.wire = wire
        wire.onPuback = () => {
          link.inflight--
          this.counters.acked++
        }
        wire.onClose = () => {
          if (this.running) this.counters.disconnects++
        }
      },
      serverBusy,
    )
  }

  run(startAt: number): Promise<void> {
    this.running = true
    const keepalive = setInterval(() => this.keepAlive(), 5000)
    const finish = () => {
      this.running = false
      clearInterval(keepalive)
    }
    const rate = this.plan.ratePerDevice
    if (rate === null) {
      // Flat out there is nothing to ramp: the ramp-up seconds are a warm-up, left out of the figures.
      const endAt = startAt + (this.plan.rampUpS + this.plan.durationS) * 1000
      return this.runFlatOut(startAt, endAt).finally(finish)
    }
    const schedule = new LoadSchedule({
      devices: this.fleet.devices.map((d) => d.index),
      ratePerDevice: rate,
      rampUpS: this.plan.rampUpS,
      durationS: this.plan.durationS,
      startAt,
    })
    const due = new Uint32Array(this.fleet.devices.length)
    return new Promise<void>((resolve) => {
      const tick = () => {
        const now = monoMs()
        if (schedule.dueAt(now, due) > 0) for (const link of this.links) this.sendDue(link, due, now)
        if (now >= schedule.end) return resolve()
        setTimeout(tick, now < startAt ? startAt - now : TICK_MS)
      }
      tick()
    }).finally(finish)
  }

  takeRecords(): RecordChunk | null {
    return this.log.take()
  }

  sentPerDevice(): Uint32Array {
    return this.seq.slice()
  }

  async close(): Promise<void> {
    await Promise.all(this.links.map((l) => l.wire?.end()))
  }

  private canSend(link: Link): boolean {
    const wire = link.wire
    if (!wire || wire.closed || wire.socket.writableLength > BACKLOG_BYTES) return false
    return this.plan.qos === 0 || link.inflight < this.plan.inflight
  }

  private sendDue(link: Link, due: Uint32Array, now: number): void {
    const batch: OutgoingPublish[] = []
    const ts = Date.now()
    for (let i = link.first; i < link.first + link.count; i++) {
      for (let k = due[i]!; k > 0; k--) {
        this.counters.offered++
        if (this.canSend(link)) batch.push(this.next(link, i, ts, now))
        else this.counters.skipped++
      }
    }
    if (batch.length > 0) link.wire!.writePublishes(batch, now)
  }

  /** Max mode: each connection writes whenever its socket has room, round-robin over its devices. */
  private runFlatOut(startAt: number, endAt: number): Promise<void> {
    return new Promise((resolve) => {
      const pass = () => {
        const now = monoMs()
        if (now >= endAt) return resolve()
        if (now < startAt) return void setTimeout(pass, startAt - now)
        let wrote = false
        const ts = Date.now()
        for (const link of this.links) {
          if (link.count === 0) continue
          const batch: OutgoingPublish[] = []
          while (batch.length < MAX_MODE_BATCH && this.canSend(link)) {
            batch.push(this.next(link, link.first + link.cursor, ts, now))
            link.cursor = (link.cursor + 1) % link.count
          }
          if (batch.length === 0) continue
          this.counters.offered += batch.length
          link.wire!.writePublishes(batch, now)
          wrote = true
        }
        // Nothing had room: wait a little for drains and acks rather than spin.
        if (wrote) setImmediate(pass)
        else setTimeout(pass, 1)
      }
      pass()
    })
  }

  private next(link: Link, local: number, ts: number, now: number): OutgoingPublish {
    const device = this.fleet.firstDevice + local
    const seq = this.seq[local]!
    this.seq[local] = seq + 1
    const channel = this.fleet.payloads.channel(device, seq)
    const qos = this.plan.qos
    let messageId = 0
    if (qos === 1) {
      messageId = link.nextId
      link.nextId = link.nextId === 65535 ? 1 : link.nextId + 1
      link.inflight++
    }
    this.counters.sent++
    this.log.append(device, seq, now)
    return { topic: this.topic(local, channel), payload: this.fleet.payloads.text(device, seq, ts), qos, messageId }
  }

  private topic(local: number, channel: OutboundChannel): Buffer {
    const byChannel = this.topics[local]!
    const index = CHANNEL_INDEX[channel]
    return (byChannel[index] ??= Buffer.from(benchTopic(this.fleet.devices[local]!, CHANNELS[index]!)))
  }

  private keepAlive(): void {
    const now = monoMs()
    for (const link of this.links) {
      if (link.wire && !link.wire.closed && now - link.wire.lastWriteMs > (KEEPALIVE_S * 1000) / 2) link.wire.ping(now)
    }
  }
}

/** CONNACK 3 (3.1.1 server unavailable) or 0x88 / 0x89 (MQTT 5 server unavailable / busy): a refusal to retry. */
function serverBusy(error: Error): boolean {
  return /^CONNACK (return|reason) code (3|136|137) /.test(error.message)
}
