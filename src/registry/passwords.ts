import { randomBytes, scrypt, timingSafeEqual, createHmac, type ScryptOptions } from 'node:crypto'

/**
 * Passwords are kept as scrypt hashes (RFC 7914) in the self-describing form
 * `scrypt$N$r$p$salt$hash`, so the cost can be raised later without breaking stored entries.
 * N = 2^14, r = 8, p = 1 is the interactive-login cost the RFC and OWASP suggest; the hash runs
 * on libuv's thread pool, so a connect storm queues there instead of freezing the broker.
 */
const COST = { N: 16384, r: 8, p: 1 } as const
/**
 * For registries that exist only in memory for one run (scenarios, benchmarks), whose passwords are
 * derived from a random key that dies with the process: nothing is stored, so the KDF's cost buys
 * nothing, and 2^10 keeps a 500-device scenario from spending half a minute hashing.
 */
export const EPHEMERAL_COST = { N: 1024, r: 8, p: 1 } as const
const KEY_LENGTH = 32

function scryptAsync(password: string | Buffer, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_LENGTH, { ...options, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  )
}

export async function hashPassword(password: string, cost: { N: number; r: number; p: number } = COST): Promise<string> {
  const salt = randomBytes(16)
  const key = await scryptAsync(password, salt, cost)
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${key.toString('base64')}`
}

export async function verifyPassword(password: string | Buffer, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$')
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false
  const expected = Buffer.from(hash, 'base64')
  const key = await scryptAsync(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) })
  return key.length === expected.length && timingSafeEqual(key, expected)
}

/**
 * A hash no password matches, with the scrypt cost most of `stored` have: a login under a name
 * the registry does not know is verified against it, so it costs what a known name's wrong
 * password costs and the refusal's timing does not tell which names exist. Random salt and key:
 * nothing is computed, and a match is as likely as guessing 256 random bits. Null for a registry
 * with no passwords at all (a capture replay's empty hospital): no name exists to hide.
 */
export function decoyHash(stored: readonly string[]): string | null {
  const costs = new Map<string, number>()
  for (const hash of stored) {
    const [scheme, n, r, p] = hash.split('$')
    if (scheme === 'scrypt' && n && r && p) costs.set(`${n}$${r}$${p}`, (costs.get(`${n}$${r}$${p}`) ?? 0) + 1)
  }
  const common = [...costs].sort(([, a], [, b]) => b - a)[0]?.[0]
  return common ? `scrypt$${common}$${randomBytes(16).toString('base64')}$${randomBytes(KEY_LENGTH).toString('base64')}` : null
}

/** A one-time password to print once when a user or device is added: 128 bits, URL-safe. */
export function generatePassword(): string {
  return randomBytes(16).toString('base64url')
}

/**
 * Simulated devices get their password derived from the lab's provisioning key, the way
 * group-enrolment provisioning derives per-device keys (HMAC of the device id). The registry still
 * holds only scrypt hashes; the key lives in its own file, readable by the owner only.
 */
export function deriveDevicePassword(provisioningKey: Buffer, deviceId: string): string {
  return createHmac('sha256', provisioningKey).update(deviceId).digest('base64url')
}
