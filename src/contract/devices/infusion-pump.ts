import { z } from 'zod'
import { alarmSchema, commandAckSchema, commandBaseSchema, statusSchema } from '../channels.ts'
import { defineDeviceContract } from '../device-contract.ts'
import { DOSE_UNITS, DRUG_IDS, DRUGS, checkRate } from './drug-library.ts'
import type { Drug } from './drug-library.ts'

/**
 * The contract of a large-volume or syringe infusion pump: rates and volumes every few seconds,
 * status changes as events, occlusion, air and battery alarms, and start, pause and rate commands
 * held to the drug library's limits (drug-library.ts).
 */

const TICK_MS = 1000
/** Pump hardware range, mL/h (a typical syringe / large-volume pump: 0.1–1,200). */
const MAX_RATE_ML_H = 1200

export const PUMP_STATUSES = ['running', 'paused', 'alarm', 'kvo', 'completed'] as const
export type PumpStatus = (typeof PUMP_STATUSES)[number]
/** Why the pump's status changed, as its `status-changed` event reports it. */
export const PUMP_CAUSES = ['command', 'bedside-nurse', 'vtbi-complete', 'occlusion', 'air-in-line', 'battery-depleted', 'alarm-cleared'] as const
export type PumpCause = (typeof PUMP_CAUSES)[number]

const optionsSchema = z
  .object({
    drug: z.enum(DRUG_IDS).default('noradrenaline'),
    /** Programmed rate; the drug's usual rate when left out. */
    rateMlH: z.number().positive().max(MAX_RATE_ML_H).optional(),
    /** Volume to be infused; the container volume when left out. */
    vtbiMl: z.number().positive().max(5000).optional(),
    /** Keep-vein-open rate after the VTBI; 0 turns KVO off (status `completed`). */
    kvoMlH: z.number().min(0).max(20).optional(),
    patientWeightKg: z.number().min(1).max(300).default(70),
    /** Adjustable up to 1,034 mmHg (20 psi); venous lines want it low (clinical.md). */
    occlusionLimitMmHg: z.number().min(50).max(1034).default(300),
    onMains: z.boolean().default(true),
    running: z.boolean().default(true),
    /** Kinked lines and air bubbles happen at random. */
    randomIncidents: z.boolean().default(true),
    /** A simulated nurse clears stopped pumps and swaps finished containers. */
    bedsideCare: z.boolean().default(true),
  })
  .strict()
  .superRefine((o, issues) => {
    const drug: Drug = DRUGS[o.drug]
    const check = checkRate(drug, o.rateMlH ?? drug.usualRateMlH, o.patientWeightKg, true)
    if (!check.allowed) issues.addIssue({ code: 'custom', path: ['rateMlH'], message: check.reason })
  })
export type PumpOptions = z.infer<typeof optionsSchema>

const telemetrySchema = z
  .object({
    drug: z.enum(DRUG_IDS),
    concentration: z.number().positive(),
    concentrationUnit: z.enum(['ug/mL', 'mg/mL', '[iU]/mL']),
    status: z.enum(PUMP_STATUSES),
    /** Flow delivered now (0 when stopped, the KVO rate in KVO). */
    rateMlH: z.number().min(0).max(MAX_RATE_ML_H),
    setRateMlH: z.number().positive().max(MAX_RATE_ML_H),
    doseRate: z.number().min(0).nullable(),
    doseUnit: z.enum(Object.keys(DOSE_UNITS) as [keyof typeof DOSE_UNITS]).nullable(),
    vtbiMl: z.number().positive(),
    volumeInfusedMl: z.number().min(0),
    vtbiRemainingMl: z.number().min(0),
    timeRemainingMin: z.number().min(0).nullable(),
    linePressureMmHg: z.number().min(0).max(1500),
    occlusionLimitMmHg: z.number().min(50).max(1034),
    batteryPct: z.number().min(0).max(100),
    onMains: z.boolean(),
  })
  .strict()

const statusChangedSchema = z
  .object({ type: z.literal('status-changed'), from: z.enum(PUMP_STATUSES), to: z.enum(PUMP_STATUSES), cause: z.enum(PUMP_CAUSES), rateMlH: z.number().min(0) })
  .strict()

