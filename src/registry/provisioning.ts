import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { randomBytes } from 'node:crypto'
import { WardlabError } from '../util/errors.ts'

/**
 * The lab's provisioning key: simulated devices derive their passwords from it (see
 * deriveDevicePassword). Created once, owner-readable only, and never logged.
 */
export function loadOrCreateProvisioningKey(file: string): Buffer {
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')
    if (key.length < 32)
      throw new WardlabError('WL_CONFIG_INVALID', `${file} does not hold a provisioning key (expected 32 bytes, base64); delete it to make a new one`)
    return key
  }
  mkdirSync(dirname(file), { recursive: true })
  const key = randomBytes(32)
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600 })
  return key
}
