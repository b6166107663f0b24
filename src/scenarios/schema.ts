import { z } from 'zod'
import { ALARM_PRIORITIES } from '../contract/channels.ts'
import { deviceSchema as registryDeviceSchema, patientSchema as registryPatientSchema, TRAJECTORIES } from '../registry/schema.ts'
import { mqttVersionFieldSchema } from '../simulation/mqtt-version.ts'
import { ALERT_TYPES } from '../contract/security-alert.ts'
import { durationSchema } from './duration.ts'
import { idSchema } from './events/event-type.ts'
import { TIMELINE_EVENT_SCHEMAS } from './events/index.ts'

/**
 * A scenario file: a hospital, a timeline of what happens to it, and what must be true at the end.
 * This schema is the file format's single source of truth — `wardlab schema scenario` prints it as
 * JSON Schema for editors, and `wardlab validate` reports every deviation with line and field.
 */

const id = idSchema

/**
 * Patients and devices as in the registry, minus what a scenario makes for itself: demographics
 * left out are drawn from the seed, onset is a duration, and credentials are generated per run.
 */
const patientSchema = registryPatientSchema
  .omit({ onsetMinutes: true })
  .partial({ sex: true, ageYears: true, heightCm: true, weightKg: true })
  .extend({
    /** When the trajectory's deterioration begins, from the start of the run. */
    onset: durationSchema.default(0),
  })
  .strict()

const deviceSchema = registryDeviceSchema.omit({ passwordHash: true, simulated: true }).strict()

/** A ward of identical beds, each with a patient and the same devices: how a 40-bed ICU is written in four lines. */
const bedsSchema = z
  .object({
    ward: id,
    count: z.number().int().min(1).max(5000),
    devices: z.array(id).min(1),
    trajectory: z.enum(TRAJECTORIES).default('stable'),
    /** Device options per kind, e.g. `bedside-monitor: { capnography: true }`. */
    options: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  })
  .strict()

const hospitalSchema = z
  .object({
    site: z.string().default('wardlab scenario hospital'),
    /** Start from the default ward of `wardlab start`, then add to it. */
    preset: z.enum(['none', 'default-ward']).default('none'),
    wards: z.array(z.object({ id, name: z.string().min(1), beds: z.array(id).default([]) }).strict()).default([]),
    beds: z.array(bedsSchema).default([]),
    patients: z.array(patientSchema).default([]),
    devices: z.array(deviceSchema).default([]),
  })
  .strict()

const timelineEventSchema = z.discriminatedUnion('event', TIMELINE_EVENT_SCHEMAS)

const within = { within: durationSchema.optional(), after: id.optional(), by: durationSchema.optional() }

const expectationSchema = z.union([
  /** Alerts that no injected attack explains: raised on benign traffic. */
  z.object({ falseAlerts: z.object({ max: z.number().int().min(0) }).strict() }).strict(),
  /** Every injected attack (of a type, or all) detected, with a median time to detect within a bound. */
  z.object({ detection: z.object({ type: z.enum(ALERT_TYPES).optional(), medianWithin: durationSchema.optional() }).strict() }).strict(),
  z.object({ alert: z.object({ type: z.enum(ALERT_TYPES), ...within }).strict() }).strict(),
  z.object({ noAlert: z.object({ type: z.enum(ALERT_TYPES).optional(), attacksOnly: z.boolean().default(true) }).strict() }).strict(),
  z
    .object({
      clinicalAlert: z
        .object({
          code: z.string().optional(),
          priority: z.enum(ALARM_PRIORITIES).optional(),
          category: z.enum(['physiological', 'technical']).optional(),
          device: id.optional(),
          patient: id.optional(),
          ...within,
        })
        .strict(),
    })
    .strict(),
  z.object({ news2: z.object({ patient: id, atLeast: z.number().int().min(0).max(20), by: durationSchema.optional() }).strict() }).strict(),
  z.object({ quarantined: z.object({ max: z.number().int().min(0) }).strict() }).strict(),
  z.object({ delivered: z.object({ atLeastPercent: z.number().min(0).max(100) }).strict() }).strict(),
  z.object({ latency: z.object({ p50MaxMs: z.number().positive().optional(), p99MaxMs: z.number().positive().optional() }).strict() }).strict(),
  /** Every HL7 message acknowledged by the end (nothing dead-lettered or pending: no MSH-13 gap), ACK latency p99 within a bound. */
  z.object({ hl7Delivery: z.object({ ackP99MaxMs: z.number().positive().optional() }).strict() }).strict(),
  /** An `hl7-order` event (by id) was accepted, or refused with a reason containing `reason`. */
  z.object({ hl7Order: z.object({ order: id, accepted: z.boolean(), reason: z.string().optional() }).strict() }).strict(),
])

export const scenarioSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    seed: z.union([z.string(), z.number()]).default('wardlab'),
    /** Simulated start time (ISO 8601); fixed so a run is the same whenever it is made. */
    start: z.iso.datetime({ offset: true }).default('2026-01-05T08:00:00Z'),
    duration: durationSchema,
    /** Simulated seconds per wall second, or `max` for as fast as the machine allows. */
    speed: z.union([z.literal('max'), z.number().positive()]).default('max'),
    profile: z.enum(['lab', 'strict']).default('lab'),
    /** The MQTT version of the simulated devices and the run's own clients: '3.1.1' or '5'. */
    mqttVersion: mqttVersionFieldSchema,
    hospital: hospitalSchema,
    timeline: z.array(timelineEventSchema).default([]),
    expect: z.array(expectationSchema).default([]),
  })
  .strict()
  .superRefine((scenario, ctx) => {
    const ids = new Set<string>()
    scenario.timeline.forEach((event, i) => {
      if (event.at > scenario.duration) ctx.addIssue({ code: 'custom', path: ['timeline', i, 'at'], message: 'after the end of the scenario (duration)' })
      if (event.id) {
        if (ids.has(event.id)) ctx.addIssue({ code: 'custom', path: ['timeline', i, 'id'], message: `event id "${event.id}" is used twice` })
        ids.add(event.id)
      }
    })
    scenario.expect.forEach((expectation, i) => {
      const spec = Object.values(expectation)[0] as { after?: string; order?: string }
      if (spec.order && !ids.has(spec.order))
        ctx.addIssue({ code: 'custom', path: ['expect', i, 'hl7Order', 'order'], message: `no timeline event with id "${spec.order}"` })
      if (spec.after && !ids.has(spec.after))
        ctx.addIssue({ code: 'custom', path: ['expect', i, Object.keys(expectation)[0]!, 'after'], message: `no timeline event with id "${spec.after}"` })
    })
  })

export type Scenario = z.infer<typeof scenarioSchema>
export type ScenarioInput = z.input<typeof scenarioSchema>
export type { TimelineEvent } from './events/index.ts'
export type Expectation = Scenario['expect'][number]
export type ScenarioHospital = Scenario['hospital']
