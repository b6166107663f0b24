import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt'
import type { ProfileName } from '../../src/broker/profile.ts'
import { Lab, type LabOptions } from '../../src/lab/lab.ts'
import { hashPassword } from '../../src/registry/passwords.ts'
import type { Registry } from '../../src/registry/schema.ts'
import { silentLogger } from '../../src/util/log.ts'

export const PASSWORDS = {
  'mon-01': 'mon-01-secret',
  'mon-02': 'mon-02-secret',
  'nurse-op': 'operator-secret',
  'ward-obs': 'observer-secret',
  root: 'admin-secret',
} as const

/** The registered observer's credentials: tests that need a persistent session log in (anonymous clients keep none in lab). */
export const OBSERVER = { username: 'ward-obs', password: PASSWORDS['ward-obs'] }

export const TEST_PATIENT = {
  id: 'pt-01',
  ward: 'icu',
  bed: 'icu-01',
  sex: 'female',
  ageYears: 64,
  heightCm: 165,
  weightKg: 70,
  trajectory: 'stable',
  onsetMinutes: 0,
  hypercapnic: false,
  onOxygen: false,
} as const

/** A small registry with two real (non-simulated) monitors, one on a patient, and three users, with known passwords. */
export async function testRegistry(): Promise<Registry> {
  const [mon1, mon2, operator, observer, admin] = await Promise.all(Object.values(PASSWORDS).map((p) => hashPassword(p)))
  return {
    version: 1,
    site: 'Test Hospital',
    wards: [{ id: 'icu', name: 'ICU', beds: ['icu-01', 'icu-02'] }],
    patients: [{ ...TEST_PATIENT }, { ...TEST_PATIENT, id: 'pt-02', bed: 'icu-02', sex: 'male', ageYears: 71 }],
    devices: [
      { id: 'mon-01', kind: 'bedside-monitor', ward: 'icu', bed: 'icu-01', patient: 'pt-01', passwordHash: mon1!, simulated: false, options: {} },
      { id: 'mon-02', kind: 'bedside-monitor', ward: 'icu', bed: 'icu-02', patient: 'pt-02', passwordHash: mon2!, simulated: false, options: {} },
    ],
    users: [
      { username: 'nurse-op', role: 'operator', passwordHash: operator! },
      { username: 'ward-obs', role: 'observer', passwordHash: observer! },
      { username: 'root', role: 'admin', passwordHash: admin! },
    ],
  }
}

/** A fresh folder for a lab's pipeline files. */
export function outputDir(): string {
  return mkdtempSync(join(tmpdir(), 'wardlab-run-'))
}

let cachedRegistry: Promise<Registry> | null = null

/** A broker on free ports, no simulated fleet unless `overrides` asks: tests bring their own real clients. */
export async function startTestLab(profile: ProfileName = 'lab', registry?: Registry, overrides: Partial<LabOptions> = {}): Promise<Lab> {
  cachedRegistry ??= testRegistry()
  return Lab.start({
    registry: registry ?? (await cachedRegistry),
    provisioningKey: Buffer.alloc(32, 7),
    profile,
    listeners: [
      { kind: 'mqtt', host: '127.0.0.1', port: 0, flag: '--port' },
      { kind: 'ws', host: '127.0.0.1', port: 0, flag: '--ws-port' },
    ],
    seed: 'test',
    speed: 1,
    simulate: false,
    log: silentLogger,
    outputDir: outputDir(),
    ...overrides,
  })
}

export function urlOf(lab: Lab, kind: 'mqtt' | 'ws' | 'mqtts' = 'mqtt'): string {
  const bound = lab.bound.find((b) => b.kind === kind)
  if (!bound) throw new Error(`no ${kind} listener`)
  return bound.url
}

export function portOf(lab: Lab, kind: 'mqtt' | 'ws' | 'mqtts' = 'mqtt'): number {
  return new URL(urlOf(lab, kind)).port ? Number(new URL(urlOf(lab, kind)).port) : 0
}

export async function connectAs(lab: Lab, options: IClientOptions & { kind?: 'mqtt' | 'ws' | 'mqtts' }): Promise<MqttClient> {
  return connectAsync(urlOf(lab, options.kind ?? 'mqtt'), { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...options })
}

export function connectDevice(lab: Lab, id: keyof typeof PASSWORDS): Promise<MqttClient> {
  return connectAs(lab, { clientId: id, username: id, password: PASSWORDS[id] })
}

/** Resolves with the first message on `filter`, or rejects after `ms`. */
export function nextMessage(client: MqttClient, filter: (topic: string) => boolean, ms = 5000): Promise<{ topic: string; payload: Buffer }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage)
      reject(new Error(`no matching message within ${ms} ms`))
    }, ms)
    const onMessage = (topic: string, payload: Buffer) => {
      if (!filter(topic)) return
      clearTimeout(timer)
      client.off('message', onMessage)
      resolve({ topic, payload })
    }
    client.on('message', onMessage)
  })
}

/** Resolves when the client's connection closes, or rejects after `ms`. */
export function closed(client: MqttClient, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!client.connected) return resolve()
    const timer = setTimeout(() => reject(new Error(`connection still open after ${ms} ms`)), ms)
    client.once('close', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

export function envelope(deviceId: string, seq: number, data: unknown = { heartRate: 72 }): string {
  return JSON.stringify({ deviceId, kind: 'bedside-monitor', seq, ts: Date.now(), data })
}
