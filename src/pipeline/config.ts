import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { WardlabError } from '../util/errors.ts'
import { loadYamlFile } from '../util/yaml-file.ts'
import { DEFAULT_QUARANTINE_LIMITS } from './quarantine.ts'
import { routeSchema } from './routing/rules.ts'
import { SINK_TYPES } from './sinks/index.ts'
import type { SinkType } from './sinks/sink.ts'
import { STAGE_TYPES } from './stages/index.ts'
import { packageFile } from '../util/package-files.ts'

/** Stages by name, in the order the default pipeline runs them (src/pipeline/stages/index.ts). */
export const STAGE_NAMES = STAGE_TYPES.map((stage) => stage.name) as [string, ...string[]]
/** Stages a pipeline cannot leave out: without them nothing is checked or delivered. */
const REQUIRED_STAGES = ['decode', 'validate', 'route']

/** One object schema per registered sink type (src/pipeline/sinks/index.ts), told apart by `type`. */
const sinkSchema = z.discriminatedUnion(
  'type',
  SINK_TYPES.map((sink) => z.object({ type: z.literal(sink.type), ...sink.options }).strict()) as unknown as [
    z.ZodObject<{ type: z.ZodLiteral<string> }>,
    ...z.ZodObject<{ type: z.ZodLiteral<string> }>[],
  ],
)

/**
 * A pipeline is configuration, like a Benthos config: which stages run in which order, which sinks
 * exist, and the routes between them. `decode`, `validate` and `route` cannot be left out — without
 * them nothing is checked or delivered.
 */
export const pipelineConfigSchema = z
  .object({
    stages: z
      .array(z.enum(STAGE_NAMES))
      .default([...STAGE_NAMES])
      .refine((stages) => REQUIRED_STAGES.every((s) => stages.includes(s)), 'decode, validate and route are required')
      .refine((stages) => new Set(stages).size === stages.length, 'a stage may appear once'),
    maxPayloadBytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024),
    /** What a quarantine record keeps of a payload, and how many records a device may produce (src/pipeline/quarantine.ts). */
    quarantine: z
      .object({
        keepBytes: z.number().int().min(0).default(DEFAULT_QUARANTINE_LIMITS.keepBytes),
        recordsPerSecond: z.number().positive().default(DEFAULT_QUARANTINE_LIMITS.recordsPerSecond),
        burst: z.number().int().positive().default(DEFAULT_QUARANTINE_LIMITS.burst),
      })
      .strict()
      .prefault({}),
    /** Relative sink files land in the run's output folder. */
    sinks: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), sinkSchema),
    routes: z.array(routeSchema),
  })
  .strict()
  .superRefine((config, ctx) => {
    config.routes.forEach((route, i) =>
      route.to.forEach((to, j) => {
        const sink = config.sinks[to.sink]
        if (!sink)
          ctx.addIssue({
            code: 'custom',
            path: ['routes', i, 'to', j, 'sink'],
            message: `no sink named "${to.sink}" (have ${Object.keys(config.sinks).join(', ')})`,
          })
        else {
          const needsTopic = to.topic ? null : sinkType(sink.type).needsTopic(sink)
          if (needsTopic)
            ctx.addIssue({ code: 'custom', path: ['routes', i, 'to', j, 'topic'], message: `sink "${to.sink}" ${needsTopic}, so it needs a topic` })
        }
      }),
    )
  })

export type PipelineConfig = z.infer<typeof pipelineConfigSchema>

export const DEFAULT_PIPELINE_FILE = fileURLToPath(packageFile('src/pipeline/default-pipeline.yaml'))

export function loadPipelineConfig(file = DEFAULT_PIPELINE_FILE): PipelineConfig {
  try {
    return loadYamlFile(file, pipelineConfigSchema)
  } catch (err) {
    if (err instanceof WardlabError) throw err
    throw new WardlabError('WL_CONFIG_INVALID', `cannot load pipeline ${file}: ${(err as Error).message}`, { cause: err })
  }
}

/** The registered sink type a configured sink names (the schema has already refused unknown ones). */
export function sinkType(type: string): SinkType<any> {
  return SINK_TYPES.find((sink) => sink.type === type)!
}
