import { defineAttack, targetDevice } from './attack.ts'
import { spoofParams, spoofTelemetry } from './spoofed-publish.ts'

/** Topic spoofing with the retain flag: a forged value every later subscriber would get first. */
export const retainedPoisoningAttack = defineAttack({
  type: 'retained-poisoning',
  summary: "publish a retained message on another device's topic",
  params: spoofParams('203.0.113.90'),
  target: (params, registry) => targetDevice(registry, params.target).id,
  run: (attacker, params, durationMs) => spoofTelemetry(attacker, params, durationMs, true),
})
