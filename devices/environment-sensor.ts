import { environmentSensorContract } from '../src/contract/devices/environment-sensor.ts'
import type { EnvOptions, RoomType } from '../src/contract/devices/environment-sensor.ts'
import type { AlarmCondition } from '../src/simulation/alarm-latch.ts'
import { AlarmLatch } from '../src/simulation/alarm-latch.ts'
import { defineDeviceKind } from '../src/simulation/device-kind.ts'
import type { DeviceContext, Emission } from '../src/simulation/device-kind.ts'
import { smoothNoise } from '../src/simulation/smooth-noise.ts'
import { hashString } from '../src/util/hash.ts'
import { round } from '../src/util/numbers.ts'

/**
 * How a simulated room sensor behaves (its contract: src/contract/devices/environment-sensor.ts):
 * a battery-powered wireless room sensor reporting temperature, humidity, oxygen and the pressure
 * difference to the corridor, with a door contact. Isolation rooms and theatres depend on that
 * difference to keep air flowing the right way; doors and ventilation faults are what break it.
 */

const MS_PER_HOUR = 3_600_000
/**
 * Room pressure monitors hold a pressure alarm back while a door is open (typically 30–60 s), so
 * people walking in and out do not raise it: 6 samples = 60 s here. Temperature drifts across a
 * limit slowly, so its low-priority alarm waits 5 min rather than chatter on sensor noise.
 */
const PRESSURE_ALARM_DELAY_TICKS = 6
const TEMP_ALARM_DELAY_TICKS = 30
const O2_ALARM_DELAY_TICKS = 2
/** 21 % normal; below 19 % is a hazard (clinical.md). */
const AMBIENT_O2_PCT = 20.9
const O2_HAZARD_PCT = 19
/** About a year on its cells at a 10 s reporting interval (assumed); warn at 10 %, about five weeks left. */
const BATTERY_DRAIN_PCT_PER_HOUR = 100 / (365 * 24)
const LOW_BATTERY_PCT = 10

/**
 * Pressure differential to the corridor and temperature band per room type. Negative-pressure
 * isolation is held at least 2.5 Pa below the corridor (CDC), usually around −8 Pa; protective
 * (positive) isolation mirrors it; operating theatres sit about +10 to +25 Pa (HTM 03-01). Wards
 * have no pressure requirement. Temperature bands: theatres 18–25 °C, wards 18–28 °C (HTM 03-01).
 */
const ROOMS = {
  'isolation-negative': { setpointPa: -8, pressureLimitsPa: [-15, -2.5], tempSetpointC: 21.5, tempLimitsC: [18, 26], doorsPerHour: 4 },
  'isolation-positive': { setpointPa: 8, pressureLimitsPa: [2.5, 15], tempSetpointC: 21.5, tempLimitsC: [18, 26], doorsPerHour: 4 },
  theatre: { setpointPa: 18, pressureLimitsPa: [10, 25], tempSetpointC: 20, tempLimitsC: [18, 25], doorsPerHour: 6 },
  general: { setpointPa: 0, pressureLimitsPa: null, tempSetpointC: 22, tempLimitsC: [18, 28], doorsPerHour: 10 },
} as const satisfies Record<
  RoomType,
  {
    setpointPa: number
    pressureLimitsPa: readonly [number, number] | null
    tempSetpointC: number
    tempLimitsC: readonly [number, number]
    doorsPerHour: number
  }
>

/**
 * Random incidents: a ventilation fault (fan trip, damper stuck) lets the pressure difference collapse
 * and the room warm; a gas leak (piped nitrous oxide, nitrogen) displaces oxygen. Time constants are
 * assumed: pressure goes in about 2 min, heat builds over about 30 min, a leak fills the room in 10 min.
 */
const INCIDENTS = {
  'ventilation-failure': { share: 0.85, minutes: [30, 180] },
  'gas-leak': { share: 0.15, minutes: [15, 60] },
} as const
type Incident = keyof typeof INCIDENTS
const TAU_MS = { pressure: 2 * 60_000, heat: 30 * 60_000, leak: 10 * 60_000 }
/** Without conditioned air, equipment, lights and people warm a small room by several degrees. */
const VENTILATION_FAILURE_WARMING_C = 6
/** A leak bad enough to matter displaces about an eighth of the room's air (O2 about 18.3 %). */
const GAS_LEAK_DISPLACEMENT = 0.125

