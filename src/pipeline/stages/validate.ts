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
        return schemas.cmd.validate(message.body) ? [message] : schemaRejection('command', errorOf(schemas.cmd, message.body))
      }
      if (topic.channel === 'status') {
        return schemas.status.validate(message.body) ? [message] : schemaRejection('status', errorOf(schemas.status, message.body))
      }
      // An accepted message is the parsed JSON itself: the channel schemas neither transform nor
      // fill defaults (test/pipeline-compiled-schemas.test.ts), so zod's copy would be the same value.
      if (!compiledEnvelopeSchema.validate(message.body)) {
        return reject('not-envelope', 'payload is not a wardlab envelope', issuesOf(errorOf(compiledEnvelopeSchema, message.body)))
      }
      const envelope = message.body as Envelope
      if (envelope.deviceId !== topic.deviceId || envelope.kind !== topic.kind) {
        return reject('identity-mismatch', `envelope says ${envelope.kind} ${envelope.deviceId}, topic says ${topic.kind} ${topic.deviceId}`)
      }
      const schema = schemas[topic.channel]
      if (!schema.validate(envelope.data)) return schemaRejection(`${topic.channel} data`, errorOf(schema, envelope.data), 'data')
      message.envelope = envelope
      return [message]
    },
  }
}

/** Why `schema` refuses `value`: the issues of a rejection, worked out only for rejected messages. */
function errorOf(schema: z.ZodType, value: unknown): z.ZodError {
  const result = schema.safeParse(value)
  if (result.success) throw new Error('the compiled schema refused what the schema accepts')
  return result.error
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
