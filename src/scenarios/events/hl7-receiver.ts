import { z } from 'zod'
import { WardlabError } from '../../util/errors.ts'
import { durationSchema } from '../duration.ts'
import { at, defineTimelineEvent, eventBase, noteOf, type TimelineContext } from './event-type.ts'

/**
 * The run's own HL7 receiver (started when the run is given no `--hl7`) misbehaves for
 * `duration` of simulated time: `slow` waits `delayMs` (wall time: the receiver is a real
 * socket) before each ACK, `nak` answers AE with `reason`, `silent` never answers (the link's
 * ACK timeout and retransmission). Then it acknowledges normally again.
 */
export const hl7ReceiverEvent = defineTimelineEvent({
  event: 'hl7-receiver',
  schema: z
    .object({
      ...eventBase,
      event: z.literal('hl7-receiver'),
      behaviour: z.enum(['slow', 'nak', 'silent']),
      duration: durationSchema,
      delayMs: z.int().positive().max(60_000).default(200),
      reason: z.string().min(1).default('receiver busy (scenario)'),
    })
    .strict(),
  schedule(event, ctx) {
    const receiver = () => ownReceiver(ctx)
    at(ctx, event.at, () => {
      receiver().behaviour =
        event.behaviour === 'slow'
          ? { mode: 'ack', delayMs: event.delayMs }
          : event.behaviour === 'nak'
            ? { mode: 'nak', delayMs: 0, reason: event.reason }
            : { mode: 'silent', delayMs: 0 }
    })
    at(ctx, event.at + event.duration, () => {
      receiver().behaviour = { mode: 'ack', delayMs: 0 }
    })
    ctx.note(noteOf(event, `HL7 receiver ${event.behaviour}`, event.at + event.duration))
  },
})

function ownReceiver(ctx: TimelineContext) {
  if (!ctx.hl7Receiver)
    throw new WardlabError('WL_USAGE', "the hl7-receiver event changes the run's own HL7 receiver; a run given --hl7 sends to receivers it does not control")
  return ctx.hl7Receiver
}
