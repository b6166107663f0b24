import { createHash } from 'node:crypto'

/**
 * An EUI-64 for a simulated device, the same every run: the device id hashed (SHA-256, first
 * eight octets). PCD-01 identifies equipment by EUI-64 in OBX-18 and MSH-3 (IHE PCD TF-2,
 * "Equipment Instance Identifier"); real devices carry an IEEE-assigned one. A made-up number
 * must not pose as IEEE-assigned, so the first octet has the universal/local bit set (locally
 * administered, IEEE 802 clause 8.2) and the group bit cleared.
 */
export function deriveEui64(deviceId: string): string {
  const octets = createHash('sha256').update(deviceId, 'utf8').digest().subarray(0, 8)
  octets[0] = ((octets[0] ?? 0) | 0x02) & 0xfe
  return octets.toString('hex').toUpperCase()
}
