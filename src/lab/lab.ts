import type { Duplex } from 'node:stream'
import type { Aedes, AedesPublishPacket, Client } from 'aedes'
import type { Logger } from 'pino'
import { createBroker } from '../broker/create-broker.ts'
import { LoadShedding } from '../broker/load-shedding.ts'
import { openDurablePersistence, type DurablePersistence } from '../broker/persistence.ts'
import { connectCluster, type ClusterBackend } from '../cluster/redis-backend.ts'
import { ConnectionWatch } from '../broker/connection-signals.ts'
import { SessionSubscriptions } from '../broker/session-subscriptions.ts'
import { clientAddress } from '../broker/client-info.ts'
import { openListeners, type BoundListener, type Listeners } from '../broker/listeners.ts'
import { profile } from '../broker/profile.ts'
import { DEVICE_ROOT } from '../contract/topics.ts'
import { PublishAdmission } from '../broker/publish-admission.ts'
import type { PipelineMessage } from '../pipeline/message.ts'
import type { PipelineRunner } from '../pipeline/pipeline.ts'
import { HospitalRegistry } from '../registry/registry.ts'
import { BanList } from '../security/ban-list.ts'
import { securityConfig } from '../security/config.ts'
import { BanResponder } from '../security/response.ts'
import { SecurityMonitor } from '../security/monitor.ts'
import { SignalBus } from '../security/signals.ts'
import { createSimClock, every, type SimClock } from '../simulation/clock.ts'
import { inProcessConnector } from '../simulation/connector.ts'
import { ConnectionGate, addressLimit } from '../broker/connection-gate.ts'
import { until } from '../util/until.ts'
import { WardlabError } from '../util/errors.ts'
import { Fleet } from '../simulation/fleet.ts'
import { LabMetrics } from '../ops/metrics.ts'
import type { LabOptions } from './lab-options.ts'
import type { EmbeddedBroker, LabHandle, LabStats } from '../scenarios/lab-handle.ts'
import { startLabPipeline } from './lab-pipeline.ts'
import { LabHl7 } from './lab-hl7.ts'
import { applyRegistryChange, type RegistryChange } from './registry-change.ts'
import type { Registry } from '../registry/schema.ts'

export type { LabOptions } from './lab-options.ts'
import { startHttpServer, type HttpHandler, type HttpServer } from '../ops/http-server.ts'
import { registryBasicAuth } from '../ops/http-auth.ts'
import { labStats } from './lab-stats.ts'

/** The --persistence database's sublevel for the HL7 links' backlogs. */
const HL7_STORE = 'wardlab-hl7-links'

/**
 * A running wardlab: broker, listeners, security monitor and simulated fleet, wired together and
 * torn down in the reverse order — devices disconnect first, so nothing they send is lost, and the
 * broker closes last.
 */
export class Lab implements LabHandle {
  readonly broker: Aedes
  readonly clock: SimClock
  readonly registry: HospitalRegistry
  readonly signals: SignalBus
  readonly monitor: SecurityMonitor
  readonly fleet: Fleet | null
  readonly listeners: Listeners
  readonly pipeline: PipelineRunner
  readonly metrics: LabMetrics
  readonly http: HttpServer | null
  get dashboardUrl(): string | null {
    return this.http ? `${this.http.url}/` : null
  }
  /** `--hl7` links and the `--hl7-listen` order listener; null without them. */
  readonly hl7: LabHl7 | null
  /** What the broker shed (throttles, rate disconnects, drain timeouts), by action. */
  readonly shedding: LoadShedding
  readonly embedded: EmbeddedBroker
  private readonly gate: ConnectionGate
  private readonly log: Logger
  private readonly durable: DurablePersistence | null
  private readonly cluster: ClusterBackend | null
  private readonly connectedIds = new Set<string>()
  private readonly sources = new WeakMap<Client, PipelineMessage['source']>()
  private quiescing: Promise<void> | null = null
  private clientPublishes = 0
  private brokerEvents = 0

