import { MRI_PROTOCOLS, SAR_NORMAL_MODE_WKG, mriScannerContract } from '../src/contract/devices/mri-scanner.ts'
import type { MriCause, MriCommand, MriOptions, MriProtocol, MriScanState } from '../src/contract/devices/mri-scanner.ts'
import { AlarmLatch } from '../src/simulation/alarm-latch.ts'
import { defineDeviceKind } from '../src/simulation/device-kind.ts'
import type { DeviceContext, Emission } from '../src/simulation/device-kind.ts'
import { smoothNoise } from '../src/simulation/smooth-noise.ts'
import { hashString } from '../src/util/hash.ts'
import { round } from '../src/util/numbers.ts'
import { commandAck } from './command-ack.ts'
import { MAGNET_K, boilOffLh, levelPct, lossPctPerDay, newCryostat, stepCryostat } from './mri-cryostat.ts'
import type { Cryostat } from './mri-cryostat.ts'

/**
 * How a simulated MRI scanner behaves (its contract: src/contract/devices/mri-scanner.ts): the exam
 * cycle (idle → preparing → scanning → idle, plus service), the magnet's cryostat
 * (mri-cryostat.ts), and the scan room's air. Figures from clinical.md unless marked assumed.
 */

const MS_PER_HOUR = 3_600_000

/** 1 L of liquid helium expands to about 0.757 m³ of gas at room temperature. */
const GAS_M3_PER_LIQUID_L = 0.757
/** A quench vent pipe should take all the gas outside; a degraded one lets a tenth into a 100 m³ room (assumed). */
const QUENCH_ROOM_LEAK_FRACTION = 0.1
const ROOM_M3 = 100
/** Scan-room air changes about 12 times an hour, so displaced air recovers with a 5 min time constant. */
const ROOM_AIR_TAU_MS = 5 * 60_000
const ROOM_O2_PCT = 20.9
const O2_HAZARD_PCT = 19
const GRADIENT_IDLE_C = 22
const GRADIENT_TAU_MS = 15 * 60_000

/** Typical protocols: scan time range in minutes, whole-body SAR at its heaviest sequences, gradient heating. */
const PROTOCOL_PROFILES = {
  'brain-routine': { minutes: [15, 25], sarWkg: 1.0, gradientRiseC: 9 },
  'brain-stroke': { minutes: [8, 15], sarWkg: 0.8, gradientRiseC: 7 },
  'cervical-spine': { minutes: [15, 25], sarWkg: 1.3, gradientRiseC: 10 },
  'lumbar-spine': { minutes: [15, 25], sarWkg: 1.6, gradientRiseC: 11 },
  knee: { minutes: [15, 25], sarWkg: 0.6, gradientRiseC: 8 },
  'abdomen-liver': { minutes: [25, 40], sarWkg: 1.8, gradientRiseC: 14 },
  'prostate-multiparametric': { minutes: [30, 40], sarWkg: 1.6, gradientRiseC: 13 },
  cardiac: { minutes: [40, 60], sarWkg: 1.7, gradientRiseC: 16 },
} as const satisfies Record<MriProtocol, { minutes: readonly [number, number]; sarWkg: number; gradientRiseC: number }>
/** In the contract's order, which is the order the schedule draws from. */
const PROTOCOLS = MRI_PROTOCOLS.map((name) => ({ name, ...PROTOCOL_PROFILES[name] }))
type Protocol = (typeof PROTOCOLS)[number]
/** Positioning and coils take 3–8 min; the room turns over in 2–20 min between patients. */
const PREPARING_MIN = [3, 8] as const
const TURNOVER_MIN = [2, 20] as const

interface Exam {
  id: string
  protocol: Protocol
  plannedScanMs: number
  startedAt: number
  scanStartedAt: number
}

interface MriState {
  mode: MriScanState
  /** When the current idle gap, preparation or scan ends. */
  modeUntil: number
  exam: Exam | null
  examCount: number
  cryostat: Cryostat
  gradientC: number
  /** Fraction of the room's air displaced by helium. */
  roomHelium: number
  /** The level gauge's own error: accurate to about ±5 %, biased per instrument. */
  gaugeBiasPct: number
  alarms: AlarmLatch
  lastTick: number
  noiseKey: number
}

const minutes = (ctx: DeviceContext<MriOptions>, range: readonly [number, number]) => ctx.rng.uniform(range[0], range[1]) * 60_000

function setMode(s: MriState, to: MriScanState, cause: MriCause, until: number): Emission[] {
  const from = s.mode
  s.mode = to
  s.modeUntil = until
  return [{ channel: 'event', data: { type: 'state-changed', from, to, cause } }]
}

