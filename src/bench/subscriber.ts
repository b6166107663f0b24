import { randomBytes } from 'node:crypto'
import { monoMs } from './clock.ts'
import { WireConnection, type Qos } from './mqtt-wire.ts'
import { readSeq } from './payloads.ts'
import { RecordLog, type RecordChunk } from './record-log.ts'
import { DEFAULT_MQTT_VERSION, protocolLevel, type MqttVersion } from '../simulation/mqtt-version.ts'
import { BENCH_SUBSCRIBER_PREFIX } from './subscriber-watch.ts'
import { ALL_DEVICES_FILTER, DEVICE_ROOT, OUTPUT_ROOTS } from '../contract/topics.ts'

/** Where the pipeline publishes what it made of the device messages (src/contract/topics.ts OUTPUT_ROOTS). */
export const PIPELINE_OUTPUT_FILTERS = OUTPUT_ROOTS.filter((root) => root !== 'security').map((root) => `${root}/#`)

/**
 * The subscriber that receives everything the fleet sends: one bare connection subscribed to
 * `hospital/#`, which logs (device, seq, receive time) per message and does nothing else — the
 * device comes from a topic lookup and the seq from a byte scan, no JSON parse — so it keeps up
 * with the broker on whatever core is left. With `outputs`, it also takes the pipeline's
 * republished outputs (FHIR Observations, alerts, ops, quarantine), as a hospital's consumers
 * would, and counts them.
 */
export class BenchSubscriber {
  readonly log = new RecordLog()
  received = 0
  outputs = 0
  /** Messages whose topic or payload was not the bench's (another client on a shared broker). */
  foreign = 0
  /** Set when the broker closed the subscription's connection (Aedes drops a reader that stalls longer than its drainTimeout). */
  droppedAt: number | null = null
  private readonly wire: WireConnection
  private closing = false

  private constructor(wire: WireConnection, deviceByTopic: ReadonlyMap<string, number>) {
    this.wire = wire
    wire.onClose = () => {
      if (!this.closing) this.droppedAt = monoMs()
    }
    wire.onPublish = (topic, payload) => {
      const t = monoMs()
      const device = deviceByTopic.get(topic)
      if (device === undefined) {
        if (topic.startsWith(`${DEVICE_ROOT}/`)) this.foreign++
        else this.outputs++
        return
      }
      const seq = readSeq(payload)
      if (seq < 0) {
        this.foreign++
        return
      }
      this.received++
      this.log.append(device, seq, t)
    }
  }

  /**
   * `deviceFilters` narrows the subscription to some devices' topics (one machine's share); default
   * every device's. `mqttVersion` is the generators': a run compares versions end to end.
   */
  static async start(options: {
    host: string
    port: number
    qos: Qos
    deviceByTopic: ReadonlyMap<string, number>
    outputs: boolean
    deviceFilters?: string[]
    mqttVersion?: MqttVersion
  }): Promise<BenchSubscriber> {
    // Anonymous: the lab profile lets anyone observe read-only; Mosquitto is started with allow_anonymous.
    // The id is unique per subscriber: several machines' (or in-process agents') must not take over each other's session.
    const wire = await WireConnection.open({
      host: options.host,
      port: options.port,
      clientId: `${BENCH_SUBSCRIBER_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`,
      keepaliveS: 60,
      connectTimeoutMs: 10_000,
      protocolVersion: protocolLevel(options.mqttVersion ?? DEFAULT_MQTT_VERSION),
    })
    const subscriber = new BenchSubscriber(wire, options.deviceByTopic)
    const filters = [...(options.deviceFilters ?? [ALL_DEVICES_FILTER]), ...(options.outputs ? PIPELINE_OUTPUT_FILTERS : [])]
    const granted = await wire.subscribe(filters, options.qos)
    // 128 in 3.1.1; MQTT 5 says why with a reason code, every refusal 0x80 or above.
    const refused = filters.filter((_, i) => (granted[i] ?? 0x80) >= 0x80)
    if (refused.length > 0) throw new Error(`the broker refused the subscriber's subscription to ${refused.join(', ')}`)
    return subscriber
  }

  /** Stops reading its socket (`subscriberStallS`): the broker's writes back up as they would to a hung consumer. */
  stall(): void {
    this.wire.socket.pause()
  }

  take(): RecordChunk {
    return this.log.take()
  }

  close(): Promise<void> {
    this.closing = true
    return this.wire.end()
  }
}
