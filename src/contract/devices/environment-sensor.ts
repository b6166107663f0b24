import { z } from 'zod'
import { alarmSchema, statusSchema } from '../channels.ts'
import { defineDeviceContract } from '../device-contract.ts'

/**
 * The contract of a battery-powered wireless room sensor: temperature, humidity, oxygen and the
 * pressure difference to the corridor, with a door contact reported as events.
 */

/** Every 10 s: a door opening lasts 10–30 s and must show up as a dip, not vanish between samples. */
const TICK_MS = 10_000

/** Rooms by how their air must flow: away from the corridor, towards it, or either way. */
export const ROOM_TYPES = ['isolation-negative', 'isolation-positive', 'theatre', 'general'] as const
export type RoomType = (typeof ROOM_TYPES)[number]

const optionsSchema = z
  .object({
    room: z.enum(ROOM_TYPES).default('general'),
    /** Door openings per hour; the room type's usual traffic when left out. */
    doorOpeningsPerHour: z.number().min(0).max(120).optional(),
    incidentsPerDay: z.number().min(0).max(48).default(0.1),
    /** Battery at start; drawn between 30 and 100 % when left out, as a fleet is never all new. */
    batteryPct: z.number().min(0).max(100).optional(),
  })
  .strict()
export type EnvOptions = z.infer<typeof optionsSchema>

const telemetrySchema = z
  .object({
    room: z.enum(ROOM_TYPES),
    temperatureC: z.number().min(-20).max(60),
    humidityPct: z.number().min(0).max(100),
    pressurePa: z.number().min(-100).max(100),
    pressureSetpointPa: z.number(),
    o2Pct: z.number().min(0).max(100),
    batteryPct: z.number().min(0).max(100),
  })
  .strict()

const doorEventSchema = z.object({ type: z.literal('door'), open: z.boolean() }).strict()

export const environmentSensorContract = defineDeviceContract<EnvOptions>({
  kind: 'environment-sensor',
  title: 'Room environment sensor',
  description:
    'Wireless battery sensor for isolation rooms, theatres and wards: temperature, humidity, oxygen, pressure difference to the corridor and a door contact.',
  needsPatient: false,
  optionsSchema,
  schemas: { telemetry: telemetrySchema, status: statusSchema, alarm: alarmSchema, event: doorEventSchema },
  qos: { telemetry: 0, status: 1, alarm: 1, event: 1 },
  codes: {
    temperatureC: { display: 'Room air temperature', ucum: 'Cel' },
    humidityPct: { display: 'Room relative humidity', ucum: '%' },
    pressurePa: { display: 'Pressure difference to corridor', ucum: 'Pa' },
    pressureSetpointPa: { display: 'Pressure difference setpoint', ucum: 'Pa' },
    o2Pct: { display: 'Room oxygen', ucum: '%' },
    batteryPct: { display: 'Battery charge', ucum: '%' },
  },
  tickMs: () => TICK_MS,
  storeAndForward: false,
})
