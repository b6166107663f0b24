import { telemedicineEndpointContract } from '../src/contract/devices/telemedicine-endpoint.ts'
import type { CallQuality, LinkType, SessionPhase, TeleOptions } from '../src/contract/devices/telemedicine-endpoint.ts'
import { AlarmLatch } from '../src/simulation/alarm-latch.ts'
import { defineDeviceKind } from '../src/simulation/device-kind.ts'
import type { DeviceContext, Emission } from '../src/simulation/device-kind.ts'
import { smoothNoise } from '../src/simulation/smooth-noise.ts'
import { hashString } from '../src/util/hash.ts'
import { clamp, round } from '../src/util/numbers.ts'

/**
 * How a simulated telemedicine endpoint behaves (its contract:
 * src/contract/devices/telemedicine-endpoint.ts): video calls arrive at random, and during a call
 * it reports WebRTC statistics with a call-quality class. The network drifts smoothly, so quality
 * degrades and recovers as real links do.
 */

/** Quality must stay poor (or stay better) for three intervals before the alarm starts (or ends). */
const POOR_DELAY_INTERVALS = 3
/** A technical alarm of low priority: the call goes on, someone should look at the network. */
const POOR_CALL = { code: 'CALL_QUALITY_POOR', category: 'technical', priority: 'low', message: 'Video call quality poor', parameter: 'quality' } as const
/** Bytes per RTP packet of video, under a 1,200-byte MTU budget. */
const PACKET_BYTES = 1150
/** HD video uplink is 1–1.2 Mbit/s (clinical.md); congestion control backs off from there. */
const MAX_VIDEO_KBPS = 1150

/** Network character per access link: base and swing of congestion, base round-trip time, ICE failure rate. */
const LINKS = {
  wired: { baseCongestion: 0.05, swing: 0.2, baseRttMs: 25, connectFailure: 0.01 },
  wifi: { baseCongestion: 0.15, swing: 0.35, baseRttMs: 40, connectFailure: 0.02 },
  cellular: { baseCongestion: 0.3, swing: 0.55, baseRttMs: 70, connectFailure: 0.05 },
} as const satisfies Record<LinkType, { baseCongestion: number; swing: number; baseRttMs: number; connectFailure: number }>

/**
 * Call-quality thresholds from clinical.md: loss < 1 % good, > 5 % poor; RTT < 100 ms good, > 450 ms
 * poor (250–450 ms is the warning band, inside fair); jitter < 10 ms good, > 200 ms poor; video
 * below 150 kbit/s poor. Below 500 kbit/s the encoder drops under 360p, so that is fair.
 */
export const QUALITY_THRESHOLDS = {
  packetLossPct: { good: 1, poor: 5 },
  rttMs: { good: 100, poor: 450 },
  jitterMs: { good: 10, poor: 200 },
  bitrateKbps: { good: 500, poor: 150 },
} as const

export interface CallStats {
  rttMs: number
  jitterMs: number
  packetLossPct: number
  /** Null while no video is sent (camera off): then bitrate says nothing about the network. */
  bitrateKbps: number | null
}

/** The worst of the per-metric classes. */
export function classifyCallQuality(stats: CallStats): CallQuality {
  const t = QUALITY_THRESHOLDS
  const higherIsWorse = (value: number, limits: { good: number; poor: number }): CallQuality =>
    value > limits.poor ? 'poor' : value < limits.good ? 'good' : 'fair'
  const grades = [higherIsWorse(stats.packetLossPct, t.packetLossPct), higherIsWorse(stats.rttMs, t.rttMs), higherIsWorse(stats.jitterMs, t.jitterMs)]
  if (stats.bitrateKbps !== null) grades.push(stats.bitrateKbps < t.bitrateKbps.poor ? 'poor' : stats.bitrateKbps < t.bitrateKbps.good ? 'fair' : 'good')
  return grades.includes('poor') ? 'poor' : grades.includes('fair') ? 'fair' : 'good'
}

/** What WebRTC's bandwidth adaptation picks for a given send bitrate. */
function frameSize(kbps: number): string {
  return kbps >= 900 ? '1280x720' : kbps >= 450 ? '960x540' : kbps >= 250 ? '640x360' : '320x180'
}

interface Session {
  id: string
  endsAt: number
  bytesSent: number
  packetsSent: number
  packetsLost: number
  lastStatsAt: number
}

interface TeleState {
  phase: SessionPhase
  session: Session | null
  cameraOff: boolean
  /** The link is congested by a fault, on top of its own drift. */
  degraded: boolean
  alarms: AlarmLatch
  lastTick: number
  noiseKey: number
}

function transition(s: TeleState, session: Session, to: SessionPhase, reason?: 'hangup' | 'connect-failed'): Emission {
  const from = s.phase
  s.phase = to
  return { channel: 'event', data: { type: 'session-state', sessionId: session.id, from, to, ...(reason ? { reason } : {}) } }
}

/** A random session id, as signalling servers hand them out. */
function sessionId(ctx: DeviceContext<TeleOptions>): string {
  const word = () => ctx.rng.int(0, 0xffffffff).toString(16).padStart(8, '0')
  return `${word()}${word()}`
}

const DEGRADED_CONGESTION = 0.9

