import { z } from 'zod'

/**
 * Payload shapes shared by every device kind. A kind's own module composes these with its
 * kind-specific fields, so the pipeline can route an alarm by priority without knowing the kind.
 */

/** IEC 60601-1-8 alarm priorities. */
export const ALARM_PRIORITIES = ['high', 'medium', 'low'] as const
export type AlarmPriority = (typeof ALARM_PRIORITIES)[number]

/** Physiological (about the patient) vs technical (about the equipment), as IEC 60601-1-8 separates them. */
export const ALARM_CATEGORIES = ['physiological', 'technical'] as const
export type AlarmCategory = (typeof ALARM_CATEGORIES)[number]

/**
 * An alarm condition starting (`active: true`) or ending (`active: false`). `code` is stable and
 * machine-readable (e.g. `SPO2_LOW`, `LEAD_OFF`); `value` and `limit` say what tripped it.
 */
export const alarmSchema = z
  .object({
    code: z.string().regex(/^[A-Z][A-Z0-9_]*$/),
    category: z.enum(ALARM_CATEGORIES),
    priority: z.enum(ALARM_PRIORITIES),
    active: z.boolean(),
    message: z.string().min(1).max(200),
    /** The measurement that tripped a physiological alarm, e.g. `spo2`. */
    parameter: z.string().optional(),
    value: z.number().optional(),
    limit: z.number().optional(),
  })
  .strict()
export type Alarm = z.infer<typeof alarmSchema>

/**
 * Retained on `status`: the last thing a subscriber needs to know about a device's availability.
 * The broker publishes the `offline`/`unexpected` form as the device's will when it drops.
 */
export const statusSchema = z
  .object({
    state: z.enum(['online', 'offline']),
    reason: z.enum(['startup', 'shutdown', 'unexpected', 'battery-empty', 'fault']).optional(),
    batteryPct: z.number().min(0).max(100).optional(),
    firmware: z.string().optional(),
  })
  .strict()
export type DeviceStatus = z.infer<typeof statusSchema>

/** A command to a device (`cmd` channel). `id` correlates the device's acknowledgement event. */
export const commandBaseSchema = z.object({
  id: z.string().min(1).max(64),
  action: z.string().min(1),
  /** Who sent it, as the operator's console reports it; the broker knows the real identity. */
  issuedBy: z.string().optional(),
})

/**
 * The device's answer to a command, on `event`: accepted or refused with a reason. Kinds may emit
 * other events (exam started, session ended) with their own `type`.
 */
export const commandAckSchema = z
  .object({
    type: z.literal('command-ack'),
    commandId: z.string(),
    action: z.string(),
    accepted: z.boolean(),
    reason: z.string().optional(),
  })
  .strict()
export type CommandAck = z.infer<typeof commandAckSchema>
