import { z } from 'zod'
import { buildRgvO15 } from '../../clinical/hl7/pcd03-order.ts'
import { requestOverMllp } from '../../hl7/order-client.ts'
import { WardlabError } from '../../util/errors.ts'
import { at, defineTimelineEvent, eventBase, idSchema, noteOf } from './event-type.ts'

/**
 * An infusion order arrives from the EHR as IHE PCD-03 RGV^O15 over MLLP at the lab's own order
 * listener, exactly as an external Infusion Order Programmer's would: the pump in the bed is
 * programmed or the order refused with the reason. The event's id is the order's control id
 * (MSH-10), which `hl7Order` expectations name.
 */
export const hl7Order = defineTimelineEvent({
  event: 'hl7-order',
  schema: z
    .object({
      ...eventBase,
      event: z.literal('hl7-order'),
      ward: idSchema,
      bed: idSchema,
      patient: idSchema,
      /** A drug library id (src/contract/devices/drug-library.ts). */
      drug: z.string().min(1),
      rateMlH: z.number().positive(),
      vtbiMl: z.number().positive().optional(),
    })
    .strict(),
  schedule(event, ctx) {
    const controlId = event.id ?? `order-${event.at}`
    at(ctx, event.at, () => {
      const port = ctx.lab.hl7?.ordersPort
      if (!port) throw new WardlabError('WL_USAGE', "the hl7-order event needs the lab's order listener (--hl7-listen)")
      const text = buildRgvO15(
        {
          controlId,
          patientId: event.patient,
          ward: event.ward,
          bed: event.bed,
          drug: event.drug,
          rateMlH: event.rateMlH,
          ...(event.vtbiMl ? { vtbiMl: event.vtbiMl } : {}),
        },
        ctx.lab.clock.now(),
      )
      // The outcome is recorded by the listener (lab.hl7.orders); a transport failure is one too.
      void requestOverMllp('127.0.0.1', port, text).catch(() => undefined)
    })
    ctx.note(noteOf(event, `HL7 order: ${event.drug} ${event.rateMlH} mL/h for ${event.patient} at ${event.bed}`))
  },
})
