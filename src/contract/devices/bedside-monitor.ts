import { z } from 'zod'
import { alarmSchema, commandAckSchema, commandBaseSchema, statusSchema } from '../channels.ts'
import { defineDeviceContract } from '../device-contract.ts'
import { DEFAULT_LIMITS, applyLimits, limitsPatchSchema } from './monitor-limits.ts'
import { MONITOR_CODES, monitorTelemetrySchema } from './monitor-parameters.ts'

/**
 * The contract of a multiparameter bedside patient monitor: numerics every second (the fields of
 * monitor-parameters.ts), IEC 60601-1-8 alarms, adjustable limits (monitor-limits.ts) and audio
 * pause by command.
 */

const TICK_MS = 1000

const optionsSchema = z
  .object({
    /** Cuff cycle; clinically every 5–60 min (clinical.md), 1–4 min only for short STAT series. */
    nibpIntervalMin: z.number().int().min(1).max(60).default(15),
    capnography: z.boolean().default(false),
    /** On battery while moving a patient; otherwise mains powered and no battery is reported. */
    transport: z.boolean().default(false),
    /** Changes to the default adult limits. */
    limits: limitsPatchSchema.default({}),
  })
  .strict()
  .superRefine((o, issues) => {
    const result = applyLimits(DEFAULT_LIMITS, o.limits)
    if ('error' in result) issues.addIssue({ code: 'custom', path: ['limits'], message: result.error })
  })
export type MonitorOptions = z.infer<typeof optionsSchema>

const commandSchema = z.discriminatedUnion('action', [
  commandBaseSchema.extend({ action: z.literal('set-limits'), limits: limitsPatchSchema }).strict(),
  commandBaseSchema.extend({ action: z.literal('silence'), seconds: z.number().int().positive().max(3600) }).strict(),
])
export type MonitorCommand = z.infer<typeof commandSchema>

/** Audible signals paused (IEC 60601-1-8 "audio paused"): the alarm conditions still stand and are still reported. */
const audioPausedSchema = z.object({ type: z.literal('audio-paused'), seconds: z.number().int().positive(), until: z.number().int() }).strict()

export const bedsideMonitorContract = defineDeviceContract<MonitorOptions>({
  kind: 'bedside-monitor',
  title: 'Bedside patient monitor',
  description:
    'ECG heart rate, SpO2 and pulse rate, respiration and temperature every second, NIBP on a cuff cycle, optional EtCO2; IEC 60601-1-8 alarms with adjustable limits.',
  needsPatient: true,
  optionsSchema,
  schemas: {
    telemetry: monitorTelemetrySchema,
    status: statusSchema,
    alarm: alarmSchema,
    event: z.discriminatedUnion('type', [commandAckSchema, audioPausedSchema]),
    cmd: commandSchema,
  },
  // Numerics every second may drop one; alarms and answers must arrive.
  qos: { telemetry: 0, status: 1, alarm: 1, event: 1 },
  codes: MONITOR_CODES,
  tickMs: () => TICK_MS,
  storeAndForward: false,
})