  private constructor(parts: LabParts) {
    this.broker = parts.broker
    this.clock = parts.clock
    this.registry = parts.registry
    this.signals = parts.signals
    this.monitor = parts.monitor
    this.fleet = parts.fleet
    this.listeners = parts.listeners
    this.pipeline = parts.pipeline
    this.metrics = parts.metrics
    this.http = parts.http
    this.hl7 = parts.hl7
    this.gate = parts.gate
    this.log = parts.log
    this.shedding = parts.shedding
    this.durable = parts.durable
    this.cluster = parts.cluster
    this.embedded = {
      broker: this.broker,
      handleConnection: (stream) => this.handleConnection(stream),
      restartBroker: (downtimeMs) => this.restartBroker(downtimeMs),
      watchOutputs: (filter) => parts.subscriptions?.hold(filter),
    }
    if (parts.pipelineEnabled) this.broker.on('publish', (packet, client) => this.onPublish(packet, client))
    this.broker.on('clientReady', (client) => this.connectedIds.add(client.id))
    this.broker.on('clientDisconnect', (client) => {
      this.connectedIds.delete(client.id)
      this.brokerEvents++
    })
    this.broker.on('connackSent', () => this.brokerEvents++)
    this.broker.on('subscribe', () => this.brokerEvents++)
  }

