import { z } from 'zod'
import { deviceContract } from '../contract/devices/index.ts'

export interface Range {
  min: number
  max: number
}

/**
 * The numeric telemetry fields of a device kind and the range its own schema allows for each (the
 * device's measuring range: what it can physically show). Read off the zod schema itself, so there
 * is no second table to drift; union members (a home kit's three sensors) are merged, widest range
 * per field. Cached per kind.
 */
const cache = new Map<string, ReadonlyMap<string, Range>>()

export function telemetryRanges(kind: string): ReadonlyMap<string, Range> {
  let ranges = cache.get(kind)
  if (!ranges) {
    const schema = deviceContract(kind)?.schemas.telemetry
    const found = new Map<string, Range>()
    if (schema) collect(schema, found)
    ranges = found
    cache.set(kind, ranges)
  }
  return ranges
}

function collect(schema: z.ZodType, into: Map<string, Range>): void {
  if (schema instanceof z.ZodObject) {
    for (const [field, value] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      const range = numberRange(value)
      if (!range) continue
      const known = into.get(field)
      into.set(field, known ? { min: Math.min(known.min, range.min), max: Math.max(known.max, range.max) } : range)
    }
  } else if (schema instanceof z.ZodUnion) {
    for (const option of schema.options as z.ZodType[]) collect(option, into)
  }
}

function numberRange(schema: z.ZodType): Range | null {
  let inner: z.ZodType = schema
  while (inner instanceof z.ZodOptional || inner instanceof z.ZodNullable) inner = inner.unwrap() as z.ZodType
  if (!(inner instanceof z.ZodNumber)) return null
  return { min: inner.minValue ?? -Infinity, max: inner.maxValue ?? Infinity }
}
