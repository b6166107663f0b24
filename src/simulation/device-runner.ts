import type { IPublishPacket, MqttClient } from 'mqtt'
import type { Logger } from 'pino'
import { commandAckSchema, type DeviceStatus } from '../contract/channels.ts'
import { deviceTopic, type OutboundChannel } from '../contract/topics.ts'
import type { Envelope } from '../contract/envelope.ts'
import type { DeviceEntry } from '../registry/schema.ts'
import type { SimClock, Cancel } from './clock.ts'
import type { Connector } from './connector.ts'
import { KIND_FAULTS, type DeviceContext, type DeviceKind, type Emission, type KindFault } from './device-kind.ts'
import { Backoff } from './backoff.ts'
import { isCommandAck, replyPublishOptions, replyRequestOf, type ReplyRequest } from './command-reply.ts'
import { DEFAULT_MQTT_VERSION, protocolLevel, type MqttVersion } from './mqtt-version.ts'
import { hashString, hashUnit } from '../util/hash.ts'
import { Rng } from '../util/rng.ts'
import type { PatientModel } from './physiology/vitals.ts'

/** Faults the runner itself applies, whatever the kind. */
export type RunnerFault = 'offline' | 'clock-drift' | 'stuck-value'
export type DeviceFault = RunnerFault | KindFault

export interface DeviceCounters {
  generated: number
  /** Every message handed to the connection, status included. */
  published: number
  /** Produced while offline by a device that does not store and forward. */
  lostOffline: number
  /** Waiting in a store-and-forward outbox. */
  buffered: number
  connects: number
  /**
   * Command acknowledgements also sent to an MQTT 5 requester's response topic. Not in `published`:
   * they leave `hospital/`, so the pipeline never receives them and run accounting must not wait for them.
   */
  replies: number
}

export interface SimulatedDeviceSetup {
  entry: DeviceEntry
  kind: DeviceKind<any, any>
  patient: PatientModel | null
  seed: string | number
  clock: SimClock
  connector: Connector
  password: string
  log: Logger
  /** The MQTT version the device connects with; 3.1.1 by default. */
  mqttVersion?: MqttVersion
  /** Called for every envelope published (for run accounting); optional. */
  onPublish?: (topic: string, envelope: Envelope) => void
  /** Called for every envelope the device produces, whether or not it can send it. */
  onGenerate?: (envelope: Envelope) => void
}

/** How many readings a home gateway keeps while offline; older ones are dropped and counted. */
const OUTBOX_LIMIT = 10_000

/**
 * One simulated device on MQTT: it connects with its registry credentials, ticks its kind on the
 * simulated clock, wraps what the kind emits in the envelope, and publishes with the kind's QoS
 * per channel. It reconnects with jittered exponential backoff, and announces itself on the
 * retained `status` topic, with a will that says `unexpected` if it drops.
 */
export class SimulatedDevice {
  readonly id: string
  readonly counters: DeviceCounters = { generated: 0, published: 0, lostOffline: 0, buffered: 0, connects: 0, replies: 0 }
  private readonly setup: SimulatedDeviceSetup
  private readonly ctx: DeviceContext<unknown>
  private readonly state: unknown
  private readonly backoff: Backoff
  private readonly outbox: { channel: OutboundChannel; envelope: Envelope }[] = []
  private readonly faults = new Map<DeviceFault, number>()
  private client: MqttClient | null = null
  private seq = 0
  private lastTelemetry: unknown = undefined
  private cancelTick: Cancel | null = null
  /** A pending reconnect, scheduled in simulated time like everything else the device does. */
  private reconnectTimer: Cancel | null = null
  /** A connection attempt is under way: from opening it to its CONNACK or its close. */
  private attempting = false
  private stopped = false

  constructor(setup: SimulatedDeviceSetup) {
    this.setup = setup
    const { entry, kind } = setup
    this.id = entry.id
    this.ctx = {
      deviceId: entry.id,
      ward: entry.ward,
      bed: entry.bed,
      options: kind.optionsSchema.parse(entry.options),
      patient: setup.patient,
      rng: Rng.derive(setup.seed, entry.id),
    }
    this.state = kind.init(this.ctx, setup.clock.now())
    // Network timing gets its own stream so reconnects never shift the payload sequence.
    this.backoff = new Backoff(Rng.derive(setup.seed, `${entry.id}/network`))
  }

  get connected(): boolean {
    return this.client?.connected ?? false
  }

  /**
   * Whether the device is between opening a connection and hearing how it went. A run on a
   * virtual clock holds simulated time meanwhile: otherwise how many readings a powering-on or
   * reconnecting device loses would depend on how busy the machine is.
   */
  get connecting(): boolean {
    return this.attempting
  }

