import { PROTECTIVE_ML_PER_KG, VENT_ACCURACY, VENT_HARD_LIMITS, ventilatorContract } from '../src/contract/devices/ventilator.ts'
import type { VentCommand, VentOptions, VentTelemetry } from '../src/contract/devices/ventilator.ts'
import { AlarmLatch } from '../src/simulation/alarm-latch.ts'
import type { AlarmCondition } from '../src/simulation/alarm-latch.ts'
import { defineDeviceKind } from '../src/simulation/device-kind.ts'
import type { DeviceContext, Emission } from '../src/simulation/device-kind.ts'
import type { Vitals } from '../src/simulation/physiology/vitals.ts'
import { clamp } from '../src/util/numbers.ts'
import { commandAck } from './command-ack.ts'
import { attachedPatient, noisyReading } from './measurement.ts'
import { deliverBreath, oxygenationStep, predictedBodyWeight, pressureFor, protectiveTidalVolume } from './ventilator-mechanics.ts'
import type { Breath, Lungs, VentSettings } from './ventilator-mechanics.ts'

/**
 * How a simulated ICU ventilator behaves (its contract: src/contract/devices/ventilator.ts) on an
 * intubated patient: lung-protective settings from predicted body weight, PEEP and FiO2 stepped
 * together with the patient's oxygen need, breaths computed from the patient's compliance and
 * resistance (ventilator-mechanics.ts), alarms and guarded commands.
 */

/**
 * Breath values change once per breath (every 3–5 s at 12–20 /min), so telemetry every 5 s reports
 * about one breath per message; the 1 s tick still lets a disconnection alarm within seconds.
 */
const TELEMETRY_EVERY_TICKS = 5

/**
 * Alarm conditions. The measured ones are built fresh each second with a literal: spreading a
 * shared template costs several microseconds a tick, which adds up across a fleet.
 */
const ALARMS = {
  highPressure: (value: number, limit: number): AlarmCondition => ({
    code: 'HIGH_PRESSURE',
    category: 'physiological',
    priority: 'high',
    message: 'High airway pressure',
    parameter: 'peakPressure',
    value,
    limit,
  }),
  lowMinuteVolume: (value: number, limit: number): AlarmCondition => ({
    code: 'LOW_MINUTE_VOLUME',
    category: 'physiological',
    priority: 'medium',
    message: 'Low minute volume',
    parameter: 'minuteVolume',
    value,
    limit,
  }),
  disconnect: { code: 'DISCONNECT', category: 'technical', priority: 'high', message: 'Patient circuit disconnected' } satisfies AlarmCondition,
  // A life-support device losing power needs more than the low priority of a monitor's battery warning.
  lowBattery: { code: 'LOW_BATTERY', category: 'technical', priority: 'medium', message: 'Battery depleted' } satisfies AlarmCondition,
}
/** Ticks (seconds) a condition must hold, or be gone, before its alarm starts or ends; and the pressure margin for ending. */
const ALARM_DELAY_S = { HIGH_PRESSURE: 3, LOW_MINUTE_VOLUME: 15 } as const
const PRESSURE_HYSTERESIS = 2

interface VentState {
  settings: VentSettings
  /** PEEP and FiO2 follow the table until a clinician sets either by hand. */
  tableDriven: boolean
  minuteVolumeLow: number
  disconnected: boolean
  batteryFault: boolean
  alarms: AlarmLatch
  ticks: number
}

function lungsOf(vitals: Vitals): Lungs {
  return { compliance: vitals.lungCompliance, resistance: vitals.airwayResistance, spontaneousRate: vitals.respiratoryRate }
}

function measure(state: VentState, ctx: DeviceContext<VentOptions>, breath: Breath): VentTelemetry {
  const { settings, disconnected } = state
  const totalRate = noisyReading(ctx.rng, breath.totalRate, VENT_ACCURACY.totalRate)
  // Disconnected, the flow escapes through the open circuit: no returned volume, almost no pressure.
  const tidalVolume = disconnected ? 0 : noisyReading(ctx.rng, breath.tidalVolume, VENT_ACCURACY.tidalVolume)
  const peakPressure = noisyReading(ctx.rng, disconnected ? 1 : breath.peakPressure, VENT_ACCURACY.pressure)
  const reading: VentTelemetry = {
    mode: settings.mode,
    setTidalVolume: settings.tidalVolume,
    setRate: settings.rate,
    peep: settings.peep,
    fio2: Math.round(settings.fio2 * 100),
    tidalVolume,
    totalRate,
    peakPressure,
    minuteVolume: noisyReading(ctx.rng, (tidalVolume * totalRate) / 1000, VENT_ACCURACY.minuteVolume),
    ieRatio: noisyReading(ctx.rng, breath.ieRatio, VENT_ACCURACY.ieRatio),
  }
  // The plateau is the peak minus the resistive share, so reading error cannot put it above the
  // peak; with no end-inspiratory hold possible while disconnected there is none.
  if (!disconnected) reading.plateauPressure = Math.min(peakPressure, noisyReading(ctx.rng, breath.plateauPressure, VENT_ACCURACY.pressure))
  return reading
}

