import { bedsideMonitorContract } from '../src/contract/devices/bedside-monitor.ts'
import type { MonitorCommand, MonitorOptions } from '../src/contract/devices/bedside-monitor.ts'
import { DEFAULT_LIMITS, applyLimits } from '../src/contract/devices/monitor-limits.ts'
import type { Limits } from '../src/contract/devices/monitor-limits.ts'
import { MONITOR_FIELDS, MONITOR_PARAMETERS } from '../src/contract/devices/monitor-parameters.ts'
import type { MonitorReading, MonitorSensor } from '../src/contract/devices/monitor-parameters.ts'
import { AlarmLatch } from '../src/simulation/alarm-latch.ts'
import type { AlarmCondition } from '../src/simulation/alarm-latch.ts'
import { defineDeviceKind } from '../src/simulation/device-kind.ts'
import type { DeviceContext, Emission } from '../src/simulation/device-kind.ts'
import type { Vitals } from '../src/simulation/physiology/vitals.ts'
import { commandAck } from './command-ack.ts'
import { attachedPatient, noisyReading } from './measurement.ts'
import { physiologicalAlarms } from './monitor-alarms.ts'
import { MONITOR_VITALS } from './monitor-vitals.ts'

/**
 * How a simulated bedside monitor behaves (its contract: src/contract/devices/bedside-monitor.ts):
 * ECG heart rate and impedance respiration, pulse oximetry, temperature every second; NIBP on its
 * cuff cycle; EtCO2 with capnography. Physiological alarms per monitor-alarms.ts, technical alarms
 * from sensor and battery faults.
 */

const MINUTE = 60_000
/** A transport monitor runs about 5 h on its battery and warns at 10 % (about 30 min left). */
const BATTERY_HOURS = 5
const LOW_BATTERY_PCT = 10
/** IEC 60601-1-8 leaves the audio-paused interval to the manufacturer; 2 min is common. */
const MAX_AUDIO_PAUSE_S = 120

const TECHNICAL: Readonly<Record<'LEAD_OFF' | 'SPO2_PROBE_OFF' | 'LOW_BATTERY', AlarmCondition>> = {
  LEAD_OFF: { code: 'LEAD_OFF', category: 'technical', priority: 'low', message: 'ECG leads off' },
  SPO2_PROBE_OFF: { code: 'SPO2_PROBE_OFF', category: 'technical', priority: 'low', message: 'SpO2 probe off' },
  LOW_BATTERY: { code: 'LOW_BATTERY', category: 'technical', priority: 'low', message: 'Battery low' },
}
/** Sensors a `sensor-off` fault can take off the patient: ECG leads (LEAD_OFF) or the SpO2 probe (SPO2_PROBE_OFF). */
const DETACHABLE = ['ecg', 'oximeter'] as const
type Detachable = (typeof DETACHABLE)[number]

interface MonitorState {
  alarms: AlarmLatch
  limits: Limits
  nextNibpAt: number
  detached: Detachable | null
  batteryFault: boolean
  batteryPct: number | undefined
  lastTickAt: number
}

function sensorOn(state: MonitorState, options: MonitorOptions, sensor: MonitorSensor): boolean {
  if (sensor === state.detached) return false
  return sensor === 'capnograph' ? options.capnography : true
}

/** What the continuous sensors read this second, plus the cuff on a cycle tick. */
function measure(state: MonitorState, ctx: DeviceContext<MonitorOptions>, vitals: Vitals, cuffCycle: boolean): MonitorReading {
  const reading: MonitorReading = {}
  for (const field of MONITOR_FIELDS) {
    const { sensor, accuracy } = MONITOR_PARAMETERS[field]
    if (sensor !== 'cuff' && sensorOn(state, ctx.options, sensor)) reading[field] = noisyReading(ctx.rng, vitals[MONITOR_VITALS[field]], accuracy)
  }
  if (cuffCycle) Object.assign(reading, cuffReading(ctx, vitals))
  return reading
}