/** The exam cycle: each phase ends at `modeUntil`; service and a quenched magnet stop it. */
function advanceExams(s: MriState, ctx: DeviceContext<MriOptions>, now: number): Emission[] {
  if (s.mode === 'service' || now < s.modeUntil) return []
  if (s.mode === 'idle') {
    const protocol = ctx.rng.pick(PROTOCOLS)
    const plannedScanMs = minutes(ctx, protocol.minutes)
    s.exam = { id: `EX-${String(++s.examCount).padStart(6, '0')}`, protocol, plannedScanMs, startedAt: now, scanStartedAt: 0 }
    const started = { type: 'exam-started', examId: s.exam.id, protocol: protocol.name, plannedScanMin: round(plannedScanMs / 60_000, 1) }
    return [...setMode(s, 'preparing', 'schedule', now + minutes(ctx, PREPARING_MIN)), { channel: 'event', data: started }]
  }
  const exam = s.exam as Exam
  if (s.mode === 'preparing') {
    exam.scanStartedAt = now
    return setMode(s, 'scanning', 'schedule', now + exam.plannedScanMs)
  }
  s.exam = null
  const completed = {
    type: 'exam-completed',
    examId: exam.id,
    protocol: exam.protocol.name,
    scanMin: round((now - exam.scanStartedAt) / 60_000, 1),
    totalMin: round((now - exam.startedAt) / 60_000, 1),
  }
  return [...setMode(s, 'idle', 'schedule', now + minutes(ctx, TURNOVER_MIN)), { channel: 'event', data: completed }]
}

/** Cryostat and gradient coil over `dtMs`, and what a quench does to the exam and the room. */
function stepHardware(s: MriState, dtMs: number): Emission[] {
  const gradientTarget = GRADIENT_IDLE_C + (s.mode === 'scanning' && s.exam ? s.exam.protocol.gradientRiseC : 0)
  s.gradientC = gradientTarget + (s.gradientC - gradientTarget) * Math.exp(-dtMs / GRADIENT_TAU_MS)
  s.roomHelium *= Math.exp(-dtMs / ROOM_AIR_TAU_MS)
  const ventedL = stepCryostat(s.cryostat, dtMs)
  if (ventedL === null) return []
  s.roomHelium = Math.min(1, s.roomHelium + (ventedL * GAS_M3_PER_LIQUID_L * QUENCH_ROOM_LEAK_FRACTION) / ROOM_M3)
  const out: Emission[] = [{ channel: 'event', data: { type: 'quench', heliumVentedL: round(ventedL, 1) } }]
  if (s.exam) out.push({ channel: 'event', data: { type: 'exam-aborted', examId: s.exam.id, protocol: s.exam.protocol.name, reason: 'quench' } })
  s.exam = null
  if (s.mode !== 'service') out.push(...setMode(s, 'service', 'quench', Infinity))
  return out
}

function roomO2Pct(s: MriState): number {
  return ROOM_O2_PCT * (1 - s.roomHelium)
}

function updateAlarms(s: MriState, options: MriOptions): Emission[] {
  const gaugeLevel = levelPct(s.cryostat) + s.gaugeBiasPct
  const loss = lossPctPerDay(s.cryostat)
  const o2 = roomO2Pct(s)
  return [
    ...s.alarms.update(
      {
        code: 'HELIUM_LOW',
        category: 'technical',
        priority: 'high',
        message: 'Helium level below the refill threshold',
        parameter: 'heliumLevelPct',
        value: round(gaugeLevel, 1),
        limit: options.heliumLowPct,
      },
      gaugeLevel < options.heliumLowPct,
    ),
    ...s.alarms.update(
      {
        code: 'HELIUM_LOSS_RATE',
        category: 'technical',
        priority: 'high',
        message: 'Helium level falling too fast (%/day)',
        parameter: 'heliumLossPctPerDay',
        value: round(loss, 2),
        limit: options.heliumLossAlarmPctPerDay,
      },
      loss > options.heliumLossAlarmPctPerDay,
    ),
    ...s.alarms.update(
      { code: 'COLD_HEAD_FAULT', category: 'technical', priority: 'medium', message: 'Cold head stopped: compressor tripped' },
      !s.cryostat.coldHeadRunning,
    ),
    ...s.alarms.update({ code: 'MAGNET_QUENCH', category: 'technical', priority: 'high', message: 'Magnet quenched: field lost' }, s.cryostat.quenched),
    ...s.alarms.update(
      {
        code: 'O2_LOW',
        category: 'technical',
        priority: 'high',
        message: 'Scan room oxygen below 19 %',
        parameter: 'roomO2Pct',
        value: round(o2, 1),
        limit: O2_HAZARD_PCT,
      },
      o2 < O2_HAZARD_PCT,
    ),
  ]
}

