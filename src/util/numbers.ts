/** Rounding and bounding as devices and clinical displays show numbers. */

export function round(value: number, decimals = 0): number {
  const factor = 10 ** decimals
  return Math.round(value * factor) / factor
}

export function clamp(value: number, min: number, max: number): number {
  return value < min ? min : Math.min(value, max)
}
