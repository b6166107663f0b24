import { connectAsync, type MqttClient } from 'mqtt'
import type { OutboundChannel } from '../contract/topics.ts'
import { monoMs } from './clock.ts'
import { openConnections } from './connect-pacer.ts'
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
import { LoadSchedule } from './schedule.ts'
import { protocolLevel } from '../simulation/mqtt-version.ts'

const TICK_MS = 10

/**
 * The baseline the bench's own generator is held to: a plain mqtt.js loop. The same devices,
 * payloads and schedule, and per due message one `client.publish(topic, payload, { qos })` — what
 * anyone would write first. It logs no send times (so no latency) and does nothing clever; its
 * messages per CPU-second are the figure to beat.
 */
export class MqttjsGenerator implements GeneratorEngine {
  readonly counters: GeneratorCounters = { offered: 0, sent: 0, skipped: 0, acked: 0, disconnects: 0 }
  private readonly plan: GeneratorPlan
  private readonly fleet: FleetSlice
  private readonly seq: Uint32Array
  private readonly clients: (MqttClient | null)[] = []
  private readonly topics: Partial<Record<OutboundChannel, string>>[]

  constructor(plan: GeneratorPlan) {
    this.plan = plan
    this.fleet = fleetSlice(plan)
    this.seq = new Uint32Array(this.fleet.devices.length)
    this.topics = this.fleet.devices.map(() => ({}))
  }

  connect(): Promise<ConnectReport> {
    this.clients.length = this.plan.connections
    return openConnections(this.plan.connections, this.plan.connectRate, async (i) => {
      const credentials = this.fleet.credentials(i)
      this.clients[i] = await connectAsync(`mqtt://${this.plan.host}:${connectionPort(this.plan, this.plan.firstConnection + i)}`, {
        ...credentials,
        protocolVersion: protocolLevel(this.plan.mqttVersion),
        clean: true,
        reconnectPeriod: 0,
        queueQoSZero: false,
        keepalive: 60,
      })
    })
  }

  run(startAt: number): Promise<void> {
    const rate = this.plan.ratePerDevice
    const endAt = startAt + (this.plan.rampUpS + this.plan.durationS) * 1000
    const schedule =
      rate === null
        ? null
        : new LoadSchedule({
            devices: this.fleet.devices.map((d) => d.index),
            ratePerDevice: rate,
            rampUpS: this.plan.rampUpS,
            durationS: this.plan.durationS,
            startAt,
          })
    const due = new Uint32Array(this.fleet.devices.length)
    return new Promise((resolve) => {
      const tick = () => {
        const now = monoMs()
        if (now >= endAt) return resolve()
        if (schedule) schedule.dueAt(now, due)
        else due.fill(1)
        for (let c = 0; c < this.clients.length; c++) {
          const client = this.clients[c]
          const { first, count } = devicesOfConnection(this.plan, this.plan.firstConnection + c)
          for (let d = first - this.fleet.firstDevice; d < first - this.fleet.firstDevice + count; d++) {
            for (let k = due[d]!; k > 0; k--) this.publish(client, d)
          }
        }
        if (schedule) setTimeout(tick, now < startAt ? startAt - now : TICK_MS)
        else setImmediate(tick)
      }
      tick()
    })
  }

  takeRecords(): null {
    return null
  }

  sentPerDevice(): Uint32Array {
    return this.seq.slice()
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c?.endAsync()))
  }

  private publish(client: MqttClient | null | undefined, local: number): void {
    this.counters.offered++
    // Flat out, the one concession to sanity: do not queue without bound in mqtt.js' buffer.
    if (!client?.connected || (this.plan.ratePerDevice === null && client.stream.writableNeedDrain)) {
      this.counters.skipped++
      return
    }
    const device = this.fleet.firstDevice + local
    const seq = this.seq[local]!++
    const channel = this.fleet.payloads.channel(device, seq)
    this.counters.sent++
    client.publish(this.topic(local, channel), this.fleet.payloads.text(device, seq, Date.now()), { qos: this.plan.qos }, () => {
      if (this.plan.qos === 1) this.counters.acked++
    })
  }

  private topic(local: number, channel: OutboundChannel): string {
    return (this.topics[local]![channel] ??= benchTopic(this.fleet.devices[local]!, channel))
  }
}
