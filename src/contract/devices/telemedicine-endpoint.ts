import { z } from 'zod'
import { alarmSchema, statusSchema } from '../channels.ts'
import { defineDeviceContract } from '../device-contract.ts'

/**
 * The contract of a telemedicine cart or room endpoint: during a video call, WebRTC statistics per
 * interval (RTCStatsReport: outbound-rtp and remote-inbound-rtp) with a call-quality class; session
 * state changes as events.
 */

/**
 * One statistics interval every 5 s: browsers sample getStats about once a second, but a 5 s window
 * smooths per-second burstiness and still flags a poor call within 15 s (three intervals).
 */
const TICK_MS = 5000

/** The endpoint's access link. */
export const LINK_TYPES = ['wired', 'wifi', 'cellular'] as const
export type LinkType = (typeof LINK_TYPES)[number]

export const CALL_QUALITIES = ['good', 'fair', 'poor'] as const
export type CallQuality = (typeof CALL_QUALITIES)[number]

const SESSION_PHASES = ['idle', 'connecting', 'in-call', 'ended'] as const
export type SessionPhase = (typeof SESSION_PHASES)[number]

const optionsSchema = z
  .object({
    link: z.enum(LINK_TYPES).default('wifi'),
    /** Mean rate of incoming calls (Poisson). */
    callsPerHour: z.number().positive().max(60).default(1),
    /** Mean consultation length; each call lasts 40–160 % of it. */
    meanCallMin: z.number().positive().max(240).default(15),
  })
  .strict()
export type TeleOptions = z.infer<typeof optionsSchema>

const telemetrySchema = z
  .object({
    sessionId: z.string(),
    rttMs: z.number().min(0),
    jitterMs: z.number().min(0),
    packetLossPct: z.number().min(0).max(100),
    bitrateKbps: z.number().min(0),
    fps: z.number().min(0).max(60),
    resolution: z
      .string()
      .regex(/^\d+x\d+$/)
      .nullable(),
    bytesSent: z.number().int().min(0),
    packetsSent: z.number().int().min(0),
    packetsLost: z.number().int().min(0),
    quality: z.enum(CALL_QUALITIES),
  })
  .strict()

const sessionEventSchema = z
  .object({
    type: z.literal('session-state'),
    sessionId: z.string(),
    from: z.enum(SESSION_PHASES),
    to: z.enum(SESSION_PHASES),
    reason: z.enum(['hangup', 'connect-failed']).optional(),
  })
  .strict()

export const telemedicineEndpointContract = defineDeviceContract<TeleOptions>({
  kind: 'telemedicine-endpoint',
  title: 'Telemedicine endpoint',
  description:
    'Video-consultation cart or room endpoint: random calls, WebRTC statistics per interval (RTT, jitter, loss, bitrate from byte counters, fps, frame size) and a call-quality class.',
  needsPatient: false,
  optionsSchema,
  schemas: {
    telemetry: telemetrySchema,
    status: statusSchema,
    alarm: alarmSchema,
    event: sessionEventSchema,
  },
  qos: { telemetry: 0, status: 1, alarm: 1, event: 1 },
  codes: {
    rttMs: { display: 'Round-trip time', ucum: 'ms' },
    jitterMs: { display: 'Jitter', ucum: 'ms' },
    packetLossPct: { display: 'Packet loss', ucum: '%' },
    bitrateKbps: { display: 'Video send bitrate', ucum: 'kbit/s' },
    fps: { display: 'Frames per second', ucum: '/s' },
    bytesSent: { display: 'Bytes sent', ucum: 'By' },
    packetsSent: { display: 'Packets sent', ucum: '{packet}' },
    packetsLost: { display: 'Packets lost', ucum: '{packet}' },
  },
  tickMs: () => TICK_MS,
  storeAndForward: false,
})
