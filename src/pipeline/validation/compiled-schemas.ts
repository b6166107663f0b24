import { z } from 'zod'
import type { ChannelSchemas, DeviceContract } from '../../contract/device-contract.ts'
import { envelopeSchema } from '../../contract/envelope.ts'

/**
 * The schemas the validate stage checks every device message with: the contract's own zod
 * schemas, compiled once with zod's ahead-of-time compiler (`z.compile`, zod ≥ 4.6). The compiled
 * schema is the same schema — refinements included, which a zod → JSON Schema → validator path
 * would drop — checked by generated code that falls back to zod's runtime wherever it cannot
 * decide, and for the issues of a rejection. The contract stays the single source of truth;
 * test/pipeline-compiled-schemas.test.ts holds the compiled schemas to it on every payload the
 * device kinds emit and on broken ones. Cost: BENCHMARKS.md, the pipeline's own cost.
 */
export const compiledEnvelopeSchema = z.compile(envelopeSchema)

const byContract = new WeakMap<DeviceContract, ChannelSchemas>()

export function compiledChannelSchemas(contract: DeviceContract): ChannelSchemas {
  let schemas = byContract.get(contract)
  if (!schemas) {
    schemas = Object.fromEntries(Object.entries(contract.schemas).map(([channel, schema]) => [channel, z.compile(schema)])) as unknown as ChannelSchemas
    byContract.set(contract, schemas)
  }
  return schemas
}