  /**
   * Starts ticking and connecting; a stopped device may be started again (load ramps), its seq
   * continuing. `at` is the simulated time it powers on (default now): a scheduled start passes its
   * own time so that when a paced clock fires a little late, the ticks do not move.
   */
  start(at = this.setup.clock.now()): void {
    this.stopped = false
    const period = this.setup.kind.tickMs(this.ctx.options)
    // A fixed per-device phase spreads a ward's publishes across the period instead of a burst.
    const phase = hashUnit(hashString(String(this.setup.seed)), hashString(this.id)) * period
    this.scheduleTick(at + phase, period)
    this.connect()
  }

  /** Clean shutdown: a final `offline/shutdown` status, then DISCONNECT, so no will fires. */
  async stop(): Promise<void> {
    this.stopped = true
    this.cancelTick?.()
    this.reconnectTimer?.()
    const client = this.client
    if (!client) return
    if (client.connected) {
      await this.publishStatus({ state: 'offline', reason: 'shutdown' }).catch(() => undefined)
    }
    await client.endAsync().catch(() => undefined)
    this.client = null
  }

  setFault(fault: DeviceFault, active: boolean, value = 0): void {
    if (active) this.faults.set(fault, value)
    else this.faults.delete(fault)
    if (fault === 'offline') return active ? this.dropConnection() : this.connect()
    if ((KIND_FAULTS as readonly string[]).includes(fault)) {
      const emissions = this.setup.kind.fault?.(this.state, this.ctx, fault as KindFault, active, this.setup.clock.now()) ?? []
      this.emit(emissions, this.setup.clock.now())
      if (fault === 'battery-empty') {
        if (active) void this.publishStatus({ state: 'offline', reason: 'battery-empty' }).finally(() => this.dropConnection(true))
        else this.connect()
      }
    }
  }

  /** Runs the kind's tick at `at`, then every `period` simulated ms after. */
  private scheduleTick(at: number, period: number): void {
    this.cancelTick = this.setup.clock.at(at, () => {
      if (this.stopped) return
      this.emit(this.setup.kind.tick(this.state, this.ctx, at), at)
      this.scheduleTick(at + period, period)
    })
  }

  /** Wraps and sends (or keeps, or counts as lost) what the kind emitted; returns the envelopes made. */
  private emit(emissions: Emission[], now: number): Envelope[] {
    const drift = this.faults.get('clock-drift') ?? 0
    const envelopes: Envelope[] = []
    for (const emission of emissions) {
      let data = emission.data
      if (emission.channel === 'telemetry') {
        if (this.faults.has('stuck-value') && this.lastTelemetry !== undefined) data = this.lastTelemetry
        else this.lastTelemetry = data
      }
      this.counters.generated++
      // Every message the device produces takes the next seq, sent or not: a gap tells a consumer
      // what was lost, and what a device produces does not depend on when its link was up.
      const envelope: Envelope = { deviceId: this.id, kind: this.setup.kind.kind, seq: this.seq++, ts: Math.round((emission.ts ?? now) + drift), data }
      this.setup.onGenerate?.(envelope)
      envelopes.push(envelope)
      if (this.client?.connected === true) this.publish(emission.channel, envelope)
      else if (this.setup.kind.storeAndForward) this.keep(envelope, emission.channel)
      else this.counters.lostOffline++
    }
    return envelopes
  }

  private keep(envelope: Envelope, channel: OutboundChannel): void {
    if (this.outbox.length >= OUTBOX_LIMIT) {
      this.outbox.shift()
      this.counters.lostOffline++
    }
    this.outbox.push({ channel, envelope })
    this.counters.buffered = this.outbox.length
  }

  private flushOutbox(): void {
    while (this.outbox.length > 0 && this.client?.connected) {
      const { channel, envelope } = this.outbox.shift()!
      this.publish(channel, envelope)
    }
    this.counters.buffered = this.outbox.length
  }

  private publish(channel: OutboundChannel, envelope: Envelope): void {
    const topic = this.topic(channel)
    this.client!.publish(topic, JSON.stringify(envelope), { qos: this.setup.kind.qos[channel] })
    this.counters.published++
    this.setup.onPublish?.(topic, envelope)
  }

  private topic(channel: OutboundChannel | 'cmd'): string {
    const { entry } = this.setup
    return deviceTopic({ ward: entry.ward, kind: entry.kind, deviceId: entry.id, channel })
  }

  private publishStatus(status: DeviceStatus): Promise<unknown> {
    const client = this.client
    if (!client?.connected) return Promise.resolve()
    this.counters.published++
    return client.publishAsync(this.topic('status'), JSON.stringify(status), { qos: 1, retain: true })
  }

