import { z } from 'zod'
import { ATTACKS } from '../../attacks/index.ts'
import { WardlabError } from '../../util/errors.ts'
import { durationSchema } from '../duration.ts'
import { at, defineTimelineEvent, eventBase, noteOf } from './event-type.ts'

const ATTACK_TYPES = [...ATTACKS.keys()] as [string, ...string[]]

/** An attack from src/attacks for `duration`, connecting in-process to the embedded broker under its own source address. */
export const attack = defineTimelineEvent({
  event: 'attack',
  schema: z
    .object({
      ...eventBase,
      event: z.literal('attack'),
      attack: z.enum(ATTACK_TYPES),
      duration: durationSchema.prefault('30s'),
      /** The attack module's parameters: rate, target, source address… (src/attacks/<type>.ts). */
      params: z.record(z.string(), z.unknown()).default({}),
    })
    .strict(),
  schedule(event, ctx) {
    const launch = ctx.launchAttack
    if (!launch)
      throw new WardlabError(
        'WL_CONFIG_INVALID',
        'attack events need the embedded broker: attackers connect to it in-process, labelled with their source address',
      )
    at(ctx, event.at, () => launch(event.attack, event.params, event.duration))
    ctx.note(noteOf(event, `attack: ${event.attack}`, event.at + event.duration))
  },
})