/** One oscillometric cycle: systolic and diastolic with their own error, mean kept between them. */
function cuffReading(ctx: DeviceContext<MonitorOptions>, vitals: Vitals): MonitorReading {
  const systolic = noisyReading(ctx.rng, vitals.systolic, MONITOR_PARAMETERS.nibpSystolic.accuracy)
  const diastolic = Math.min(noisyReading(ctx.rng, vitals.diastolic, MONITOR_PARAMETERS.nibpDiastolic.accuracy), systolic)
  const mean = Math.min(Math.max(noisyReading(ctx.rng, vitals.mean, MONITOR_PARAMETERS.nibpMean.accuracy), diastolic), systolic)
  return { nibpSystolic: systolic, nibpDiastolic: diastolic, nibpMean: mean }
}

function technicalAlarms(state: MonitorState): Emission[] {
  const lowBattery = state.batteryFault || (state.batteryPct !== undefined && state.batteryPct < LOW_BATTERY_PCT)
  return [
    ...state.alarms.update(TECHNICAL.LEAD_OFF, state.detached === 'ecg'),
    ...state.alarms.update(TECHNICAL.SPO2_PROBE_OFF, state.detached === 'oximeter'),
    ...state.alarms.update(TECHNICAL.LOW_BATTERY, lowBattery),
  ]
}

export const bedsideMonitor = defineDeviceKind<MonitorOptions, MonitorState>(bedsideMonitorContract, {
  init(ctx, now) {
    const limits = applyLimits(DEFAULT_LIMITS, ctx.options.limits)
    if ('error' in limits) throw new Error(limits.error)
    return {
      alarms: new AlarmLatch(),
      limits: limits.limits,
      // The first cuff cycle runs when monitoring starts.
      nextNibpAt: now,
      detached: null,
      batteryFault: false,
      batteryPct: ctx.options.transport ? ctx.rng.uniform(85, 100) : undefined,
      lastTickAt: now,
    }
  },

  tick(state, ctx, now) {
    if (state.batteryPct !== undefined) state.batteryPct = Math.max(0, state.batteryPct - ((now - state.lastTickAt) / (BATTERY_HOURS * 60 * MINUTE)) * 100)
    state.lastTickAt = now
    const vitals = attachedPatient(ctx).vitalsAt(now)
    const cuffCycle = now >= state.nextNibpAt
    if (cuffCycle) state.nextNibpAt = now + ctx.options.nibpIntervalMin * MINUTE
    const reading = measure(state, ctx, vitals, cuffCycle)
    return [
      { channel: 'telemetry', data: reading },
      ...physiologicalAlarms(
        state.alarms,
        { reading, rhythm: vitals.rhythm, limits: state.limits, nibpMeasured: cuffCycle },
        bedsideMonitorContract.tickMs(ctx.options),
      ),
      ...technicalAlarms(state),
    ]
  },

  command(state, _ctx, command, now) {
    const cmd = command as MonitorCommand
    if (cmd.action === 'silence') {
      if (cmd.seconds > MAX_AUDIO_PAUSE_S) return [commandAck(cmd, false, `audio can be paused for at most ${MAX_AUDIO_PAUSE_S} s`)]
      return [commandAck(cmd, true), { channel: 'event', data: { type: 'audio-paused', seconds: cmd.seconds, until: now + cmd.seconds * 1000 } }]
    }
    const result = applyLimits(state.limits, cmd.limits)
    if ('error' in result) return [commandAck(cmd, false, result.error)]
    state.limits = result.limits
    return [commandAck(cmd, true)]
  },

  fault(state, ctx, fault, active) {
    if (fault === 'battery-empty') state.batteryFault = active
    else if (active && state.detached === null) state.detached = ctx.rng.pick(DETACHABLE)
    else if (!active) state.detached = null
    return technicalAlarms(state)
  },

  batteryPct: (state) => (state.batteryPct === undefined ? undefined : state.batteryFault ? 0 : Math.round(state.batteryPct)),
})