  private connect(): void {
    if (this.stopped || this.faults.has('offline') || this.faults.has('battery-empty')) return
    if (this.client) {
      if (!this.client.connected && !this.client.reconnecting) {
        this.attempting = true
        this.client.reconnect()
      }
      return
    }
    const { entry } = this.setup
    const client = this.setup.connector({
      protocolVersion: protocolLevel(this.setup.mqttVersion ?? DEFAULT_MQTT_VERSION),
      clientId: entry.id,
      username: entry.id,
      password: this.setup.password,
      clean: true,
      keepalive: 30,
      // Our own jittered backoff replaces mqtt.js' fixed 1 s period, which reconnects a whole ward in lockstep.
      reconnectPeriod: 0,
      // Stale readings are worse than none; store-and-forward devices keep their own outbox.
      queueQoSZero: false,
      connectTimeout: 10_000,
      will: {
        topic: this.topic('status'),
        payload: Buffer.from(JSON.stringify({ state: 'offline', reason: 'unexpected' } satisfies DeviceStatus)),
        qos: 1,
        retain: true,
      },
    })
    this.client = client
    this.attempting = true
    client.on('connect', () => {
      this.attempting = false
      this.counters.connects++
      this.backoff.reset()
      const battery = this.setup.kind.batteryPct?.(this.state)
      void this.publishStatus({ state: 'online', reason: 'startup', ...(battery === undefined ? {} : { batteryPct: battery }) })
      if (this.setup.kind.schemas.cmd) client.subscribe(this.topic('cmd'), { qos: 1 })
      this.flushOutbox()
    })
    client.on('message', (_topic, payload, packet) => this.onCommand(payload, packet))
    client.on('close', () => {
      this.attempting = false
      this.scheduleReconnect()
    })
    client.on('error', (err) => this.setup.log.debug({ device: this.id, err: err.message }, 'device connection error'))
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer || this.faults.has('offline') || this.faults.has('battery-empty')) return
    const delay = this.backoff.next()
    this.reconnectTimer = this.setup.clock.at(this.setup.clock.now() + delay, () => {
      this.reconnectTimer = null
      this.connect()
    })
  }

  /** An outage: the link drops without DISCONNECT, so the broker publishes the will. */
  private dropConnection(clean = false): void {
    this.reconnectTimer?.()
    this.reconnectTimer = null
    this.client?.end(!clean)
  }

  /**
   * Every command is acknowledged on the device's own `event` channel, as a 3.1.1 device does; an
   * MQTT 5 command that names a response topic gets the same acknowledgement there too.
   */
  private onCommand(payload: Buffer, packet: IPublishPacket): void {
    const now = this.setup.clock.now()
    const produced = this.emit(this.commandEmissions(payload, now), now)
    const request = replyRequestOf(packet)
    if (request) for (const envelope of produced) if (isCommandAck(envelope.data)) this.reply(request, envelope)
  }

  /** What the kind makes of a command, or a refusal that says why it is not one. */
  private commandEmissions(payload: Buffer, now: number): Emission[] {
    const schema = this.setup.kind.schemas.cmd
    let command: unknown
    try {
      command = JSON.parse(payload.toString('utf8'))
    } catch {
      command = undefined
    }
    const parsed = schema?.safeParse(command)
    if (!parsed?.success) {
      const id = typeof (command as { id?: unknown })?.id === 'string' ? (command as { id: string }).id : 'unknown'
      const reason = parsed ? parsed.error.issues.map((i) => `${i.path.join('.') || 'command'}: ${i.message}`).join('; ') : 'not JSON'
      return [
        {
          channel: 'event',
          data: commandAckSchema.parse({
            type: 'command-ack',
            commandId: id,
            action: String((command as { action?: unknown })?.action ?? 'unknown'),
            accepted: false,
            reason: `invalid command: ${reason}`,
          }),
        },
      ]
    }
    return this.setup.kind.command?.(this.state, this.ctx, parsed.data, now) ?? []
  }

  /** The envelope the `event` channel carried, byte for byte, on the requester's response topic. */
  private reply(request: ReplyRequest, envelope: Envelope): void {
    const client = this.client
    if (!client?.connected) return
    this.counters.replies++
    client.publish(request.topic, JSON.stringify(envelope), replyPublishOptions(request), (err) => {
      // A broker that refuses the topic answers an MQTT 5 PUBACK with a reason code; the command itself was handled.
      if (err) this.setup.log.debug({ device: this.id, topic: request.topic, err: err.message }, 'command reply refused')
    })
  }
}
