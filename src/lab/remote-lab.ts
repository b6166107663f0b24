import { connectAsync, type MqttClient } from 'mqtt'
import type { Logger } from 'pino'
import type { Envelope } from '../contract/envelope.ts'
import { DEVICE_ROOT } from '../contract/topics.ts'
import { buildPipeline } from '../pipeline/build.ts'
import { loadPipelineConfig, type PipelineConfig } from '../pipeline/config.ts'
import type { Pipeline, PipelineObserver } from '../pipeline/pipeline.ts'
import type { BrokerPublisher } from '../pipeline/sinks/bounded-publisher.ts'
import { HospitalRegistry } from '../registry/registry.ts'
import type { Registry } from '../registry/schema.ts'
import { SecurityMonitor } from '../security/monitor.ts'
import { SignalBus } from '../security/signals.ts'
import { every, type SimClock } from '../simulation/clock.ts'
import { urlConnector } from '../simulation/connector.ts'
import { Fleet } from '../simulation/fleet.ts'
import { DEFAULT_MQTT_VERSION, protocolLevel, type MqttVersion } from '../simulation/mqtt-version.ts'
import { WardlabError } from '../util/errors.ts'
import { until } from '../util/until.ts'
import type { LabHandle, LabStats } from '../scenarios/lab-handle.ts'
import { labStats } from './lab-stats.ts'

export interface RemoteLabOptions {
  /** The broker under test, e.g. mqtt://127.0.0.1:1883. */
  url: string
  /** Credentials of wardlab's pipeline client on that broker, if it asks for any. */
  username?: string
  password?: string
  registry: Registry
  provisioningKey: Buffer
  seed: string | number
  clock: SimClock
  log: Logger
  outputDir: string
  /** The MQTT version of the devices and of wardlab's pipeline client; 3.1.1 when left out. */
  mqttVersion?: MqttVersion
  pipeline?: PipelineConfig
  observer?: PipelineObserver
  deferredDevices?: ReadonlySet<string>
  onDevicePublish?: (topic: string, envelope: Envelope) => void
  onDeviceGenerate?: (envelope: Envelope) => void
}

/**
 * wardlab against a broker it does not run (Mosquitto, EMQX, a hospital's own): the simulated
 * devices connect there with their registry credentials, and the pipeline runs as an ordinary
 * subscribing client — it sees every device message and publishes its outputs back to that broker.
 * What only a broker sees (CONNECTs, refused logins, ACL denials) is out of reach, so only the
 * message-level detectors run; `activeDetectors` says which.
 */
export class RemoteLab implements LabHandle {
  readonly clock: SimClock
  readonly registry: HospitalRegistry
  /** Empty: what only a broker sees (CONNECTs, refusals) is out of reach at a broker wardlab does not run. */
  readonly signals: SignalBus
  readonly monitor: SecurityMonitor
  readonly pipeline: Pipeline
  readonly fleet: Fleet
  readonly bound: { kind: 'mqtt'; url: string }[]
  readonly activeDetectors: string[]
  readonly embedded = null
  readonly dashboardUrl = null
  private readonly client: MqttClient
  private quiescing: Promise<void> | null = null

  private constructor(parts: {
    clock: SimClock
    registry: HospitalRegistry
    signals: SignalBus
    monitor: SecurityMonitor
    pipeline: Pipeline
    fleet: Fleet
    client: MqttClient
    url: string
  }) {
    this.clock = parts.clock
    this.registry = parts.registry
    this.signals = parts.signals
    this.monitor = parts.monitor
    this.pipeline = parts.pipeline
    this.fleet = parts.fleet
    this.client = parts.client
    this.bound = [{ kind: 'mqtt', url: parts.url }]
    this.activeDetectors = parts.monitor.messageDetectorNames()
  }

