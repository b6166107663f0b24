import { z } from 'zod'
import { compileFilter } from '../../contract/topics.ts'

/**
 * Routing rules, as YAML: match on a topic filter and on payload fields, send to one or more
 * sinks with templated topics. Read top to bottom; every matching rule fires (a vital sign can go
 * to FHIR and to the archive), unless a rule says `final: true`.
 */
const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()])

export const predicateSchema = z.union([
  scalar,
  z
    .object({
      eq: scalar.optional(),
      ne: scalar.optional(),
      in: z.array(scalar).optional(),
      lt: z.number().optional(),
      lte: z.number().optional(),
      gt: z.number().optional(),
      gte: z.number().optional(),
      exists: z.boolean().optional(),
    })
    .strict()
    .refine((p) => Object.keys(p).length > 0, 'a predicate needs at least one of eq, ne, in, lt, lte, gt, gte, exists'),
])

export const routeSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and "-"'),
    description: z.string().optional(),
    /** MQTT topic filter(s) on the message's topic (device topic, or derived/... for pipeline events). */
    topic: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    /** Dotted paths into the envelope or event (`data.priority`, `to`, `context.patientId`) and what they must be. */
    where: z.record(z.string(), predicateSchema).default({}),
    /** How the body is shaped for the destinations. */
    transform: z.enum(['enriched', 'fhir-observations']).default('enriched'),
    to: z
      .array(
        z
          .object({
            sink: z.string().min(1),
            /** For publishing sinks: `{ward}`, `{deviceId}`, `{kind}`, `{channel}`, `{patientId}`, `{bed}` or `{data.field}`. */
            topic: z.string().optional(),
          })
          .strict(),
      )
      .min(1),
    final: z.boolean().default(false),
  })
  .strict()

export type Route = z.infer<typeof routeSchema>
export type Predicate = z.infer<typeof predicateSchema>

export function readPath(body: unknown, path: readonly string[]): unknown {
  let value = body
  for (let i = 0; i < path.length; i++) {
    if (typeof value !== 'object' || value === null) return undefined
    value = (value as Record<string, unknown>)[path[i]!]
  }
  return value
}

/**
 * What a rule's field tests and topic templates read: a message's envelope (or body) with its
 * registry context under `context`. Given the context apart (null: the device has none), a field
 * under `context.` is read from it, so no per-message copy joins the two; without it (undefined),
 * everything is read from the body as it is.
 */
export type FieldReader = (body: unknown, context?: unknown) => unknown

export function compileField(path: readonly string[]): FieldReader {
  if (path[0] !== 'context') return (body) => readPath(body, path)
  const rest = path.slice(1)
  return (body, context) => (context === undefined ? readPath(body, path) : context === null ? undefined : readPath(context, rest))
}

function holds(predicate: Predicate, value: unknown): boolean {
  if (predicate === null || typeof predicate !== 'object') return value === predicate
  if (predicate.exists !== undefined && (value !== undefined) !== predicate.exists) return false
  if (predicate.eq !== undefined && value !== predicate.eq) return false
  if (predicate.ne !== undefined && value === predicate.ne) return false
  if (predicate.in !== undefined && !predicate.in.includes(value as never)) return false
  const numeric = typeof value === 'number'
  if (predicate.lt !== undefined && !(numeric && value < predicate.lt)) return false
  if (predicate.lte !== undefined && !(numeric && value <= predicate.lte)) return false
  if (predicate.gt !== undefined && !(numeric && value > predicate.gt)) return false
  if (predicate.gte !== undefined && !(numeric && value >= predicate.gte)) return false
  return true
}

export interface CompiledRoute {
  route: Route
  /** `levels` is the message topic split on `/`, once for all routes. */
  matchesTopic(levels: readonly string[]): boolean
  /** Whether the rule has `where` predicates at all: without, the body need not be looked at. */
  readonly hasPredicates: boolean
  /** `context`: the message's registry context, read for fields under `context.` (see compileField). */
  matchesFields(body: unknown, context?: unknown): boolean
}

export function compileRoute(route: Route): CompiledRoute {
  const predicates = Object.entries(route.where).map(([path, predicate]) => ({ read: compileField(path.split('.')), predicate }))
  const filters = (typeof route.topic === 'string' ? [route.topic] : route.topic).map(compileFilter)
  const matchesTopic = (levels: readonly string[]) => filters.some((matches) => matches(levels))
  const matchesFields = (body: unknown, context?: unknown) => predicates.every(({ read, predicate }) => holds(predicate, read(body, context)))
  return {
    route,
    matchesTopic,
    hasPredicates: predicates.length > 0,
    matchesFields,
  }
}