function alarmsFor(state: VentState, options: VentOptions, reading: VentTelemetry): Emission[] {
  const { alarms } = state
  const highLimit = options.limits.peakPressureHigh
  const pressureHigh = reading.peakPressure > highLimit - (alarms.isActive('HIGH_PRESSURE') ? PRESSURE_HYSTERESIS : 0)
  const minuteVolumeLow = !state.disconnected && reading.minuteVolume < state.minuteVolumeLow
  const emissions = alarms.update(ALARMS.highPressure(reading.peakPressure, highLimit), pressureHigh, ALARM_DELAY_S.HIGH_PRESSURE)
  emissions.push(...alarms.update(ALARMS.lowMinuteVolume(reading.minuteVolume, state.minuteVolumeLow), minuteVolumeLow, ALARM_DELAY_S.LOW_MINUTE_VOLUME))
  emissions.push(...alarms.update(ALARMS.disconnect, state.disconnected), ...alarms.update(ALARMS.lowBattery, state.batteryFault))
  return emissions
}

/** Applies a setting change within the hard limits, or says why not. */
function applyCommand(state: VentState, ctx: DeviceContext<VentOptions>, cmd: VentCommand): string | null {
  const outside = (value: number, range: { min: number; max: number }, unit: string) =>
    value < range.min || value > range.max ? `outside the hard limit ${range.min}–${range.max} ${unit}` : null
  switch (cmd.action) {
    case 'set-mode':
      state.settings.mode = cmd.mode
      return null
    case 'set-peep': {
      const refused = outside(cmd.peep, VENT_HARD_LIMITS.peep, 'cm[H2O]')
      if (refused) return `PEEP ${cmd.peep} ${refused}`
      // Set in whole cm[H2O], the knob's resolution.
      state.settings.peep = Math.round(cmd.peep)
      state.tableDriven = false
      return null
    }
    case 'set-fio2': {
      const refused = outside(cmd.fio2, VENT_HARD_LIMITS.fio2Pct, '%')
      if (refused) return `FiO2 ${cmd.fio2} ${refused}`
      state.settings.fio2 = cmd.fio2 / 100
      state.tableDriven = false
      return null
    }
    case 'set-tidal-volume': {
      const info = attachedPatient(ctx).info
      const range = { min: protectiveTidalVolume(info, PROTECTIVE_ML_PER_KG.min), max: protectiveTidalVolume(info, PROTECTIVE_ML_PER_KG.max) }
      const refused = outside(cmd.tidalVolume, range, `mL (4–8 mL/kg of ${predictedBodyWeight(info).toFixed(1)} kg predicted body weight)`)
      if (refused) return `tidal volume ${cmd.tidalVolume} ${refused}`
      state.settings.tidalVolume = Math.round(cmd.tidalVolume)
      return null
    }
  }
}

export const ventilator = defineDeviceKind<VentOptions, VentState>(ventilatorContract, {
  init(ctx, now) {
    const patient = attachedPatient(ctx)
    const vitals = patient.vitalsAt(now)
    const step = oxygenationStep(vitals.fio2, vitals.spo2)
    const tidalVolume = protectiveTidalVolume(patient.info, ctx.options.tidalVolumeMlPerKg)
    const settings: VentSettings = {
      mode: ctx.options.mode,
      tidalVolume,
      rate: ctx.options.rate,
      peep: step.peep,
      fio2: step.fio2,
      inspiratoryPressure: 0,
      pressureSupport: 0,
      ieRatio: ctx.options.ieRatio,
      inspiratoryFlow: ctx.options.inspiratoryFlow,
    }
    // The clinician sets pressures that give the protective volume in today's lungs.
    const lungs = lungsOf(vitals)
    const pressureSetting = (mode: VentSettings['mode']) =>
      clamp(Math.round(pressureFor(tidalVolume, { ...settings, mode }, { ...lungs, spontaneousRate: Math.max(lungs.spontaneousRate, 1) })), 5, 30)
    settings.inspiratoryPressure = pressureSetting('PC-AC')
    settings.pressureSupport = pressureSetting('PSV')
    return {
      settings,
      tableDriven: true,
      minuteVolumeLow: ctx.options.limits.minuteVolumeLow ?? Math.round(((0.6 * tidalVolume * ctx.options.rate) / 1000) * 10) / 10,
      disconnected: false,
      batteryFault: false,
      alarms: new AlarmLatch(),
      ticks: 0,
    }
  },

  tick(state, ctx, now) {
    const vitals = attachedPatient(ctx).vitalsAt(now)
    if (state.tableDriven) {
      const step = oxygenationStep(vitals.fio2, vitals.spo2)
      state.settings.peep = step.peep
      state.settings.fio2 = step.fio2
    }
    const reading = measure(state, ctx, deliverBreath(state.settings, lungsOf(vitals)))
    state.ticks++
    const telemetry: Emission[] = state.ticks % TELEMETRY_EVERY_TICKS === 0 ? [{ channel: 'telemetry', data: reading }] : []
    return [...telemetry, ...alarmsFor(state, ctx.options, reading)]
  },

  command(state, ctx, command) {
    const cmd = command as VentCommand
    const refusal = applyCommand(state, ctx, cmd)
    return [refusal === null ? commandAck(cmd, true) : commandAck(cmd, false, refusal)]
  },

  fault(state, _ctx, fault, active) {
    if (fault === 'sensor-off') state.disconnected = active
    else state.batteryFault = active
    return [...state.alarms.update(ALARMS.disconnect, state.disconnected), ...state.alarms.update(ALARMS.lowBattery, state.batteryFault)]
  },
})