  static async start(options: RemoteLabOptions): Promise<RemoteLab> {
    const registry = new HospitalRegistry(options.registry)
    let client: MqttClient
    try {
      client = await connectAsync(options.url, {
        protocolVersion: protocolLevel(options.mqttVersion ?? DEFAULT_MQTT_VERSION),
        clientId: `wardlab-pipeline-${process.pid}`,
        ...(options.username ? { username: options.username, password: options.password ?? '' } : {}),
        reconnectPeriod: 1000,
        connectTimeout: 10_000,
      })
    } catch (err) {
      throw new WardlabError('WL_LISTEN_FAILED', `cannot connect wardlab's pipeline to ${options.url} (--broker): ${(err as Error).message}`, { cause: err })
    }
    const publisher: BrokerPublisher = {
      publish: (packet, done) => client.publish(packet.topic, packet.payload, { qos: packet.qos, retain: packet.retain }, () => done()),
    }
    const signals = new SignalBus()
    const monitor = new SecurityMonitor({
      signals,
      registry,
      log: options.log,
      now: () => options.clock.now(),
      publish: (alert) => pipeline.securityAlert(alert),
    })
    const pipeline = buildPipeline({
      config: options.pipeline ?? loadPipelineConfig(),
      registry,
      detectors: monitor.messages,
      broker: publisher,
      outputDir: options.outputDir,
      ...(options.observer ? { observer: options.observer } : {}),
    })
    client.on('message', (topic, payload) =>
      pipeline.ingest(topic, payload, { clientId: 'unknown (external broker)', address: options.url }, Math.round(options.clock.now())),
    )
    await client.subscribeAsync(`${DEVICE_ROOT}/#`, { qos: 1 })
    monitor.start((task, intervalMs) => every(options.clock, task, intervalMs))
    const fleet = new Fleet({
      registry: options.registry,
      provisioningKey: options.provisioningKey,
      seed: options.seed,
      clock: options.clock,
      connector: urlConnector(options.url),
      log: options.log,
      ...(options.mqttVersion ? { mqttVersion: options.mqttVersion } : {}),
      ...(options.deferredDevices ? { deferred: options.deferredDevices } : {}),
      ...(options.onDevicePublish ? { onPublish: options.onDevicePublish } : {}),
      ...(options.onDeviceGenerate ? { onGenerate: options.onDeviceGenerate } : {}),
    })
    fleet.start()
    return new RemoteLab({ clock: options.clock, registry, signals, monitor, pipeline, fleet, client, url: options.url })
  }

  /** What the pipeline has received (the only activity wardlab can see at a broker it does not run), and devices still connecting. */
  activity(): { count: number; pending: boolean } {
    return { count: this.pipeline.counters.received, pending: this.fleet.isConnecting() }
  }

  stats(): LabStats {
    // What wardlab can see of a broker it does not run: its own clients, the devices and the pipeline's.
    const clientsConnected = this.fleet.connectedCount() + (this.client.connected ? 1 : 0)
    return labStats({ fleet: this.fleet, clientsConnected, counters: this.pipeline.counters, monitor: this.monitor })
  }

  /** Publishes as wardlab (the pipeline's client): the run's end marker. */
  publishAsBroker(topic: string, payload: Buffer): void {
    this.client.publish(topic, payload, { qos: 1 })
  }

  /**
   * Devices disconnect, then wardlab waits until every message they sent has come back through
   * the external broker to the pipeline (or 10 s pass: that broker may drop messages — which is
   * what `delivered` measures), then drains.
   */
  async quiesce(): Promise<void> {
    this.quiescing ??= (async () => {
      await this.fleet.stop()
      await until(() => this.pipeline.counters.received >= this.fleet.totals().published, 10_000, 20)
      this.clock.stop()
      this.monitor.stop()
      await this.pipeline.drain()
    })()
    return this.quiescing
  }

  async stop(): Promise<void> {
    await this.quiesce()
    await this.client.endAsync()
    await this.pipeline.close()
  }
}
