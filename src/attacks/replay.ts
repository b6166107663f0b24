import { z } from 'zod'
import { addressParam, defineAttack, rateParam, targetDevice } from './attack.ts'
import { observeDevice } from './observe.ts'

/**
 * A replay (the ICU dataset's): record a device's messages, then, with its stolen credentials,
 * resend the recorded messages byte for byte — old sequence numbers, old timestamps — `rate`
 * sessions a second. Recording is passive: the attack counts from the first resend.
 */
export const replayAttack = defineAttack({
  type: 'replay',
  summary: "record a device's messages and resend them later as the device",
  params: z
    .object({
      address: addressParam('203.0.113.120'),
      target: z.string().optional(),
      /** Messages to record first (simulated time to wait for them: `recordMs` at most). */
      record: z.number().int().min(1).max(10_000).default(5),
      recordMs: z.number().int().positive().default(30_000),
      rate: rateParam(1),
    })
    .strict(),
  target: (params, registry) => targetDevice(registry, params.target, ['bedside-monitor']).id,
  async run(attacker, params, durationMs) {
    const device = targetDevice(attacker.ctx.registry, attacker.entry.target!)
    const recorded = (await observeDevice(attacker, params.address, device, { count: params.record, maxMs: params.recordMs })).filter((m) => m.envelope.seq > 0)
    if (recorded.length === 0) throw new Error(`replay: ${device.id} sent nothing to record within ${params.recordMs} ms`)
    attacker.strike()
    await attacker.repeat(params.rate, durationMs, async () => {
      const client = await attacker.connectStolen(params.address, device.id).catch(() => null)
      if (!client) return
      for (const { topic, payload } of recorded) client.publish(topic, payload, { qos: 0 })
      await client.endAsync().catch(() => undefined)
    })
  },
})
