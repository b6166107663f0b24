import { z } from 'zod'
import { TOPIC_ID_PATTERN } from './topics.ts'

/**
 * Every device message is this JSON envelope. `ts` is epoch milliseconds (UTC) of when the value
 * was measured — not when it was sent, so a reading stored by a home gateway and delivered an hour
 * late still says when it was taken. Epoch ms was chosen over ISO 8601 because it is what clocks
 * produce, compares without parsing and cannot carry an ambiguous zone; the pipeline renders ISO
 * 8601 where a standard asks for it (FHIR `effectiveDateTime`).
 */
/**
 * The exception is `status`: a bare, retained status object, because its offline form is the MQTT
 * will, fixed at CONNECT time, which cannot carry a live `seq` or `ts`.
 */
export const envelopeSchema = z
  .object({
    deviceId: z.string().regex(TOPIC_ID_PATTERN),
    kind: z.string().min(1),
    /** Numbers every message a device produces, by one, across reconnects; a gap is loss. */
    seq: z.number().int().nonnegative(),
    ts: z.number().int().positive(),
    data: z.unknown(),
  })
  .strict()

export type Envelope<Data = unknown> = Omit<z.infer<typeof envelopeSchema>, 'data'> & { data: Data }
