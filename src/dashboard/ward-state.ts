import { CLINICAL_ALERTS_ROOT, TECHNICAL_ALERTS_ROOT } from '../contract/topics.ts'
/**
 * What a page opened now would have missed: the newest telemetry of each device and the alarm
 * conditions still active. MQTT retains one message per topic, which fits neither (a monitor sends
 * numerics and blood pressure in separate messages; a device has several alarms at once), so the
 * dashboard keeps them itself, from the same broker messages its page subscribes to. It lives in
 * the dashboard (tools layer) because only the dashboard needs it; the core stays stateless.
 */

/** One message as the page would have received it, to be replayed through the page's own model. */
export interface StateMessage {
  topic: string
  body: Envelope
}

interface Envelope {
  deviceId: string
  ts: number
  data: Record<string, unknown>
}

/** Bounds, because anything a device publishes reaches here: a device's shapes, and devices. */
const MAX_SHAPES_PER_DEVICE = 16
const MAX_DEVICES = 5000
const ALARM_TOPIC = /^alerts\/(clinical|technical)\//
const TELEMETRY_TOPIC = /^hospital\/[^/]+\/[^/]+\/([^/]+)\/telemetry$/

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isEnvelope = (v: unknown): v is Envelope =>
  isObject(v) && typeof v.deviceId === 'string' && typeof v.ts === 'number' && Number.isFinite(v.ts) && isObject(v.data)

export class WardState {
  /** The pipeline outputs it reads in-process: kept published while no session subscribes to them (EmbeddedBroker.watchOutputs). */
  static readonly OUTPUTS_READ = [`${CLINICAL_ALERTS_ROOT}/#`, `${TECHNICAL_ALERTS_ROOT}/#`] as const
  /** Per device, the newest telemetry of each shape (its sensor, or its set of fields). */
  private readonly telemetry = new Map<string, Map<string, StateMessage>>()
  /** Per device and alarm code, the message that raised it; removed when one clears it. */
  private readonly alarms = new Map<string, StateMessage>()

  /** Every broker publish; only telemetry and alarm topics are parsed. */
  observe(topic: string, payload: Buffer | string): void {
    const telemetry = TELEMETRY_TOPIC.exec(topic)
    if (!telemetry && !ALARM_TOPIC.test(topic)) return
    const body = parse(payload)
    if (!isEnvelope(body)) return
    if (telemetry) this.telemetryMessage(telemetry[1]!, topic, body)
    else this.alarmMessage(topic, body)
  }

  private telemetryMessage(deviceId: string, topic: string, body: Envelope): void {
    if (body.deviceId !== deviceId) return
    let shapes = this.telemetry.get(deviceId)
    if (!shapes) {
      if (this.telemetry.size >= MAX_DEVICES) return
      shapes = new Map()
      this.telemetry.set(deviceId, shapes)
    }
    const shape = typeof body.data.sensor === 'string' ? `sensor:${body.data.sensor}` : Object.keys(body.data).sort().join(',')
    const known = shapes.get(shape)
    // Store-and-forward readings arrive late: a late message never replaces a newer one.
    if (known && known.body.ts > body.ts) return
    if (!known && shapes.size >= MAX_SHAPES_PER_DEVICE) return
    shapes.set(shape, { topic, body })
  }

  /** IEC 60601-1-8: a condition is active from `active: true` until `active: false` for its code. */
  private alarmMessage(topic: string, body: Envelope): void {
    const { code, active } = body.data
    if (typeof code !== 'string' || typeof active !== 'boolean') return
    const key = `${body.deviceId}\u0000${code}`
    if (!active) this.alarms.delete(key)
    else if (this.alarms.has(key) || this.alarms.size < MAX_DEVICES * MAX_SHAPES_PER_DEVICE) this.alarms.set(key, { topic, body })
  }

  /** Oldest first, so replaying them in order leaves the newest value of each field. */
  messages(): StateMessage[] {
    const all = [...[...this.telemetry.values()].flatMap((shapes) => [...shapes.values()]), ...this.alarms.values()]
    return all.sort((a, b) => a.body.ts - b.body.ts)
  }
}

function parse(payload: Buffer | string): unknown {
  try {
    return JSON.parse(payload.toString())
  } catch {
    return undefined
  }
}