/** Whole-body SAR follows the protocol's sequences, within the normal operating mode; zero unless scanning. */
function sarWkg(s: MriState, now: number): number {
  if (s.mode !== 'scanning' || !s.exam) return 0
  const sequenceLoad = 0.55 + 0.45 * ((smoothNoise(s.noiseKey + 1, now, 120_000) + 1) / 2)
  return round(Math.min(SAR_NORMAL_MODE_WKG, s.exam.protocol.sarWkg * sequenceLoad), 2)
}

function telemetry(s: MriState, ctx: DeviceContext<MriOptions>, now: number): Emission {
  const { rng } = ctx
  const c = s.cryostat
  return {
    channel: 'telemetry',
    data: {
      state: s.mode,
      examId: s.exam?.id ?? null,
      protocol: s.exam?.protocol.name ?? null,
      fieldT: c.quenched ? 0 : ctx.options.fieldT,
      magnet: ctx.options.magnet,
      heliumLevelPct: round(Math.min(100, Math.max(0, levelPct(c) + s.gaugeBiasPct + rng.gaussian(0, 0.05))), 1),
      // The vent-line flow meter reads within a few per cent.
      boilOffLh: round(Math.max(0, boilOffLh(c) * (1 + rng.gaussian(0, 0.03))), 4),
      heliumLossPctPerDay: round(lossPctPerDay(c), 3),
      magnetTempK: round(c.quenched ? c.magnetK : MAGNET_K + rng.gaussian(0, 0.005), 3),
      shieldTempK: round(c.shieldK + rng.gaussian(0, 0.1), 1),
      coldHead: c.coldHeadRunning ? 'running' : 'stopped',
      compressor: c.coldHeadRunning ? 'running' : 'tripped',
      gradientCoilTempC: round(s.gradientC + rng.gaussian(0, 0.1), 1),
      sarWkg: sarWkg(s, now),
      // Vendors ask for 18–22 °C and 40–60 % relative humidity in the scan room.
      roomTempC: round(20 + 1.2 * smoothNoise(s.noiseKey + 2, now, 2 * MS_PER_HOUR) + rng.gaussian(0, 0.05), 1),
      roomHumidityPct: round(50 + 6 * smoothNoise(s.noiseKey + 3, now, 3 * MS_PER_HOUR) + rng.gaussian(0, 0.3), 1),
      roomO2Pct: round(roomO2Pct(s) + rng.gaussian(0, 0.03), 2),
    },
  }
}

function setState(s: MriState, command: MriCommand, now: number): { accepted: boolean; reason?: string; emissions: Emission[] } {
  if (command.state === 'service') {
    if (s.mode === 'service') return { accepted: false, reason: 'already in service mode', emissions: [] }
    if (s.mode !== 'idle') return { accepted: false, reason: `exam in progress (${s.mode})`, emissions: [] }
    return { accepted: true, emissions: setMode(s, 'service', 'command', Infinity) }
  }
  if (s.mode !== 'service') return { accepted: false, reason: `not in service mode (${s.mode})`, emissions: [] }
  if (s.cryostat.quenched) return { accepted: false, reason: 'magnet quenched: not at field, needs refill and ramp-up', emissions: [] }
  return { accepted: true, emissions: setMode(s, 'idle', 'command', now) }
}

export const mriScanner = defineDeviceKind<MriOptions, MriState>(mriScannerContract, {
  init(ctx, now) {
    const level = ctx.options.heliumLevelPct ?? ctx.rng.uniform(70, 95)
    return {
      mode: 'idle',
      modeUntil: now + ctx.rng.uniform(0, 15) * 60_000,
      exam: null,
      examCount: 0,
      cryostat: newCryostat(ctx.options.magnet, level, ctx.rng),
      gradientC: GRADIENT_IDLE_C,
      roomHelium: 0,
      gaugeBiasPct: ctx.rng.uniform(-2, 2),
      alarms: new AlarmLatch(),
      lastTick: now,
      noiseKey: hashString(ctx.deviceId),
    }
  },
  tick(s, ctx, now) {
    const dtMs = now - s.lastTick
    s.lastTick = now
    const out = [...stepHardware(s, dtMs), ...advanceExams(s, ctx, now)]
    out.push(...updateAlarms(s, ctx.options), telemetry(s, ctx, now))
    return out
  },
  command(s, _ctx, raw, now) {
    const command = raw as MriCommand
    const outcome = setState(s, command, now)
    return [...outcome.emissions, commandAck(command, outcome.accepted, outcome.reason)]
  },
  // `sensor-off` is the compressor tripping (chilled-water loss, power dip): the cold head stops
  // recondensing, boil-off jumps and the shield warms. Ending it restarts the compressor. The
  // scanner runs on mains, so `battery-empty` means nothing here.
  fault(s, _ctx, fault, active) {
    if (fault === 'sensor-off') s.cryostat.coldHeadRunning = !active
    return []
  },
})
