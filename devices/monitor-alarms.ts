import type { Limit, LimitedField, Limits } from '../src/contract/devices/monitor-limits.ts'
import { MONITOR_PARAMETERS } from '../src/contract/devices/monitor-parameters.ts'
import type { MonitorReading } from '../src/contract/devices/monitor-parameters.ts'
import type { AlarmCondition, AlarmLatch } from '../src/simulation/alarm-latch.ts'
import type { Emission } from '../src/simulation/device-kind.ts'
import type { Rhythm } from '../src/simulation/physiology/vitals.ts'

/**
 * Physiological alarms of a bedside monitor with IEC 60601-1-8 priorities: high for
 * life-threatening conditions, medium for a limit violation. Each condition must hold for its
 * alarm condition delay before it starts or ends (the shared AlarmLatch), and limit alarms clear
 * only once the value is back inside by a margin, so measurement noise cannot make them flap.
 */

export interface MonitorAlarmInputs {
  reading: MonitorReading
  /** What the ECG shows; only meaningful while the leads are on (`reading.heartRate` present). */
  rhythm: Rhythm
  limits: Limits
  /** A cuff cycle finished this tick: NIBP alarms are judged once per reading, not every second. */
  nibpMeasured: boolean
}

/** Extreme desaturation: below 80 % is a high-priority alarm whatever the SpO2 limit (clinical.md). */
const DESAT_BELOW = 80

interface LethalCondition {
  message: string
  parameter: LimitedField
  delaySeconds: number
  /** Whether the condition holds; `active` lets a measured condition clear only with a margin. */
  holds(inputs: MonitorAlarmInputs, active: boolean): boolean
  /** Lower-priority limit alarms this one replaces while active. */
  supersedes: readonly string[]
}

const LETHAL: Readonly<Record<string, LethalCondition>> = {
  // Asystole is declared after 4 s without a QRS (clinical.md).
  ASYSTOLE: {
    message: 'Asystole',
    parameter: 'heartRate',
    delaySeconds: 4,
    holds: (i) => i.reading.heartRate !== undefined && i.rhythm === 'asystole',
    supersedes: ['HR_LOW'],
  },
  VFIB_VTACH: {
    message: 'Ventricular fibrillation / tachycardia',
    parameter: 'heartRate',
    delaySeconds: 4,
    holds: (i) => i.reading.heartRate !== undefined && (i.rhythm === 'ventricular-fibrillation' || i.rhythm === 'ventricular-tachycardia'),
    supersedes: ['HR_LOW', 'HR_HIGH'],
  },
  DESAT: {
    message: 'Extreme desaturation, SpO2 below 80 %',
    parameter: 'spo2',
    delaySeconds: 3,
    holds: (i, active) => i.reading.spo2 !== undefined && i.reading.spo2 < DESAT_BELOW + (active ? 2 : 0),
    supersedes: ['SPO2_LOW'],
  },
  // No breath for the apnoea delay (10–40 s on most monitors; 20 s here).
  APNEA: {
    message: 'Apnoea',
    parameter: 'respiratoryRate',
    delaySeconds: 20,
    holds: (i) => i.reading.respiratoryRate === 0,
    supersedes: ['RR_LOW', 'ETCO2_LOW'],
  },
}

const LETHAL_ENTRIES = Object.entries(LETHAL)

/** Alarm code prefix and how far back inside a limit a value must come before its alarm ends. */
const LIMIT_ALARMS: Readonly<Record<LimitedField, { prefix: string; label: string; hysteresis: number }>> = {
  heartRate: { prefix: 'HR', label: 'HR', hysteresis: 2 },
  spo2: { prefix: 'SPO2', label: 'SpO2', hysteresis: 2 },
  respiratoryRate: { prefix: 'RR', label: 'RR', hysteresis: 1 },
  temperature: { prefix: 'TEMP', label: 'Temp', hysteresis: 0.1 },
  nibpSystolic: { prefix: 'NIBP_SYS', label: 'NIBP sys', hysteresis: 0 },
  nibpDiastolic: { prefix: 'NIBP_DIA', label: 'NIBP dia', hysteresis: 0 },
  nibpMean: { prefix: 'NIBP_MEAN', label: 'NIBP mean', hysteresis: 0 },
  etco2: { prefix: 'ETCO2', label: 'EtCO2', hysteresis: 1 },
}
/** Continuous numerics must stay beyond a limit this long (vendors use 5–15 s) before it alarms. */
const LIMIT_DELAY_SECONDS = 10

interface LimitSide {
  field: LimitedField
  code: string
  side: keyof Limit
  words: string
  hysteresis: number
  unit: string
  /** NIBP: judged once per cuff reading. */
  intermittent: boolean
}

const LIMIT_SIDES: readonly LimitSide[] = (Object.entries(LIMIT_ALARMS) as [LimitedField, (typeof LIMIT_ALARMS)[LimitedField]][]).flatMap(([field, alarm]) =>
  (['low', 'high'] as const).map((side) => ({
    field,
    code: `${alarm.prefix}_${side.toUpperCase()}`,
    side,
    words: `${alarm.label} ${side === 'low' ? 'below' : 'above'} limit`,
    hysteresis: alarm.hysteresis,
    unit: MONITOR_PARAMETERS[field].code.ucum,
    intermittent: MONITOR_PARAMETERS[field].sensor === 'cuff',
  })),
)

/** Adds the measured value when there is one (a plain assignment: spreading is slow at 1 Hz × fleet). */
function withValue(condition: AlarmCondition, value: number | undefined): void {
  if (value !== undefined) condition.value = value
}

function beyond(side: LimitSide, value: number, limit: number, margin: number): boolean {
  return side.side === 'low' ? value < limit + margin : value > limit - margin
}

export function physiologicalAlarms(latch: AlarmLatch, inputs: MonitorAlarmInputs, tickMs: number): Emission[] {
  const ticks = (seconds: number) => Math.max(1, Math.round((seconds * 1000) / tickMs))
  const emissions: Emission[] = []
  const superseded = new Set<string>()
  for (const [code, lethal] of LETHAL_ENTRIES) {
    const holds = lethal.holds(inputs, latch.isActive(code))
    const condition: AlarmCondition = { code, category: 'physiological', priority: 'high', message: lethal.message, parameter: lethal.parameter }
    withValue(condition, inputs.reading[lethal.parameter])
    emissions.push(...latch.update(condition, holds, ticks(lethal.delaySeconds)))
    if (latch.isActive(code)) for (const replaced of lethal.supersedes) superseded.add(replaced)
  }
  for (const side of LIMIT_SIDES) {
    if (side.intermittent && !inputs.nibpMeasured) continue
    const value = inputs.reading[side.field]
    const limit = inputs.limits[side.field][side.side]
    const active = latch.isActive(side.code)
    const holds = value !== undefined && !superseded.has(side.code) && beyond(side, value, limit, active ? side.hysteresis : 0)
    const condition: AlarmCondition = {
      code: side.code,
      category: 'physiological',
      priority: 'medium',
      message: `${side.words} ${limit} ${side.unit}`,
      parameter: side.field,
      limit,
    }
    withValue(condition, value)
    emissions.push(...latch.update(condition, holds, side.intermittent ? 1 : ticks(LIMIT_DELAY_SECONDS)))
  }
  return emissions
}