  static async start(options: LabOptions): Promise<Lab> {
    const log = options.log
    const security = securityConfig(options.security)
    const registry = new HospitalRegistry(options.registry, { loginBudget: security.loginBudget })
    const signals = new SignalBus()
    const clock = options.clock ?? createSimClock({ start: Date.now(), speed: options.speed })
    const now = () => clock.now()
    const bans = new BanList()
    const shedding = new LoadShedding({ signals, log })
    const durable = options.persistenceDir ? await openDurablePersistence(options.persistenceDir) : null
    if (durable) await registry.rememberLoginsIn(durable.verifiedLogins)
    // Both are Aedes' persistence: a cluster's sessions live in its Redis, not on one node's disk.
    if (options.cluster && options.persistenceDir)
      throw new WardlabError('WL_USAGE', 'a cluster node keeps its sessions in Redis: --cluster and a persistence folder do not go together')
    const cluster = options.cluster ? await connectCluster(options.cluster.url, options.cluster.nodeId) : null
    for (const warning of cluster?.warnings ?? []) log.warn(warning)
    const connections = new ConnectionWatch({ signals, now, ...(cluster ? { sessions: cluster.state } : {}) })
    const admission = new PublishAdmission()
    const broker = await createBroker({
      registry,
      admission,
      profile: profile(options.profile),
      signals,
      security: { connections, bans, now, maxConnectionsPerAddress: security.maxConnectionsPerAddress, publishRateLimit: security.publishRateLimit },
      shedding,
      ...(options.brokerLimits ? { limits: options.brokerLimits } : {}),
      ...(options.offlineQueueLimit ? { offlineQueueLimit: options.offlineQueueLimit } : {}),
      ...(options.packetLimits ? { maxPacketBytes: options.packetLimits.maxBytes, partialPacketMs: options.packetLimits.partialMs } : {}),
      ...(options.retainedQuota ? { retainedQuota: options.retainedQuota } : {}),
      ...(cluster ? { aedes: cluster.aedes, clientIdOwners: cluster.state.clientIdOwners } : {}),
      ...(durable
        ? { aedes: { persistence: durable.persistence, id: durable.brokerId }, sessionClocks: durable.sessionClocks, clientIdOwners: durable.clientIdOwners }
        : {}),
    })
    // Who can receive which outputs, known only when every session subscribed here since the start.
    const subscriptions = durable || cluster ? null : new SessionSubscriptions(broker)
    const responder = new BanResponder({ bans, connections, log, ...(cluster ? { shared: cluster.bans } : {}) })
    const monitor = new SecurityMonitor({
      signals,
      registry,
      config: security,
      responder,
      log,
      now,
      publish: (alert) => pipeline!.securityAlert(alert),
      ...(cluster ? { cluster: cluster.state } : {}),
    })
    let fleet: Fleet | null = null
    let pipeline: PipelineRunner | null = null
    let hl7: LabHl7 | null = null
    const metrics = new LabMetrics({
      pipeline: () => pipeline!.counters,
      devicesConnected: () => fleet?.connectedCount() ?? 0,
      clientsConnected: () => broker.connectedClients,
      alertsByType: () => monitor.alertCounts,
      signalsByType: () => signals.counts,
      loadShedByAction: () => shedding.counts,
      ...(options.hl7 ? { hl7Links: () => hl7?.gateway.stats() ?? [] } : {}),
      ...(options.pipeline !== false && options.pipelineWorkers
        ? { backpressurePauses: () => admission.pauses, pipelineBacklog: () => pipeline!.backlog }
        : {}),
    })
    const gate = new ConnectionGate(broker, options.onConnection, addressLimit(security.maxConnectionsPerAddress, connections, signals))
    const undo: (() => Promise<void>)[] = [
      () => new Promise<void>((resolve) => broker.close(() => resolve())),
      async () => await durable?.close(),
      async () => clock.stop(),
      async () => cluster?.close(),
    ]
    let listeners: Listeners
    let http: HttpServer | null = null
    try {
      if (options.hl7) {
        hl7 = await LabHl7.start(options.hl7, { registry, broker, log, ...(durable ? { store: durable.store(HL7_STORE) } : {}) })
        undo.unshift(async () => void (await hl7!.stop()))
      }
      pipeline = await startLabPipeline({
        config: options.pipeline || undefined,
        workers: options.pipeline === false ? 0 : (options.pipelineWorkers ?? 0),
        registryData: options.registry,
        registry,
        security,
        monitor,
        broker,
        outputDir: options.outputDir,
        metrics: metrics.observer(),
        observer: options.observer,
        admission,
        hl7: hl7?.send ?? null,
        interest: subscriptions,
        chartRequests: hl7?.chartRequests ?? null,
      })
      undo.unshift(() => pipeline!.close())
      listeners = await openListeners((stream, req) => gate.handle(stream, req), options.listeners, options.packetLimits?.maxBytes)
      undo.unshift(() => listeners.close())
      if (options.http)
        http = await startHttpServer({
          ...options.http,
          routes: { '/metrics': metricsHandler(metrics), '/healthz': (_req, res) => void res.end('ok\n') },
          ...(profile(options.profile).httpNeedsCredentials ? { guard: registryBasicAuth(registry, signals) } : {}),
        })
    } catch (err) {
      for (const step of undo) await step()
      throw err
    }
    monitor.start((task, intervalMs) => every(clock, task, intervalMs))
    if (options.simulate) {
      fleet = new Fleet({
        registry: options.registry,
        provisioningKey: options.provisioningKey,
        seed: options.seed,
        clock,
        connector: inProcessConnector((stream) => gate.handle(stream)),
        log,
        ...(options.mqttVersion ? { mqttVersion: options.mqttVersion } : {}),
        ...(options.deferredDevices ? { deferred: options.deferredDevices } : {}),
        ...(options.onDevicePublish ? { onPublish: options.onDevicePublish } : {}),
        ...(options.onDeviceGenerate ? { onGenerate: options.onDeviceGenerate } : {}),
      })
      fleet.start()
    }
    return new Lab({
      broker,
      clock,
      registry,
      signals,
      monitor,
      fleet,
      listeners,
      pipeline,
      pipelineEnabled: options.pipeline !== false,
      metrics,
      http,
      hl7,
      gate,
      log,
      shedding,
      durable,
      cluster,
      subscriptions,
    })
  }

  get bound(): BoundListener[] {
    return this.listeners.bound
  }

  stats(): LabStats {
    return labStats({ fleet: this.fleet, clientsConnected: this.broker.connectedClients, counters: this.pipeline.counters, monitor: this.monitor })
  }

  /**
   * Devices disconnect first, and only when the broker has processed each one's DISCONNECT —
   * which comes after its last PUBLISH on the same stream — is the pipeline drained, so every
   * message a device sent is in the sinks. The broker stays up, so observers still connected
   * receive everything; `stop` then closes the rest.
   */
  /**
   * What clients live through when a broker restarts: every connection drops at once (no
   * DISCONNECT, so wills fire), and new ones are refused until `downtimeMs` of simulated time has
   * passed. Retained messages and subscriptions of persistent sessions are kept, as a broker with
   * durable persistence keeps them.
   */
  restartBroker(downtimeMs: number): void {
    this.gate.close()
    this.log.warn({ downtimeMs }, 'broker restart: dropping every connection')
    this.clock.at(this.clock.now() + downtimeMs, () => {
      this.gate.open()
      this.log.info('broker back after restart')
    })
  }

