import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { WardlabError } from '../util/errors.ts'
import { loadYamlFile } from '../util/yaml-file.ts'
import { DEFAULT_QUARANTINE_LIMITS } from './quarantine.ts'
import { routeSchema } from './routing/rules.ts'

/** Stages by name, in the order a pipeline file lists them. */
export const STAGE_NAMES = ['decode', 'validate', 'enrich', 'detect', 'score', 'route'] as const
export type StageName = (typeof STAGE_NAMES)[number]

const sinkSchema = z.discriminatedUnion('type', [
  // retain: the topic then holds the latest value for whoever subscribes later (MQTT 3.1.1 §3.3.1.3).
  z.object({ type: z.literal('broker'), qos: z.union([z.literal(0), z.literal(1)]).default(1), retain: z.boolean().default(false) }).strict(),
  z.object({ type: z.literal('jsonl'), file: z.string().min(1), withTopic: z.boolean().default(false) }).strict(),
  z.object({ type: z.literal('stdout') }).strict(),
])

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
      .refine((stages) => ['decode', 'validate', 'route'].every((s) => stages.includes(s as StageName)), 'decode, validate and route are required')
      .refine((stages) => new Set(stages).size === stages.length, 'a stage may appear once'),
    maxPayloadBytes: z.number().int().positive().default(64 * 1024),
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
        if (!sink) ctx.addIssue({ code: 'custom', path: ['routes', i, 'to', j, 'sink'], message: `no sink named "${to.sink}" (have ${Object.keys(config.sinks).join(', ')})` })
        else if (sink.type === 'broker' && !to.topic) ctx.addIssue({ code: 'custom', path: ['routes', i, 'to', j, 'topic'], message: `sink "${to.sink}" publishes, so it needs a topic` })
        else if (sink.type === 'jsonl' && sink.withTopic && !to.topic) ctx.addIssue({ code: 'custom', path: ['routes', i, 'to', j, 'topic'], message: `sink "${to.sink}" records topics (withTopic), so it needs a topic` })
      }),
    )
  })

export type PipelineConfig = z.infer<typeof pipelineConfigSchema>

export const DEFAULT_PIPELINE_FILE = fileURLToPath(new URL('./default-pipeline.yaml', import.meta.url))

export function loadPipelineConfig(file = DEFAULT_PIPELINE_FILE): PipelineConfig {
  try {
    return loadYamlFile(file, pipelineConfigSchema)
  } catch (err) {
    if (err instanceof WardlabError) throw err
    throw new WardlabError('WL_CONFIG_INVALID', `cannot load pipeline ${file}: ${(err as Error).message}`, { cause: err })
  }
}
