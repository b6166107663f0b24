import { xoroshiro128plus } from 'pure-rand'
import type { RandomGenerator } from 'pure-rand'

/**
 * Seeded randomness. Every stream is derived from the run seed and a name (a device id, a patient
 * id), so adding a device never changes what another device emits: same seed and configuration →
 * byte-identical payloads per device.
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
export function mix32(x: number): number {
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

export class Rng {
  private readonly generator: RandomGenerator
  private spareGaussian: number | null = null

  constructor(seed: number) {
    this.generator = xoroshiro128plus(seed | 0)
  }

  static derive(runSeed: string | number, name: string): Rng {
    return new Rng(hashString(name, typeof runSeed === 'number' ? runSeed : hashString(runSeed)))
  }

  /** Uniform in [0, 1). */
  next(): number {
    return (this.generator.unsafeNext() >>> 0) / 4294967296
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.next()
  }

  int(min: number, maxInclusive: number): number {
    return min + Math.floor(this.next() * (maxInclusive - min + 1))
  }

  chance(probability: number): boolean {
    return this.next() < probability
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list')
    return items[Math.floor(this.next() * items.length)] as T
  }

  /** Normal deviate (Marsaglia polar method), mean 0 and standard deviation 1 by default. */
  gaussian(mean = 0, sd = 1): number {
    if (this.spareGaussian !== null) {
      const spare = this.spareGaussian
      this.spareGaussian = null
      return mean + sd * spare
    }
    let u: number, v: number, s: number
    do {
      u = this.next() * 2 - 1
      v = this.next() * 2 - 1
      s = u * u + v * v
    } while (s >= 1 || s === 0)
    const factor = Math.sqrt((-2 * Math.log(s)) / s)
    this.spareGaussian = v * factor
    return mean + sd * u * factor
  }
}

/**
 * Smooth noise over time: hashed values at knots every `periodMs`, joined by cosine interpolation.
 * A pure function of time, so every device reading one patient sees the same underlying signal
 * whatever order they ask in.
 */
export function smoothNoise(key: number, timeMs: number, periodMs: number): number {
  const x = timeMs / periodMs
  const i = Math.floor(x)
  const f = x - i
  const a = hashUnit(key, i) * 2 - 1
  const b = hashUnit(key, i + 1) * 2 - 1
  const w = (1 - Math.cos(f * Math.PI)) / 2
  return a + (b - a) * w
}

export function round(value: number, decimals = 0): number {
  const factor = 10 ** decimals
  return Math.round(value * factor) / factor
}

export function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value
}
