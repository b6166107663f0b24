import { z } from 'zod'
import type { DeviceMessage } from '../../contract/device-message.ts'
import { defineDetector, durationMs, type Detector, type DetectorContext, type Report } from '../detector.ts'
import { telemetryRanges } from '../field-ranges.ts'
import { CHANGE_LIMITS, LIMITED_FIELDS } from '../plausibility.ts'
import { KeyedTable } from '../windows.ts'

interface DeviceState {
  lastSeen: number
  /** Per limited field: last value and its ts (NaN when none yet). */
  last: Float64Array
}

/** Its thresholds: the security configuration's `falseData`. */
export const falseDataConfig = z
  .object({
    /** Consecutive readings further apart than this are not compared: too much may have happened. */
    maxGapMs: durationMs.default(10 * 60_000),
  })
  .strict()

/**
 * False data injection: readings no device on a patient could produce. Two checks, per device: a
 * value outside the device kind's own measuring range (such a message fails the schema and is
 * quarantined — this detector looks at those too, since a spoofed SpO2 of 150 % is an attack, not
 * a typo); and a change from the device's previous reading faster than the quantity can change
 * (plausibility.ts), timed by the readings' own `ts`.
 */
function falseDataDetector({ config, memory }: DetectorContext<z.output<typeof falseDataConfig>>): Detector {
  const { maxGapMs } = config
  const devices = new KeyedTable<DeviceState>(memory)
  const create = (now: number): DeviceState => ({ lastSeen: now, last: new Float64Array(LIMITED_FIELDS.length * 2).fill(Number.NaN) })

  const flag = (message: DeviceMessage, deviceId: string, report: Report, evidence: Record<string, unknown>) =>
    report({
      type: 'false-data',
      severity: 'critical',
      source: { clientId: message.source.clientId, address: message.source.address, deviceId },
      evidence: { ...evidence, topic: message.topic },
      key: deviceId,
    })

  return {
    name: 'false-data',
    onMessage(message, now, report) {
      const envelope = message.envelope
      if (!envelope || message.device?.channel !== 'telemetry') return
      const data = envelope.data as Record<string, unknown>
      const state = devices.touch(envelope.deviceId, now, create)
      for (let i = 0; i < LIMITED_FIELDS.length; i++) {
        const field = LIMITED_FIELDS[i]!
        const value = data[field]
        if (typeof value !== 'number') continue
        const previous = state.last[2 * i]!
        const previousTs = state.last[2 * i + 1]!
        if (envelope.ts <= previousTs) continue
        const dtMs = envelope.ts - previousTs
        if (!Number.isNaN(previous) && dtMs <= maxGapMs) {
          const limit = CHANGE_LIMITS[field]!
          const change = value - previous
          const allowed = limit.noise + (limit.perSecond * dtMs) / 1000
          if (change > allowed || (limit.monotonic ? change < -limit.noise : change < -allowed)) {
            // The last plausible reading stays the reference, so every forged one is caught.
            flag(message, envelope.deviceId, report, {
              reason: 'impossible-change',
              field,
              previous,
              value,
              dtMs,
              allowedChange: Math.round(allowed * 1000) / 1000,
              patientId: message.context?.patientId ?? null,
            })
            continue
          }
        }
        state.last[2 * i] = value
        state.last[2 * i + 1] = envelope.ts
      }
    },
    onQuarantine(message, reason, _now, report) {
      if (reason !== 'schema' || message.device?.channel !== 'telemetry') return
      const body = message.body as { data?: unknown } | undefined
      const data = body?.data
      if (typeof data !== 'object' || data === null) return
      const ranges = telemetryRanges(message.device.kind)
      for (const [field, value] of Object.entries(data)) {
        const range = ranges.get(field)
        if (range && typeof value === 'number' && (value < range.min || value > range.max)) {
          flag(message, message.device.deviceId, report, { reason: 'out-of-range', field, value, range: [range.min, range.max] })
          return
        }
      }
    },
    sweep: (now) => devices.sweep(now),
  }
}

export const falseData = defineDetector({ configKey: 'falseData', config: falseDataConfig, create: falseDataDetector })
