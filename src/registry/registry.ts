import type { DeviceEntry, Patient, Registry, Role, UserEntry, Ward } from './schema.ts'
import { HashQueueFull, passwordHashQueue, type HashQueue } from './hash-queue.ts'
import { LoginBudget, type LoginBudgetConfig } from './login-budget.ts'
import { decoyHash, verifyPassword } from './passwords.ts'
import { VerifiedLogins, type VerifiedLoginStore } from './verified-logins.ts'

/** Who a connected client is, as far as the broker is concerned. */
export type Identity = { role: 'device'; name: string; device: DeviceEntry } | { role: Exclude<Role, 'device'>; name: string; anonymous: boolean }

export type CredentialCheck =
  | { ok: true; identity: Identity }
  /**
   * `too-many-failures`: the source address has spent its failure budget (login-budget.ts) and was
   * refused before any check; `busy`: the password checks are too far behind (hash-queue.ts).
   */
  | { ok: false; reason: 'unknown-user' | 'wrong-password' | 'too-many-failures' | 'busy' }

/** 20 failed logins an address may have, one forgiven every 3 s (security config `loginBudget`). */
export const DEFAULT_LOGIN_BUDGET: LoginBudgetConfig = { failures: 20, windowMs: 60_000 }

/** What logins cost: hashes run, logins that needed none, and refusals before any. */
export interface LoginCounts {
  hashed: number
  remembered: number
  overBudget: number
  queueFull: number
  /** The client hung up while its login waited: its hash was never run. */
  abandoned: number
}

/** Where a login comes from: its failure budget and its lane in the hash queue; `gone` says whether it still waits for an answer. */
export interface LoginSource {
  address?: string
  gone?: () => boolean
}

export interface RegistryOptions {
  loginBudget?: LoginBudgetConfig
  /** Defaults to the process's queue: the thread pool it guards is shared by every lab in the process. */
  hashQueue?: HashQueue
}

/**
 * The registry loaded for use: indexed lookups and credential checks. A check costs a scrypt hash
 * (50–140 ms of a pool thread) unless the name's password was verified before
 * (verified-logins.ts); hashes wait their turn in the process's hash queue, per source address;
 * and an address that keeps failing is refused before it costs one (login-budget.ts). Unknown
 * names are checked against a decoy hash of the same cost, so a refusal takes as long whether or
 * not the name exists.
 */
export class HospitalRegistry {
  readonly logins: LoginCounts = { hashed: 0, remembered: 0, overBudget: 0, queueFull: 0, abandoned: 0 }
  private current!: Registry
  private devices!: Map<string, DeviceEntry>
  private users!: Map<string, UserEntry>
  private patients!: Map<string, Patient>
  private wards!: Map<string, Ward>
  private readonly verified = new VerifiedLogins()
  private readonly budget: LoginBudget
  private readonly hashes: HashQueue
  private decoy!: string | null
  /** Credential checks waiting on scrypt in the thread pool (a run on a virtual clock waits for them). */
  pendingChecks = 0

  constructor(data: Registry, options: RegistryOptions = {}) {
    this.budget = new LoginBudget(options.loginBudget ?? DEFAULT_LOGIN_BUDGET)
    this.hashes = options.hashQueue ?? passwordHashQueue
    this.replace(data)
  }

  get data(): Registry {
    return this.current
  }

  /**
   * A running lab's registry file changed (src/lab/registry-change.ts): every lookup from now on
   * answers from `data`, all of it at once. Remembered logins need no forgetting: each is keyed by
   * the stored hash, so a removed name or a new password no longer matches one.
   */
  replace(data: Registry): void {
    this.current = data
    this.devices = new Map(data.devices.map((d) => [d.id, d]))
    this.users = new Map(data.users.map((u) => [u.username, u]))
    this.patients = new Map(data.patients.map((p) => [p.id, p]))
    this.wards = new Map(data.wards.map((w) => [w.id, w]))
    this.decoy = decoyHash([...data.devices.map((d) => d.passwordHash), ...data.users.map((u) => u.passwordHash)])
  }

  device(id: string): DeviceEntry | undefined {
    return this.devices.get(id)
  }

  patient(id: string): Patient | undefined {
    return this.patients.get(id)
  }

  /** The room a bed is in, when the ward lists its rooms (HL7 PV1-3 room component). */
  roomOf(wardId: string, bed: string): string | undefined {
    const rooms = this.ward(wardId)?.rooms
    if (!rooms) return undefined
    for (const [room, beds] of Object.entries(rooms)) if (beds.includes(bed)) return room
    return undefined
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

  /** Remembers verified logins in `store` (and loads what it remembers), so they outlive a restart. */
  rememberLoginsIn(store: VerifiedLoginStore): Promise<void> {
    return this.verified.keepIn(store)
  }

  async checkCredentials(username: string, password: Buffer, source: LoginSource = {}): Promise<CredentialCheck> {
    this.pendingChecks++
    try {
      return await this.check(username, password, source.address ?? 'unknown', source.gone ?? (() => false))
    } finally {
      this.pendingChecks--
    }
  }

  private async check(username: string, password: Buffer, address: string, gone: () => boolean): Promise<CredentialCheck> {
    const stored = this.devices.get(username)?.passwordHash ?? this.users.get(username)?.passwordHash
    if (!this.budget.take(address)) {
      this.logins.overBudget++
      return { ok: false, reason: 'too-many-failures' }
    }
    const checked = stored ?? this.decoy
    if (!checked) return { ok: false, reason: 'unknown-user' }
    const fingerprint = stored ? VerifiedLogins.fingerprint(stored, password) : undefined
    if (fingerprint && this.verified.matches(username, fingerprint)) {
      this.logins.remembered++
      this.budget.refund(address)
      return { ok: true, identity: this.identity(username)! }
    }
    let valid: boolean | 'abandoned'
    try {
      // A client that hung up while it waited costs no hash: a flood that does not wait for its answers is free.
      valid = await this.hashes.run<boolean | 'abandoned'>(address, () => (gone() ? Promise.resolve('abandoned' as const) : verifyPassword(password, checked)))
    } catch (err) {
      if (!(err instanceof HashQueueFull)) throw err
      this.logins.queueFull++
      this.budget.refund(address)
      return { ok: false, reason: 'busy' }
    }
    if (valid === 'abandoned') {
      this.logins.abandoned++
      this.budget.refund(address)
      return { ok: false, reason: 'busy' }
    }
    this.logins.hashed++
    if (!stored || !fingerprint) return { ok: false, reason: 'unknown-user' }
    if (!valid) return { ok: false, reason: 'wrong-password' }
    this.budget.refund(address)
    this.verified.remember(username, fingerprint)
    return { ok: true, identity: this.identity(username)! }
  }
}
