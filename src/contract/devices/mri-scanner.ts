import { z } from 'zod'
import { alarmSchema, commandAckSchema, commandBaseSchema, statusSchema } from '../channels.ts'
import { defineDeviceContract } from '../device-contract.ts'

/**
 * The contract of an MRI scanner as clinical engineering and the vendor's remote service see it:
 * exam cycle and service mode, the magnet's cryogenics, SAR, gradient heating and the scan room's
 * air, with exam, state and quench events and a service-mode command.
 */

/** Every 10 s: cryogen values move over hours, exams over minutes; 10 s still catches a quench's oxygen dip. */
const TICK_MS = 10_000

/** Conventional magnets sit in a large helium bath; sealed ("dry") designs hold a few litres. */
export const MAGNET_DESIGNS = ['conventional', 'sealed'] as const
export type MagnetDesign = (typeof MAGNET_DESIGNS)[number]

/** The exam protocols the scanner reports. */
export const MRI_PROTOCOLS = [
  'brain-routine',
  'brain-stroke',
  'cervical-spine',
  'lumbar-spine',
  'knee',
  'abdomen-liver',
  'prostate-multiparametric',
  'cardiac',
] as const
export type MriProtocol = (typeof MRI_PROTOCOLS)[number]

/** IEC 60601-2-33 normal operating mode: whole-body SAR at most 2 W/kg. */
export const SAR_NORMAL_MODE_WKG = 2

export const MRI_STATES = ['idle', 'preparing', 'scanning', 'service'] as const
export type MriScanState = (typeof MRI_STATES)[number]
/** Why the scanner's state changed, as its `state-changed` event reports it. */
export const MRI_CAUSES = ['schedule', 'command', 'quench'] as const
export type MriCause = (typeof MRI_CAUSES)[number]

const optionsSchema = z
  .object({
    magnet: z.enum(MAGNET_DESIGNS).default('conventional'),
    fieldT: z.union([z.literal(1.5), z.literal(3)]).default(1.5),
    /** Helium level at start; drawn between 70 and 95 % when left out. */
    heliumLevelPct: z.number().min(0).max(100).optional(),
    /** Refill threshold: below it the vendor's remote monitoring raises a high-urgency alert. */
    heliumLowPct: z.number().min(0).max(100).default(50),
    /** Loss faster than this (per day, of capacity) is "falling too fast". */
    heliumLossAlarmPctPerDay: z.number().positive().default(1),
  })
  .strict()
export type MriOptions = z.infer<typeof optionsSchema>

const telemetrySchema = z
  .object({
    state: z.enum(MRI_STATES),
    examId: z.string().nullable(),
    protocol: z.enum(MRI_PROTOCOLS).nullable(),
    fieldT: z.number().min(0).max(3),
    magnet: z.enum(MAGNET_DESIGNS),
    heliumLevelPct: z.number().min(0).max(100),
    boilOffLh: z.number().min(0),
    heliumLossPctPerDay: z.number().min(0),
    magnetTempK: z.number().positive(),
    shieldTempK: z.number().positive(),
    coldHead: z.enum(['running', 'stopped']),
    compressor: z.enum(['running', 'tripped']),
    gradientCoilTempC: z.number(),
    sarWkg: z.number().min(0).max(SAR_NORMAL_MODE_WKG),
    roomTempC: z.number(),
    roomHumidityPct: z.number().min(0).max(100),
    roomO2Pct: z.number().min(0).max(100),
  })
  .strict()

const examFields = { examId: z.string(), protocol: z.enum(MRI_PROTOCOLS) }
const eventSchema = z.discriminatedUnion('type', [
  commandAckSchema,
  z.object({ type: z.literal('state-changed'), from: z.enum(MRI_STATES), to: z.enum(MRI_STATES), cause: z.enum(MRI_CAUSES) }).strict(),
  z.object({ type: z.literal('exam-started'), ...examFields, plannedScanMin: z.number().positive() }).strict(),
  z.object({ type: z.literal('exam-completed'), ...examFields, scanMin: z.number().positive(), totalMin: z.number().positive() }).strict(),
  z.object({ type: z.literal('exam-aborted'), ...examFields, reason: z.literal('quench') }).strict(),
  z.object({ type: z.literal('quench'), heliumVentedL: z.number().min(0) }).strict(),
])

const commandSchema = commandBaseSchema.extend({ action: z.literal('set-state'), state: z.enum(['service', 'idle']) }).strict()
export type MriCommand = z.infer<typeof commandSchema>

export const mriScannerContract = defineDeviceContract<MriOptions>({
  kind: 'mri-scanner',
  title: 'MRI scanner',
  description:
    'MRI exam cycle with service mode, helium level and boil-off, cold head, shield and magnet temperatures, SAR, gradient heating and scan-room oxygen.',
  needsPatient: false,
  optionsSchema,
  schemas: { telemetry: telemetrySchema, status: statusSchema, alarm: alarmSchema, event: eventSchema, cmd: commandSchema },
  qos: { telemetry: 0, status: 1, alarm: 1, event: 1 },
  codes: {
    heliumLevelPct: { display: 'Helium level', ucum: '%' },
    boilOffLh: { display: 'Helium boil-off', ucum: 'L/h' },
    heliumLossPctPerDay: { display: 'Helium level loss rate', ucum: '%/d' },
    magnetTempK: { display: 'Magnet temperature', ucum: 'K' },
    shieldTempK: { display: 'Radiation shield temperature', ucum: 'K' },
    gradientCoilTempC: { display: 'Gradient coil temperature', ucum: 'Cel' },
    sarWkg: { display: 'Whole-body SAR', ucum: 'W/kg' },
    fieldT: { display: 'Main field strength', ucum: 'T' },
    roomTempC: { display: 'Scan room temperature', ucum: 'Cel' },
    roomHumidityPct: { display: 'Scan room relative humidity', ucum: '%' },
    roomO2Pct: { display: 'Scan room oxygen', ucum: '%' },
  },
  tickMs: () => TICK_MS,
  storeAndForward: false,
})
