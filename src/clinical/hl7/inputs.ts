import { z } from 'zod'
import { alarmSchema } from '../../contract/channels.ts'
import type { MeasurementCode } from '../../contract/device-contract.ts'

/**
 * What the PCD message builders need, and nothing of the lab, the simulator or the device
 * modules: plain data the wiring step fills from the registry and the pipeline's validated
 * messages. The schemas are the single source of the types; the builders trust their input
 * (it comes from validated telemetry at fleet rates) and tests parse fixtures through them.
 */

const mdcTerm = z.object({ code: z.int().nonnegative(), name: z.string().regex(/^MDC_[A-Z0-9_]+$/) })

export const measurementCodeSchema = z.object({
  display: z.string().min(1),
  ucum: z.string().min(1),
  mdc: mdcTerm.optional(),
  mdcUnit: mdcTerm.optional(),
  loinc: z.array(z.string()).readonly().optional(),
  vitalSign: z.boolean().optional(),
}) satisfies z.ZodType<MeasurementCode>

/** A coded value or site: identifier, text and coding system (SCT, MDC, a local 99xxx system). */
export const codingSchema = z.object({ code: z.union([z.string().min(1), z.int()]), text: z.string().min(1), system: z.string().min(1) })
export type CodingInput = z.infer<typeof codingSchema>

export const deviceSchema = z.object({
  id: z.string().min(1),
  /** Registry kind: selects the IEEE 11073 containment (MDS/VMD/channel codes). */
  kind: z.string().min(1),
  /** OBX-18 and OBR identity; derived from `id` (deriveEui64) when absent. */
  eui64: z
    .string()
    .regex(/^[0-9A-F]{16}$/)
    .optional(),
  /** PV1-3 point of care: unit (ward) ^ room ^ bed. */
  location: z.object({ ward: z.string().min(1), room: z.string().optional(), bed: z.string().optional() }),
  /** PID: the registry's patient id and a synthetic name; null for equipment with no patient. */
  patient: z.object({ id: z.string().min(1), family: z.string().min(1), given: z.string().min(1) }).nullable(),
})
export type DeviceInput = z.infer<typeof deviceSchema>

/** Who sends: MSH-3/4 and the filler namespace of OBR-3. The gateway's EUI-64 goes in MSH-3.2. */
export const senderSchema = z.object({
  application: z.string().min(1).default('WARDLAB'),
  eui64: z
    .string()
    .regex(/^[0-9A-F]{16}$/)
    .optional(),
  facility: z.string().optional(),
})
export type SenderInput = z.input<typeof senderSchema>

/** Stamped by the link, not the mapping: MSH-10 control id and MSH-13 sequence number. */
export const stampSchema = z.object({
  controlId: z.string().min(1).max(20),
  sequenceNumber: z.int().positive(),
  /** MSH-7: when the message was made. */
  at: z.number(),
})
export type Stamp = z.infer<typeof stampSchema>

export const observationSchema = z.object({
  /** The telemetry field, e.g. `spo2`. */
  field: z.string().min(1),
  /** NM for numbers, ST for text, CWE for a coded value. */
  value: z.union([z.number(), z.string(), codingSchema]),
  code: measurementCodeSchema,
  /** OBX-14: when it was measured (epoch ms). */
  ts: z.number(),
  /** The metric's position under the channel (OBX-4 `1.1.1.n`); list position + 1 when absent. */
  metric: z.int().positive().optional(),
  /** OBX-7 and the basis of OBX-8: the alarm limits in force, when the device has them. */
  range: z.object({ low: z.number().optional(), high: z.number().optional() }).optional(),
  /** OBX-11: R (unverified device data, the default) or F (final, e.g. a validated spot check). */
  status: z.enum(['R', 'F']).optional(),
  /** OBX-20 body site, e.g. a SNOMED CT finger for SpO2. */
  bodySite: codingSchema.optional(),
})
export type ObservationInput = z.infer<typeof observationSchema>

export const pcd01InputSchema = z.object({
  device: deviceSchema,
  sender: senderSchema.optional(),
  observations: z.array(observationSchema).min(1),
})
export type Pcd01Input = z.input<typeof pcd01InputSchema>

/**
 * One alarm message: the contract's alarm payload (`active` true raises, false ends it) plus
 * what PCD-04 needs to tie the start and the end together and to code the metric behind it.
 */
export const pcd04InputSchema = z.object({
  device: deviceSchema,
  sender: senderSchema.optional(),
  alarm: alarmSchema,
  /** When this alarm instance started: with the device and code it makes the alert id (OBR-3). */
  startedAt: z.number(),
  /** When this phase happened (the start, or the end). */
  ts: z.number(),
  /** The coding of `alarm.parameter`, and its metric position, for physiological alarms. */
  parameter: z.object({ code: measurementCodeSchema, metric: z.int().positive() }).optional(),
})
export type Pcd04Input = z.input<typeof pcd04InputSchema>
