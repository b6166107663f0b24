import { DRUGS, checkRate, doseRate } from '../src/contract/devices/drug-library.ts'
import type { Drug } from '../src/contract/devices/drug-library.ts'
import { infusionPumpContract } from '../src/contract/devices/infusion-pump.ts'
import type { PumpCause, PumpCommand, PumpOptions, PumpStatus } from '../src/contract/devices/infusion-pump.ts'
import { AlarmLatch } from '../src/simulation/alarm-latch.ts'
import { defineDeviceKind } from '../src/simulation/device-kind.ts'
import type { DeviceContext, Emission } from '../src/simulation/device-kind.ts'
import { hashString } from '../src/util/hash.ts'
import { clamp, round } from '../src/util/numbers.ts'
import { commandAck } from './command-ack.ts'
import { clearLine, isOccluded, measuredPressure, newLine, stepLine } from './infusion-line.ts'
import type { InfusionLine } from './infusion-line.ts'
import { VolumeMeter } from './infusion-volume.ts'

/**
 * How a simulated large-volume or syringe infusion pump behaves (its contract, with the drug
 * library: src/contract/devices/infusion-pump.ts): exact volume accounting (infusion-volume.ts),
 * the downstream line (infusion-line.ts), and here the pump's control: status, alarms that stop
 * it, commands, battery, and the nurse who answers it.
 */

/**
 * Telemetry every 5 s: rates change only by command, so this is for trends (line pressure building
 * towards an occlusion) and remaining time; alarms and command answers still go out on the 1 s tick.
 */
const TELEMETRY_EVERY_TICKS = 5
const MS_PER_HOUR = 3_600_000
/** Mains unplugged: about 8 h of running on battery; a flat battery recharges in about 4 h. */
const BATTERY_DRAIN_PCT_PER_HOUR = 12.5
const BATTERY_CHARGE_PCT_PER_HOUR = 25
/** Warn about 45 min before the battery is flat (vendors warn at least 30 min before). */
const LOW_BATTERY_PCT = 10
/** The simulated nurse answers a stopped pump in 2–10 min, and looks again 5 min later if it cannot be fixed. */
const NURSE_RESPONSE_MIN = [2, 10] as const
const NURSE_RETRY_MS = 5 * 60_000

/** High-priority alarms stop the infusion (clinical.md); each maps to the cause it reports. */
const STOPPING_ALARMS = { OCCLUSION: 'occlusion', AIR_IN_LINE: 'air-in-line', BATTERY_DEPLETED: 'battery-depleted' } as const satisfies Record<
  string,
  PumpCause
>

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
function changeStatus(s: PumpState, to: PumpStatus, flowMlH: number, cause: PumpCause, at: number): Emission[] {
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
      {
        code: 'OCCLUSION',
        category: 'technical',
        priority: 'high',
        message: 'Downstream occlusion: line pressure above the occlusion limit',
        parameter: 'linePressureMmHg',
        value: round(s.line.pressureMmHg),
        limit,
      },
      isOccluded(s.line) && s.line.pressureMmHg >= limit,
    ),
    ...s.alarms.update({ code: 'AIR_IN_LINE', category: 'technical', priority: 'high', message: 'Air in line detected' }, s.line.airInLine),
    ...s.alarms.update({ code: 'BATTERY_DEPLETED', category: 'technical', priority: 'high', message: 'Battery depleted: infusion stopped' }, poweredOff(s)),
    ...s.alarms.update(
      {
        code: 'LOW_BATTERY',
        category: 'technical',
        priority: 'low',
        message: 'Battery low: connect to mains',
        parameter: 'batteryPct',
        value: round(s.batteryPct),
        limit: LOW_BATTERY_PCT,
      },
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

function start(s: PumpState, now: number, cause: PumpCause): Outcome {
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

/**
 * A new rate, and with `vtbiMl` a new volume to be infused counted from now (a new bag or syringe
 * programmed, as a PCD-03 order does): the pump then goes to KVO, or stops, when it is infused
 * (completeVtbi). A pump already in KVO or completed keeps waiting for a start.
 */
function changeRate(s: PumpState, ctx: DeviceContext<PumpOptions>, rate: number, vtbiMl: number | undefined, override: boolean, now: number): Outcome {
  const check = checkRate(s.drug, rate, ctx.options.patientWeightKg, override)
  if (!check.allowed) return { accepted: false, reason: check.reason, emissions: [] }
  s.setRateMlH = rate
  if (vtbiMl !== undefined) s.volume.newContainer(now, vtbiMl)
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

export const infusionPump = defineDeviceKind<PumpOptions, PumpState>(infusionPumpContract, {
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
      command.action === 'start'
        ? start(s, now, 'command')
        : command.action === 'pause'
          ? pause(s, now)
          : changeRate(s, ctx, command.rate as number, command.vtbi, command.override === true, now)
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
