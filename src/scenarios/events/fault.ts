import { z } from 'zod'
import { durationSchema } from '../duration.ts'
import { applyFault, defineTimelineEvent, deviceSelectorSchema, eventBase, noteOf, selectDevices } from './event-type.ts'

/** A device fault for a while, or until the run ends: a detached sensor, a flat battery, a drifting clock, a stuck value. */
export const fault = defineTimelineEvent({
  event: 'fault',
  schema: z
    .object({
      ...eventBase,
      event: z.literal('fault'),
      devices: deviceSelectorSchema,
      fault: z.enum(['sensor-off', 'battery-empty', 'network-degraded', 'offline', 'clock-drift', 'stuck-value']),
      duration: durationSchema.optional(),
      /** For clock-drift: the offset in ms added to `ts`. */
      value: z.number().optional(),
    })
    .strict(),
  schedule(event, ctx) {
    const ids = selectDevices(event.devices, ctx.registry)
    applyFault(ctx, ids, event.fault, event.at, event.duration, event.value)
    ctx.note(
      noteOf(
        event,
        `${event.fault} on ${ids.length === 1 ? ids[0] : `${ids.length} devices`}`,
        event.duration !== undefined ? event.at + event.duration : undefined,
      ),
    )
  },
})
