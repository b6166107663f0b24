import type { z } from 'zod'
import { deviceContract } from '../../contract/devices/index.ts'
import type { Envelope } from '../../contract/envelope.ts'
import { COMMAND_CHANNEL } from '../../contract/topics.ts'
import { reject, type Rejection, type Stage, type StageType } from '../stage.ts'
import { compiledChannelSchemas, compiledEnvelopeSchema } from '../validation/compiled-schemas.ts'

/**
 * Stage 2: the envelope and the `data` are checked against the device kind's own zod schema for
 * that channel — the same schema object the kind's contract (src/contract/devices/) declares and
 * the simulator's tests hold its emissions to, so there is no second copy to drift. Two channels
 * carry a bare object instead of an envelope, and are checked against the kind's schema for them
 * directly: `cmd` (written by operators, not the device) and `status` (its offline form is the
 * MQTT will, fixed at CONNECT time, so it cannot carry a live `seq` or `ts` — MQTT 3.1.1 §3.1.2.5).
 * The schemas are checked compiled (src/pipeline/validation/compiled-schemas.ts).
 */
export function validateStage(): Stage {
  return {
    name: 'validate',
    process(message) {
      const topic = message.device!
      const contract = deviceContract(topic.kind)
      if (!contract) return reject('unknown-kind', `no device kind "${topic.kind}"`)
      const schemas = compiledChannelSchemas(contract)
      if (topic.channel === COMMAND_CHANNEL) {
        if (!schemas.cmd) return reject('schema', `a ${topic.kind} accepts no commands`)
        const command = schemas.cmd.safeParse(message.body)
        return command.success ? [message] : schemaRejection('command', command.error)
      }
      if (topic.channel === 'status') {
        const status = schemas.status.safeParse(message.body)
        return status.success ? [message] : schemaRejection('status', status.error)
      }
      const envelope = compiledEnvelopeSchema.safeParse(message.body)
      if (!envelope.success) return reject('not-envelope', 'payload is not a wardlab envelope', issuesOf(envelope.error))
      if (envelope.data.deviceId !== topic.deviceId || envelope.data.kind !== topic.kind) {
        return reject('identity-mismatch', `envelope says ${envelope.data.kind} ${envelope.data.deviceId}, topic says ${topic.kind} ${topic.deviceId}`)
      }
      const data = schemas[topic.channel].safeParse(envelope.data.data)
      if (!data.success) return schemaRejection(`${topic.channel} data`, data.error, 'data')
      message.envelope = { ...envelope.data, data: data.data } as Envelope
      return [message]
    },
  }
}

function issuesOf(error: z.ZodError, prefix?: string): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(root)', message: issue.message }))
}

function schemaRejection(what: string, error: z.ZodError, prefix?: string): Rejection {
  const issues = issuesOf(error, prefix)
  const first = issues[0]!
  return reject(
    'schema',
    `${what} does not match the schema: ${first.path}: ${first.message}${issues.length > 1 ? ` (+${issues.length - 1} more)` : ''}`,
    issues,
  )
}

export const validate: StageType = { name: 'validate', create: () => validateStage() }
