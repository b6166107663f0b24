import { describe, expect, it } from 'vitest'
import type { z } from 'zod'
import { DEVICE_KINDS } from '../devices/index.ts'
import { envelopeSchema } from '../src/contract/envelope.ts'
import { compiledChannelSchemas, compiledEnvelopeSchema } from '../src/pipeline/validation/compiled-schemas.ts'
import { patientModel, session } from './support/patient-devices.ts'

/** What a schema decided: accepted with this value, or rejected with these issues. */
function verdict(schema: z.ZodType, value: unknown) {
  const result = schema.safeParse(value)
  return result.success
    ? { ok: true, data: result.data }
    : { ok: false, issues: result.error.issues.map(({ path, code, message }) => ({ path, code, message })) }
}

/** Broken variants of a payload: each field wrong in the ways a faulty or hostile device gets it wrong. */
function broken(payload: unknown): unknown[] {
  if (typeof payload !== 'object' || payload === null) return [null, 'x', 1]
  const record = payload as Record<string, unknown>
  const variants: unknown[] = [{ ...record, unexpected: 1 }, [], null]
  for (const key of Object.keys(record)) {
    const { [key]: _, ...without } = record
    variants.push(without)
    for (const value of [null, 'x', true, -1e9, 1e9, 0.123456, -0.5, 2 ** 60, {}, [1]]) variants.push({ ...record, [key]: value })
    if (typeof record[key] === 'number') variants.push({ ...record, [key]: (record[key] as number) + 0.05 }, { ...record, [key]: (record[key] as number) * 3 })
  }
  return variants
}

/**
 * The validate stage checks every device message with compiled schemas (z.compile). They must
 * decide exactly as the contract's zod schemas do — same verdict, same value, same issues — on
 * everything a device kind emits and on broken variants of it.
 */
describe('compiled schemas', () => {
  const exercised = new Set<string>()
  for (const [name, kind] of DEVICE_KINDS) {
    it(`decide as the ${name} contract's schemas do, on its emissions and broken variants`, () => {
      const compiled = compiledChannelSchemas(kind) as unknown as Record<string, z.ZodType>
      // A deteriorating patient, so the alarm and event channels have something to say too.
      const patient = patientModel({ id: 'pt-1', trajectory: 'cardiac-arrest', onsetMinutes: 1 }, { seed: 3 })
      const device = session(kind, { patient, deviceId: 'dev-01' })
      device.tick(3000)
      let checked = 0
      const perChannel = new Map<string, number>()
      for (const [index, emission] of device.emissions.entries()) {
        const source = kind.schemas[emission.channel] as z.ZodType
        const fast = compiled[emission.channel]!
        expect(verdict(fast, emission.data)).toEqual(verdict(source, emission.data))
        expect(verdict(fast, emission.data).ok, JSON.stringify(emission)).toBe(true)
        // The validate stage keeps the accepted JSON itself: zod's copy of it must be the same value (no transforms, no defaults).
        expect(verdict(source, emission.data)).toEqual({ ok: true, data: emission.data })
        expect(fast.validate(emission.data)).toBe(true)
        // Broken variants of each channel's first 15 emissions and a sample of the rest: the same shapes repeat.
        const seen = (perChannel.get(emission.channel) ?? 0) + 1
        perChannel.set(emission.channel, seen)
        if (seen > 15 && index % 97 !== 0) continue
        {
          for (const variant of broken(emission.data)) {
            expect(verdict(fast, variant), JSON.stringify(variant)).toEqual(verdict(source, variant))
            expect(fast.validate(variant)).toBe(verdict(source, variant).ok)
            checked++
          }
          const envelope = { deviceId: 'dev-01', kind: name, seq: checked, ts: emission.ts, data: emission.data }
          for (const variant of [envelope, ...broken(envelope)]) expect(verdict(compiledEnvelopeSchema, variant)).toEqual(verdict(envelopeSchema, variant))
        }
      }
      expect(checked).toBeGreaterThan(100)
      for (const channel of perChannel.keys()) exercised.add(channel)
    })
  }
  it('were exercised on alarms and events too, not only telemetry', () => {
    expect([...exercised].sort()).toEqual(expect.arrayContaining(['alarm', 'event', 'telemetry']))
  })
})
