import type { Logger } from 'pino'
import { deviceKind } from '../../devices/index.ts'
import type { Envelope } from '../contract/envelope.ts'
import { deriveDevicePassword } from '../registry/passwords.ts'
import type { DeviceEntry, Patient, Registry } from '../registry/schema.ts'
import { WardlabError } from '../util/errors.ts'
import type { SimClock } from './clock.ts'
import type { Connector } from './connector.ts'
import type { MqttVersion } from './mqtt-version.ts'
import { SimulatedDevice, type DeviceCounters } from './device-runner.ts'
import { createPatientModel } from './physiology/patient-model.ts'
import type { PatientModel } from './physiology/vitals.ts'

export interface FleetSetup {
  registry: Registry
  provisioningKey: Buffer
  seed: string | number
  clock: SimClock
  connector: Connector
  log: Logger
  /** The MQTT version every device connects with; 3.1.1 by default. */
  mqttVersion?: MqttVersion
  /** Devices connect at most this many per second, as a ward powering up would, not all at once. */
  connectRate?: number
  onPublish?: (topic: string, envelope: Envelope) => void
  onGenerate?: (envelope: Envelope) => void
  /** Devices `start()` leaves alone; started later one by one (load ramps). */
  deferred?: ReadonlySet<string>
}

/**
 * Every simulated device in a registry, with one patient model per patient shared by all that
 * patient's devices, so their readings agree.
 */
export class Fleet {
  private readonly setup: FleetSetup
  private readonly running: SimulatedDevice[]
  private readonly models: Map<string, PatientModel>
  private readonly connectRate: number
  private readonly deferred: ReadonlySet<string>
  private starter: NodeJS.Timeout | null = null

  constructor(setup: FleetSetup) {
    this.setup = setup
    this.models = new Map(setup.registry.patients.map((p) => [p.id, createPatientModel(p, { seed: setup.seed, startMs: setup.clock.now() })]))
    this.connectRate = setup.connectRate ?? 200
    this.deferred = setup.deferred ?? new Set()
    this.running = setup.registry.devices.filter((entry) => entry.simulated).map((entry) => this.simulate(entry))
  }

  get devices(): readonly SimulatedDevice[] {
    return this.running
  }

  get patients(): ReadonlyMap<string, PatientModel> {
    return this.models
  }

  /**
   * Simulated entries added to a running lab's registry (src/lab/registry-change.ts): each powers
   * on now. A patient new to the fleet gets its model; one already simulated is shared, so a new
   * device on a known patient reads the same physiology as the others.
   */
  add(entries: readonly DeviceEntry[], patients: readonly Patient[]): void {
    for (const entry of entries) {
      if (!entry.simulated || this.device(entry.id)) continue
      const patient = entry.patient ? patients.find((p) => p.id === entry.patient) : undefined
      if (patient && !this.models.has(patient.id))
        this.models.set(patient.id, createPatientModel(patient, { seed: this.setup.seed, startMs: this.setup.clock.now() }))
      const device = this.simulate(entry)
      this.running.push(device)
      device.start()
    }
  }

  /** Stops and forgets the named devices (each says goodbye with its offline status, as at shutdown). */
  async remove(ids: readonly string[]): Promise<void> {
    const leaving = this.running.filter((d) => ids.includes(d.id))
    for (const device of leaving) this.running.splice(this.running.indexOf(device), 1)
    await Promise.all(leaving.map((d) => d.stop()))
  }

  private simulate(entry: DeviceEntry): SimulatedDevice {
    const setup = this.setup
    const kind = deviceKind(entry.kind)
    if (!kind) throw new WardlabError('WL_UNKNOWN_DEVICE_KIND', `device ${entry.id} has unknown kind "${entry.kind}"`)
    return new SimulatedDevice({
      entry,
      kind,
      patient: entry.patient ? (this.models.get(entry.patient) ?? null) : null,
      seed: setup.seed,
      clock: setup.clock,
      connector: setup.connector,
      password: deriveDevicePassword(setup.provisioningKey, entry.id),
      log: setup.log,
      ...(setup.mqttVersion ? { mqttVersion: setup.mqttVersion } : {}),
      ...(setup.onPublish ? { onPublish: setup.onPublish } : {}),
      ...(setup.onGenerate ? { onGenerate: setup.onGenerate } : {}),
    })
  }

  /** Starts devices in batches of `connectRate / 10` every 100 ms. */
  start(): void {
    const batch = Math.max(1, Math.round(this.connectRate / 10))
    const now = this.devices.filter((d) => !this.deferred.has(d.id))
    let next = 0
    const startBatch = () => {
      for (const device of now.slice(next, next + batch)) device.start()
      next += batch
      this.starter = next < now.length ? setTimeout(startBatch, 100) : null
    }
    startBatch()
  }

  async stop(): Promise<void> {
    if (this.starter) clearTimeout(this.starter)
    await Promise.all(this.running.map((d) => d.stop()))
  }

  device(id: string): SimulatedDevice | undefined {
    return this.devices.find((d) => d.id === id)
  }

  connectedCount(): number {
    return this.devices.reduce((n, d) => n + (d.connected ? 1 : 0), 0)
  }

  /** Whether some device is still waiting to hear how its connection attempt went. */
  isConnecting(): boolean {
    return this.devices.some((d) => d.connecting)
  }

  totals(): DeviceCounters {
    const total: DeviceCounters = { generated: 0, published: 0, lostOffline: 0, buffered: 0, connects: 0, replies: 0 }
    for (const d of this.devices) for (const key of Object.keys(total) as (keyof DeviceCounters)[]) total[key] += d.counters[key]
    return total
  }
}
