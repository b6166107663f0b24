import { z } from 'zod'
import { WardlabError } from '../../util/errors.ts'
import { at, defineTimelineEvent, deviceSelectorSchema, eventBase, idSchema, noteOf, selectDevices } from './event-type.ts'

/**
 * "Chart now": the gateway sends a bed's (or some devices') PCD-01 with their next reading instead
 * of waiting for the 60 s charting cadence — what a nurse's "send to EHR" does before a handover
 * or a medication decision (IHE PCD TF-1 DEC: episodic as well as periodic reporting). Name
 * `bed` for every device at that bed, or `devices` (ids, or ward/kind) directly.
 */
export const hl7ChartNow = defineTimelineEvent({
  event: 'hl7-chart-now',
  schema: z
    .object({ ...eventBase, event: z.literal('hl7-chart-now'), bed: idSchema.optional(), devices: deviceSelectorSchema.optional() })
    .strict()
    .refine((e) => (e.bed === undefined) !== (e.devices === undefined), 'name either `bed` or `devices`'),
  schedule(event, ctx) {
    const ids = event.bed !== undefined ? ctx.registry.devices.filter((d) => d.bed === event.bed).map((d) => d.id) : selectDevices(event.devices!, ctx.registry)
    if (ids.length === 0) throw new WardlabError('WL_CONFIG_INVALID', `hl7-chart-now: bed "${event.bed}" has no devices in the registry`)
    at(ctx, event.at, () => {
      const hl7 = ctx.lab.hl7
      if (!hl7) throw new WardlabError('WL_USAGE', 'the hl7-chart-now event needs an HL7 receiver: run with --hl7 mllp://host:port')
      hl7.chartNow(ids)
    })
    ctx.note(noteOf(event, `HL7 chart now: ${ids.join(', ')}`))
  },
})
