import { z } from 'zod'
import { PCD03_PROFILE } from './profiles.ts'
import { addSegment, hl7Timestamp, newMessage } from './segments.ts'

/**
 * An RGV^O15^RGV_O15 as an Infusion Order Programmer (the EHR's side of IHE PCD-03) sends it:
 * PID-3 patient, PV1-3 point of care, ORC-2 placer order number, RXG-4 drug, RXG-5/7 VTBI in mL
 * (MDC_DIM_MILLI_L), RXG-15/16 rate in mL/h (MDC_DIM_MILLI_L_PER_HR), RXR route IV. What a
 * scenario's `hl7-order` event sends to wardlab's own `--hl7-listen`; readRgvO15 reads it.
 */
export const orderRequestSchema = z.object({
  controlId: z.string().min(1).max(20),
  patientId: z.string().min(1),
  ward: z.string().min(1),
  bed: z.string().min(1),
  /** A drug library id (src/contract/devices/drug-library.ts), or any code to see it refused. */
  drug: z.string().min(1),
  rateMlH: z.number().positive(),
  vtbiMl: z.number().positive().optional(),
})
export type OrderRequest = z.infer<typeof orderRequestSchema>

export function buildRgvO15(order: OrderRequest, at: number): string {
  const message = newMessage({
    type: ['RGV', 'O15', 'RGV_O15'],
    controlId: order.controlId,
    at,
    sendingApplication: ['WARDLAB_IOP'],
    acceptAck: 'AL',
    applicationAck: 'AL',
    profile: PCD03_PROFILE,
  })
  addSegment(message, 'PID', { 3: [order.patientId, undefined, undefined, 'WARDLAB', 'MR'] })
  addSegment(message, 'PV1', { 2: 'I', 3: [order.ward, undefined, order.bed] })
  addSegment(message, 'ORC', { 1: 'RE', 2: [order.controlId, 'WARDLAB_IOP'] })
  addSegment(message, 'RXG', {
    1: 1,
    3: hl7Timestamp(at),
    4: [order.drug, order.drug, '99WLD'],
    5: order.vtbiMl,
    7: order.vtbiMl !== undefined ? [263762, 'MDC_DIM_MILLI_L', 'MDC'] : undefined,
    15: order.rateMlH,
    16: [265266, 'MDC_DIM_MILLI_L_PER_HR', 'MDC'],
  })
  addSegment(message, 'RXR', { 1: ['IV', 'Intravenous', 'HL70162'] })
  return message.toString()
}