interface EnvState {
  doorOpenUntil: number
  incident: { kind: Incident; until: number } | null
  /** 0–1: how far each incident's effect has developed, so effects come and go smoothly. */
  ventilationLoss: number
  heatLoad: number
  displacement: number
  tubeDetached: boolean
  batteryPct: number
  alarms: AlarmLatch
  lastTick: number
  noiseKey: number
}

/** Moves `value` towards `target` by first-order lag over `dtMs`. */
function approach(value: number, target: number, dtMs: number, tauMs: number): number {
  return target + (value - target) * Math.exp(-dtMs / tauMs)
}

function perTick(ratePerHour: number, dtMs: number): number {
  return 1 - Math.exp((-ratePerHour * dtMs) / MS_PER_HOUR)
}

/** Doors and incidents come and go; returns door-contact events. */
function stepRoom(s: EnvState, ctx: DeviceContext<EnvOptions>, now: number, dtMs: number): Emission[] {
  const { rng, options } = ctx
  const out: Emission[] = []
  const wasOpen = now - dtMs < s.doorOpenUntil
  if (!wasOpen && rng.chance(perTick(options.doorOpeningsPerHour ?? ROOMS[options.room].doorsPerHour, dtMs))) {
    s.doorOpenUntil = now + rng.uniform(10, 30) * 1000
    out.push({ channel: 'event', data: { type: 'door', open: true } })
  } else if (wasOpen && now >= s.doorOpenUntil) out.push({ channel: 'event', data: { type: 'door', open: false } })

  if (s.incident && now >= s.incident.until) s.incident = null
  if (!s.incident && rng.chance(perTick(options.incidentsPerDay / 24, dtMs))) {
    const kind: Incident = rng.chance(INCIDENTS['ventilation-failure'].share) ? 'ventilation-failure' : 'gas-leak'
    const [min, max] = INCIDENTS[kind].minutes
    s.incident = { kind, until: now + rng.uniform(min, max) * 60_000 }
  }
  const ventilationFailing = s.incident?.kind === 'ventilation-failure'
  s.ventilationLoss = approach(s.ventilationLoss, ventilationFailing ? 1 : 0, dtMs, TAU_MS.pressure)
  s.heatLoad = approach(s.heatLoad, ventilationFailing ? 1 : 0, dtMs, TAU_MS.heat)
  s.displacement = approach(s.displacement, s.incident?.kind === 'gas-leak' ? GAS_LEAK_DISPLACEMENT : 0, dtMs, TAU_MS.leak)
  return out
}

interface Readings {
  temperatureC: number
  humidityPct: number
  pressurePa: number
  o2Pct: number
}

function measure(s: EnvState, ctx: DeviceContext<EnvOptions>, now: number): Readings {
  const { rng } = ctx
  const room = ROOMS[ctx.options.room]
  // An open door lets the difference collapse to a small fraction; air still flows the intended way.
  const doorFactor = now < s.doorOpenUntil ? 0.15 : 1
  const controlled = (room.setpointPa + Math.abs(room.setpointPa) * 0.15 * smoothNoise(s.noiseKey, now, 10 * 60_000)) * doorFactor
  const truePressure = controlled * (1 - s.ventilationLoss) + 0.5 * s.ventilationLoss * smoothNoise(s.noiseKey + 1, now, 5 * 60_000)
  return {
    temperatureC: round(
      room.tempSetpointC + 0.6 * smoothNoise(s.noiseKey + 2, now, 3 * MS_PER_HOUR) + VENTILATION_FAILURE_WARMING_C * s.heatLoad + rng.gaussian(0, 0.1),
      1,
    ),
    humidityPct: round(45 + 8 * smoothNoise(s.noiseKey + 3, now, 6 * MS_PER_HOUR) + rng.gaussian(0, 0.5), 1),
    // Room pressure transducers resolve about 0.1 Pa. A detached sensing tube reads both sides of the
    // wall as one: zero, give or take that noise.
    pressurePa: round((s.tubeDetached ? 0 : truePressure) + rng.gaussian(0, 0.1), 1),
    o2Pct: round(AMBIENT_O2_PCT * (1 - s.displacement) + rng.gaussian(0, 0.05), 2),
  }
}

