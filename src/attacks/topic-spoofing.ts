import { defineAttack, targetDevice } from './attack.ts'
import { spoofParams, spoofTelemetry } from './spoofed-publish.ts'

/** Writing on another device's topic: anonymously (lab profile) or as another registered identity. */
export const topicSpoofingAttack = defineAttack({
  type: 'topic-spoofing',
  summary: "publish on another device's telemetry topic",
  params: spoofParams('203.0.113.80'),
  target: (params, registry) => targetDevice(registry, params.target).id,
  run: (attacker, params, durationMs) => spoofTelemetry(attacker, params, durationMs, false),
})