/** 0 (idle network) to 1 (saturated): a slow drift of minutes plus faster wobble of tens of seconds. */
function congestion(s: TeleState, link: LinkType, now: number): number {
  const { baseCongestion, swing } = LINKS[link]
  const drift = smoothNoise(s.noiseKey, now, 5 * 60_000) + 0.3 * smoothNoise(s.noiseKey + 1, now, 40_000)
  // A degraded link (interference, a saturated uplink) sits near saturation, still wobbling: at 0.8
  // and above, loss alone passes the 5 % poor threshold.
  if (s.degraded) return clamp(DEGRADED_CONGESTION + 0.08 * drift, 0.8, 1)
  return clamp(baseCongestion + swing * drift, 0, 1)
}

/** One statistics interval: counters advance by what was sent and lost, rates are derived from their deltas. */
function statsInterval(s: TeleState, session: Session, ctx: DeviceContext<TeleOptions>, now: number): Emission[] {
  const { rng } = ctx
  const c = congestion(s, ctx.options.link, now)
  const seconds = (now - session.lastStatsAt) / 1000
  const targetKbps = s.cameraOff ? 0 : Math.max(30, MAX_VIDEO_KBPS * (1 - c) ** 1.5 * (1 + rng.gaussian(0, 0.03)))
  const bytes = Math.round((targetKbps * 1000 * seconds) / 8)
  const packets = Math.ceil(bytes / PACKET_BYTES)
  const lossFraction = (0.1 + 14 * c ** 4) / 100
  const lost =
    packets === 0 ? 0 : clamp(Math.round(packets * lossFraction + rng.gaussian(0, Math.sqrt(packets * lossFraction * (1 - lossFraction)))), 0, packets)
  session.bytesSent += bytes
  session.packetsSent += packets
  session.packetsLost += lost
  session.lastStatsAt = now
  const stats: CallStats = {
    rttMs: round(LINKS[ctx.options.link].baseRttMs + 550 * c ** 2 + Math.abs(rng.gaussian(0, 3))),
    jitterMs: round(2 + 220 * c ** 3 + Math.abs(rng.gaussian(0, 1)), 1),
    packetLossPct: packets === 0 ? 0 : round((lost / packets) * 100, 2),
    bitrateKbps: s.cameraOff ? null : round((bytes * 8) / seconds / 1000, 1),
  }
  // The encoder keeps 30 fps down to about 300 kbit/s, then trades frame rate for quality.
  const fps = s.cameraOff ? 0 : Math.min(30, Math.round(targetKbps >= 300 ? 30 - Math.abs(rng.gaussian(0, 0.7)) : (targetKbps / 300) * 30))
  const quality = classifyCallQuality(stats)
  return [
    {
      channel: 'telemetry',
      data: {
        sessionId: session.id,
        ...stats,
        bitrateKbps: stats.bitrateKbps ?? 0,
        fps,
        resolution: s.cameraOff ? null : frameSize(targetKbps),
        bytesSent: session.bytesSent,
        packetsSent: session.packetsSent,
        packetsLost: session.packetsLost,
        quality,
      },
    },
    ...s.alarms.update(POOR_CALL, quality === 'poor', POOR_DELAY_INTERVALS),
  ]
}

/** Hanging up ends a poor-quality alarm at once: there is no call left to be poor. */
function endCall(s: TeleState, session: Session, reason: 'hangup' | 'connect-failed'): Emission[] {
  return [...s.alarms.update(POOR_CALL, false), transition(s, session, 'ended', reason)]
}

export const telemedicineEndpoint = defineDeviceKind<TeleOptions, TeleState>(telemedicineEndpointContract, {
  init(ctx, now) {
    return { phase: 'idle', session: null, cameraOff: false, degraded: false, alarms: new AlarmLatch(), lastTick: now, noiseKey: hashString(ctx.deviceId) }
  },
  tick(s, ctx, now) {
    const dtMs = now - s.lastTick
    s.lastTick = now
    if (s.phase === 'idle') {
      // Poisson arrivals: the chance of at least one call in this interval.
      if (!ctx.rng.chance(1 - Math.exp((-ctx.options.callsPerHour * dtMs) / 3_600_000))) return []
      const callMs = ctx.options.meanCallMin * ctx.rng.uniform(0.4, 1.6) * 60_000
      s.session = { id: sessionId(ctx), endsAt: now + callMs, bytesSent: 0, packetsSent: 0, packetsLost: 0, lastStatsAt: now }
      return [transition(s, s.session, 'connecting')]
    }
    // Every phase but idle belongs to a session.
    const session = s.session as Session
    if (s.phase === 'connecting') {
      // ICE and DTLS finish within a few seconds, or the call fails to connect.
      if (ctx.rng.chance(LINKS[ctx.options.link].connectFailure)) return endCall(s, session, 'connect-failed')
      session.lastStatsAt = now
      session.endsAt += dtMs
      return [transition(s, session, 'in-call')]
    }
    if (s.phase === 'in-call') {
      const out = statsInterval(s, session, ctx, now)
      if (now >= session.endsAt) out.push(...endCall(s, session, 'hangup'))
      return out
    }
    s.session = null
    return [transition(s, session, 'idle')]
  },
  // `sensor-off` is the camera off or unplugged: the call goes on with no video (0 fps, nothing sent).
  // The endpoint runs on mains, so `battery-empty` means nothing here.
  // `network-degraded` congests the link until the fault ends.
  fault(s, _ctx, fault, active) {
    if (fault === 'sensor-off') s.cameraOff = active
    if (fault === 'network-degraded') s.degraded = active
    return []
  },
})