  /** A new registry in force while the lab runs (`wardlab start` watches its file): see registry-change.ts. */
  applyRegistry(next: Registry): Promise<RegistryChange> {
    return applyRegistryChange({ broker: this.broker, registry: this.registry, pipeline: this.pipeline, fleet: this.fleet }, next)
  }

  /** Hands a connection to the broker through the same gate as the listeners (in-process attackers). */
  handleConnection(stream: Duplex): void {
    this.gate.handle(stream)
  }

  /** Publishes as the broker itself (no client): pipeline-like outputs, a run's end marker. */
  publishAsBroker(topic: string, payload: Buffer): void {
    this.broker.publish({ cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false }, () => undefined)
  }

  get activeDetectors(): string[] {
    return this.monitor.detectorNames()
  }

  async quiesce(): Promise<void> {
    this.quiescing ??= (async () => {
      await this.fleet?.stop()
      const ids = this.fleet?.devices.map((d) => d.id) ?? []
      await until(() => !ids.some((id) => this.connectedIds.has(id)), 5000)
      this.clock.stop()
      this.monitor.stop()
      await this.pipeline.drain()
    })()
    return this.quiescing
  }

  async stop(): Promise<void> {
    await this.quiesce()
    // Every device message is through the pipeline, so every HL7 message is handed to its links.
    await this.hl7?.stop()
    await this.http?.close()
    await this.listeners.close()
    await new Promise<void>((resolve) => this.broker.close(() => resolve()))
    await this.durable?.close()
    await this.cluster?.close()
    await this.pipeline.close()
    this.log.info({ ...this.pipeline.counters, alerts: this.monitor.totalAlerts() }, 'wardlab stopped')
  }

  /**
   * A number that grows with everything the broker does for clients (CONNACKs, subscriptions,
   * publishes in, disconnects), and whether work is still pending: logins on scrypt off the event
   * loop, simulated devices still connecting. A run on a virtual clock waits until both settle
   * before moving simulated time on.
   */
  activity(): { count: number; pending: boolean } {
    return { count: this.brokerEvents + this.clientPublishes, pending: this.registry.pendingChecks > 0 || (this.fleet?.isConnecting() ?? false) }
  }

  /** Every client publish under `hospital/` enters the pipeline; the broker's own outputs do not. */
  private onPublish(packet: AedesPublishPacket, client: Client | null): void {
    if (!client) return
    this.clientPublishes++
    if (!packet.topic.startsWith(`${DEVICE_ROOT}/`)) return
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload)
    this.pipeline.ingest(packet.topic, payload, this.sourceOf(client), Math.round(this.clock.now()))
  }

  /** One source object per connection: built once, and pipeline workers can number it by identity. */
  private sourceOf(client: Client): PipelineMessage['source'] {
    let source = this.sources.get(client)
    if (!source) {
      source = { clientId: client.id, address: clientAddress(client) }
      this.sources.set(client, source)
    }
    return source
  }
}

interface LabParts {
  broker: Aedes
  clock: SimClock
  registry: HospitalRegistry
  signals: SignalBus
  monitor: SecurityMonitor
  fleet: Fleet | null
  listeners: Listeners
  pipeline: PipelineRunner
  pipelineEnabled: boolean
  metrics: LabMetrics
  http: HttpServer | null
  hl7: LabHl7 | null
  gate: ConnectionGate
  log: Logger
  shedding: LoadShedding
  durable: DurablePersistence | null
  cluster: ClusterBackend | null
  /** Every session's subscriptions, where this broker knows them all (null with durable persistence or a cluster). */
  subscriptions: SessionSubscriptions | null
}

function metricsHandler(metrics: LabMetrics): HttpHandler {
  return async (_req, res) => {
    const body = await metrics.text()
    res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body)
  }
}
