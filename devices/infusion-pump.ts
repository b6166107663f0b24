import { z } from 'zod'
import { alarmSchema, commandAckSchema, commandBaseSchema, statusSchema } from '../src/contract/channels.ts'
import { AlarmLatch } from '../src/simulation/alarm-latch.ts'
import { defineDeviceKind } from '../src/simulation/device-kind.ts'
import type { DeviceContext, Emission } from '../src/simulation/device-kind.ts'
import { clamp, hashString, round } from '../src/simulation/rng.ts'
import { commandAck } from './command-ack.ts'
import { DOSE_UNITS, DRUG_IDS, DRUGS, checkRate, doseRate } from './drug-library.ts'
import type { Drug } from './drug-library.ts'
import { clearLine, isOccluded, measuredPressure, newLine, stepLine } from './infusion-line.ts'
import type { InfusionLine } from './infusion-line.ts'
import { VolumeMeter } from './infusion-volume.ts'

/**
 * A large-volume or syringe infusion pump: drug library guardrails (drug-library.ts), exact volume
 * accounting (infusion-volume.ts), the downstream line (infusion-line.ts), and here the pump's
 * control: status, alarms that stop it, commands, battery, and the nurse who answers it.
 */

const TICK_MS = 1000
/**
 * Telemetry every 5 s: rates change only by command, so this is for trends (line pressure building
 * towards an occlusion) and remaining time; alarms and command answers still go out on the 1 s tick.
 */
const TELEMETRY_EVERY_TICKS = 5
const MS_PER_HOUR = 3_600_000
/** Pump hardware range, mL/h (a typical syringe / large-volume pump: 0.1–1,200). */
const MAX_RATE_ML_H = 1200
/** Mains unplugged: about 8 h of running on battery; a flat battery recharges in about 4 h. */
const BATTERY_DRAIN_PCT_PER_HOUR = 12.5
const BATTERY_CHARGE_PCT_PER_HOUR = 25
/** Warn about 45 min before the battery is flat (vendors warn at least 30 min before). */
const LOW_BATTERY_PCT = 10
/** The simulated nurse answers a stopped pump in 2–10 min, and looks again 5 min later if it cannot be fixed. */
const NURSE_RESPONSE_MIN = [2, 10] as const
const NURSE_RETRY_MS = 5 * 60_000

const STATUSES = ['running', 'paused', 'alarm', 'kvo', 'completed'] as const
type PumpStatus = (typeof STATUSES)[number]
const CAUSES = ['command', 'bedside-nurse', 'vtbi-complete', 'occlusion', 'air-in-line', 'battery-depleted', 'alarm-cleared'] as const
type Cause = (typeof CAUSES)[number]
/** High-priority alarms stop the infusion (clinical.md); each maps to the cause it reports. */
const STOPPING_ALARMS = { OCCLUSION: 'occlusion', AIR_IN_LINE: 'air-in-line', BATTERY_DEPLETED: 'battery-depleted' } as const satisfies Record<string, Cause>

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
type PumpOptions = z.infer<typeof optionsSchema>

