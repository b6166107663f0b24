import { hashUnit } from '../util/hash.ts'

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
