/**
 * Stateless integer hashes of names and indices: stable across runs and machines, so a name always
 * lands in the same shard, gets the same FHIR id suffix and seeds the same random stream.
 */

/** 32-bit FNV-1a, then a murmur3 finaliser so similar names land far apart. */
export function hashString(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return mix32(h)
}

/** murmur3's fmix32: a stateless integer hash with full avalanche. */
function mix32(x: number): number {
  x ^= x >>> 16
  x = Math.imul(x, 0x85ebca6b)
  x ^= x >>> 13
  x = Math.imul(x, 0xc2b2ae35)
  x ^= x >>> 16
  return x >>> 0
}

/** A uniform value in [0, 1) for (key, index) with no state — the basis of time-indexed noise. */
export function hashUnit(key: number, index: number): number {
  return mix32(key ^ mix32(index + 0x9e3779b9)) / 4294967296
}
