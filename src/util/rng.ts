import { xoroshiro128plus } from 'pure-rand'
import type { RandomGenerator } from 'pure-rand'
import { hashString } from './hash.ts'

/**
 * Seeded randomness. Every stream is derived from the run seed and a name (a device id, a patient
 * id), so adding a device never changes what another device emits: same seed and configuration →
 * byte-identical payloads per device.
 */

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
