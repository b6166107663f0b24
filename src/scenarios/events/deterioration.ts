import { z } from 'zod'
import { TRAJECTORIES } from '../../registry/schema.ts'
import { defineTimelineEvent, eventBase, idSchema, noteOf } from './event-type.ts'

/**
 * A patient starts to deteriorate. Nothing is scheduled: the course was folded into the patient's
 * trajectory when the scenario's registry was built (src/scenarios/hospital.ts), since a course is
 * a function of time; the event only marks the report's timeline.
 */
export const deterioration = defineTimelineEvent({
  event: 'deterioration',
  schema: z.object({ ...eventBase, event: z.literal('deterioration'), patient: idSchema, trajectory: z.enum(TRAJECTORIES) }).strict(),
  schedule(event, ctx) {
    ctx.note(noteOf(event, `${event.patient} starts ${event.trajectory}`))
  },
})