function updateAlarms(s: EnvState, options: EnvOptions, r: Readings): Emission[] {
  const room = ROOMS[options.room]
  const out: Emission[] = []
  if (room.pressureLimitsPa) {
    const [low, high] = room.pressureLimitsPa
    const condition: AlarmCondition = {
      code: 'PRESSURE_OUT_OF_RANGE',
      category: 'technical',
      priority: 'medium',
      message: `Room pressure outside ${low} to ${high} Pa`,
      parameter: 'pressurePa',
      value: r.pressurePa,
      limit: r.pressurePa < low ? low : high,
    }
    out.push(...s.alarms.update(condition, r.pressurePa < low || r.pressurePa > high, PRESSURE_ALARM_DELAY_TICKS))
  }
  const [tLow, tHigh] = room.tempLimitsC
  out.push(
    ...s.alarms.update(
      {
        code: 'TEMP_OUT_OF_RANGE',
        category: 'technical',
        priority: 'low',
        message: `Room temperature outside ${tLow} to ${tHigh} °C`,
        parameter: 'temperatureC',
        value: r.temperatureC,
        limit: r.temperatureC < tLow ? tLow : tHigh,
      },
      r.temperatureC < tLow || r.temperatureC > tHigh,
      TEMP_ALARM_DELAY_TICKS,
    ),
    ...s.alarms.update(
      { code: 'O2_LOW', category: 'technical', priority: 'high', message: 'Room oxygen below 19 %', parameter: 'o2Pct', value: r.o2Pct, limit: O2_HAZARD_PCT },
      r.o2Pct < O2_HAZARD_PCT,
      O2_ALARM_DELAY_TICKS,
    ),
    ...s.alarms.update(
      {
        code: 'LOW_BATTERY',
        category: 'technical',
        priority: 'low',
        message: 'Sensor battery low: replace cells',
        parameter: 'batteryPct',
        value: round(s.batteryPct),
        limit: LOW_BATTERY_PCT,
      },
      s.batteryPct < LOW_BATTERY_PCT,
    ),
  )
  return out
}

export const environmentSensor = defineDeviceKind<EnvOptions, EnvState>(environmentSensorContract, {
  init(ctx, now) {
    return {
      doorOpenUntil: 0,
      incident: null,
      ventilationLoss: 0,
      heatLoad: 0,
      displacement: 0,
      tubeDetached: false,
      batteryPct: ctx.options.batteryPct ?? ctx.rng.uniform(30, 100),
      alarms: new AlarmLatch(),
      lastTick: now,
      noiseKey: hashString(ctx.deviceId),
    }
  },
  tick(s, ctx, now) {
    const dtMs = now - s.lastTick
    s.lastTick = now
    // A flat sensor has sent its last low-battery alarm and says nothing more until the cells are changed.
    if (s.batteryPct <= 0 && s.alarms.isActive('LOW_BATTERY')) return []
    s.batteryPct = Math.max(0, s.batteryPct - BATTERY_DRAIN_PCT_PER_HOUR * (dtMs / MS_PER_HOUR))
    const out = stepRoom(s, ctx, now, dtMs)
    const readings = measure(s, ctx, now)
    out.push(...updateAlarms(s, ctx.options, readings))
    out.push({
      channel: 'telemetry',
      data: { room: ctx.options.room, ...readings, pressureSetpointPa: ROOMS[ctx.options.room].setpointPa, batteryPct: round(s.batteryPct) },
    })
    return out
  },
  // `sensor-off` is the pressure sensing tube pulled off: it reads 0 Pa, which in an isolation room or
  // theatre is itself an alarm. `battery-empty` flattens the cells; ending it means fresh ones.
  fault(s, _ctx, fault, active) {
    if (fault === 'sensor-off') s.tubeDetached = active
    else s.batteryPct = active ? 0 : 100
    return []
  },
  batteryPct: (s) => round(s.batteryPct),
})
