import { z } from 'zod'
import { durationSchema } from '../duration.ts'
import { at, defineTimelineEvent, device, eventBase, idSchema } from './event-type.ts'

/** Beds join and leave in stages, like k6 stages: the load the integration under test must carry. */
export const load = defineTimelineEvent({
  event: 'load',
  schema: z
    .object({
      ...eventBase,
      event: z.literal('load'),
      /** The devices added, like a `beds` block; they start and stop as the stages say. */
      ward: idSchema,
      devices: z.array(idSchema).min(1),
      stages: z.array(z.object({ duration: durationSchema, target: z.number().int().min(0) }).strict()).min(1),
    })
    .strict(),
  schedule(event, ctx, index) {
    const beds = ctx.loadDevices.get(index) ?? []
    const perBed = event.devices.length
    let offset = event.at
    let current = 0
    for (const stage of event.stages) {
      // Like a k6 stage: move linearly from the current bed count to the target over the stage.
      const from = current
      const steps = Math.abs(stage.target - from)
      for (let step = 1; step <= steps; step++) {
        const bedsNow = from + Math.sign(stage.target - from) * step
        const when = offset + (stage.duration * step) / steps
        const growing = stage.target > from
        const bed = growing ? bedsNow - 1 : bedsNow
        const ids = beds.slice(bed * perBed, bed * perBed + perBed)
        at(ctx, when, () => ids.forEach((id) => (growing ? device(ctx, id).start(ctx.start + when) : void device(ctx, id).stop())))
      }
      ctx.note({ at: offset, what: `load: ${from} → ${stage.target} beds of ${event.devices.join(' + ')} in ${event.ward}`, until: offset + stage.duration })
      current = stage.target
      offset += stage.duration
    }
  },
})
