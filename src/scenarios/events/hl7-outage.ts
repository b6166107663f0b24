import { z } from 'zod'
import { WardlabError } from '../../util/errors.ts'
import { durationSchema } from '../duration.ts'
import { at, defineTimelineEvent, eventBase, noteOf, type TimelineContext } from './event-type.ts'

/**
 * The HL7 receiver is unreachable for `duration` of simulated time (an integration engine
 * restarting, a firewall change): every link, or the one at index `link` (in `--hl7` order),
 * drops its connection and cannot reconnect until it is over. The gateway keeps charting;
 * messages wait in the link's backlog and go, in sequence, once the receiver is back.
 */
export const hl7Outage = defineTimelineEvent({
  event: 'hl7-outage',
  schema: z.object({ ...eventBase, event: z.literal('hl7-outage'), duration: durationSchema, link: z.int().nonnegative().optional() }).strict(),
  schedule(event, ctx) {
    const links = () => {
      const all = hl7Links(ctx, 'hl7-outage')
      if (event.link !== undefined && !all[event.link])
        throw new WardlabError('WL_CONFIG_INVALID', `hl7-outage names link ${event.link}; the run has ${all.length}`)
      return event.link === undefined ? all : [all[event.link]!]
    }
    at(ctx, event.at, () => links().forEach((link) => link.unreachableNow()))
    at(ctx, event.at + event.duration, () => links().forEach((link) => link.reachable()))
    ctx.note(noteOf(event, `HL7 receiver${event.link === undefined ? 's' : ` ${event.link}`} unreachable`, event.at + event.duration))
  },
})

/** The run's HL7 links; a scenario that uses them needs receivers (`wardlab run --hl7`). */
export function hl7Links(ctx: TimelineContext, event: string) {
  const links = ctx.lab.hl7?.gateway.links ?? []
  if (links.length === 0) throw new WardlabError('WL_USAGE', `the ${event} event needs an HL7 receiver: run with --hl7 mllp://host:port`)
  return links
}
