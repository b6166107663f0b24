import { createHash } from 'node:crypto'

/** Where remembered logins outlive the broker: the LevelDB of --persistence (src/broker/persistence.ts). */
export interface VerifiedLoginStore {
  all(): Promise<Map<string, string>>
  put(name: string, fingerprint: string): Promise<void>
}

/**
 * Names whose password was verified, each with a fingerprint of the password that passed:
 * SHA-256 of the stored scrypt hash and the password. A login with the same password again costs
 * a SHA-256 rather than a scrypt, so a reconnect storm costs microseconds per device, and a device
 * that has logged in before never waits behind the hashes of a login flood (hash-queue.ts). A
 * changed password changes the stored hash, and so the fingerprint: the entry stops matching.
 *
 * With --persistence the fingerprints are kept in the LevelDB, so the storm after a restart of
 * the process is absorbed too. A fingerprint holds no plain password, but it is a fast hash: with
 * a copy of both the registry and the database, a guess costs a SHA-256 rather than a scrypt. The
 * passwords wardlab makes (128 bits and more, passwords.ts) are beyond guessing at any speed; a
 * weak password set by hand is not, which is one more reason the database is the owner's alone
 * (0600 in a 0700 folder).
 */
export class VerifiedLogins {
  private readonly fingerprints = new Map<string, string>()
  private store: VerifiedLoginStore | undefined

  static fingerprint(storedHash: string, password: Buffer): string {
    return createHash('sha256').update(storedHash).update('\0').update(password).digest('base64')
  }

  /** Loads what `store` remembers and keeps it up to date from now on. */
  async keepIn(store: VerifiedLoginStore): Promise<void> {
    for (const [name, fingerprint] of await store.all()) this.fingerprints.set(name, fingerprint)
    this.store = store
  }

  matches(name: string, fingerprint: string): boolean {
    return this.fingerprints.get(name) === fingerprint
  }

  remember(name: string, fingerprint: string): void {
    if (this.fingerprints.get(name) === fingerprint) return
    this.fingerprints.set(name, fingerprint)
    // Losing the write costs one hash at the next login after a restart; a login never waits for it.
    this.store?.put(name, fingerprint).catch(() => undefined)
  }

  get size(): number {
    return this.fingerprints.size
  }
}
