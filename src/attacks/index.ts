import type { AlertType } from '../contract/security-alert.ts'
import type { AttackDefinition } from './attack.ts'
import { Attacker, type AttackContext } from './attacker.ts'
import { authBypassAttack } from './auth-bypass.ts'
import { bruteForceAttack } from './brute-force.ts'
import { clientTakeoverAttack } from './client-takeover.ts'
import { connectFloodAttack } from './connect-flood.ts'
import { falseDataAttack } from './false-data.ts'
import type { GroundTruthEntry } from './ground-truth.ts'
import { malformedPacketAttack } from './malformed-packet.ts'
import { malformedPayloadAttack } from './malformed-payload.ts'
import { publishFloodAttack } from './publish-flood.ts'
import { replayAttack } from './replay.ts'
import { retainedPoisoningAttack } from './retained-poisoning.ts'
import { slowDosAttack } from './slow-dos.ts'
import { topicSpoofingAttack } from './topic-spoofing.ts'
import { unauthorizedCommandAttack } from './unauthorized-command.ts'
import { wildcardSnoopingAttack } from './wildcard-snooping.ts'

export type { AttackContext } from './attacker.ts'
export { GroundTruth, type GroundTruthEntry } from './ground-truth.ts'

/** An attack module per alert class (auth-failure is informational: a class of mistakes, not of attacks). */
export const ATTACKS: ReadonlyMap<AlertType, AttackDefinition> = new Map(
  [
    bruteForceAttack,
    authBypassAttack,
    connectFloodAttack,
    publishFloodAttack,
    slowDosAttack,
    malformedPacketAttack,
    malformedPayloadAttack,
    topicSpoofingAttack,
    wildcardSnoopingAttack,
    clientTakeoverAttack,
    replayAttack,
    falseDataAttack,
    unauthorizedCommandAttack,
    retainedPoisoningAttack,
  ].map((attack): [AlertType, AttackDefinition] => [attack.type, attack as AttackDefinition]),
)

/**
 * Runs one attack for `durationMs` of simulated time and returns its ground truth. Parameters are
 * validated by the attack's own schema; a bad one is an error before anything is sent.
 */
export async function runAttack(
  ctx: AttackContext,
  type: AlertType,
  options: { durationMs: number; params?: Record<string, unknown> },
): Promise<GroundTruthEntry> {
  const attack = ATTACKS.get(type)
  if (!attack) throw new Error(`no attack module for "${type}" (attacks: ${[...ATTACKS.keys()].join(', ')})`)
  const parsed = attack.params.safeParse(options.params ?? {})
  if (!parsed.success) throw new Error(`attack ${type}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ')}`)
  const entry = ctx.groundTruth.begin(type, attack.target(parsed.data, ctx.registry), parsed.data as Record<string, unknown>, ctx.clock.now())
  const attacker = new Attacker(ctx, entry)
  try {
    await attack.run(attacker, parsed.data, options.durationMs)
  } finally {
    attacker.finish()
  }
  return entry
}
