import { z } from 'zod'
import { COMMAND_CHANNEL, deviceTopic } from '../../contract/topics.ts'
import { WardlabError } from '../../util/errors.ts'
import { at, defineTimelineEvent, eventBase, idSchema, noteOf } from './event-type.ts'

/** A command to a device, sent by the run's operator (allowed) or observer (refused by the ACL). */
export const command = defineTimelineEvent({
  event: 'command',
  schema: z
    .object({
      ...eventBase,
      event: z.literal('command'),
      device: idSchema,
      command: z.object({ action: z.string().min(1) }).catchall(z.unknown()),
      /** Who sends it: an operator (allowed) or an observer (refused by the ACL). */
      as: z.enum(['operator', 'observer']).default('operator'),
    })
    .strict(),
  schedule(event, ctx) {
    const entry = ctx.registry.devices.find((d) => d.id === event.device)
    if (!entry) throw new WardlabError('WL_CONFIG_INVALID', `the command event names unknown device "${event.device}"`)
    const topic = deviceTopic({ ward: entry.ward, kind: entry.kind, deviceId: entry.id, channel: COMMAND_CHANNEL })
    at(ctx, event.at, () => {
      const sent = { id: event.id ?? `cmd-${event.at}`, issuedBy: `scenario-${event.as}`, ...event.command }
      void ctx.client(event.as).then((client) => client.publish(topic, JSON.stringify(sent), { qos: 1 }))
    })
    ctx.note(noteOf(event, `${event.as} sends ${event.command.action} to ${event.device}`))
  },
})
