import { z } from 'zod'
import { WardlabError } from '../../util/errors.ts'
import { durationSchema } from '../duration.ts'
import { at, defineTimelineEvent, eventBase, noteOf } from './event-type.ts'

/** The embedded broker restarts: every connection drops at once (wills fire) and new ones are refused for `downtime`. */
export const brokerRestart = defineTimelineEvent({
  event: 'broker-restart',
  schema: z.object({ ...eventBase, event: z.literal('broker-restart'), downtime: durationSchema.prefault('2s') }).strict(),
  schedule(event, ctx) {
    const embedded = ctx.lab.embedded
    if (!embedded)
      throw new WardlabError('WL_CONFIG_INVALID', 'a broker-restart event needs the embedded broker; it cannot restart a broker given with --broker')
    at(ctx, event.at, () => embedded.restartBroker(event.downtime))
    ctx.note(noteOf(event, 'broker restart', event.at + event.downtime))
  },
})
