import { z } from 'zod'
import { durationSchema } from '../duration.ts'
import { applyFault, defineTimelineEvent, deviceSelectorSchema, eventBase, noteOf, selectDevices } from './event-type.ts'

/** A network outage: the devices drop off the network for `duration`, then reconnect (store-and-forward kinds send what they kept). */
export const outage = defineTimelineEvent({
  event: 'outage',
  schema: z.object({ ...eventBase, event: z.literal('outage'), devices: deviceSelectorSchema, duration: durationSchema }).strict(),
  schedule(event, ctx) {
    const ids = selectDevices(event.devices, ctx.registry)
    applyFault(ctx, ids, 'offline', event.at, event.duration)
    ctx.note(noteOf(event, `network outage for ${ids.length} device${ids.length === 1 ? '' : 's'}`, event.at + event.duration))
  },
})
