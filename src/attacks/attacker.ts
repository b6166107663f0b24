import type { Duplex } from 'node:stream'
import { MqttClient, type IClientOptions } from 'mqtt'
import type { HospitalRegistry } from '../registry/registry.ts'
import { deriveDevicePassword } from '../registry/passwords.ts'
import type { SimClock } from '../simulation/clock.ts'
import { openInProcessStream, whenConnected } from '../simulation/connector.ts'
import type { GroundTruth, GroundTruthEntry } from './ground-truth.ts'

/** What an attack runs against: the embedded broker, the simulated clock, and where to record itself. */
export interface AttackContext {
  /** Where attack connections enter: the broker's `handle`, or the lab's gate in front of it. */
  broker: { handle(stream: Duplex): unknown }
  clock: SimClock
  registry: HospitalRegistry
  groundTruth: GroundTruth
  /**
   * The lab's provisioning key: attacks that model stolen credentials derive them the way the lab
   * provisions simulated devices and scenario users (src/registry/passwords.ts).
   */
  provisioningKey?: Buffer
}

/** How long, in simulated time, an attack waits for its last attempts to settle. */
const STRAGGLER_GRACE_MS = 5000

/**
 * One attacker's session: it opens connections under its source address label, tracks them so
 * none outlives the attack, and records every address and client id it used in its ground-truth
 * entry.
 */
export class Attacker {
  readonly ctx: AttackContext
  readonly entry: GroundTruthEntry
  private readonly streams = new Set<Duplex>()
  private readonly clients = new Set<MqttClient>()

  constructor(ctx: AttackContext, entry: GroundTruthEntry) {
    this.ctx = ctx
    this.entry = entry
  }

  now(): number {
    return this.ctx.clock.now()
  }

  /** A raw byte stream into the broker from `address`: for packets mqtt.js would never send. */
  raw(address: string): Duplex {
    this.use(address)
    const stream = openInProcessStream((s) => this.ctx.broker.handle(s), address)
    this.streams.add(stream)
    stream.once('close', () => this.streams.delete(stream))
    return stream
  }

  /** An MQTT client from `address`; resolves once connected, rejects with the CONNACK error or on close. */
  connect(address: string, options: IClientOptions): Promise<MqttClient> {
    this.use(address, options.clientId)
    const client = new MqttClient(() => openInProcessStream((s) => this.ctx.broker.handle(s), address), {
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      queueQoSZero: false,
      ...options,
    })
    this.clients.add(client)
    client.once('close', () => this.clients.delete(client))
    return whenConnected(client)
  }

  /**
   * Logs in with a registry name's stolen credentials; a device's client id must be its own id, so
   * this takes its session over and knocks the real device off until it reconnects.
   */
  connectStolen(address: string, name: string, options: IClientOptions = {}): Promise<MqttClient> {
    return this.connect(address, { clientId: name, username: name, password: this.stolenPassword(name), ...options })
  }

  /** The password a provisioned name has, for attacks that model stolen credentials. */
  stolenPassword(name: string): string {
    if (!this.ctx.provisioningKey) throw new Error(`stolen credentials for ${name} need the lab's provisioning key in the attack context`)
    return deriveDevicePassword(this.ctx.provisioningKey, name)
  }

  /**
   * Marks where the malicious part begins, for attacks that first watch quietly (a replay records
   * traffic before it resends it): time to detect counts from here.
   */
  strike(): void {
    this.entry.startMs = this.now()
    this.entry.endMs = this.now()
  }

  /** Waits `ms` of simulated time. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.ctx.clock.at(this.now() + ms, resolve))
  }

  /**
   * Calls `act` `ratePerSecond` times a simulated second for `durationMs`, in ticks of at most
   * 100 ms so high rates go out as batches. `act` is not awaited: an attacker does not wait for
   * one attempt to fail before the next (returned promises are awaited at the end).
   */
  async repeat(ratePerSecond: number, durationMs: number, act: (index: number) => unknown): Promise<void> {
    const start = this.now()
    const tickMs = Math.max(100, 1000 / ratePerSecond)
    const pending: unknown[] = []
    let done = 0
    for (let t = 0; t < durationMs; t += tickMs) {
      const due = Math.min(Math.floor(((t + tickMs) * ratePerSecond) / 1000), Math.floor((durationMs * ratePerSecond) / 1000))
      while (done < due) pending.push(act(done++))
      this.entry.endMs = this.now()
      await this.sleep(start + t + tickMs - this.now())
    }
    // An attempt can hang for good (mqtt.js never settles a SUBSCRIBE whose connection was taken
    // over): give stragglers a few simulated seconds, then the attack is over regardless.
    await Promise.race([Promise.allSettled(pending), this.sleep(STRAGGLER_GRACE_MS)])
  }

  /** Marks the attack over and closes whatever it left open. */
  finish(): void {
    this.entry.endMs = Math.max(this.entry.endMs, this.now())
    for (const client of this.clients) client.end(true)
    for (const stream of this.streams) stream.destroy()
  }

  private use(address: string, clientId?: string): void {
    if (!this.entry.addresses.includes(address)) this.entry.addresses.push(address)
    if (clientId && !this.entry.clientIds.includes(clientId)) this.entry.clientIds.push(clientId)
  }
}
