import { z } from 'zod'

/**
 * What a device states about one of its measurements: its measurement error, its resolution and
 * its measuring range. The range and resolution make the telemetry schema; the simulator also
 * draws its measurement noise from the stated error (devices/measurement.ts).
 */
export interface Sensor {
  /** Standard deviation of the measurement error, in the field's unit. */
  sd: number
  /** Decimal places the device reports (0 for whole numbers). */
  decimals: number
  /** The measuring range; the device cannot show a value outside it. */
  min: number
  max: number
}

/** The telemetry schema of one reading: inside the measuring range, at the device's resolution. */
export function measuredNumber(sensor: Sensor): z.ZodType<number> {
  if (sensor.decimals === 0) return z.int().min(sensor.min).max(sensor.max)
  const scale = 10 ** sensor.decimals
  return z
    .number()
    .min(sensor.min)
    .max(sensor.max)
    .refine((x) => Math.abs(x * scale - Math.round(x * scale)) < 1e-6, `at most ${sensor.decimals} decimals`)
}