const telemetrySchema = z
  .object({
    drug: z.enum(DRUG_IDS),
    concentration: z.number().positive(),
    concentrationUnit: z.enum(['ug/mL', 'mg/mL', '[iU]/mL']),
    status: z.enum(STATUSES),
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
  .object({ type: z.literal('status-changed'), from: z.enum(STATUSES), to: z.enum(STATUSES), cause: z.enum(CAUSES), rateMlH: z.number().min(0) })
  .strict()

const commandSchema = commandBaseSchema
  .extend({
    action: z.enum(['start', 'pause', 'change-rate']),
    rate: z.number().positive().max(MAX_RATE_ML_H).optional(),
    /** The clinician confirmed a rate beyond a soft limit. Hard limits ignore it. */
    override: z.boolean().optional(),
  })
  .strict()
  .refine((c) => c.action !== 'change-rate' || c.rate !== undefined, { message: 'change-rate needs a rate', path: ['rate'] })
type PumpCommand = z.infer<typeof commandSchema>

interface PumpState {
  drug: Drug
  status: PumpStatus
  setRateMlH: number
  volume: VolumeMeter
  line: InfusionLine
  onMains: boolean
  batteryPct: number
  attendAt: number | null
  alarms: AlarmLatch
  lastTick: number
  ticks: number
  noiseKey: number
}

type Outcome = { accepted: boolean; reason?: string; emissions: Emission[] }

function kvoRate(s: PumpState, options: PumpOptions): number {
  return Math.min(options.kvoMlH ?? s.drug.kvoMlH, s.setRateMlH)
}

/** The only place flow changes, so every change is announced. */
function changeStatus(s: PumpState, to: PumpStatus, flowMlH: number, cause: Cause, at: number): Emission[] {
  s.volume.setFlow(at, flowMlH)
  const from = s.status
  s.status = to
  return [{ channel: 'event', data: { type: 'status-changed', from, to, cause, rateMlH: flowMlH } }]
}

function poweredOff(s: PumpState): boolean {
  return s.batteryPct <= 0 && !s.onMains
}

function scheduleNurse(s: PumpState, ctx: DeviceContext<PumpOptions>, now: number): void {
  if (ctx.options.bedsideCare && s.attendAt === null) s.attendAt = now + ctx.rng.uniform(NURSE_RESPONSE_MIN[0], NURSE_RESPONSE_MIN[1]) * 60_000
}

/** Switches to KVO (or stops) at the exact moment the VTBI is reached, which may fall inside the tick. */
function completeVtbi(s: PumpState, ctx: DeviceContext<PumpOptions>, now: number): Emission[] {
  const completeAt = s.volume.completionTime()
  if (s.status !== 'running' || completeAt > now) return []
  const kvo = kvoRate(s, ctx.options)
  scheduleNurse(s, ctx, now)
  return changeStatus(s, kvo > 0 ? 'kvo' : 'completed', kvo, 'vtbi-complete', completeAt)
}

function updateBattery(s: PumpState, dtMs: number): void {
  const hours = dtMs / MS_PER_HOUR
  s.batteryPct = clamp(s.batteryPct + (s.onMains ? BATTERY_CHARGE_PCT_PER_HOUR : -BATTERY_DRAIN_PCT_PER_HOUR) * hours, 0, 100)
}

function updateAlarms(s: PumpState, ctx: DeviceContext<PumpOptions>, now: number): Emission[] {
  const limit = ctx.options.occlusionLimitMmHg
  const out = [
    ...s.alarms.update(
      { code: 'OCCLUSION', category: 'technical', priority: 'high', message: 'Downstream occlusion: line pressure above the occlusion limit', parameter: 'linePressureMmHg', value: round(s.line.pressureMmHg), limit },
      isOccluded(s.line) && s.line.pressureMmHg >= limit,
    ),
    ...s.alarms.update({ code: 'AIR_IN_LINE', category: 'technical', priority: 'high', message: 'Air in line detected' }, s.line.airInLine),
    ...s.alarms.update({ code: 'BATTERY_DEPLETED', category: 'technical', priority: 'high', message: 'Battery depleted: infusion stopped' }, poweredOff(s)),
    ...s.alarms.update(
      { code: 'LOW_BATTERY', category: 'technical', priority: 'low', message: 'Battery low: connect to mains', parameter: 'batteryPct', value: round(s.batteryPct), limit: LOW_BATTERY_PCT },
      !s.onMains && s.batteryPct < LOW_BATTERY_PCT,
    ),
    ...s.alarms.update({ code: 'VTBI_COMPLETE', category: 'technical', priority: 'medium', message: 'Volume to be infused complete' }, s.volume.emptyAt(now)),
  ]
  const stopping = (Object.keys(STOPPING_ALARMS) as (keyof typeof STOPPING_ALARMS)[]).find((code) => s.alarms.isActive(code))
  if (stopping && (s.status === 'running' || s.status === 'kvo')) {
    scheduleNurse(s, ctx, now)
    out.push(...changeStatus(s, 'alarm', 0, STOPPING_ALARMS[stopping], now))
  } else if (!stopping && s.status === 'alarm') {
    out.push(...changeStatus(s, 'paused', 0, 'alarm-cleared', now))
  }
  return out
}

function start(s: PumpState, now: number, cause: Cause): Outcome {
  const blocking = Object.keys(STOPPING_ALARMS).filter((code) => s.alarms.isActive(code))
  if (blocking.length > 0) return { accepted: false, reason: `cannot start while ${blocking.join(', ')} is active`, emissions: [] }
  if (s.status === 'running') return { accepted: false, reason: 'already running', emissions: [] }
  // Starting after the VTBI means a new container of the same drug; volume infused keeps counting.
  if (s.volume.emptyAt(now)) s.volume.newContainer(now)
  s.attendAt = null
  return { accepted: true, emissions: changeStatus(s, 'running', s.setRateMlH, cause, now) }
}

function pause(s: PumpState, now: number): Outcome {
  if (s.status !== 'running' && s.status !== 'kvo') return { accepted: false, reason: `not infusing (status ${s.status})`, emissions: [] }
  s.attendAt = null
  return { accepted: true, emissions: changeStatus(s, 'paused', 0, 'command', now) }
}

function changeRate(s: PumpState, ctx: DeviceContext<PumpOptions>, rate: number, override: boolean, now: number): Outcome {
  const check = checkRate(s.drug, rate, ctx.options.patientWeightKg, override)
  if (!check.allowed) return { accepted: false, reason: check.reason, emissions: [] }
  s.setRateMlH = rate
  const emissions = s.status === 'running' ? changeStatus(s, 'running', rate, 'command', now) : []
  return { accepted: true, ...(check.softOverridden ? { reason: 'soft limit overridden' } : {}), emissions }
}

/** The nurse clears what a nurse can (kink, air, finished container) and restarts if nothing else blocks. */
function attend(s: PumpState, ctx: DeviceContext<PumpOptions>, now: number): Emission[] {
  if (s.attendAt === null || now < s.attendAt) return []
  s.attendAt = null
  clearLine(s.line)
  const out = updateAlarms(s, ctx, now)
  const restart = start(s, now, 'bedside-nurse')
  if (!restart.accepted) s.attendAt = now + NURSE_RETRY_MS
  return [...out, ...restart.emissions]
}

function telemetry(s: PumpState, ctx: DeviceContext<PumpOptions>, now: number): Emission {
  const weight = ctx.options.patientWeightKg
  const flow = s.volume.flowMlH
  const dose = doseRate(s.drug, flow, weight)
  const remaining = s.volume.remainingAt(now)
  return {
    channel: 'telemetry',
    data: {
      drug: ctx.options.drug,
      concentration: s.drug.concentration,
      concentrationUnit: s.drug.concentrationUnit,
      status: s.status,
      rateMlH: flow,
      setRateMlH: s.setRateMlH,
      doseRate: dose === null ? null : round(dose, 3),
      doseUnit: s.drug.limitUnit === 'mL/h' ? null : s.drug.limitUnit,
      vtbiMl: s.volume.vtbiMl,
      volumeInfusedMl: round(s.volume.infusedAt(now), 3),
      vtbiRemainingMl: round(remaining, 3),
      timeRemainingMin: s.status === 'running' ? round((remaining / flow) * 60, 1) : null,
      linePressureMmHg: measuredPressure(s.line, flow, s.noiseKey, now, ctx.rng),
      occlusionLimitMmHg: ctx.options.occlusionLimitMmHg,
      batteryPct: round(s.batteryPct),
      onMains: s.onMains,
    },
  }
}

export const infusionPump = defineDeviceKind<PumpOptions, PumpState>({
  kind: 'infusion-pump',
  title: 'Infusion pump',
  description: 'Syringe or large-volume pump with a drug library (soft and hard limits), exact volume accounting, occlusion and air-in-line alarms, KVO and battery.',
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
    rateMlH: { display: 'Pump flow rate', ucum: 'mL/h', mdc: { code: 157784, name: 'MDC_FLOW_FLUID_PUMP' }, mdcUnit: { code: 265266, name: 'MDC_DIM_MILLI_L_PER_HR' } },
    volumeInfusedMl: { display: 'Volume delivered', ucum: 'mL', mdc: { code: 157864, name: 'MDC_VOL_FLUID_DELIV' }, mdcUnit: { code: 263762, name: 'MDC_DIM_MILLI_L' } },
    vtbiRemainingMl: { display: 'Volume to be infused remaining', ucum: 'mL', mdc: { code: 157872, name: 'MDC_VOL_FLUID_TBI_REMAIN' }, mdcUnit: { code: 263762, name: 'MDC_DIM_MILLI_L' } },
    // The unit is the drug's (`doseUnit`); ug/kg/min is the unit of weight-based vasoactive drugs.
    doseRate: { display: 'Dose rate (unit in doseUnit)', ucum: 'ug/kg/min', mdc: { code: 157924, name: 'MDC_RATE_DOSE' }, mdcUnit: { code: 265619, name: 'MDC_DIM_MICRO_G_PER_KG_PER_MIN' } },
    setRateMlH: { display: 'Programmed rate', ucum: 'mL/h' },
    vtbiMl: { display: 'Volume to be infused', ucum: 'mL' },
    timeRemainingMin: { display: 'Time remaining', ucum: 'min' },
    linePressureMmHg: { display: 'Downstream line pressure', ucum: 'mm[Hg]' },
    batteryPct: { display: 'Battery charge', ucum: '%' },
  },
  tickMs: () => TICK_MS,
  storeAndForward: false,
  init(ctx, now) {
    const drug: Drug = DRUGS[ctx.options.drug]
    const setRateMlH = ctx.options.rateMlH ?? drug.usualRateMlH
    const volume = new VolumeMeter(ctx.options.vtbiMl ?? drug.containerMl, now)
    if (ctx.options.running) volume.setFlow(now, setRateMlH)
    return {
      drug,
      status: ctx.options.running ? 'running' : 'paused',
      setRateMlH,
      volume,
      line: newLine(),
      onMains: ctx.options.onMains,
      batteryPct: ctx.options.onMains ? 100 : round(ctx.rng.uniform(60, 100)),
      attendAt: null,
      alarms: new AlarmLatch(),
      lastTick: now,
      ticks: 0,
      noiseKey: hashString(ctx.deviceId),
    }
  },
  tick(s, ctx, now) {
    const dtMs = now - s.lastTick
    s.lastTick = now
    // A flat battery switches the pump off once its last alarm is out; it says nothing until power returns.
    if (poweredOff(s) && s.alarms.isActive('BATTERY_DEPLETED')) return []
    const out = completeVtbi(s, ctx, now)
    stepLine(s.line, s.drug.container, s.volume.flowMlH, dtMs, ctx.options.randomIncidents ? ctx.rng : null)
    updateBattery(s, dtMs)
    out.push(...updateAlarms(s, ctx, now), ...attend(s, ctx, now))
    if (++s.ticks % TELEMETRY_EVERY_TICKS === 0) out.push(telemetry(s, ctx, now))
    return out
  },
  command(s, ctx, raw, now) {
    if (poweredOff(s)) return []
    const command = raw as PumpCommand
    const outcome =
      command.action === 'start' ? start(s, now, 'command') : command.action === 'pause' ? pause(s, now) : changeRate(s, ctx, command.rate as number, command.override === true, now)
    return [...outcome.emissions, commandAck(command, outcome.accepted, outcome.reason)]
  },
  fault(s, _ctx, fault, active) {
    // `sensor-off` is a downstream occlusion (closed clamp, line trapped under the patient): what the
    // pressure sensor exists to catch. `battery-empty` is mains lost with a flat battery.
    if (fault === 'sensor-off') s.line.clamped = active
    else {
      s.onMains = !active
      if (active) s.batteryPct = 0
    }
    return []
  },
  batteryPct: (s) => round(s.batteryPct),
})
