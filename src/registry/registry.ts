import { createHash } from 'node:crypto'
import type { DeviceEntry, Patient, Registry, Role, UserEntry, Ward } from './schema.ts'
import { verifyPassword } from './passwords.ts'

/** Who a connected client is, as far as the broker is concerned. */
export type Identity =
  | { role: 'device'; name: string; device: DeviceEntry }
  | { role: Exclude<Role, 'device'>; name: string; anonymous: boolean }

export type CredentialCheck =
  | { ok: true; identity: Identity }
  | { ok: false; reason: 'unknown-user' | 'wrong-password' }

/**
 * The registry loaded for use: indexed lookups and credential checks. scrypt is deliberately slow,
 * so a successful check is remembered as a SHA-256 of the password for that name — a reconnect
 * storm after a broker restart then costs microseconds per device, not 50 ms. Only the broker's
 * memory holds the cache; nothing plain is ever written.
 */
export class HospitalRegistry {
  readonly data: Registry
  private readonly devices: Map<string, DeviceEntry>
  private readonly users: Map<string, UserEntry>
  private readonly patients: Map<string, Patient>
  private readonly wards: Map<string, Ward>
  private readonly verified = new Map<string, string>()
  /** Credential checks waiting on scrypt in the thread pool (a run on a virtual clock waits for them). */
  pendingChecks = 0

  constructor(data: Registry) {
    this.data = data
    this.devices = new Map(data.devices.map((d) => [d.id, d]))
    this.users = new Map(data.users.map((u) => [u.username, u]))
    this.patients = new Map(data.patients.map((p) => [p.id, p]))
    this.wards = new Map(data.wards.map((w) => [w.id, w]))
  }

  device(id: string): DeviceEntry | undefined {
    return this.devices.get(id)
  }

  patient(id: string): Patient | undefined {
    return this.patients.get(id)
  }

  ward(id: string): Ward | undefined {
    return this.wards.get(id)
  }

  /** The registered identity of this name, as a login with its password would establish it. */
  identity(name: string): Identity | undefined {
    const device = this.devices.get(name)
    if (device) return { role: 'device', name: device.id, device }
    const user = this.users.get(name)
    return user ? { role: user.role, name: user.username, anonymous: false } : undefined
  }

  /** Whether a name is a registered identity — anonymous clients must not borrow one as client id. */
  isKnownName(name: string): boolean {
    return this.devices.has(name) || this.users.has(name)
  }

  async checkCredentials(username: string, password: Buffer): Promise<CredentialCheck> {
    this.pendingChecks++
    try {
      return await this.check(username, password)
    } finally {
      this.pendingChecks--
    }
  }

  private async check(username: string, password: Buffer): Promise<CredentialCheck> {
    const device = this.devices.get(username)
    const user = device ? undefined : this.users.get(username)
    const stored = device?.passwordHash ?? user?.passwordHash
    if (!stored) return { ok: false, reason: 'unknown-user' }
    const fingerprint = createHash('sha256').update(stored).update('\0').update(password).digest('base64')
    const valid = this.verified.get(username) === fingerprint || (await verifyPassword(password, stored))
    if (!valid) return { ok: false, reason: 'wrong-password' }
    this.verified.set(username, fingerprint)
    return { ok: true, identity: this.identity(username)! }
  }
}