const commandSchema = commandBaseSchema
  .extend({
    action: z.enum(['start', 'pause', 'change-rate']),
    rate: z.number().positive().max(MAX_RATE_ML_H).optional(),
    /**
     * With change-rate: a new volume to be infused, mL, counted from now (IHE PCD-03 RXG-5/7, the
     * order's give amount). The pump goes to KVO, or stops, once it is infused.
     */
    vtbi: z.number().positive().max(5000).optional(),
    /** The clinician confirmed a rate beyond a soft limit. Hard limits ignore it. */
    override: z.boolean().optional(),
  })
  .strict()
  .refine((c) => c.action !== 'change-rate' || c.rate !== undefined, { message: 'change-rate needs a rate', path: ['rate'] })
  .refine((c) => c.vtbi === undefined || c.action === 'change-rate', { message: 'a VTBI is programmed with change-rate', path: ['vtbi'] })
export type PumpCommand = z.infer<typeof commandSchema>

export const infusionPumpContract = defineDeviceContract<PumpOptions>({
  kind: 'infusion-pump',
  title: 'Infusion pump',
  description:
    'Syringe or large-volume pump with a drug library (soft and hard limits), exact volume accounting, occlusion and air-in-line alarms, KVO and battery.',
  needsPatient: false,
  optionsSchema,
  schemas: {
    telemetry: telemetrySchema,
    status: statusSchema,
    alarm: alarmSchema,
    event: z.discriminatedUnion('type', [commandAckSchema, statusChangedSchema]),
    cmd: commandSchema,
  },
  qos: { telemetry: 0, status: 1, alarm: 1, event: 1 },
  codes: {
    rateMlH: {
      display: 'Pump flow rate',
      ucum: 'mL/h',
      mdc: { code: 157784, name: 'MDC_FLOW_FLUID_PUMP' },
      mdcUnit: { code: 265266, name: 'MDC_DIM_MILLI_L_PER_HR' },
    },
    volumeInfusedMl: {
      display: 'Volume delivered',
      ucum: 'mL',
      mdc: { code: 157864, name: 'MDC_VOL_FLUID_DELIV' },
      mdcUnit: { code: 263762, name: 'MDC_DIM_MILLI_L' },
    },
    vtbiRemainingMl: {
      display: 'Volume to be infused remaining',
      ucum: 'mL',
      mdc: { code: 157872, name: 'MDC_VOL_FLUID_TBI_REMAIN' },
      mdcUnit: { code: 263762, name: 'MDC_DIM_MILLI_L' },
    },
    // The unit is the drug's (`doseUnit`); ug/kg/min is the unit of weight-based vasoactive drugs.
    doseRate: {
      display: 'Dose rate (unit in doseUnit)',
      ucum: 'ug/kg/min',
      mdc: { code: 157924, name: 'MDC_RATE_DOSE' },
      mdcUnit: { code: 265619, name: 'MDC_DIM_MICRO_G_PER_KG_PER_MIN' },
    },
    setRateMlH: { display: 'Programmed rate', ucum: 'mL/h' },
    // MDC_VOL_FLUID_TBI 157884 (partition 2, term 26812), beside MDC_VOL_FLUID_TBI_REMAIN 157872
    // (26800) and MDC_VOL_FLUID_DELIV 157864 (26792) of the IHE PCD infusion pump channel (RTMMS,
    // PCD DEC infusion pump containment); docs/hl7.md, "Specification notes", says how it was checked.
    vtbiMl: {
      display: 'Volume to be infused',
      ucum: 'mL',
      mdc: { code: 157884, name: 'MDC_VOL_FLUID_TBI' },
      mdcUnit: { code: 263762, name: 'MDC_DIM_MILLI_L' },
    },
    timeRemainingMin: { display: 'Time remaining', ucum: 'min' },
    linePressureMmHg: { display: 'Downstream line pressure', ucum: 'mm[Hg]' },
    batteryPct: { display: 'Battery charge', ucum: '%' },
  },
  tickMs: () => TICK_MS,
  storeAndForward: false,
  settings: ['drug', 'status', 'setRateMlH', 'vtbiMl'],
})
