import type { Message } from 'node-hl7-client'
import { z } from 'zod'
import { codingSchema } from './inputs.ts'

/**
 * IHE PCD-03 Communicate Infusion Order (PIV profile): reading an RGV^O15^RGV_O15 from an
 * Infusion Order Programmer (IHE PCD TF-2, PCD-03 static definition): PID-3 patient, PV1-3
 * point of care, ORC-2 placer order number, RXG-4 give code (the drug), RXG-5/RXG-7 give amount
 * and units (the volume to be infused), RXG-15/RXG-16 give rate and units, and the target
 * pump's EUI-64 in OBX-18 of the device row. Only what a pump can act on is read; a field that
 * is missing or in a unit the pump does not take refuses the order with the HL7 error code that
 * says why (table 0357).
 */

export const infusionOrderSchema = z.object({
  controlId: z.string(),
  placerOrderNumber: z.string().optional(),
  patientId: z.string().optional(),
  location: z.object({ ward: z.string().optional(), room: z.string().optional(), bed: z.string().optional() }),
  drug: codingSchema,
  rateMlH: z.number().positive(),
  vtbiMl: z.number().positive().optional(),
  deviceEui: z.string().optional(),
})
export type InfusionOrder = z.infer<typeof infusionOrderSchema>

/** HL7 table 0357 message error condition codes used here. */
export const HL7_ERROR = {
  requiredFieldMissing: { code: 101, text: 'Required field missing' },
  dataTypeError: { code: 102, text: 'Data type error' },
  tableValueNotFound: { code: 103, text: 'Table value not found' },
  unsupportedMessageType: { code: 200, text: 'Unsupported message type' },
  applicationError: { code: 207, text: 'Application internal error' },
} as const
export type Hl7Error = (typeof HL7_ERROR)[keyof typeof HL7_ERROR]

export type OrderReading = { ok: true; order: InfusionOrder } | { ok: false; reason: string; error: Hl7Error }

/** Units a pump takes: MDC dimension codes as PIV senders code them, or the UCUM text. */
const ML = new Set(['263762', 'mL', 'ml'])
const ML_PER_H = new Set(['265266', 'mL/h', 'ml/h'])

export function readRgvO15(message: Message): OrderReading {
  const get = (path: string): string => message.get(path).toString()
  const type = `${get('MSH.9.1')}^${get('MSH.9.2')}`
  if (type !== 'RGV^O15') return refuse(`unsupported message type ${type}`, HL7_ERROR.unsupportedMessageType)
  const drugCode = get('RXG.4.1')
  const drugText = get('RXG.4.2')
  if (!drugCode && !drugText) return refuse('RXG-4 give code (the drug) is missing', HL7_ERROR.requiredFieldMissing)
  const rate = quantity(get('RXG.15'), [get('RXG.16.1'), get('RXG.16.4')], ML_PER_H, 'RXG-15/16 give rate', 'mL/h')
  if ('error' in rate) return rate.error
  if (rate.value === undefined) return refuse('RXG-15 give rate is missing', HL7_ERROR.requiredFieldMissing)
  const vtbi = quantity(get('RXG.5'), [get('RXG.7.1'), get('RXG.7.4')], ML, 'RXG-5/7 give amount', 'mL')
  if ('error' in vtbi) return vtbi.error
  const order = {
    controlId: get('MSH.10'),
    placerOrderNumber: get('ORC.2.1') || undefined,
    patientId: get('PID.3.1') || undefined,
    location: { ward: get('PV1.3.1') || undefined, room: get('PV1.3.2') || undefined, bed: get('PV1.3.3') || undefined },
    drug: { code: drugCode || drugText, text: drugText || drugCode, system: get('RXG.4.3') || 'L' },
    rateMlH: rate.value,
    vtbiMl: vtbi.value,
    deviceEui: targetDevice(message),
  }
  const parsed = infusionOrderSchema.safeParse(order)
  return parsed.success
    ? { ok: true, order: parsed.data }
    : refuse(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), HL7_ERROR.dataTypeError)
}

function refuse(reason: string, error: Hl7Error): OrderReading {
  return { ok: false, reason, error }
}

function quantity(
  amount: string,
  unitCodes: string[],
  accepted: Set<string>,
  label: string,
  unit: string,
): { value: number | undefined } | { error: OrderReading } {
  if (!amount) return { value: undefined }
  const value = Number(amount)
  if (!Number.isFinite(value) || value <= 0) return { error: refuse(`${label}: ${amount} is not a positive number`, HL7_ERROR.dataTypeError) }
  const given = unitCodes.filter(Boolean)
  if (given.length > 0 && !given.some((u) => accepted.has(u)))
    return { error: refuse(`${label}: unit ${given.join('/')} is not ${unit}`, HL7_ERROR.tableValueNotFound) }
  return { value }
}

/** The EUI-64 in OBX-18 (universal id, else entity id) of the first OBX that names equipment. */
function targetDevice(message: Message): string | undefined {
  const segments = message.get('OBX')
  // An absent segment comes back as the library's empty node, whose forEach throws.
  if (segments.length === 0) return undefined
  let eui: string | undefined
  segments.forEach((segment) => {
    eui ??= segment.get('18.3').toString() || segment.get('18.1').toString() || undefined
  })
  return eui
}
