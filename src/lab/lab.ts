import type { Aedes, AedesPublishPacket, Client } from 'aedes'
import type { Logger } from 'pino'
import { createBroker } from '../broker/create-broker.ts'
import { openListeners, type BoundListener, type ListenerSpec, type Listeners } from '../broker/listeners.ts'
import { profile, type ProfileName } from '../broker/profile.ts'
import { parseDeviceTopic } from '../contract/topics.ts'
import { HospitalRegistry } from '../registry/registry.ts'
import type { Registry } from '../registry/schema.ts'
import type { SecurityAlert } from '../security/alert.ts'
import { SecurityMonitor } from '../security/monitor.ts'
import { SignalBus } from '../security/signals.ts'
import { createSimClock, type SimClock } from '../simulation/clock.ts'
import { inProcessConnector } from '../simulation/connector.ts'
import { Fleet } from '../simulation/fleet.ts'

export interface LabOptions {
  registry: Registry
  provisioningKey: Buffer
  profile: ProfileName
  listeners: ListenerSpec[]
  seed: string | number
  /** Simulated time runs this many times faster than wall time. */
  speed: number
  /** Start the registry's simulated devices. */
  simulate: boolean
  log: Logger
}

export interface LabStats {
  devicesConnected: number
  devicesSimulated: number
  clientsConnected: number
  received: number
  quarantined: number
  alerts: number
}

/**
 * A running wardlab: broker, listeners, security monitor and simulated fleet, wired together and
 * torn down in the reverse order — devices disconnect first, so nothing they send is lost, and the
 * broker closes last.
 */
export class Lab {
  readonly broker: Aedes
  readonly clock: SimClock
  readonly registry: HospitalRegistry
  readonly signals: SignalBus
  readonly monitor: SecurityMonitor
  readonly fleet: Fleet | null
  readonly listeners: Listeners
  private readonly log: Logger
  private received = 0

  private constructor(parts: { broker: Aedes; clock: SimClock; registry: HospitalRegistry; signals: SignalBus; monitor: SecurityMonitor; fleet: Fleet | null; listeners: Listeners; log: Logger }) {
    this.broker = parts.broker
    this.clock = parts.clock
    this.registry = parts.registry
    this.signals = parts.signals
    this.monitor = parts.monitor
    this.fleet = parts.fleet
    this.listeners = parts.listeners
    this.log = parts.log
    this.broker.on('publish', (packet, client) => this.onPublish(packet, client))
  }

  static async start(options: LabOptions): Promise<Lab> {
    const log = options.log
    const registry = new HospitalRegistry(options.registry)
    const signals = new SignalBus()
    const broker = await createBroker({ registry, profile: profile(options.profile), signals })
    const clock = createSimClock({ start: Date.now(), speed: options.speed })
    const monitor = new SecurityMonitor({ signals, log, publish: (alert) => publishAlert(broker, alert) })
    let listeners: Listeners
    try {
      listeners = await openListeners(broker, options.listeners)
    } catch (err) {
      await new Promise<void>((resolve) => broker.close(() => resolve()))
      clock.stop()
      throw err
    }
    monitor.start()
    const fleet = options.simulate
      ? new Fleet({ registry: options.registry, provisioningKey: options.provisioningKey, seed: options.seed, clock, connector: inProcessConnector(broker), log })
      : null
    fleet?.start()
    return new Lab({ broker, clock, registry, signals, monitor, fleet, listeners, log })
  }

  get bound(): BoundListener[] {
    return this.listeners.bound
  }

  stats(): LabStats {
    return {
      devicesConnected: this.fleet?.connectedCount() ?? 0,
      devicesSimulated: this.fleet?.devices.length ?? 0,
      clientsConnected: this.broker.connectedClients,
      received: this.received,
      quarantined: 0,
      alerts: this.monitor.totalAlerts(),
    }
  }

  async stop(): Promise<void> {
    await this.fleet?.stop()
    this.monitor.stop()
    this.clock.stop()
    await this.listeners.close()
    await new Promise<void>((resolve) => this.broker.close(() => resolve()))
    this.log.info({ received: this.received, alerts: this.monitor.totalAlerts() }, 'wardlab stopped')
  }

  private onPublish(packet: AedesPublishPacket, client: Client | null): void {
    if (client && parseDeviceTopic(packet.topic)) this.received++
  }
}

function publishAlert(broker: Aedes, alert: SecurityAlert): void {
  broker.publish({ cmd: 'publish', topic: `security/alerts/${alert.type}`, payload: Buffer.from(JSON.stringify(alert)), qos: 1, retain: false, dup: false }, () => undefined)
}
