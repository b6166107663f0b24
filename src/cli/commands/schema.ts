import { z } from 'zod'
import { DEVICE_CONTRACTS } from '../../contract/devices/index.ts'
import { envelopeSchema } from '../../contract/envelope.ts'
import { registrySchema } from '../../registry/schema.ts'
import { scenarioSchema } from '../../scenarios/schema.ts'
import { WardlabError } from '../../util/errors.ts'
import { defineCommand } from '../options.ts'

/** JSON Schema documents generated from the zod schemas, which stay the single source of truth. */
const DOCUMENTS = {
  scenario: () => z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }),
  registry: () => z.toJSONSchema(registrySchema, { io: 'input' }),
  payloads: () => ({
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'wardlab device payloads',
    description: 'The envelope every device message uses, and the `data` schema of each channel of each device kind.',
    envelope: z.toJSONSchema(envelopeSchema),
    kinds: Object.fromEntries(
      [...DEVICE_CONTRACTS.values()].map((kind) => [
        kind.kind,
        Object.fromEntries(Object.entries(kind.schemas).map(([channel, schema]) => [channel, z.toJSONSchema(schema as z.ZodType, { unrepresentable: 'any' })])),
      ]),
    ),
  }),
} as const

export const schemaCommand = defineCommand({
  name: 'schema',
  usage: `wardlab schema [${Object.keys(DOCUMENTS).join('|')}]`,
  positionals: [{ name: 'document', required: false, description: `${Object.keys(DOCUMENTS).join(', ')} (default scenario)` }],
  options: {},
  async run(_options, [document = 'scenario']) {
    const build = DOCUMENTS[document as keyof typeof DOCUMENTS]
    if (!build) throw new WardlabError('WL_USAGE', `wardlab schema: unknown document "${document}"; choose ${Object.keys(DOCUMENTS).join(', ')}`)
    process.stdout.write(`${JSON.stringify(build(), null, 2)}\n`)
    return 0
  },
})
